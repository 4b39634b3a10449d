//! foi's analysis: from a round's requests, replies, events and tags (read through the
//! store) to the tables the charity publishes: response rates by body kind and region as of a
//! cut-off, the monthly series, the commissioning table, and agreement between analysts who
//! coded the same replies. Computation is separate from rendering: each table is a [`Table`]
//! that `render` turns into text, CSV or Markdown; the same data and cut-off always give the
//! same output.

#![forbid(unsafe_code)]

pub mod agreement;
pub mod commissioning;
pub mod compare;
pub mod html;
pub mod rates;
pub mod render;
pub mod reports;
pub mod suggest;
pub mod table;
pub mod xlsx;

pub use table::{Cell, Table};

/// What can go wrong analysing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Calendar(#[from] foi_core::CalendarError),
    #[error("{0}")]
    Render(String),
    /// Suggestion rules that cannot be read (the message names the file and the place).
    #[error("suggestion rules: {0}")]
    Rules(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
