//! foi's inbox: takes replies from IMAP folders or from files (.eml, folders, mbox,
//! Maildir), keeps their raw bytes, parses them, reads their attachments' text, matches each
//! to its request and classifies it (bounce, auto-reply, acknowledgement, answer, refusal...).

#![forbid(unsafe_code)]

/// A regex from a pattern written in this crate (every one is exercised by tests).
pub(crate) fn re(p: &str) -> regex::Regex {
    regex::Regex::new(&ascii_word_boundaries(p)).unwrap_or_else(|e| unreachable!("built-in regex {p}: {e}"))
}

/// Makes `\b` and `\B` ASCII word boundaries. A Unicode word boundary makes the regex
/// engine fall back to its slowest search on any text with a non-ASCII character (a £ sign,
/// a curly quote), which is most mail; the patterns here are about English words, where the
/// two agree.
pub(crate) fn ascii_word_boundaries(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `static_re!(name, "pattern")` defines `fn name() -> &'static Regex`, compiled once.
macro_rules! static_re {
    ($name:ident, $p:expr) => {
        fn $name() -> &'static ::regex::Regex {
            static R: ::std::sync::OnceLock<::regex::Regex> = ::std::sync::OnceLock::new();
            R.get_or_init(|| $crate::re($p))
        }
    };
}

pub mod classify;
pub mod extract;
pub mod folding;
pub mod imap_sync;
pub mod ingest;
pub mod matching;
pub mod own;
pub mod parse;
pub mod reclassify;
pub mod sources;
pub mod triage;

pub use ingest::{Examined, Ingestor, Outcome, examine};

/// Everything that can go wrong in the inbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A rules file that cannot be used: `FILE:LINE: message`.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Rules { file: String, line: Option<usize>, message: String },
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Imap(#[from] foi_imap::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
