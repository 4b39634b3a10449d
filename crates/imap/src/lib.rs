//! foi's IMAP client: logs in (TLS from the first byte, STARTTLS, or plain for a loopback test
//! server; certificates checked against the machine's roots and an optional `ca_file`), files
//! raw messages into a folder, finds messages by Message-ID, and lists and fetches new
//! messages byte for byte. Every wait on the server has a timeout; a password is never
//! printed.
//!
//! Built on `async-imap` for the connection and LOGIN; the commands themselves are run here
//! so that every one is checked to its tagged completion (a `NO`, a `BAD` or a connection
//! lost mid-answer is an error, never a short answer).

#![forbid(unsafe_code)]

mod names;
mod stream;
pub mod tls;

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use async_imap::imap_proto::{
    AttributeValue, Capability, MailboxDatum, Outcome, RequestId, Response, ResponseCode, Status,
};
use foi_core::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;

pub use names::message_id;
use stream::Stream;

/// Everything that can go wrong talking to an IMAP server. Messages name the server
/// (`host:port`) and the folder; none holds a password.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown IMAP security \"{0}\" (expected starttls, tls or none)")]
    UnknownSecurity(String),
    #[error("cannot connect to the IMAP server {server}: {message}")]
    Connect { server: String, message: String },
    #[error("the IMAP server {server} refused the login for {username}: {message}")]
    Login { server: String, username: String, message: String },
    #[error("timed out after {after:?} waiting for the IMAP server {server}: {command}{}", in_folder(.folder))]
    Timeout { server: String, command: String, folder: Option<String>, after: Duration },
    #[error("the connection to the IMAP server {server} was lost during {command}{}: {message}", in_folder(.folder))]
    Lost { server: String, command: String, folder: Option<String>, message: String },
    #[error("the connection to the IMAP server {server} is unusable after an earlier error; connect again")]
    Broken { server: String },
    #[error("the IMAP server {server} has no folder \"{folder}\"")]
    NoSuchFolder { server: String, folder: String },
    #[error("the IMAP server {server} refused {command}{}: {message}", in_folder(.folder))]
    Refused { server: String, command: String, folder: Option<String>, message: String },
    #[error("the IMAP server {server} does not offer {what}")]
    Unsupported { server: String, what: &'static str },
    #[error("{what} {value:?} cannot be sent to the IMAP server {server}: {why}")]
    Invalid { server: String, what: &'static str, value: String, why: &'static str },
}

fn in_folder(folder: &Option<String>) -> String {
    folder.as_ref().map(|f| format!(" in folder \"{f}\"")).unwrap_or_default()
}

impl Error {
    /// Whether the connection failed (could not be made, timed out, was lost): another
    /// connection may do better. A refusal by the server (`NO`, `BAD`) is not one.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Timeout { .. } | Error::Lost { .. } | Error::Broken { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (IMAPS). Port 993 by default.
    Tls,
    /// A plain connection upgraded with STARTTLS before anything else is said (required: a
    /// server that refuses it is an error, never a plain session). Port 143 by default.
    StartTls,
    /// No encryption: only for a server on this machine (tests). Port 143 by default.
    None,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls | Security::None => 143,
        }
    }
}

impl std::str::FromStr for Security {
    type Err = Error;
    fn from_str(s: &str) -> Result<Security> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "imaps" => Ok(Security::Tls),
            "starttls" => Ok(Security::StartTls),
            "none" | "plain" => Ok(Security::None),
            _ => Err(Error::UnknownSecurity(s.to_string())),
        }
    }
}

/// An IMAP account to log in to.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    /// Default: 993 for TLS, 143 without.
    pub port: Option<u16>,
    pub security: Security,
    pub username: String,
    pub password: Secret,
    /// Limit on each wait for the server: connecting, the greeting, each command (and, in a
    /// long answer, each message of it).
    pub timeout: Duration,
    /// PEM file of certificate authorities to trust besides the machine's roots (a
    /// self-hosted server's own CA). Certificates are always checked.
    pub ca_file: Option<PathBuf>,
}

impl ImapSettings {
    /// `host:port`, as errors name the server.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port.unwrap_or(self.security.default_port()))
    }
}

