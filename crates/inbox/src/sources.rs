//! Where messages come from offline: .eml files, folders of them, mbox files and Maildirs,
//! found under the paths given; and IMAP folders (sync with UIDVALIDITY and the last UID).

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One message found on disk: a label for reports and its raw bytes.
pub struct Found {
    pub source: String,
    pub raw: Vec<u8>,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), message: e.to_string() }
}

/// The files under `paths` that hold mail: every file of a Maildir's cur/ and new/, .eml
/// files, mbox files (starting "From "), and other files that look like a message.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        collect(p, &mut out)?;
    }
    Ok(out)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(p).map_err(|e| io(p, e))?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(p).map_err(|e| io(p, e))?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for e in entries {
        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "tmp" {
            continue; // Maildir's tmp/ holds messages still being written
        }
        if e.is_dir() {
            collect(&e, out)?;
        } else if looks_like_mail(&e) {
            out.push(e);
        }
    }
    Ok(())
}

fn looks_like_mail(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("eml" | "mbox" | "msg")) {
        return true;
    }
    let in_maildir = p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "cur" || n == "new");
    in_maildir || (ext.is_none() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(',') || n == "mbox"))
}

/// The messages in one file: one for a message file, each message for an mbox file.
pub fn read(path: &Path) -> Result<Vec<Found>> {
    let raw = std::fs::read(path).map_err(|e| io(path, e))?;
    let label = path.display().to_string();
    if is_mbox(&raw) {
        return Ok(split_mbox(&raw)
            .into_iter()
            .enumerate()
            .map(|(i, m)| Found { source: format!("{label}#{}", i + 1), raw: m })
            .collect());
    }
    Ok(vec![Found { source: label, raw }])
}

/// An mbox holds several messages, each after a "From " line; a single exported .eml may
/// also start with one.
fn is_mbox(raw: &[u8]) -> bool {
    raw.starts_with(b"From ")
        && raw.windows(7).skip(1).any(|w| w == b"\n\nFrom " || w[1..] == *b"\nFrom ")
        && split_mbox(raw).len() > 1
}

/// Splits an mbox at "From " lines that follow a blank line; unescapes ">From ".
fn split_mbox(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut prev_blank = true;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") && prev_blank {
            if let Some(m) = current.take() {
                out.push(trim_separator(m));
            }
            current = Some(Vec::new());
            prev_blank = false;
            continue;
        }
        prev_blank = line == b"\n" || line == b"\r\n";
        if let Some(m) = current.as_mut() {
            if line.starts_with(b">From ") {
                m.extend_from_slice(&line[1..]);
            } else {
                m.extend_from_slice(line);
            }
        }
    }
    if let Some(m) = current.take() {
        out.push(trim_separator(m));
    }
    out
}

/// Drops the blank line that separates mbox messages.
fn trim_separator(mut m: Vec<u8>) -> Vec<u8> {
    if m.ends_with(b"\n\n") {
        m.pop();
    } else if m.ends_with(b"\r\n\r\n") {
        m.truncate(m.len() - 2);
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn mbox_splits_and_unescapes() {
        let mbox = b"From a@b Mon Jan 1 00:00:00 2026\nSubject: one\n\n>From here\n\nFrom c@d Mon Jan 1 00:00:00 2026\nSubject: two\n\nbody\n";
        let parts = super::split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], b"Subject: one\n\nFrom here\n");
        assert_eq!(parts[1], b"Subject: two\n\nbody\n");
        assert!(super::is_mbox(mbox));
        assert!(!super::is_mbox(b"From a@b\nSubject: x\n\nonly one\n"));
    }
}
