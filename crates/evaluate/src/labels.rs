//! A labelled set of replies: `LABELS.toml` files, each listing the replies (`.eml` files
//! beside it) with what a careful person reads in them: the class, the exemptions relied on,
//! the body it comes from and the address our request went to, and per codebook question the
//! answer it states. A folder stands for its own `LABELS.toml` and those of its subfolders.
//!
//! The replies' raw bytes may hold placeholders that the evaluation fills with the request
//! it launches for the reply's body: `{{REF}}` (the token), `{{REPLY_TO}}` (the reply
//! address), `{{MSGID}}` (the request's Message-ID).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use foi_core::{MessageClass, Named};
use serde::Deserialize;

use crate::{Error, Result};

/// One labelled reply.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The reply's file.
    pub file: PathBuf,
    /// The code of the body it comes from; empty when it is not from one of our bodies.
    pub body: String,
    /// The address our request went to (the body's FOI address in the evaluation).
    pub sent_to: String,
    pub class: MessageClass,
    /// Exemptions relied on (`s12`, `s40`, `r12(4)(b)`), sorted.
    pub exemptions: Vec<String>,
    /// Codebook question id to the answer the reply states (`yes`, `no`, `in_development`,
    /// `not_held`, or a number).
    pub answers: BTreeMap<String, String>,
    /// Questions the reply withholds.
    pub withheld: Vec<String>,
    /// What real-world pattern the reply reproduces.
    pub pattern: String,
    /// The text of the request the reply answers, when it is not foi's own (a real reply to
    /// another requester's request): set aside like foi's requests are.
    pub request: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    reply: Vec<toml::Spanned<Raw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    file: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    sent_to: String,
    class: toml::Spanned<String>,
    #[serde(default)]
    exemptions: Vec<String>,
    #[serde(default)]
    answers: BTreeMap<String, toml::Value>,
    #[serde(default)]
    withheld: Vec<String>,
    #[serde(default)]
    pattern: String,
    /// A file beside the labels holding the request the reply answers.
    request: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    seen: Vec<String>,
}

fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Reads labels from a `LABELS.toml` file, or from a folder: its `LABELS.toml` and those of
/// its subfolders (one level), in name order.
pub fn read(path: &Path) -> Result<Vec<Labelled>> {
    if path.is_dir() {
        let mut files = Vec::new();
        let own = path.join("LABELS.toml");
        if own.is_file() {
            files.push(own);
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("LABELS.toml").is_file())
            .collect();
        subs.sort();
        files.extend(subs.into_iter().map(|p| p.join("LABELS.toml")));
        if files.is_empty() {
            return Err(Error::Labels(format!("{}: no LABELS.toml here or in its subfolders", path.display())));
        }
        let mut out = Vec::new();
        for f in files {
            out.extend(read_file(&f)?);
        }
        return Ok(out);
    }
    read_file(path)
}

/// Reads one `LABELS.toml`; errors name the file and the line.
pub fn read_file(path: &Path) -> Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })?;
    let at = |line: usize, m: String| Error::Labels(format!("{}:{line}: {m}", path.display()));
    let parsed: File = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(&text, s.start));
        at(line, e.message().trim().to_string())
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::with_capacity(parsed.reply.len());
    for spanned in parsed.reply {
        let line = line_of(&text, spanned.span().start);
        let raw = spanned.into_inner();
        let class = MessageClass::from_name(raw.class.get_ref()).ok_or_else(|| {
            at(line_of(&text, raw.class.span().start), format!("unknown class {:?}", raw.class.get_ref()))
        })?;
        let file = dir.join(&raw.file);
        if !file.is_file() {
            return Err(at(line, format!("reply {} does not exist", file.display())));
        }
        let mut answers = BTreeMap::new();
        for (q, v) in raw.answers {
            let v = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => return Err(at(line, format!("answer to {q}: {other} is not a string or a number"))),
            };
            answers.insert(q, v.trim().to_ascii_lowercase());
        }
        let mut exemptions: Vec<String> = raw.exemptions.iter().map(|e| e.trim().to_ascii_lowercase()).collect();
        exemptions.sort();
        exemptions.dedup();
        let request = match &raw.request {
            Some(r) => Some(std::fs::read_to_string(dir.join(r)).map_err(|e| at(line, format!("request {r}: {e}")))?),
            None => None,
        };
        out.push(Labelled {
            request,
            file,
            body: raw.body.trim().to_string(),
            sent_to: raw.sent_to.trim().to_ascii_lowercase(),
            class,
            exemptions,
            answers,
            withheld: raw.withheld,
            pattern: raw.pattern,
        });
    }
    Ok(out)
}

/// The names of the classes, for messages.
pub fn class_name(c: MessageClass) -> &'static str {
    c.name()
}
