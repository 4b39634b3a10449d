//! How well foi reads replies, measured (`foi inbox evaluate`).
//!
//! - Against a **labelled set** ([`labels`], [`run::labelled`]): a scratch SQLite database
//!   gets the shipped body lists, a round is launched to every labelled body through the file
//!   transport (the body's FOI address set to the address the label says our request went
//!   to), each labelled reply is filled in with its body's request (token, reply address,
//!   Message-ID) and ingested exactly as `foi inbox import` does; then again with the token
//!   lost (no token, no reply address, no threading headers). The classes, exemptions,
//!   matches and suggested answers are compared with the labels ([`Report`]).
//! - Against the **corrections people made** ([`run::corrections`]): on a real database, the
//!   class the rules gave each message a person reclassified, and each suggested answer a
//!   person confirmed or changed.

#![forbid(unsafe_code)]

pub mod labels;
pub mod report;
pub mod run;

pub use labels::Labelled;
pub use report::Report;

/// What can go wrong while evaluating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A labels file that cannot be used (the message names the file and line).
    #[error("{0}")]
    Labels(String),
    /// A shipped file the evaluation needs cannot be used.
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Inbox(#[from] foi_inbox::Error),
    #[error(transparent)]
    Analysis(#[from] foi_analysis::Error),
    #[error(transparent)]
    Simulate(#[from] foi_simulate::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
