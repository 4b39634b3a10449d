//! What foi trusts on a TLS connection (IMAP here, SMTP in the mailer): the machine's root
//! certificates plus, with `ca_file` in `[smtp]` or `[imap]`, the PEM certificates of that file
//! (a self-hosted server's own CA). Certificates are always checked, against the host name
//! foi was given; a refusal is explained in words an officer can act on.

use std::path::Path;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, CertificateError};

/// The certificates of a `ca_file`: every `BEGIN CERTIFICATE` block of the PEM file. A file
/// that cannot be read, is not PEM or holds no certificate is an error naming the file.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("ca_file: cannot read {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("ca_file: {} is not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "ca_file: {} holds no certificate (expected PEM blocks starting -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// A plain sentence for a TLS failure found anywhere in `error`'s chain of sources (a
/// certificate refused, a handshake that failed), naming `host` and what foi trusts; None
/// when the error is not a TLS one.
pub fn explain(error: &(dyn std::error::Error + 'static), host: &str, ca_file: Option<&Path>) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(explain_rustls(r, host, ca_file));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(explain_rustls(r, host, ca_file));
        }
        next = e.source();
    }
    None
}

fn trusted(ca_file: Option<&Path>) -> String {
    match ca_file {
        Some(p) => format!("the machine's root certificates and those in ca_file {}", p.display()),
        None => "the machine's root certificates (add the server's CA with ca_file if it has its own)".into(),
    }
}

fn explain_rustls(e: &rustls::Error, host: &str, ca_file: Option<&Path>) -> String {
    let refused = "the server's TLS certificate was refused";
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => format!(
                "{refused}: it is not signed by a certificate authority foi trusts; foi trusts {}",
                trusted(ca_file)
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("{refused}: it is not valid for the host name \"{host}\" foi connected to ({c})")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("{refused}: it has expired ({c})")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("{refused}: it is not valid yet ({c})")
            }
            other => format!("{refused}: {other}"),
        },
        other => format!("the TLS handshake with {host} failed: {other}"),
    }
}
