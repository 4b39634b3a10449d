//! The configuration file (`foi.toml`): database, sender identity, SMTP and IMAP settings.
//! Passwords are read from an environment variable or a file, never from the file itself,
//! and never printed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use foi_core::Secret;
use foi_inbox::classify::Classifier;
use foi_store::{DEFAULT_DATABASE_URL, Store};
use serde::Deserialize;

/// The rules file read when none is configured, if it exists in the current folder.
pub const DEFAULT_RULES: &str = "data/inbox-rules.toml";

/// The bank holiday file read when none is configured, if it exists in the current folder.
pub const DEFAULT_HOLIDAYS: &str = "data/uk_bank_holidays.csv";

/// `foi.toml` as written by a person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub database: Option<String>,
    /// Folder of template sets (default `templates`).
    pub templates_dir: Option<PathBuf>,
    /// Folder of codebooks (default `data/codebooks`).
    pub codebooks_dir: Option<PathBuf>,
    /// Folder the file transport writes .eml files to when no SMTP server is configured
    /// (default `outbox`).
    pub outbox_dir: Option<PathBuf>,
    /// The inbox's classification rules (default `data/inbox-rules.toml` when that file
    /// exists, else the copy built into foi).
    pub inbox_rules: Option<PathBuf>,
    /// The UK bank holidays (`date,division,title`; default `data/uk_bank_holidays.csv`
    /// when that file exists, else the copy built into foi). Point it at an updated copy of
    /// the GOV.UK list when one is published.
    pub holidays_file: Option<PathBuf>,
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
    /// Domain of the per-request reply addresses (`foi+TOKEN@domain`); by default the
    /// domain of `email`.
    pub reply_domain: Option<String>,
    /// Local part of the reply addresses (default `foi`).
    pub reply_local: Option<String>,
}

