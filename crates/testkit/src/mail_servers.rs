//! Real Postfix (SMTP) delivering into real Dovecot (IMAP), private to one test, on loopback.
//!
//! [`MailServers::start`] writes a throwaway configuration under a fresh temp dir
//! (`$TMPDIR/foi-mail-XXXXXX`), picks free `127.0.0.1` ports and starts:
//!
//! - **Dovecot** (`dovecot -F -c DIR/dovecot/dovecot.conf`, a child of the test process):
//!   IMAP and LMTP on two ports, no TLS (unless started with [`MailServers::start_tls`]),
//!   plaintext login allowed. Every address is a user
//!   (static passdb and userdb, password [`PASSWORD`], user names lower-cased, `+detail` stripped:
//!   `foi+TOKEN@x` is delivered to `foi@x`), whose
//!   Maildir lives in `DIR/mail/ADDRESS/Maildir`, owned by `nobody`.
//! - **Postfix** (`postfix -c DIR/postfix start`, a separate instance with its own
//!   `config_directory`, `queue_directory` and `data_directory` under the temp dir):
//!   smtpd on one port, accepting mail from loopback for *any* recipient domain and handing
//!   it to Dovecot over LMTP, so each recipient address gets its own mailbox.
//!
//! Special recipients, so that error handling is tested against a real server (both are
//! refused at `RCPT TO`, whatever the domain, case-insensitively):
//!
//! | local part | reply |
//! |---|---|
//! | `tempfail` | `450 4.2.0 <...>: Recipient address rejected: Mailbox temporarily unavailable (foi-testkit)` |
//! | `reject`   | `550 5.1.1 <...>: Recipient address rejected: No such user here (foi-testkit)` |
//!
//! Mail to any address at [`BOUNCE_DOMAIN`] (`bounce.foi.test`) is accepted at `RCPT TO` and
//! then bounced by Postfix's `error` transport: the sender gets Postfix's own delivery status
//! notification (`multipart/report`, the original attached), as from a real MTA downstream.
//!
//! With [`MailServers::start_tls`] and a server certificate (see [`crate::tls`]), both servers
//! also speak TLS: Dovecot offers STARTTLS on the IMAP port and listens for implicit TLS on an
//! IMAPS port ([`MailServers::imaps_port`]); Postfix listens on a submission port that
//! requires STARTTLS before MAIL ([`MailServers::submission_port`]) and an SMTPS port of
//! implicit TLS ([`MailServers::smtps_port`]), and records the TLS version in its `Received:`
//! header (`using TLSv1.3 with cipher ...`). The plain SMTP port stays plain, for the
//! helpers. Dovecot logs each login with `TLS` when it was made over TLS.
//!
//! Postfix adds its `Received:` header and Dovecot adds `Return-Path:`, `Delivered-To:` and
//! its own `Received:`; nothing else is changed (Postfix does not add a missing `Date:` or
//! `Message-ID:`, because no client is treated as local for header rewriting). Logs:
//! `DIR/postfix.log` and `DIR/dovecot.log`; their tails are printed when something fails.
//!
//! Needs root (Postfix's master runs as root) and the Debian packages `postfix`,
//! `dovecot-imapd`, `dovecot-lmtpd`: `.ci/test` installs them. Dropping [`MailServers`] stops
//! both servers and removes the temp dir; instances left behind by a test process that was
//! killed are stopped by the next [`MailServers::start`].

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::TryStreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::tls::ServerCert;

/// The password of every mailbox.
pub const PASSWORD: &str = "test";
/// Mail to this domain is accepted and then bounced by Postfix (see the module's table).
pub const BOUNCE_DOMAIN: &str = "bounce.foi.test";

const HOST: &str = "127.0.0.1";
const HOSTNAME: &str = "mx.foi.test";
const DIR_PREFIX: &str = "foi-mail-";
const POSTFIX: &str = "/usr/sbin/postfix";
const DOVECOT: &str = "/usr/sbin/dovecot";
const NEEDED: [&str; 5] =
    [POSTFIX, "/usr/lib/postfix/sbin/master", DOVECOT, "/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp"];
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Postfix + Dovecot running on loopback for one test (or one test binary), under a temp dir.
pub struct MailServers {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    smtp_port: u16,
    imap_port: u16,
    /// The TLS ports, when started with a certificate.
    tls: Option<TlsPorts>,
    dovecot: Option<Child>,
    postfix_started: bool,
}

