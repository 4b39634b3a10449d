//! The configuration file (`foi.toml`): database, sender identity, SMTP and IMAP settings.
//! Passwords are read from an environment variable or a file, never from the file itself,
//! and never printed.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use foi_core::Secret;
use foi_store::{DEFAULT_DATABASE_URL, Store};
use serde::Deserialize;

/// `foi.toml` as written by a person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub database: Option<String>,
    #[serde(default)]
    pub sender: Sender,
    pub smtp: Option<Server>,
    pub imap: Option<Server>,
}

/// Who the requests come from.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Domain of the per-request reply addresses (`foi+TOKEN@domain`).
    pub reply_domain: Option<String>,
}

/// An SMTP or IMAP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none` (loopback test servers only).
    pub security: Option<String>,
    pub username: Option<String>,
    /// Name of the environment variable that holds the password.
    pub password_env: Option<String>,
    /// File whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// Refused: a password does not belong in the configuration file.
    pub password: Option<toml::Value>,
    /// IMAP folders to read replies from.
    pub folders: Option<Vec<String>>,
    /// IMAP folder that holds sent mail.
    pub sent_folder: Option<String>,
}

impl Server {
    /// The password, from the environment variable or file the configuration names.
    pub fn password(&self, section: &str) -> anyhow::Result<Option<Secret>> {
        if self.password.is_some() {
            bail!(
                "[{section}] password: put the password in an environment variable (password_env) or a file (password_file), not in the configuration file"
            );
        }
        if let Some(var) = &self.password_env {
            let v = std::env::var(var)
                .with_context(|| format!("[{section}] password_env: environment variable {var} is not set"))?;
            return Ok(Some(Secret::new(v)));
        }
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("[{section}] password_file: cannot read {}", path.display()))?;
            let first = text.lines().next().unwrap_or("").to_string();
            return Ok(Some(Secret::new(first)));
        }
        Ok(None)
    }
}

/// Everything a command needs: the configuration and where the database is.
pub struct Context {
    pub file: File,
    pub config_path: Option<PathBuf>,
    pub database_url: String,
    pub database_source: &'static str,
}

impl Context {
    /// Reads `path` if it exists (a missing default `foi.toml` is fine: embedded defaults).
    pub fn load(path: &Path, database: Option<String>) -> anyhow::Result<Context> {
        let (file, config_path) = if path.exists() {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let file: File = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), one_line(&e.to_string())))?;
            (file, Some(path.to_path_buf()))
        } else if path != Path::new("foi.toml") {
            bail!("configuration file {} does not exist", path.display());
        } else {
            (File::default(), None)
        };
        let (database_url, database_source) = match (database, &file.database) {
            (Some(d), _) => (d, "--database or FOI_DATABASE_URL"),
            (None, Some(d)) => (d.clone(), "configuration file"),
            (None, None) => (DEFAULT_DATABASE_URL.to_string(), "default"),
        };
        Ok(Context { file, config_path, database_url, database_source })
    }

    /// Opens the database, creating and migrating it as needed.
    pub async fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::connect(&self.database_url).await?)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
