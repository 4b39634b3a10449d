//! Where messages go: an SMTP server (STARTTLS, TLS or plain on loopback; certificates checked
//! against the machine's roots and an optional `ca_file`; authentication; a kept-open
//! connection; a timeout per send), or a folder of .eml files through lettre's file transport,
//! the default whenever no SMTP server is configured.
//!
//! The SMTP dialogue is driven step by step so that the outcome of a failure is known
//! exactly: a failure before the message's final dot means it was not sent (retry is safe);
//! a 4xx or 5xx reply to the final dot means it was refused; a dropped connection or a
//! timeout after the final dot leaves the outcome unknown, and the message is held.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use foi_core::Secret;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
use lettre::{Address, AsyncFileTransport, AsyncTransport, Tokio1Executor};

use crate::{Error, Result};

/// How to secure the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required). Port 587 by default.
    StartTls,
    /// TLS from the first byte. Port 465 by default.
    Tls,
    /// No encryption: only for a server on this machine (tests, a local relay). Port 25.
    None,
}

impl std::str::FromStr for Security {
    type Err = Error;
    fn from_str(s: &str) -> Result<Security> {
        match s.to_ascii_lowercase().as_str() {
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" | "smtps" => Ok(Security::Tls),
            "none" | "plain" => Ok(Security::None),
            _ => Err(Error::Invalid(format!("unknown SMTP security \"{s}\" (expected starttls, tls or none)"))),
        }
    }
}

/// An SMTP server to send through.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Limit on one whole send (MAIL FROM to the reply after the final dot).
    pub timeout: Duration,
}

/// The outcome of handing one message to a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted (the server's reply, or the file written).
    Accepted(String),
    /// Refused for now (4xx, connection refused): safe to try again later.
    Temporary(String),
    /// Refused for good (5xx): keep the reason and show it.
    Permanent(String),
    /// The connection failed after the message was handed over: it may have been accepted.
    Unknown(String),
}

/// A way of sending.
pub enum Transport {
    Smtp(Box<SmtpClient>),
    File(FileOutbox),
}

impl Transport {
    /// Sends `raw` to `to` with envelope sender `from`.
    pub async fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> SendOutcome {
        match self {
            Transport::Smtp(c) => c.send(from, to, raw).await,
            Transport::File(f) => f.send(from, to, raw).await,
        }
    }

    /// Whether a message with this Message-ID is known to have gone: `Some(true)` or
    /// `Some(false)` when the transport can tell for certain, None when it cannot.
    pub async fn knows_sent(&self, message_id: &str) -> Option<bool> {
        match self {
            Transport::Smtp(_) => None,
            Transport::File(f) => Some(f.contains(message_id)),
        }
    }

    /// Gets ready to send: opens the SMTP connection ahead of the first message, so that a
    /// server foi must not send through (its TLS certificate refused, STARTTLS not offered)
    /// is an error before any message is taken from the queue. Other failures (a server down
    /// or silent) are left to each message, which stays queued for a retry.
    pub async fn ready(&mut self) -> Result<()> {
        match self {
            Transport::Smtp(c) => c.ready().await,
            Transport::File(_) => Ok(()),
        }
    }

    /// Another transport like this one, with its own connection (for sending in parallel).
    pub fn another(&self) -> Result<Transport> {
        Ok(match self {
            Transport::Smtp(c) => Transport::Smtp(Box::new(c.another())),
            Transport::File(f) => Transport::File(FileOutbox::new(&f.dir)?),
        })
    }

    /// A short description for messages to the officer.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(c) => format!("SMTP {}:{}", c.settings.host, c.port()),
            Transport::File(f) => format!("dry run: .eml files in {}", f.dir.display()),
        }
    }

    /// Closes any open connection politely.
    pub async fn close(&mut self) {
        if let Transport::Smtp(c) = self {
            c.close().await;
        }
    }
}

