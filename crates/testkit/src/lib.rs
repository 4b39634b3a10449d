//! Test support for foi, used only as a dev-dependency: real mail servers on loopback.
//!
//! - [`MailServers`] (module [`mail_servers`]): a private Postfix (SMTP) delivering into a
//!   private Dovecot (IMAP, LMTP), started under a temp dir on free `127.0.0.1` ports for one
//!   test, with IMAP helpers to read and put messages byte for byte. Postfix answers
//!   `450 4.2.0` at RCPT for the local part `tempfail` and `550 5.1.1` for `reject` (any
//!   domain). Needs root and the Debian packages `postfix`, `dovecot-imapd` and
//!   `dovecot-lmtpd`, which `.ci/test` installs.
//!   [`MailServers::start_tls`] adds STARTTLS and implicit TLS on both, with a certificate
//!   from module [`tls`].
//! - [`ScriptedSmtp`] (module [`scripted_smtp`]): a tiny SMTP server that misbehaves on
//!   purpose (drops the connection during DATA, never greets, never answers the final dot).
//! - [`TestCa`] (module [`tls`]): a certificate authority made by the test (rcgen) and the
//!   server certificates it signs, for the TLS tests.

pub mod mail_servers;
pub mod scripted_smtp;
pub mod tls;

pub use mail_servers::{BOUNCE_DOMAIN, MailServers, PASSWORD};
pub use scripted_smtp::{Behaviour, ScriptedSmtp};
pub use tls::{ServerCert, TestCa};

/// A benchmark size from the environment (`BENCH_REQUESTS=200_000`), else `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// The codebook foi ships (`data/codebooks/childrens-palliative-care.toml`), for the
/// benchmarks' generated rounds.
pub const SHIPPED_CODEBOOK: &str = include_str!("../../../data/codebooks/childrens-palliative-care.toml");

/// This process's peak resident memory (VmHWM) in MB, for the benchmarks' reports; NaN where
/// /proc is not there.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