/// How an IDLE ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// The server announced new mail in the folder.
    NewMail,
    /// Nothing arrived within the wait.
    Quiet,
}

/// A logged-in IMAP session. After a timeout or a lost connection every call fails with
/// [`Error::Broken`]: connect again.
pub struct Session {
    imap: async_imap::Session<Stream>,
    server: String,
    timeout: Duration,
    broken: bool,
    /// Folders (as encoded for the server) known to exist.
    folders: HashSet<String>,
    /// Whether the server offers IDLE (RFC 2177), once asked.
    idle: Option<bool>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("server", &self.server).field("broken", &self.broken).finish_non_exhaustive()
    }
}

/// Runs `f` with a time limit; running out is an [`Error::Timeout`] naming the command.
async fn within<F: Future>(
    server: &str,
    after: Duration,
    command: &str,
    folder: Option<&str>,
    f: F,
) -> Result<F::Output> {
    tokio::time::timeout(after, f).await.map_err(|_| Error::Timeout {
        server: server.to_string(),
        command: command.to_string(),
        folder: folder.map(str::to_string),
        after,
    })
}

/// What the server said with a `NO` or `BAD`: `[CODE] text`.
fn said(outcome: &Outcome<'_>) -> String {
    let text = outcome.information.as_deref().unwrap_or("").trim();
    match &outcome.code {
        Some(code) => format!("[{}] {text}", code_name(code)).trim_end().to_string(),
        None if text.is_empty() => "no reason given".to_string(),
        None => text.to_string(),
    }
}

fn code_name(code: &ResponseCode<'_>) -> String {
    let debug = format!("{code:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or("");
    name.to_ascii_uppercase()
}

/// async-imap's `NO`/`BAD` messages read `code: .., info: Some("text")`: keep the text.
fn tidy_async_imap(message: &str) -> String {
    match message.split_once("info: Some(\"") {
        Some((_, rest)) => rest.rsplit_once("\")").map(|(t, _)| t).unwrap_or(rest).replace("\\\"", "\""),
        None => message.to_string(),
    }
}

/// Accepts an `OK` greeting; a `BYE` or `PREAUTH` one is an error (foi always logs in).
fn check_greeting(greeting: &Response<'_>) -> std::result::Result<(), String> {
    match greeting {
        Response::Data { status: Status::Ok, .. } => Ok(()),
        Response::Data { status: Status::Bye, outcome } => {
            Err(format!("the server refused the connection: {}", said(outcome)))
        }
        Response::Data { status: Status::PreAuth, .. } => {
            Err("the server greeted with PREAUTH, which foi does not support".into())
        }
        other => Err(format!("unexpected greeting {other:?}")),
    }
}

/// Longest line read in plain text before STARTTLS (the greeting and the answer to STARTTLS).
const MAX_PLAIN_LINE: usize = 8 * 1024;

/// One line (to its LF), read a byte at a time so that nothing after it is consumed: after
/// STARTTLS every further byte belongs to the TLS handshake.
async fn read_plain_line(tcp: &mut TcpStream) -> std::result::Result<Vec<u8>, String> {
    let mut line = Vec::new();
    loop {
        let b = tcp.read_u8().await.map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the server closed the connection".to_string(),
            _ => e.to_string(),
        })?;
        line.push(b);
        if b == b'\n' {
            return Ok(line);
        }
        if line.len() > MAX_PLAIN_LINE {
            return Err(format!("the server sent a line longer than {MAX_PLAIN_LINE} bytes before STARTTLS"));
        }
    }
}