/// The ports of the TLS listeners.
#[derive(Debug, Clone, Copy)]
struct TlsPorts {
    submission: u16,
    smtps: u16,
    imaps: u16,
}

impl MailServers {
    /// The password of every mailbox (same as [`PASSWORD`]).
    pub const PASSWORD: &'static str = PASSWORD;

    /// Starts Dovecot (IMAP on a free 127.0.0.1 port, LMTP on another) and a private Postfix
    /// instance (smtpd on a free 127.0.0.1 port) that delivers mail for any recipient domain
    /// into Dovecot over LMTP; returns once both accept connections. Panics with a clear
    /// message when Postfix or Dovecot is not installed (run `.ci/test`, which installs
    /// them), when not run as root, or when they fail to start (with their logs).
    pub async fn start() -> MailServers {
        Self::start_with(None).await
    }

    /// Like [`MailServers::start`], and both servers also speak TLS with `cert` (see the
    /// module's documentation): STARTTLS on the IMAP port, IMAPS on
    /// [`MailServers::imaps_port`], SMTP with STARTTLS required on
    /// [`MailServers::submission_port`] and SMTPS on [`MailServers::smtps_port`].
    pub async fn start_tls(cert: &ServerCert) -> MailServers {
        Self::start_with(Some(cert)).await
    }

    async fn start_with(cert: Option<&ServerCert>) -> MailServers {
        preflight();
        reap_orphans();
        let mut last = None;
        // A free port can be taken by someone else between probing and binding: retry.
        for _ in 0..3 {
            match Self::try_start(cert).await {
                Ok(servers) => return servers,
                Err(e) => last = Some(e),
            }
        }
        let e = last.map(|e| format!("{e:#}")).unwrap_or_default();
        panic!("foi-testkit: could not start Postfix and Dovecot: {e}");
    }

    async fn try_start(cert: Option<&ServerCert>) -> Result<MailServers> {
        let dir = tempfile::Builder::new().prefix(DIR_PREFIX).tempdir().context("creating the temp dir")?;
        let root = dir.path().to_path_buf();
        // Postfix, Dovecot's login processes and the mail owner must traverse it.
        set_mode(&root, 0o755)?;
        // Who owns this instance, so that a later start can stop it if this process dies.
        let pid = std::process::id();
        let start = process_start(pid).unwrap_or_default();
        std::fs::write(root.join("owner"), format!("{pid} {start}\n"))?;
        let [smtp_port, imap_port, lmtp_port, submission, smtps, imaps] = free_ports()?;
        let tls = cert.map(|_| TlsPorts { submission, smtps, imaps });
        if let Some(cert) = cert {
            // Read by Postfix and Dovecot while they still run as root.
            let dir = root.join("tls");
            std::fs::create_dir_all(&dir).context("creating the tls dir")?;
            std::fs::write(dir.join("cert.pem"), &cert.cert_pem).context("writing the certificate")?;
            std::fs::write(dir.join("key.pem"), &cert.key_pem).context("writing the key")?;
            set_mode(&dir.join("key.pem"), 0o600)?;
        }
        let mut servers = MailServers {
            dir: Some(dir),
            root: root.clone(),
            smtp_port,
            imap_port,
            tls,
            dovecot: None,
            postfix_started: false,
        };
        // On error `servers` is dropped, which stops whatever was started.
        servers.start_dovecot(imap_port, lmtp_port).await?;
        servers.start_postfix(lmtp_port).await?;
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut smtp_ports = vec![smtp_port];
        smtp_ports.extend(tls.map(|t| t.submission));
        for port in smtp_ports {
            servers
                .wait_greeting(port, b"220 ", deadline)
                .await
                .with_context(|| format!("Postfix smtpd on port {port}\n{}", servers.logs()))?;
        }
        if let Some(t) = tls {
            // Implicit TLS: no greeting in plain text, so wait until the port takes connections.
            servers
                .wait_listening(t.smtps, deadline)
                .await
                .with_context(|| format!("Postfix SMTPS\n{}", servers.logs()))?;
        }
        Ok(servers)
    }

