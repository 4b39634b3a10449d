//! The IMAP Sent folder as the outbox's [`SentFolder`]: a copy of each sent message is filed
//! there, and a message whose outcome is unknown is looked for there by Message-ID.
//! [`AnySentFolder`] lets the caller choose at run time between it and [`NoSentFolder`].

use foi_imap::{ImapSettings, Session};

use crate::outbox::{NoSentFolder, SentFolder};

/// A folder on an IMAP server (usually `Sent`). Connects on first use and keeps the
/// connection; when a kept connection has died (the server's idle limit, the network), the
/// call is tried once more on a new one.
pub struct ImapSentFolder {
    settings: ImapSettings,
    folder: String,
    session: Option<Session>,
}

impl ImapSentFolder {
    /// Does not connect yet.
    pub fn new(settings: ImapSettings, folder: impl Into<String>) -> ImapSentFolder {
        ImapSentFolder { settings, folder: folder.into(), session: None }
    }

    /// The folder's name.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// The server, as `host:port`.
    pub fn server(&self) -> String {
        self.settings.server()
    }

    /// Logs out if connected.
    pub async fn close(mut self) {
        if let Some(session) = self.session.take() {
            let _ = session.logout().await;
        }
    }

    /// The kept session, or a new one.
    async fn session(&mut self) -> foi_imap::Result<&mut Session> {
        let session = match self.session.take() {
            Some(s) => s,
            None => Session::connect(&self.settings).await?,
        };
        Ok(self.session.insert(session))
    }

    /// Drops the session when the connection failed, so that the next call connects again.
    fn forget_if_failed<T>(&mut self, result: foi_imap::Result<T>) -> foi_imap::Result<T> {
        if let Err(e) = &result
            && e.is_connection_failure()
        {
            self.session = None;
        }
        result
    }

    async fn append(&mut self, raw: &[u8]) -> foi_imap::Result<()> {
        let folder = self.folder.clone();
        let result = match self.session().await {
            Ok(session) => session.append(&folder, raw).await,
            Err(e) => Err(e),
        };
        self.forget_if_failed(result)
    }

    async fn find(&mut self, message_id: &str) -> foi_imap::Result<bool> {
        let folder = self.folder.clone();
        let result = match self.session().await {
            Ok(session) => session.find_message_id(&folder, message_id).await.map(|uids| !uids.is_empty()),
            Err(e) => Err(e),
        };
        self.forget_if_failed(result)
    }

    /// The error as a sentence naming the server (every [`foi_imap::Error`] does) and the folder.
    fn describe(&self, e: &foi_imap::Error) -> String {
        let text = e.to_string();
        if text.contains(&format!("\"{}\"", self.folder)) {
            text
        } else {
            format!("Sent folder \"{}\": {text}", self.folder)
        }
    }
}

impl SentFolder for ImapSentFolder {
    async fn file_copy(&mut self, raw: &[u8]) -> Result<(), String> {
        let reused = self.session.is_some();
        match self.append(raw).await {
            Ok(()) => Ok(()),
            Err(e) if reused && e.is_connection_failure() => {
                // The APPEND may have landed before the connection broke: look before
                // filing a second copy.
                if let Some(id) = foi_imap::message_id(raw) {
                    match self.find(&id).await {
                        Ok(true) => return Ok(()),
                        Ok(false) => {}
                        Err(e) => return Err(self.describe(&e)),
                    }
                }
                self.append(raw).await.map_err(|e| self.describe(&e))
            }
            Err(e) => Err(self.describe(&e)),
        }
    }

    async fn contains(&mut self, message_id: &str) -> Result<bool, String> {
        let reused = self.session.is_some();
        match self.find(message_id).await {
            Ok(found) => Ok(found),
            Err(e) if reused && e.is_connection_failure() => self.find(message_id).await.map_err(|e| self.describe(&e)),
            Err(e) => Err(self.describe(&e)),
        }
    }
}

/// The Sent folder chosen at run time: none, or one on an IMAP server.
// One per run: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum AnySentFolder {
    None(NoSentFolder),
    Imap(ImapSentFolder),
}

impl AnySentFolder {
    /// Logs out of the IMAP server if connected.
    pub async fn close(self) {
        if let AnySentFolder::Imap(f) = self {
            f.close().await;
        }
    }
}

impl From<NoSentFolder> for AnySentFolder {
    fn from(f: NoSentFolder) -> AnySentFolder {
        AnySentFolder::None(f)
    }
}

impl From<ImapSentFolder> for AnySentFolder {
    fn from(f: ImapSentFolder) -> AnySentFolder {
        AnySentFolder::Imap(f)
    }
}

impl SentFolder for AnySentFolder {
    async fn file_copy(&mut self, raw: &[u8]) -> Result<(), String> {
        match self {
            AnySentFolder::None(f) => f.file_copy(raw).await,
            AnySentFolder::Imap(f) => f.file_copy(raw).await,
        }
    }