/// Reads the greeting and asks for STARTTLS (RFC 3501 6.2.1); returns once the server has
/// agreed, with nothing read past its answer. A server that refuses (or does not offer)
/// STARTTLS is an error: foi never goes on in plain text.
async fn starttls(tcp: &mut TcpStream) -> std::result::Result<(), String> {
    let line = read_plain_line(tcp).await.map_err(|e| format!("reading the greeting: {e}"))?;
    let (_, greeting) = Response::parse(&line)
        .map_err(|_| format!("unexpected greeting {:?}", String::from_utf8_lossy(&line).trim_end()))?;
    check_greeting(&greeting)?;
    tcp.write_all(b"T0 STARTTLS\r\n").await.map_err(|e| format!("sending STARTTLS: {e}"))?;
    loop {
        let line = read_plain_line(tcp).await.map_err(|e| format!("after STARTTLS: {e}"))?;
        let Ok((_, response)) = Response::parse(&line) else {
            return Err(format!("unexpected answer to STARTTLS {:?}", String::from_utf8_lossy(&line).trim_end()));
        };
        match response {
            Response::Done { tag, status, outcome } if tag.0 == "T0" => {
                return match status {
                    Status::Ok => Ok(()),
                    _ => Err(format!(
                        "the server refused STARTTLS ({}), and foi does not log in without TLS",
                        said(&outcome)
                    )),
                };
            }
            Response::Data { status: Status::Bye, outcome } => {
                return Err(format!("the server said BYE: {}", said(&outcome)));
            }
            // Untagged data (a CAPABILITY, say) before the answer.
            _ => {}
        }
    }
}

/// The TLS handshake over `tcp`, checking the server's certificate against the host name.
async fn tls_handshake(s: &ImapSettings, server: &str, tcp: TcpStream) -> Result<Stream> {
    let connect_error = |message: String| Error::Connect { server: server.to_string(), message };
    let connector = stream::tls_connector(s.ca_file.as_deref()).map_err(connect_error)?;
    let name = ServerName::try_from(s.host.clone())
        .map_err(|e| connect_error(format!("\"{}\" is not a host name TLS can check: {e}", s.host)))?;
    let tls = within(server, s.timeout, "TLS handshake", None, connector.connect(name, tcp)).await?.map_err(|e| {
        connect_error(format!(
            "TLS: {}",
            tls::explain(&e, &s.host, s.ca_file.as_deref()).unwrap_or_else(|| e.to_string())
        ))
    })?;
    Ok(Stream::Tls(Box::new(tls)))
}

impl Session {
    /// Connects, reads the greeting and logs in.
    pub async fn connect(s: &ImapSettings) -> Result<Session> {
        let port = s.port.unwrap_or(s.security.default_port());
        let server = format!("{}:{port}", s.host);
        let t = s.timeout;
        let connect_error = |message: String| Error::Connect { server: server.clone(), message };
        let tcp = within(&server, t, "connect", None, TcpStream::connect((s.host.as_str(), port)))
            .await?
            .map_err(|e| connect_error(e.to_string()))?;
        let stream = match s.security {
            Security::None => Stream::Plain(tcp),
            Security::Tls => tls_handshake(s, &server, tcp).await?,
            Security::StartTls => {
                let mut tcp = tcp;
                within(&server, t, "STARTTLS", None, starttls(&mut tcp)).await?.map_err(connect_error)?;
                tls_handshake(s, &server, tcp).await?
            }
        };
        let mut client = async_imap::Client::new(stream);
        // After STARTTLS the greeting has been read (in plain text, before the upgrade).
        if s.security != Security::StartTls {
            let greeting = within(&server, t, "greeting", None, client.read_response())
                .await?
                .map_err(|e| connect_error(format!("reading the greeting: {e}")))?
                .ok_or_else(|| connect_error("the server closed the connection before greeting".into()))?;
            check_greeting(greeting.parsed()).map_err(connect_error)?;
        }
        let login = within(&server, t, "LOGIN", None, client.login(&s.username, s.password.expose())).await?;
        let imap = login.map_err(|(e, _client)| {
            use async_imap::error::Error as E;
            let login_error =
                |message: String| Error::Login { server: server.clone(), username: s.username.clone(), message };
            match e {
                E::No(m) | E::Bad(m) => login_error(tidy_async_imap(&m)),
                E::Validate(_) => login_error("the user name or the password contains a line break".into()),
                other => Error::Lost {
                    server: server.clone(),
                    command: "LOGIN".into(),
                    folder: None,
                    message: other.to_string(),
                },
            }
        })?;
        Ok(Session { imap, server, timeout: s.timeout, broken: false, folders: HashSet::new(), idle: None })
    }

