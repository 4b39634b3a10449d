//! foi's use cases, one module each, called by the CLI (which parses and prints), the web UI,
//! the demo and the simulator alike: `rounds` (create a round, add bodies, what stands in the
//! way of a launch), `sending` (queue a round's requests, chasers and follow-ups; run the
//! outbox; release a held message), `requests` (a state changed by hand), `tags` (code an
//! answer, import tags), `reports` (which round, which facts, which tables), `bodies`
//! (importing a body file, whether a list or updates).
//!
//! The use cases check what a person asked for and decide; the store writes (one path for
//! every state change, `foi_store`'s `transition`), the mailer writes mail, the analysis
//! crate builds tables. Nothing here prints.

#![forbid(unsafe_code)]

pub mod bodies;
pub mod reports;
pub mod requests;
pub mod rounds;
pub mod sending;
pub mod tags;

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the person asked for cannot be done (the message says why).
    #[error("{0}")]
    Invalid(String),
    /// A file that cannot be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// Rows of a file that cannot be used, each `line N: message`; nothing was recorded.
    #[error("{} bad row{}; nothing was recorded", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Rows(Vec<String>),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Mailer(#[from] foi_mailer::Error),
    #[error(transparent)]
    Analysis(#[from] foi_analysis::Error),
    #[error("{0}")]
    Codebook(#[from] foi_core::codebook::CodebookError),
    #[error(transparent)]
    Calendar(#[from] foi_core::CalendarError),
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), message: e.to_string() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