    async fn contains(&mut self, message_id: &str) -> Result<bool, String> {
        match self {
            AnySentFolder::None(f) => f.contains(message_id).await,
            AnySentFolder::Imap(f) => f.contains(message_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a tiny scripted IMAP server that can drop a connection on demand (real
    //! Dovecot is exercised in foi-imap's own tests).

    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use foi_core::Secret;
    use foi_imap::{ImapSettings, Security};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    #[derive(Default)]
    struct Server {
        connections: AtomicUsize,
        /// Close the connection instead of answering the next command.
        drop_next: AtomicBool,
        messages: Mutex<Vec<Vec<u8>>>,
    }

    async fn start() -> (u16, Arc<Server>) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = Arc::new(Server::default());
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(converse(stream, s.clone()));
            }
        });
        (port, server)
    }

    async fn converse(stream: TcpStream, server: Arc<Server>) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write.write_all(b"* OK scripted IMAP ready\r\n").await?;
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 || server.drop_next.swap(false, Ordering::SeqCst) {
                return Ok(());
            }
            let mut words = line.split_whitespace();
            let tag = words.next().unwrap_or("*").to_string();
            let verb = words.next().unwrap_or("").to_ascii_uppercase();
            let reply = match verb.as_str() {
                "LIST" => "* LIST () \"/\" \"Sent\"\r\n".to_string(),
                "EXAMINE" => {
                    let n = server.messages.lock().expect("lock").len();
                    format!("* {n} EXISTS\r\n* OK [UIDVALIDITY 42] Ok\r\n")
                }
                "APPEND" => {
                    let size: usize = line
                        .rsplit_once('{')
                        .and_then(|(_, n)| n.trim().trim_end_matches('}').parse().ok())
                        .unwrap_or(0);
                    write.write_all(b"+ go ahead\r\n").await?;
                    let mut literal = vec![0; size + 2];
                    read.read_exact(&mut literal).await?;
                    literal.truncate(size);
                    server.messages.lock().expect("lock").push(literal);
                    String::new()
                }
                "UID" if line.contains("SEARCH") => {
                    let n = server.messages.lock().expect("lock").len() as u32;
                    let uids: Vec<String> = (1..=n).map(|u| u.to_string()).collect();
                    format!("* SEARCH {}\r\n", uids.join(" ")).replace(" \r\n", "\r\n")
                }
                "UID" => {
                    let messages = server.messages.lock().expect("lock").clone();
                    let mut out = String::new();
                    for (i, m) in messages.iter().enumerate() {
                        let header = format!("Message-ID: <{}>\r\n\r\n", foi_imap::message_id(m).unwrap_or_default());
                        let uid = i + 1;
                        out.push_str(&format!(
                            "* {uid} FETCH (UID {uid} BODY[HEADER.FIELDS (MESSAGE-ID)] {{{}}}\r\n{header})\r\n",
                            header.len()
                        ));
                    }
                    out
                }
                "LOGOUT" => "* BYE bye\r\n".to_string(),
                _ => String::new(), // LOGIN, CREATE
            };
            write.write_all(format!("{reply}{tag} OK done\r\n").as_bytes()).await?;
        }
    }

    fn folder(port: u16) -> ImapSentFolder {
        let settings = ImapSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            security: Security::None,
            username: "officer@charity.example".into(),
            password: Secret::new("pw"),
            timeout: Duration::from_secs(10),
            ca_file: None,
        };
        ImapSentFolder::new(settings, "Sent")
    }

    fn message(id: &str) -> Vec<u8> {
        format!("From: a@b.example\r\nMessage-ID: <{id}>\r\nSubject: FOI\r\n\r\nBody.\r\n").into_bytes()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn files_and_finds_reconnecting_once_when_the_connection_died() {
        let (port, server) = start().await;
        let mut sent = AnySentFolder::from(folder(port));
        assert_eq!(sent.contains("one@foi.test").await, Ok(false));
        sent.file_copy(&message("one@foi.test")).await.expect("file");
        assert_eq!(sent.contains("one@foi.test").await, Ok(true));
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);

        // The kept connection dies: the next call connects again and succeeds.
        server.drop_next.store(true, Ordering::SeqCst);
        assert_eq!(sent.contains("one@foi.test").await, Ok(true));
        assert_eq!(server.connections.load(Ordering::SeqCst), 2);

        // Same for filing: one copy each, even though the first attempt failed.
        server.drop_next.store(true, Ordering::SeqCst);
        sent.file_copy(&message("two@foi.test")).await.expect("file after reconnect");
        assert_eq!(server.connections.load(Ordering::SeqCst), 3);
        assert_eq!(server.messages.lock().expect("lock").len(), 2);
        sent.close().await;
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_naming_server_and_folder() {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind").local_addr().expect("addr").port();
        let mut sent = folder(port);
        let e = sent.contains("one@foi.test").await.expect_err("unreachable");
        assert!(e.contains(&format!("127.0.0.1:{port}")) && e.contains("\"Sent\""), "{e}");
        let e = sent.file_copy(&message("one@foi.test")).await.expect_err("unreachable");
        assert!(e.contains(&format!("127.0.0.1:{port}")) && e.contains("\"Sent\""), "{e}");
    }

    #[tokio::test]
    async fn no_sent_folder_delegates() {
        let mut none = AnySentFolder::from(NoSentFolder);
        assert_eq!(none.file_copy(b"x").await, Ok(()));
        assert!(none.contains("x").await.is_err());
    }
}