    /// The server, as `host:port`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Appends raw bytes to a folder (creating and subscribing the folder if it does not
    /// exist), flagged \Seen.
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<()> {
        let name = self.folder_name(folder)?;
        if !self.folder_exists(folder, &name).await? {
            let create = format!("CREATE {}", self.quote(folder, &name)?);
            match self.run("CREATE", Some(folder), &create, |_| {}).await {
                Ok(()) => {}
                // Created meanwhile by someone else?
                Err(e @ Error::Refused { .. }) => {
                    self.folders.remove(&name);
                    if !self.folder_exists(folder, &name).await? {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
            self.folders.insert(name.clone());
            // Mail clients that show only subscribed folders should show it; a refusal is fine.
            let subscribe = format!("SUBSCRIBE {}", self.quote(folder, &name)?);
            if let Err(e) = self.run("SUBSCRIBE", Some(folder), &subscribe, |_| {}).await
                && e.is_connection_failure()
            {
                return Err(e);
            }
        }
        let line = format!("APPEND {} (\\Seen) {{{}}}", self.quote(folder, &name)?, raw.len());
        self.append_literal(folder, &line, raw).await
    }

    /// UIDs of messages in `folder` whose Message-ID header is `message_id` (given without
    /// angle brackets). A missing folder holds none. The server's search (`UID SEARCH HEADER
    /// Message-ID "<id>"`, a case-insensitive substring match) is checked against each
    /// candidate's header, so only exact matches are returned.
    pub async fn find_message_id(&mut self, folder: &str, message_id: &str) -> Result<Vec<u32>> {
        let id = message_id.trim();
        let id = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(id);
        let invalid = |why| Error::Invalid {
            server: self.server.clone(),
            what: "the Message-ID",
            value: message_id.to_string(),
            why,
        };
        if id.is_empty() {
            return Err(invalid("it is empty"));
        }
        let wanted = names::quoted(&format!("<{id}>")).ok_or_else(|| invalid("it is not printable ASCII"))?;
        let name = self.folder_name(folder)?;
        if !self.folder_exists(folder, &name).await? {
            return Ok(Vec::new());
        }
        let (_, exists) = self.examine(folder, &name).await?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let mut candidates = Vec::new();
        let search = format!("UID SEARCH HEADER Message-ID {wanted}");
        self.run("UID SEARCH", Some(folder), &search, |r| {
            if let Response::MailboxData(MailboxDatum::Search(uids)) = r {
                candidates.extend_from_slice(uids);
            }
        })
        .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut found = Vec::new();
        let fetch = format!("UID FETCH {} (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", names::uid_set(&candidates));
        self.run("UID FETCH", Some(folder), &fetch, |r| {
            if let Some((uid, header)) = uid_and_body(r)
                && candidates.binary_search(&uid).is_ok()
                && names::message_id(header).as_deref() == Some(id)
            {
                found.push(uid);
            }
        })
        .await?;
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// UIDVALIDITY and the UIDs > `after_uid` in `folder` (ascending). A missing folder is
    /// [`Error::NoSuchFolder`].
    pub async fn uids_after(&mut self, folder: &str, after_uid: u32) -> Result<(u32, Vec<u32>)> {
        let name = self.folder_name(folder)?;
        self.require_folder(folder, &name).await?;
        let (validity, exists) = self.examine(folder, &name).await?;
        let Some(first) = after_uid.checked_add(1) else {
            return Ok((validity, Vec::new()));
        };
        if exists == 0 {
            return Ok((validity, Vec::new()));
        }
        let mut uids = Vec::new();
        // `N:*` also matches the last message when its UID is below N: filter.
        self.run("UID SEARCH", Some(folder), &format!("UID SEARCH UID {first}:*"), |r| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = r {
                uids.extend(found.iter().copied().filter(|u| *u > after_uid));
            }
        })
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok((validity, uids))
    }

    /// Raw bytes (`BODY.PEEK[]`, exactly as stored) of the given UIDs, in UID order, as
    /// `(uid, bytes)`. UIDs that no longer exist are left out. A missing folder is
    /// [`Error::NoSuchFolder`].
    pub async fn fetch_raw(&mut self, folder: &str, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>> {
        let mut wanted: Vec<u32> = uids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let name = self.folder_name(folder)?;
        self.require_folder(folder, &name).await?;
        self.examine(folder, &name).await?;
        let mut out: Vec<(u32, Vec<u8>)> = Vec::with_capacity(wanted.len());
        for chunk in wanted.chunks(100) {
            let fetch = format!("UID FETCH {} (UID BODY.PEEK[])", names::uid_set(chunk));
            self.run("UID FETCH", Some(folder), &fetch, |r| {
                if let Some((uid, body)) = uid_and_body(r)
                    && chunk.binary_search(&uid).is_ok()
                {
                    out.push((uid, body.to_vec()));
                }
            })
            .await?;
        }
        out.sort_by_key(|(uid, _)| *uid);
        out.dedup_by_key(|(uid, _)| *uid);
        Ok(out)
    }

    /// Whether the server offers IDLE (asked once per session).
    pub async fn supports_idle(&mut self) -> Result<bool> {
        if let Some(idle) = self.idle {
            return Ok(idle);
        }
        let mut found = false;
        self.run("CAPABILITY", None, "CAPABILITY", |r| {
            if let Response::Capabilities(caps) = r {
                found |= caps.iter().any(|c| matches!(c, Capability::Atom(a) if a.eq_ignore_ascii_case("IDLE")));
            }
        })
        .await?;
        self.idle = Some(found);
        Ok(found)
    }

    /// Waits in IDLE (RFC 2177) on a folder, opened read-only, until the server announces new
    /// mail or `wait` passes; then ends the IDLE so the session can be used again. A server
    /// without IDLE is [`Error::Unsupported`] (poll instead). RFC 2177 asks clients to
    /// re-issue IDLE at least every 29 minutes: keep `wait` below that.
    pub async fn idle(&mut self, folder: &str, wait: Duration) -> Result<Idle> {
        if !self.supports_idle().await? {
            return Err(Error::Unsupported { server: self.server.clone(), what: "IDLE" });
        }
        let name = self.folder_name(folder)?;
        self.require_folder(folder, &name).await?;
        let (_, before) = self.examine(folder, &name).await?;
        self.usable()?;
        let command = "IDLE";
        let result = async {
            let tag = self.send(command, Some(folder), "IDLE").await?;
            loop {
                match self.next(command, Some(folder), |r| step(r, &tag, |_| {})).await? {
                    Step::GoAhead => break,
                    Step::Other => {}
                    Step::Done(done) => {
                        return self.finish(command, Some(folder), done).and(Err(self.lost(
                            command,
                            Some(folder),
                            "the server ended IDLE before it began".into(),
                        )));
                    }
                }
            }
            let deadline = tokio::time::Instant::now() + wait;
            let mut outcome = Idle::Quiet;
            loop {
                let read = tokio::time::timeout_at(deadline, self.imap.read_response()).await;
                let Ok(read) = read else { break };
                let response = read
                    .map_err(|e| self.lost(command, Some(folder), e.to_string()))?
                    .ok_or_else(|| self.lost(command, Some(folder), "the server closed the connection".into()))?;
                match response.parsed() {
                    Response::MailboxData(MailboxDatum::Exists(n)) if *n > before => {
                        outcome = Idle::NewMail;
                        break;
                    }
                    Response::MailboxData(MailboxDatum::Recent(n)) if *n > 0 => {
                        outcome = Idle::NewMail;
                        break;
                    }
                    Response::Data { status: Status::Bye, outcome } => {
                        return Err(self.lost(
                            command,
                            Some(folder),
                            format!("the server said BYE: {}", said(outcome)),
                        ));
                    }
                    _ => {}
                }
            }
            let done = async {
                let stream = self.imap.get_mut();
                stream.write_all(b"DONE\r\n").await?;
                stream.flush().await
            };
            within(&self.server, self.timeout, command, Some(folder), done)
                .await?
                .map_err(|e| self.lost(command, Some(folder), e.to_string()))?;
            self.read_to_done(command, Some(folder), &tag, |_| {}).await?;
            Ok(outcome)
        }
        .await;
        self.note(result)
    }

    /// Logs out (a broken connection is just closed).
    pub async fn logout(mut self) -> Result<()> {
        if self.broken {
            return Ok(());
        }
        match within(&self.server, self.timeout, "LOGOUT", None, self.imap.logout()).await? {
            Ok(()) | Err(async_imap::error::Error::ConnectionLost) => Ok(()),
            Err(e) => {
                Err(Error::Lost { server: self.server, command: "LOGOUT".into(), folder: None, message: e.to_string() })
            }
        }
    }

    // ---- internals

    fn folder_name(&self, folder: &str) -> Result<String> {
        if folder.trim().is_empty() {
            return Err(Error::Invalid {
                server: self.server.clone(),
                what: "the folder name",
                value: folder.to_string(),
                why: "it is empty",
            });
        }
        Ok(names::encode_folder(folder))
    }

    fn quote(&self, folder: &str, name: &str) -> Result<String> {
        names::quoted(name).ok_or_else(|| Error::Invalid {
            server: self.server.clone(),
            what: "the folder name",
            value: folder.to_string(),
            why: "it holds control characters",
        })
    }

    async fn require_folder(&mut self, folder: &str, name: &str) -> Result<()> {
        if self.folder_exists(folder, name).await? {
            Ok(())
        } else {
            Err(Error::NoSuchFolder { server: self.server.clone(), folder: folder.to_string() })
        }
    }

    /// Whether the folder exists (`LIST`), remembered once seen.
    async fn folder_exists(&mut self, folder: &str, name: &str) -> Result<bool> {
        if name.eq_ignore_ascii_case("INBOX") || self.folders.contains(name) {
            return Ok(true);
        }
        let list = format!("LIST \"\" {}", self.quote(folder, name)?);
        let mut found = false;
        self.run("LIST", Some(folder), &list, |r| {
            if let Response::MailboxData(MailboxDatum::List(data)) = r {
                found |= data.name == name;
            }
        })
        .await?;
        if found {
            self.folders.insert(name.to_string());
        }
        Ok(found)
    }

    /// Opens the folder read-only: its UIDVALIDITY and number of messages.
    async fn examine(&mut self, folder: &str, name: &str) -> Result<(u32, u32)> {
        let mut validity = None;
        let mut exists = 0;
        let line = format!("EXAMINE {}", self.quote(folder, name)?);
        self.run("EXAMINE", Some(folder), &line, |r| match r {
            Response::Data { status: Status::Ok, outcome } => {
                if let Some(ResponseCode::UidValidity(v)) = outcome.code {
                    validity = Some(v);
                }
            }
            Response::MailboxData(MailboxDatum::Exists(n)) => exists = *n,
            _ => {}
        })
        .await?;
        let validity = validity.ok_or_else(|| Error::Refused {
            server: self.server.clone(),
            command: "EXAMINE".into(),
            folder: Some(folder.to_string()),
            message: "the server gave no UIDVALIDITY".into(),
        })?;
        Ok((validity, exists))
    }

    /// Fails at once when an earlier timeout or lost connection broke the session.
    fn usable(&self) -> Result<()> {
        if self.broken { Err(Error::Broken { server: self.server.clone() }) } else { Ok(()) }
    }

    /// Marks the session broken when `result` is a timeout or a lost connection: the
    /// conversation is then out of step with the server.
    fn note<T>(&mut self, result: Result<T>) -> Result<T> {
        if matches!(result, Err(Error::Timeout { .. } | Error::Lost { .. })) {
            self.broken = true;
        }
        result
    }

    /// Sends one command and reads every response up to its tagged completion, handing each
    /// untagged one to `each`.
    async fn run(
        &mut self,
        command: &str,
        folder: Option<&str>,
        line: &str,
        each: impl FnMut(&Response<'_>),
    ) -> Result<()> {
        self.usable()?;
        let result = async {
            let tag = self.send(command, folder, line).await?;
            self.read_to_done(command, folder, &tag, each).await
        }
        .await;
        self.note(result)
    }

    /// APPEND: the command, the server's go-ahead, the literal, then its completion.
    async fn append_literal(&mut self, folder: &str, line: &str, raw: &[u8]) -> Result<()> {
        self.usable()?;
        let command = "APPEND";
        let result = async {
            let tag = self.send(command, Some(folder), line).await?;
            loop {
                match self.next(command, Some(folder), |r| step(r, &tag, |_| {})).await? {
                    Step::GoAhead => break,
                    Step::Other => {}
                    Step::Done(done) => {
                        // Refused before the message was sent (or, wrongly, accepted).
                        return self.finish(command, Some(folder), done).and(Err(self.lost(
                            command,
                            Some(folder),
                            "the server completed APPEND before taking the message".into(),
                        )));
                    }
                }
            }
            let write = async {
                let stream = self.imap.get_mut();
                stream.write_all(raw).await?;
                stream.write_all(b"\r\n").await?;
                stream.flush().await
            };
            within(&self.server, self.timeout, command, Some(folder), write)
                .await?
                .map_err(|e| self.lost(command, Some(folder), e.to_string()))?;
            self.read_to_done(command, Some(folder), &tag, |_| {}).await
        }
        .await;
        self.note(result)
    }

    async fn send(&mut self, command: &str, folder: Option<&str>, line: &str) -> Result<RequestId> {
        within(&self.server, self.timeout, command, folder, self.imap.run_command(line))
            .await?
            .map_err(|e| self.lost(command, folder, e.to_string()))
    }

    /// Reads the next response (within the timeout; the end of the stream is a lost
    /// connection) and hands it to `f`.
    async fn next<R>(&mut self, command: &str, folder: Option<&str>, f: impl FnOnce(&Response<'_>) -> R) -> Result<R> {
        let response = within(&self.server, self.timeout, command, folder, self.imap.read_response())
            .await?
            .map_err(|e| self.lost(command, folder, e.to_string()))?
            .ok_or_else(|| self.lost(command, folder, "the server closed the connection".into()))?;
        Ok(f(response.parsed()))
    }

    async fn read_to_done(
        &mut self,
        command: &str,
        folder: Option<&str>,
        tag: &RequestId,
        mut each: impl FnMut(&Response<'_>),
    ) -> Result<()> {
        loop {
            match self.next(command, folder, |r| step(r, tag, &mut each)).await? {
                Step::Done(done) => return self.finish(command, folder, done),
                Step::GoAhead | Step::Other => {}
            }
        }
    }

    fn finish(&self, command: &str, folder: Option<&str>, done: Done) -> Result<()> {
        match done {
            Done::Ok => Ok(()),
            Done::Refused(message) => Err(Error::Refused {
                server: self.server.clone(),
                command: command.to_string(),
                folder: folder.map(str::to_string),
                message,
            }),
            Done::Lost(message) => Err(self.lost(command, folder, message)),
        }
    }

    fn lost(&self, command: &str, folder: Option<&str>, message: String) -> Error {
        Error::Lost {
            server: self.server.clone(),
            command: command.to_string(),
            folder: folder.map(str::to_string),
            message,
        }
    }
}

/// How a response bears on the command being run.
enum Step {
    /// `+`: send the literal.
    GoAhead,
    /// The command's tagged completion, or the server hanging up.
    Done(Done),
    /// Anything else, handed to the command's reader.
    Other,
}

enum Done {
    Ok,
    Refused(String),
    Lost(String),
}

fn step(response: &Response<'_>, tag: &RequestId, mut each: impl FnMut(&Response<'_>)) -> Step {
    match response {
        Response::Continue(_) => Step::GoAhead,
        Response::Done { tag: t, status, outcome } if t == tag => Step::Done(match status {
            Status::Ok => Done::Ok,
            Status::No | Status::Bad => Done::Refused(said(outcome)),
            other => Done::Lost(format!("unexpected completion {other:?}: {}", said(outcome))),
        }),
        Response::Data { status: Status::Bye, outcome } => {
            Step::Done(Done::Lost(format!("the server said BYE: {}", said(outcome))))
        }
        other => {
            each(other);
            Step::Other
        }
    }
}

/// The UID and the body section of a FETCH response.
fn uid_and_body<'r>(response: &'r Response<'_>) -> Option<(u32, &'r [u8])> {
    let Response::Fetch(_, attributes) = response else {
        return None;
    };
    let uid = attributes.iter().find_map(|a| match a {
        AttributeValue::Uid(u) => Some(*u),
        _ => None,
    })?;
    let body = attributes.iter().find_map(|a| match a {
        AttributeValue::BodySection { data: Some(d), .. } | AttributeValue::Rfc822(Some(d)) => Some(d.as_ref()),
        _ => None,
    })?;
    Some((uid, body))
}