/// An SMTP or IMAP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: Option<u16>,
    /// `starttls`, `tls` or `none` (loopback test servers only); by default `starttls` for
    /// `[smtp]` (port 587) and `tls` for `[imap]` (port 993).
    pub security: Option<String>,
    /// PEM file of certificate authorities to trust besides the machine's root certificates
    /// (a self-hosted server with its own CA). Server certificates are always checked.
    pub ca_file: Option<PathBuf>,
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
    /// Limit on one command or one send, in seconds (default 60).
    pub timeout_seconds: Option<u64>,
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

    pub fn templates_dir(&self) -> PathBuf {
        self.file.templates_dir.clone().unwrap_or_else(|| PathBuf::from("templates"))
    }

    pub fn codebooks_dir(&self) -> PathBuf {
        self.file.codebooks_dir.clone().unwrap_or_else(|| PathBuf::from("data/codebooks"))
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.file.outbox_dir.clone().unwrap_or_else(|| PathBuf::from("outbox"))
    }

    /// The inbox's classification rules: `--rules FILE`, else `inbox_rules` in `foi.toml`,
    /// else `data/inbox-rules.toml` if it exists here, else the copy built into foi. A file
    /// with a mistake is an error naming its line.
    pub fn classifier(&self, rules: Option<&Path>) -> anyhow::Result<Arc<Classifier>> {
        let path = match (rules, &self.file.inbox_rules) {
            (Some(p), _) => Some(p.to_path_buf()),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => Some(PathBuf::from(DEFAULT_RULES)).filter(|p| p.is_file()),
        };
        match path {
            Some(p) => Ok(Arc::new(Classifier::from_file(&p)?)),
            None => Ok(Classifier::builtin()),
        }
    }

    /// The bank holiday file in use: `holidays_file` in `foi.toml`, else
    /// `data/uk_bank_holidays.csv` if it exists here, else None (the copy built into foi).
    pub fn holidays_path(&self) -> Option<PathBuf> {
        match &self.file.holidays_file {
            Some(p) => Some(p.clone()),
            None => Some(PathBuf::from(DEFAULT_HOLIDAYS)).filter(|p| p.is_file()),
        }
    }

    /// Reads the bank holiday file and makes it the calendar of this process. A file with a
    /// mistake is an error naming the file and its line.
    pub fn install_calendar(&self) -> anyhow::Result<()> {
        let Some(path) = self.holidays_path() else { return Ok(()) };
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let cal = foi_core::Calendar::from_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        foi_core::Calendar::install(cal);
        Ok(())
    }

    /// Where the bank holidays come from, for `foi config show`.
    pub fn holidays_source(&self) -> String {
        let (first, last) = foi_core::Calendar::uk().data_covers();
        match (&self.file.holidays_file, self.holidays_path()) {
            (Some(p), _) => format!("{} (configuration file; {first} to {last})", p.display()),
            (None, Some(_)) => format!("{DEFAULT_HOLIDAYS} (default; {first} to {last})"),
            (None, None) => format!("built in ({first} to {last}; no {DEFAULT_HOLIDAYS} here)"),
        }
    }

    /// Where the inbox's rules come from, for `foi config show`.
    pub fn rules_source(&self) -> String {
        match &self.file.inbox_rules {
            Some(p) => format!("{} (configuration file)", p.display()),
            None if Path::new(DEFAULT_RULES).is_file() => format!("{DEFAULT_RULES} (default)"),
            None => "built in (no data/inbox-rules.toml here)".into(),
        }
    }

    /// The sender identity; an error says what to add to `foi.toml`.
    pub fn sender(&self) -> anyhow::Result<foi_mailer::Sender> {
        let s = &self.file.sender;
        let (Some(name), Some(email)) = (&s.name, &s.email) else {
            bail!(
                "no sender: set [sender] name and email in {}",
                self.config_path.as_deref().unwrap_or(Path::new("foi.toml")).display()
            );
        };
        let domain = match &s.reply_domain {
            Some(d) => d.clone(),
            None => email.rsplit_once('@').map(|(_, d)| d.to_string()).context("[sender] email has no domain")?,
        };
        Ok(foi_mailer::Sender {
            name: name.clone(),
            email: email.clone(),
            reply_local: s.reply_local.clone().unwrap_or_else(|| "foi".into()),
            reply_domain: domain,
        })
    }

    /// What the use cases need from the configuration: the template and codebook folders and
    /// the sender (when `[sender]` is complete).
    pub fn settings(&self) -> foi_app::rounds::Settings {
        foi_app::rounds::Settings {
            templates_dir: self.templates_dir(),
            codebooks_dir: self.codebooks_dir(),
            sender: self.sender().ok(),
        }
    }

    /// The transport: SMTP when `[smtp]` is configured, otherwise .eml files in the outbox folder.
    pub fn transport(&self) -> anyhow::Result<foi_mailer::Transport> {
        match &self.file.smtp {
            Some(s) => {
                let mut client = foi_mailer::transport::SmtpClient::new(foi_mailer::SmtpSettings {
                    host: s.host.clone(),
                    port: s.port,
                    security: s.security.as_deref().unwrap_or("starttls").parse()?,
                    username: s.username.clone(),
                    password: s.password("smtp")?,
                    timeout: std::time::Duration::from_secs(s.timeout_seconds.unwrap_or(60)),
                });
                if let Some(path) = &s.ca_file {
                    client = client.with_ca_file(path).map_err(|e| anyhow::anyhow!("[smtp] {e}"))?;
                }
                Ok(foi_mailer::Transport::Smtp(Box::new(client)))
            }
            None => Ok(foi_mailer::Transport::File(foi_mailer::transport::FileOutbox::new(&self.outbox_dir())?)),
        }
    }

    /// The IMAP Sent folder when `[imap]` is configured (folder `sent_folder`, default "Sent").
    /// Nothing connects until the folder is first used.
    pub fn sent_folder(&self) -> anyhow::Result<foi_mailer::sent::AnySentFolder> {
        use foi_mailer::sent::{AnySentFolder, ImapSentFolder};
        let Some((settings, s)) = self.imap_settings()? else {
            return Ok(AnySentFolder::None(foi_mailer::outbox::NoSentFolder));
        };
        let folder = s.sent_folder.clone().unwrap_or_else(|| "Sent".into());
        if folder.trim().is_empty() {
            bail!("[imap] sent_folder is empty");
        }
        Ok(AnySentFolder::Imap(ImapSentFolder::new(settings, folder)))
    }

    /// The IMAP server when `[imap]` is configured, with its section.
    pub fn imap_settings(&self) -> anyhow::Result<Option<(foi_imap::ImapSettings, &Server)>> {
        let Some(s) = &self.file.imap else { return Ok(None) };
        let username = s.username.clone().context("[imap] username is missing")?;
        let password = s.password("imap")?.context("[imap] password is missing: set password_env or password_file")?;
        let security: foi_imap::Security =
            s.security.as_deref().unwrap_or("tls").parse().map_err(|e| anyhow::anyhow!("[imap] security: {e}"))?;
        let timeout = match s.timeout_seconds {
            Some(0) => bail!("[imap] timeout_seconds must be at least 1"),
            t => std::time::Duration::from_secs(t.unwrap_or(60)),
        };
        if let Some(path) = &s.ca_file {
            // Read now, so that a mistake is an error before anything is done.
            foi_imap::tls::read_ca_file(path).map_err(|e| anyhow::anyhow!("[imap] {e}"))?;
        }
        let ca_file = s.ca_file.clone();
        Ok(Some((
            foi_imap::ImapSettings {
                host: s.host.clone(),
                port: s.port,
                security,
                username,
                password,
                timeout,
                ca_file,
            },
            s,
        )))
    }

    /// Opens the database, creating and migrating it as needed.
    pub async fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::connect(&self.database_url).await?)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
