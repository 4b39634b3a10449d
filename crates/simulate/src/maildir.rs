//! Writes messages into a Maildir (`new/`, through `tmp/` and a rename, as a delivery agent
//! does), so a reader never sees half a message.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A Maildir being filled.
#[derive(Debug)]
pub struct Maildir {
    dir: PathBuf,
    count: u64,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), message: e.to_string() }
}

impl Maildir {
    /// Creates `dir` with its `cur/`, `new/` and `tmp/` folders (keeping what is there).
    pub fn create(dir: &Path) -> Result<Maildir> {
        for sub in ["cur", "new", "tmp"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
        }
        let count = std::fs::read_dir(dir.join("new")).map(|d| d.count() as u64).unwrap_or(0);
        Ok(Maildir { dir: dir.to_path_buf(), count })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Delivers one message, named by its delivery time so that a listing sorts in order.
    pub fn deliver(&mut self, raw: &[u8], at: chrono::DateTime<chrono::Utc>) -> Result<PathBuf> {
        self.count += 1;
        let name = format!(
            "{}.M{:06}P{}Q{}.foi-simulate",
            at.timestamp(),
            at.timestamp_subsec_micros(),
            std::process::id(),
            self.count
        );
        let tmp = self.dir.join("tmp").join(&name);
        let new = self.dir.join("new").join(&name);
        std::fs::write(&tmp, raw).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &new).map_err(|e| io(&new, e))?;
        Ok(new)
    }
}