/// A folder of .eml files, written by lettre's file transport.
pub struct FileOutbox {
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileOutbox {
    pub fn new(dir: &Path) -> Result<FileOutbox> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(FileOutbox { dir: dir.to_path_buf(), transport: AsyncFileTransport::new(dir) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn send(&self, from: &str, to: &str, raw: &[u8]) -> SendOutcome {
        let envelope = match envelope(from, to) {
            Ok(e) => e,
            Err(e) => return SendOutcome::Permanent(e.to_string()),
        };
        match self.transport.send_raw(&envelope, raw).await {
            Ok(id) => SendOutcome::Accepted(format!("written to {}", self.dir.join(format!("{id}.eml")).display())),
            Err(e) => SendOutcome::Temporary(format!("cannot write to {}: {e}", self.dir.display())),
        }
    }

    /// Whether a complete .eml file with this Message-ID is in the folder.
    pub fn contains(&self, message_id: &str) -> bool {
        let needle = format!("Message-ID: <{message_id}>");
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return false };
        entries.flatten().any(|e| {
            e.path().extension().is_some_and(|x| x == "eml")
                && std::fs::read(e.path())
                    .is_ok_and(|b| b.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes())))
        })
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope> {
    let parse = |s: &str, what: &str| {
        s.parse::<Address>().map_err(|e| Error::Address {
            address: s.into(),
            what: what.into(),
            message: e.to_string(),
        })
    };
    Envelope::new(Some(parse(from, "sender")?), vec![parse(to, "recipient")?])
        .map_err(|e| Error::Compose(e.to_string()))
}

/// An SMTP client that keeps one connection open between sends.
pub struct SmtpClient {
    settings: SmtpSettings,
    /// Certificate authorities trusted besides the machine's roots (`ca_file`).
    ca: Option<Arc<CaFile>>,
    conn: Option<AsyncSmtpConnection>,
    /// Why the connection opened by `ready` could not be made (a server down or silent): the
    /// outcome of the next send, rather than a second wait for the same server.
    deferred: Option<String>,
    hello: ClientId,
    last_used: Option<std::time::Instant>,
}

/// A `ca_file` and its certificates (DER), read once.
struct CaFile {
    path: PathBuf,
    certs: Vec<Vec<u8>>,
}

/// Why a connection could not be made; `fatal` when foi must not send through this server as
/// configured (TLS refused), as against a server that is down or slow for now.
struct ConnectFailure {
    message: String,
    fatal: bool,
}

impl ConnectFailure {
    fn passing(message: String) -> ConnectFailure {
        ConnectFailure { message, fatal: false }
    }
}

/// A connection idle for longer than this is checked (NOOP) before it is used again.
const IDLE_CHECK: Duration = Duration::from_secs(5);

impl SmtpClient {
    pub fn new(settings: SmtpSettings) -> SmtpClient {
        SmtpClient { settings, ca: None, conn: None, deferred: None, hello: ClientId::default(), last_used: None }
    }

    /// Trusts the certificate authorities of a PEM file (`ca_file`) besides the machine's
    /// roots, as for a self-hosted server with its own CA. A file that cannot be read or holds
    /// no certificate is an error naming it.
    pub fn with_ca_file(mut self, path: &Path) -> Result<SmtpClient> {
        let certs = foi_imap::tls::read_ca_file(path).map_err(Error::Invalid)?;
        let certs = certs.iter().map(|c| c.as_ref().to_vec()).collect();
        self.ca = Some(Arc::new(CaFile { path: path.to_path_buf(), certs }));
        Ok(self)
    }

    /// Another client with the same settings and its own connection.
    fn another(&self) -> SmtpClient {
        SmtpClient { ca: self.ca.clone(), ..SmtpClient::new(self.settings.clone()) }
    }

    async fn ready(&mut self) -> Result<()> {
        if self.conn.is_some() {
            return Ok(());
        }
        let failure = match tokio::time::timeout(self.settings.timeout, self.connect()).await {
            Ok(Ok(c)) => {
                self.conn = Some(c);
                self.last_used = Some(std::time::Instant::now());
                return Ok(());
            }
            Ok(Err(f)) => f,
            Err(_) => ConnectFailure::passing(format!("connecting to {} timed out", self.settings.host)),
        };
        if failure.fatal {
            return Err(Error::Smtp(format!("{}; nothing was sent", failure.message)));
        }
        self.deferred = Some(failure.message);
        Ok(())
    }

    fn port(&self) -> u16 {
        self.settings.port.unwrap_or(match self.settings.security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        })
    }

    fn tls(&self) -> Result<TlsParameters, ConnectFailure> {
        let setup = |e: lettre::transport::smtp::Error| ConnectFailure {
            message: format!("TLS set-up for {}: {e}", self.settings.host),
            fatal: true,
        };
        let mut builder = TlsParameters::builder(self.settings.host.clone());
        for der in self.ca.iter().flat_map(|ca| ca.certs.iter()) {
            builder = builder.add_root_certificate(Certificate::from_der(der.clone()).map_err(setup)?);
        }
        builder.build().map_err(setup)
    }

    /// A TLS failure explained (a refused certificate names what foi trusts), as fatal; any
    /// other failure as it is.
    fn failure(&self, what: String, e: &lettre::transport::smtp::Error) -> ConnectFailure {
        let host = &self.settings.host;
        match foi_imap::tls::explain(e, host, self.ca.as_ref().map(|c| c.path.as_path())) {
            Some(why) => ConnectFailure { message: format!("{what}: {why}"), fatal: true },
            None => ConnectFailure { message: format!("{what}: {e}"), fatal: e.is_tls() },
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, ConnectFailure> {
        let s = &self.settings;
        let wrapper = match s.security {
            Security::Tls => Some(self.tls()?),
            _ => None,
        };
        let mut conn = match wrapper {
            Some(tls) => AsyncSmtpConnection::connect_tokio1(
                (s.host.as_str(), self.port()),
                Some(s.timeout),
                &self.hello,
                Some(tls),
                None,
            )
            .await
            .map_err(|e| self.failure(format!("cannot connect to {}:{} (TLS)", s.host, self.port()), &e))?,
            None => {
                // Our own socket, so that small SMTP commands are not held back by Nagle's
                // algorithm waiting for delayed ACKs (40 ms a command on Linux).
                let tcp = tokio::net::TcpStream::connect((s.host.as_str(), self.port())).await.map_err(|e| {
                    ConnectFailure::passing(format!("cannot connect to {}:{}: {e}", s.host, self.port()))
                })?;
                tcp.set_nodelay(true).map_err(|e| ConnectFailure::passing(format!("socket option: {e}")))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                    .await
                    .map_err(|e| ConnectFailure::passing(format!("{}:{} did not greet: {e}", s.host, self.port())))?
            }
        };
        if s.security == Security::StartTls {
            let what = format!("STARTTLS with {}:{}", s.host, self.port());
            if !conn.server_info().supports_feature(lettre::transport::smtp::extension::Extension::StartTls) {
                conn.abort().await;
                return Err(ConnectFailure {
                    message: format!(
                        "{what}: the server does not offer STARTTLS, and foi does not send without TLS (security = \"starttls\")"
                    ),
                    fatal: true,
                });
            }
            conn.starttls(self.tls()?, &self.hello).await.map_err(|e| self.failure(what, &e))?;
        }
        if let (Some(user), Some(pw)) = (&s.username, &s.password) {
            let creds = Credentials::new(user.clone(), pw.expose().to_string());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .await
                .map_err(|e| ConnectFailure::passing(format!("authentication as {user} failed: {e}")))?;
        }
        Ok(conn)
    }

    async fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> SendOutcome {
        let envelope = match envelope(from, to) {
            Ok(e) => e,
            Err(e) => return SendOutcome::Permanent(e.to_string()),
        };
        // A kept-open connection may have been closed by the server: check it first when
        // it has been idle for a while.
        let idle = self.last_used.is_none_or(|t| t.elapsed() > IDLE_CHECK);
        if let Some(c) = self.conn.as_mut()
            && (c.has_broken() || (idle && !c.test_connected().await))
        {
            self.conn = None;
        }
        self.last_used = Some(std::time::Instant::now());
        if self.conn.is_none()
            && let Some(failure) = self.deferred.take()
        {
            return SendOutcome::Temporary(failure);
        }
        if self.conn.is_none() {
            match tokio::time::timeout(self.settings.timeout, self.connect()).await {
                Ok(Ok(c)) => self.conn = Some(c),
                Ok(Err(e)) => return SendOutcome::Temporary(e.message),
                Err(_) => return SendOutcome::Temporary(format!("connecting to {} timed out", self.settings.host)),
            }
        }
        let Some(mut conn) = self.conn.take() else { return SendOutcome::Temporary("no connection".into()) };
        let outcome = match tokio::time::timeout(self.settings.timeout, transaction(&mut conn, &envelope, raw)).await {
            Ok(o) => o,
            Err(_) => {
                Step::AfterData(format!("no reply within {:?} after the message was sent", self.settings.timeout))
            }
        };
        match outcome {
            Step::Done(reply) => {
                self.conn = Some(conn);
                SendOutcome::Accepted(reply)
            }
            Step::Refused { permanent: true, reply } => {
                self.reset(conn).await;
                SendOutcome::Permanent(reply)
            }
            Step::Refused { permanent: false, reply } => {
                self.reset(conn).await;
                SendOutcome::Temporary(reply)
            }
            Step::BeforeData(e) => SendOutcome::Temporary(e),
            Step::AfterData(e) => SendOutcome::Unknown(e),
        }
    }

    /// After a refused transaction the connection is dropped (lettre closes it on errors);
    /// the next send opens a new one.
    async fn reset(&mut self, mut conn: AsyncSmtpConnection) {
        if !conn.has_broken() {
            conn.abort().await;
        }
    }

    async fn close(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.quit().await;
        }
    }
}

enum Step {
    Done(String),
    Refused {
        permanent: bool,
        reply: String,
    },
    /// Failed before the message content went: nothing was delivered.
    BeforeData(String),
    /// Failed while or after the content went, with no clear reply.
    AfterData(String),
}

fn refusal(e: &lettre::transport::smtp::Error) -> Option<Step> {
    if e.is_permanent() {
        Some(Step::Refused { permanent: true, reply: e.to_string() })
    } else if e.is_transient() {
        Some(Step::Refused { permanent: false, reply: e.to_string() })
    } else {
        None
    }
}

async fn transaction(conn: &mut AsyncSmtpConnection, envelope: &Envelope, raw: &[u8]) -> Step {
    let mut params = Vec::new();
    if !raw.is_ascii() {
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    if let Err(e) = conn.command(Mail::new(envelope.from().cloned(), params)).await {
        return refusal(&e).unwrap_or_else(|| Step::BeforeData(e.to_string()));
    }
    for to in envelope.to() {
        if let Err(e) = conn.command(Rcpt::new(to.clone(), vec![])).await {
            return refusal(&e).unwrap_or_else(|| Step::BeforeData(e.to_string()));
        }
    }
    if let Err(e) = conn.command(Data).await {
        return refusal(&e).unwrap_or_else(|| Step::BeforeData(e.to_string()));
    }
    // lettre ends the DATA with CRLF "." CRLF: the message's own final CRLF is that first CRLF.
    match conn.message(raw.strip_suffix(b"\r\n").unwrap_or(raw)).await {
        Ok(reply) => Step::Done(format!("{} {}", reply.code(), reply.message().collect::<Vec<_>>().join(" "))),
        Err(e) => refusal(&e).unwrap_or_else(|| Step::AfterData(e.to_string())),
    }
}
