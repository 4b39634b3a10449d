//! foi's inbox: takes replies from IMAP folders or from files (.eml, folders, mbox,
//! Maildir), keeps their raw bytes, parses them, reads their attachments' text, matches each
//! to its request and classifies it (bounce, auto-reply, acknowledgement, answer, refusal...).

#![forbid(unsafe_code)]

pub mod classify;
pub mod extract;
pub mod folding;
pub mod ingest;
pub mod matching;
pub mod parse;
pub mod sources;

pub use ingest::{Ingestor, Outcome};

/// Everything that can go wrong in the inbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("rules file {file}: {message}")]
    Rules { file: String, message: String },
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Imap(#[from] foi_imap::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