    async fn start_dovecot(&mut self, imap_port: u16, lmtp_port: u16) -> Result<()> {
        let root = self.root.clone();
        let dv = root.join("dovecot");
        let mail = root.join("mail");
        for d in [dv.join("base"), dv.join("state"), mail.clone()] {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        let (uid, gid) = user_ids("nobody")?;
        chown(&mail, uid, gid)?;
        let conf = dv.join("dovecot.conf");
        let tls = self.tls.map(|t| (root.join("tls"), t.imaps));
        std::fs::write(&conf, dovecot_conf(&root, &mail, uid, gid, imap_port, lmtp_port, tls.as_ref()))?;
        let out = std::fs::File::create(root.join("dovecot.stderr"))?;
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("spawning dovecot")?;
        self.dovecot = Some(child);
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        self.wait_greeting(imap_port, b"* OK", deadline)
            .await
            .with_context(|| format!("Dovecot IMAP on port {imap_port}\n{}", self.logs()))?;
        self.wait_greeting(lmtp_port, b"220 ", deadline)
            .await
            .with_context(|| format!("Dovecot LMTP on port {lmtp_port}\n{}", self.logs()))?;
        if let Some(t) = self.tls {
            self.wait_listening(t.imaps, deadline)
                .await
                .with_context(|| format!("Dovecot IMAPS on port {}\n{}", t.imaps, self.logs()))?;
        }
        Ok(())
    }

    async fn start_postfix(&mut self, lmtp_port: u16) -> Result<()> {
        let root = self.root.clone();
        let config = root.join("postfix");
        let queue = root.join("postfix-queue");
        let data = root.join("postfix-data");
        for d in [&config, &queue, &data] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        let (uid, gid) = user_ids("postfix")?;
        chown(&data, uid, gid)?;
        let mut main_cf = postfix_main_cf(&root, &config, &queue, &data, lmtp_port);
        if self.tls.is_some() {
            main_cf.push_str(&postfix_tls_cf(&root.join("tls")));
        }
        write_backdated(&config.join("main.cf"), &main_cf)?;
        write_backdated(&config.join("master.cf"), &postfix_master_cf(self.smtp_port, self.tls))?;
        write_backdated(&config.join("recipient_access"), RECIPIENT_ACCESS)?;
        let out = tokio::process::Command::new(POSTFIX)
            .arg("-c")
            .arg(&config)
            .arg("start")
            .env_remove("MAIL_CONFIG")
            .stdin(Stdio::null())
            .output()
            .await
            .context("running postfix start")?;
        // Even a failed start may have left a master running: always try to stop it.
        self.postfix_started = true;
        if !out.status.success() {
            bail!(
                "`postfix -c {} start` failed ({}): {}{}\n{}",
                config.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.logs()
            );
        }
        Ok(())
    }

    /// Connects until the server on `port` greets with `prefix` (or `deadline` passes).
    async fn wait_greeting(&mut self, port: u16, prefix: &[u8], deadline: Instant) -> Result<()> {
        let mut last_error = String::new();
        while Instant::now() < deadline {
            if let Some(child) = self.dovecot.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("dovecot exited during startup ({status})");
            }
            match greeting(port).await {
                Ok(line) if line.starts_with(prefix) => return Ok(()),
                Ok(line) => last_error = format!("greeted with {:?}", String::from_utf8_lossy(&line)),
                Err(e) => last_error = format!("{e:#}"),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("not ready after {STARTUP_TIMEOUT:?}: {last_error}")
    }

    /// Connects until `port` takes connections (or `deadline` passes).
    async fn wait_listening(&mut self, port: u16, deadline: Instant) -> Result<()> {
        loop {
            match TcpStream::connect((HOST, port)).await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => bail!("port {port} not listening: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    /// The SMTP port of Postfix's smtpd (no TLS, no authentication).
    pub fn smtp_port(&self) -> u16 {
        self.smtp_port
    }

    /// The IMAP port of Dovecot (LOGIN with the full address and [`PASSWORD`]; STARTTLS
    /// offered when started with [`MailServers::start_tls`]).
    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    fn tls_ports(&self) -> TlsPorts {
        self.tls.unwrap_or_else(|| {
            panic!("foi-testkit: these servers were started without TLS: use MailServers::start_tls")
        })
    }

    /// Postfix's submission port: STARTTLS offered and required before MAIL (as port 587).
    /// Panics unless started with [`MailServers::start_tls`].
    pub fn submission_port(&self) -> u16 {
        self.tls_ports().submission
    }

    /// Postfix's SMTPS port: TLS from the first byte (as port 465). Panics unless started
    /// with [`MailServers::start_tls`].
    pub fn smtps_port(&self) -> u16 {
        self.tls_ports().smtps
    }

    /// Dovecot's IMAPS port: TLS from the first byte (as port 993). Panics unless started
    /// with [`MailServers::start_tls`].
    pub fn imaps_port(&self) -> u16 {
        self.tls_ports().imaps
    }

    /// Dovecot's log so far (each login is logged, with `TLS` when made over TLS).
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.root.join("dovecot.log")).unwrap_or_default()
    }

    /// Postfix's log so far (with TLS, each TLS connection is logged).
    pub fn postfix_log(&self) -> String {
        std::fs::read_to_string(self.root.join("postfix.log")).unwrap_or_default()
    }

    /// The address both servers listen on: `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The temp dir holding configuration, queue, mailboxes and logs.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// The tails of Postfix's and Dovecot's logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for name in ["postfix.log", "dovecot.log", "dovecot.stderr"] {
            let text = std::fs::read_to_string(self.root.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(30)..];
            let _ = writeln!(s, "--- {name} (last {} lines)", tail.len());
            for line in tail {
                let _ = writeln!(s, "{line}");
            }
        }
        s
    }

    /// Waits (polling, up to `timeout`) until `address`'s `folder` (e.g. `INBOX`) holds at
    /// least `n` messages; returns the raw bytes of every message in it (UID order), exactly
    /// as stored. Panics on timeout, with the servers' logs.
    pub async fn wait_for(&self, address: &str, folder: &str, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.fetch_all(address, folder).await;
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() >= deadline {
                panic!(
                    "foi-testkit: {address}'s {folder} holds {} message(s) after {timeout:?}, \
                     expected at least {n}\n{}",
                    messages.len(),
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// All messages currently in `address`'s `folder` (raw bytes, UID order); empty if the
    /// folder doesn't exist.
    pub async fn fetch_all(&self, address: &str, folder: &str) -> Vec<Vec<u8>> {
        match self.try_fetch_all(address, folder).await {
            Ok(messages) => messages,
            Err(e) => panic!("foi-testkit: fetching {address}'s {folder} over IMAP: {e:#}\n{}", self.logs()),
        }
    }

    async fn try_fetch_all(&self, address: &str, folder: &str) -> Result<Vec<Vec<u8>>> {
        let mut session = self.imap_login(address).await?;
        let mailbox = match session.select(folder).await {
            Ok(mailbox) => mailbox,
            Err(async_imap::error::Error::No(_)) => {
                let _ = session.logout().await;
                return Ok(Vec::new());
            }
            Err(e) => return Err(e).context("SELECT"),
        };
        let mut messages = Vec::new();
        if mailbox.exists > 0 {
            let fetches: Vec<async_imap::types::Fetch> = session
                .uid_fetch("1:*", "(UID BODY.PEEK[])")
                .await
                .context("UID FETCH")?
                .try_collect()
                .await
                .context("UID FETCH")?;
            let mut with_uid = Vec::new();
            for fetch in &fetches {
                let uid = fetch.uid.context("FETCH response without UID")?;
                let body = fetch.body().context("FETCH response without BODY[]")?;
                with_uid.push((uid, body.to_vec()));
            }
            with_uid.sort_by_key(|(uid, _)| *uid);
            messages = with_uid.into_iter().map(|(_, body)| body).collect();
        }
        let _ = session.logout().await;
        Ok(messages)
    }

    /// Puts raw bytes into `address`'s `folder` (IMAP APPEND, creating the folder if
    /// missing).
    pub async fn append(&self, address: &str, folder: &str, raw: &[u8]) {
        if let Err(e) = self.try_append(address, folder, raw).await {
            panic!("foi-testkit: appending to {address}'s {folder} over IMAP: {e:#}\n{}", self.logs());
        }
    }

    async fn try_append(&self, address: &str, folder: &str, raw: &[u8]) -> Result<()> {
        let mut session = self.imap_login(address).await?;
        if !folder.eq_ignore_ascii_case("INBOX") {
            let existing: Vec<async_imap::types::Name> =
                session.list(None, Some(folder)).await.context("LIST")?.try_collect().await.context("LIST")?;
            if existing.is_empty() {
                session.create(folder).await.context("CREATE")?;
            }
        }
        session.append(folder, None, None, raw).await.context("APPEND")?;
        let _ = session.logout().await;
        Ok(())
    }

    async fn imap_login(&self, address: &str) -> Result<async_imap::Session<TcpStream>> {
        let stream = TcpStream::connect((HOST, self.imap_port))
            .await
            .with_context(|| format!("connecting to IMAP at {HOST}:{}", self.imap_port))?;
        let mut client = async_imap::Client::new(stream);
        client
            .read_response()
            .await
            .context("reading the IMAP greeting")?
            .context("IMAP server closed the connection before greeting")?;
        client.login(address, PASSWORD).await.map_err(|(e, _)| e).with_context(|| format!("LOGIN {address}"))
    }

    /// Delivers raw bytes to `address` through Postfix's SMTP (so Received headers are
    /// added), for inbox tests. Panics unless Postfix accepts the message (250 after DATA).
    pub async fn deliver(&self, from: &str, to: &str, raw: &[u8]) {
        if let Err(e) = smtp_send(self.smtp_port, from, to, raw).await {
            panic!("foi-testkit: delivering to {to} through Postfix: {e:#}\n{}", self.logs());
        }
    }

    /// Waits until Postfix's queue is empty (everything delivered or bounced); panics after
    /// `timeout`, listing what is still queued.
    pub async fn wait_queue_empty(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let queued = self.queued_files();
            if queued == 0 {
                return;
            }
            if Instant::now() >= deadline {
                let listing = Command::new("/usr/sbin/postqueue")
                    .arg("-c")
                    .arg(self.root.join("postfix"))
                    .arg("-p")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                panic!(
                    "foi-testkit: Postfix's queue still holds {queued} message(s) after \
                     {timeout:?}:\n{listing}\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn queued_files(&self) -> usize {
        let queue = self.root.join("postfix-queue");
        ["maildrop", "incoming", "active", "deferred", "hold"].iter().map(|q| count_files(&queue.join(q))).sum()
    }

    fn stop(&mut self) {
        // Ask Dovecot to stop first (it takes about a second), Postfix meanwhile.
        if let Some(child) = self.dovecot.as_ref() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if self.postfix_started {
            self.postfix_started = false;
            // Waits for the master to exit (and kills its process group after 5 s).
            let _ = Command::new(POSTFIX)
                .arg("-c")
                .arg(self.root.join("postfix"))
                .arg("stop")
                .env_remove("MAIL_CONFIG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some(mut child) = self.dovecot.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

impl std::fmt::Debug for MailServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailServers")
            .field("dir", &self.root)
            .field("smtp_port", &self.smtp_port)
            .field("imap_port", &self.imap_port)
            .finish_non_exhaustive()
    }
}

/// Panics with a clear message when the servers are not installed or we are not root.
fn preflight() {
    let missing: Vec<&str> = NEEDED.iter().copied().filter(|p| !Path::new(p).exists()).collect();
    if !missing.is_empty() {
        panic!(
            "foi-testkit: Postfix and Dovecot are needed for this test but {} missing. \
             Run `.ci/test` (it installs the Debian packages postfix, dovecot-imapd and \
             dovecot-lmtpd), or `apt-get install postfix dovecot-imapd dovecot-lmtpd`.",
            missing.join(", ")
        );
    }
    if effective_uid() != Some(0) {
        panic!(
            "foi-testkit: MailServers must run as root (Postfix's master daemon starts as root \
             and drops to the postfix user); run the tests as root, as `.ci/test` does in CI."
        );
    }
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Stops servers left by test processes that died without dropping their MailServers.
fn reap_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_ours = entry.file_name().to_str().is_some_and(|n| n.starts_with(DIR_PREFIX));
        if !is_ours || !dir.is_dir() {
            continue;
        }
        let Ok(owner) = std::fs::read_to_string(dir.join("owner")) else {
            continue;
        };
        let mut owner = owner.split_whitespace();
        let (Some(pid), Some(start)) = (owner.next(), owner.next()) else {
            continue;
        };
        if pid.parse::<u32>().ok().and_then(process_start) == Some(start.to_string()) {
            continue; // Still running: its MailServers is in use.
        }
        if dir.join("postfix/main.cf").exists() {
            let _ = Command::new(POSTFIX)
                .arg("-c")
                .arg(dir.join("postfix"))
                .arg("stop")
                .env_remove("MAIL_CONFIG")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Ok(pid) = std::fs::read_to_string(dir.join("dovecot/base/master.pid")) {
            let pid = pid.trim();
            let _ = Command::new("kill").arg("-TERM").arg(pid).stdout(Stdio::null()).stderr(Stdio::null()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// When a live (not zombie) process started, in clock ticks since boot: with its pid, this
/// names a process even after the pid is reused.
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    // fields[0] is the state (field 3 of proc(5)), fields[19] the start time (field 22).
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19).map(|s| s.to_string())
}

/// `N` distinct free loopback ports (bound together, then released).
fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let mut listeners = Vec::with_capacity(N);
    for _ in 0..N {
        listeners.push(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?);
    }
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

fn user_ids(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == name {
            return Ok((fields[2].parse()?, fields[3].parse()?));
        }
    }
    bail!("no user {name:?} in /etc/passwd (are postfix and dovecot installed? run .ci/test)")
}

fn chown(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {uid}:{gid} {}", path.display()))
}

/// Writes a configuration file dated a minute ago: Postfix re-reads a file modified in the
/// current second (in case it is still being written), which would cost up to 2 s per start.
fn write_backdated(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(past))
        .with_context(|| format!("backdating {}", path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            Ok(_) => 1,
            Err(_) => 0,
        })
        .sum()
}

/// Reads the first line a server sends on connect.
async fn greeting(port: u16) -> Result<Vec<u8>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream =
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await.context("connect timed out")??;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_until(b'\n', &mut line))
        .await
        .context("no greeting")??;
    if line.is_empty() {
        bail!("connection closed without a greeting");
    }
    Ok(line)
}

/// A minimal SMTP client: EHLO, MAIL, RCPT, DATA (dot-stuffed), QUIT.
async fn smtp_send(port: u16, from: &str, to: &str, raw: &[u8]) -> Result<()> {
    let stream = TcpStream::connect((HOST, port)).await?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect_reply(&mut read, "greeting", 220).await?;
    for (command, code) in [
        ("EHLO testkit.foi.test".to_string(), 250),
        (format!("MAIL FROM:<{from}>"), 250),
        (format!("RCPT TO:<{to}>"), 250),
        ("DATA".to_string(), 354),
    ] {
        write.write_all(format!("{command}\r\n").as_bytes()).await?;
        expect_reply(&mut read, &command, code).await?;
    }
    write.write_all(&dot_stuff(raw)).await?;
    expect_reply(&mut read, "end of DATA", 250).await?;
    write.write_all(b"QUIT\r\n").await?;
    let _ = expect_reply(&mut read, "QUIT", 221).await;
    Ok(())
}

async fn expect_reply<R: AsyncBufReadExt + Unpin>(read: &mut R, after: &str, code: u16) -> Result<()> {
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            bail!("connection closed after {after} (reply so far: {reply:?})");
        }
        reply.push_str(&line);
        // The last line of a reply has a space (or nothing) after the code.
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            break;
        }
    }
    if !reply.starts_with(&code.to_string()) {
        bail!("after {after}: expected {code}, got {:?}", reply.trim_end());
    }
    Ok(())
}

/// The DATA payload: dots at the start of a line doubled, CRLF at the end, then `.`.
fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 8);
    let mut at_line_start = true;
    for &b in raw {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        if out.ends_with(b"\n") {
            out.pop();
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

const RECIPIENT_ACCESS: &str = "\
# Special recipients (any domain): see foi-testkit's mail_servers module.
/^tempfail@/ 450 4.2.0 Mailbox temporarily unavailable (foi-testkit)
/^reject@/ 550 5.1.1 No such user here (foi-testkit)
";

fn postfix_main_cf(root: &Path, config: &Path, queue: &Path, data: &Path, lmtp_port: u16) -> String {
    let root = root.display();
    let config = config.display();
    format!(
        "# Written by foi-testkit for one test; removed with its temp dir.
compatibility_level = 3.6
config_directory = {config}
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = {HOSTNAME}
mydomain = foi.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
biff = no
# Every domain is a virtual mailbox domain, delivered into Dovecot over LMTP.
virtual_mailbox_domains = static:all
virtual_mailbox_maps = static:ok
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:{config}/recipient_access
# Mail for {BOUNCE_DOMAIN} is accepted, then bounced by Postfix itself (a real DSN, with the
# original attached, to the envelope sender).
transport_maps = inline:{{ {{ {BOUNCE_DOMAIN} = error:5.1.1 Mailbox does not exist (foi-testkit) }} }}
# ... which smtpd must not refuse as an unlisted recipient.
smtpd_reject_unlisted_recipient = no
# No client is local for header rewriting: a missing Date or Message-ID stays missing.
local_header_rewrite_clients =
smtpd_banner = $myhostname ESMTP foi-testkit
message_size_limit = 104857600
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maillog_file = {root}/postfix.log
maillog_file_prefixes = {root}
",
        queue = queue.display(),
        data = data.display(),
    )
}

/// TLS settings for main.cf: the test's certificate, TLS noted in the Received header and
/// logged. Each smtpd service chooses its own security level in master.cf.
fn postfix_tls_cf(tls: &Path) -> String {
    let tls = tls.display();
    format!(
        "# TLS, with the test's certificate.
smtpd_tls_cert_file = {tls}/cert.pem
smtpd_tls_key_file = {tls}/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
"
    )
}

fn postfix_master_cf(smtp_port: u16, tls: Option<TlsPorts>) -> String {
    // With TLS: the plain port stays plain; submission requires STARTTLS; SMTPS is TLS from
    // the first byte.
    let tls_services = match tls {
        None => String::new(),
        Some(t) => format!(
            "  -o smtpd_tls_security_level=none
127.0.0.1:{} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
127.0.0.1:{} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
tlsmgr     unix  - - n 1000? 1 tlsmgr
",
            t.submission, t.smtps
        ),
    };
    // No chroot anywhere: the instance lives in a temp dir with no copy of /etc.
    format!(
        "# Written by foi-testkit for one test.
127.0.0.1:{smtp_port} inet n - n - - smtpd
{tls_services}pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
"
    )
}

fn dovecot_conf(
    root: &Path,
    mail: &Path,
    uid: u32,
    gid: u32,
    imap_port: u16,
    lmtp_port: u16,
    tls: Option<&(PathBuf, u16)>,
) -> String {
    // With TLS: STARTTLS offered (not required, for the helpers' plain logins) on the IMAP
    // port, and an IMAPS listener.
    let (ssl, imaps) = match tls {
        None => ("ssl = no".to_string(), "port = 0".to_string()),
        Some((dir, port)) => (
            format!(
                "ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_min_protocol = TLSv1.2",
                d = dir.display()
            ),
            format!("address = 127.0.0.1\n    port = {port}\n    ssl = yes"),
        ),
    };
    let dv = root.join("dovecot");
    let root = root.display();
    let mail = mail.display();
    let dv = dv.display();
    let name = root.to_string().rsplit('/').next().unwrap_or("foi-mail").to_string();
    format!(
        "# Written by foi-testkit for one test; removed with its temp dir.
base_dir = {dv}/base
state_dir = {dv}/state
instance_name = {name}
hostname = {HOSTNAME}
listen = 127.0.0.1
protocols = imap lmtp
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
recipient_delimiter = +
log_path = {root}/dovecot.log
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%Lu allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@foi.test
}}
"
    )
}
