//! foi's mailer: renders requests and follow-ups from template sets, composes them into the
//! exact bytes that will be sent, queues them in the durable outbox, sends them through SMTP
//! or into a folder of .eml files (the default: nothing leaves the machine), with pacing,
//! and chases overdue requests.

#![forbid(unsafe_code)]

pub mod compose;
pub mod context;

pub mod outbox;
pub mod pacing;
pub mod round;
pub mod sent;
pub mod template;
pub mod transport;

use std::path::Path;

use foi_core::Reference;

pub use outbox::{SendOptions, SendSummary};
pub use pacing::Pacing;
pub use template::{Followup, Rendered, TemplateSet};
pub use transport::{Security, SendOutcome, SmtpSettings, Transport};

/// Everything that can go wrong in the mailer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template could not be rendered: names the template, the body and the field.
    #[error("{template}{}: {message}", body.as_ref().map(|b| format!(" for {b}")).unwrap_or_default())]
    Template { template: String, body: Option<String>, message: String },
    #[error("{what} address \"{address}\" is not valid: {message}")]
    Address { address: String, what: String, message: String },
    #[error("cannot compose the message: {0}")]
    Compose(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error("{0}")]
    Codebook(#[from] foi_core::codebook::CodebookError),
    #[error(transparent)]
    Calendar(#[from] foi_core::CalendarError),
}

impl Error {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), message: e.to_string() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Who requests come from and where replies go.
#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub email: String,
    /// Local part of the reply addresses (`foi` in `foi+TOKEN@domain`).
    pub reply_local: String,
    /// Domain of the reply addresses and of the Message-IDs foi sets.
    pub reply_domain: String,
}

impl Sender {
    /// The reply address of one request: `foi+TOKEN@domain`.
    pub fn reply_address(&self, r: &Reference) -> String {
        r.reply_address(&self.reply_local, &self.reply_domain)
    }

    /// The From mailbox.
    pub fn mailbox(&self) -> Result<lettre::message::Mailbox> {
        let addr = self.email.parse().map_err(|e| Error::Address {
            address: self.email.clone(),
            what: "sender".into(),
            message: format!("{e}"),
        })?;
        Ok(lettre::message::Mailbox::new(Some(self.name.clone()), addr))
    }
}

/// Hex SHA-256 of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
