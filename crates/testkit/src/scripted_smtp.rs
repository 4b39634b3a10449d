//! A tiny real SMTP server on `127.0.0.1` that misbehaves on purpose, for the failures Postfix
//! can't easily produce: see [`Behaviour`].
//!
//! It speaks just enough SMTP for a client to get to DATA: `EHLO`/`HELO` (advertising
//! `8BITMIME` and `AUTH PLAIN LOGIN`, accepting any credentials), `MAIL`, `RCPT`, `RSET`,
//! `NOOP`, `QUIT`; no STARTTLS, so clients must connect without TLS. It counts the
//! connections it accepted and keeps the messages it fully received (up to the final `.`).
//! Dropping the [`ScriptedSmtp`] stops it and closes every connection.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Greets and accepts everything up to DATA's `354`, reads some of the message, then
    /// closes the connection without a reply.
    DropMidData,
    /// Accepts the connection and never says anything: the client must time out.
    Hang,
    /// Everything is fine up to the final `.` after DATA (the message is received and
    /// counted), then it never answers (the connection stays open).
    GreetThenHangAtData,
}

#[derive(Debug, Default)]
struct Stats {
    connections: usize,
    messages: Vec<Vec<u8>>,
}

/// A scripted SMTP server, stopped when dropped.
#[derive(Debug)]
pub struct ScriptedSmtp {
    port: u16,
    stats: Arc<Mutex<Stats>>,
    task: JoinHandle<()>,
}

impl ScriptedSmtp {
    /// Starts the server on a free `127.0.0.1` port, in the current tokio runtime.
    pub async fn start(behaviour: Behaviour) -> ScriptedSmtp {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("foi-testkit: binding the scripted SMTP server to 127.0.0.1:0");
        let port = listener.local_addr().expect("foi-testkit: the scripted SMTP server's address").port();
        let stats = Arc::new(Mutex::new(Stats::default()));
        let task = tokio::spawn(serve(listener, behaviour, stats.clone()));
        ScriptedSmtp { port, stats, task }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address it listens on: `127.0.0.1`.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.stats).connections
    }

    /// Messages fully received so far (DATA up to the final `.`).
    pub fn messages(&self) -> usize {
        lock(&self.stats).messages.len()
    }

    /// The messages fully received so far, dot-unstuffed, without the final `.` line.
    pub fn received(&self) -> Vec<Vec<u8>> {
        lock(&self.stats).messages.clone()
    }
}

impl Drop for ScriptedSmtp {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

fn lock(stats: &Mutex<Stats>) -> MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn serve(listener: TcpListener, behaviour: Behaviour, stats: Arc<Mutex<Stats>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                lock(&stats).connections += 1;
                connections.spawn(converse(stream, behaviour, stats.clone()));
            }
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn converse(stream: TcpStream, behaviour: Behaviour, stats: Arc<Mutex<Stats>>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if behaviour == Behaviour::Hang {
        drain_forever(&mut read).await;
        return;
    }
    if write.write_all(b"220 scripted.foi.test ESMTP foi-testkit\r\n").await.is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let verb = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-scripted.foi.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n",
            "HELO" => b"250 scripted.foi.test\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 OK\r\n",
            "AUTH" => {
                if authenticate(&text, &mut read, &mut write).await.is_err() {
                    return;
                }
                continue;
            }
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            "DATA" => {
                if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                    return;
                }
                if behaviour == Behaviour::DropMidData {
                    let mut some = [0u8; 64];
                    let _ = read.read(&mut some).await;
                    return; // Dropping both halves closes the connection.
                }
                let Some(message) = read_data(&mut read).await else {
                    return;
                };
                lock(&stats).messages.push(message);
                // GreetThenHangAtData: the reply to the final dot never comes.
                drain_forever(&mut read).await;
                return;
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Accepts any credentials: `AUTH PLAIN [initial]` or `AUTH LOGIN`.
async fn authenticate<R, W>(command: &str, read: &mut R, write: &mut W) -> std::io::Result<()>
where
    R: AsyncBufReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    let words: Vec<&str> = command.split_whitespace().collect();
    let mechanism = words.get(1).map(|m| m.to_ascii_uppercase()).unwrap_or_default();
    let challenges: &[&[u8]] = match (mechanism.as_str(), words.len()) {
        ("PLAIN", 2) => &[b"334 \r\n"],
        ("LOGIN", 2) => &[b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n"],
        ("LOGIN", _) => &[b"334 UGFzc3dvcmQ6\r\n"],
        ("PLAIN", _) => &[],
        _ => {
            write.write_all(b"504 5.5.4 Unrecognised mechanism\r\n").await?;
            return Ok(());
        }
    };
    let mut answer = Vec::new();
    for challenge in challenges {
        write.write_all(challenge).await?;
        answer.clear();
        if read.read_until(b'\n', &mut answer).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    write.write_all(b"235 2.7.0 Authentication successful\r\n").await
}

/// Reads DATA up to the line holding only `.`; returns the message dot-unstuffed.
async fn read_data<R: AsyncBufReadExt + Unpin>(read: &mut R) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(message);
        }
        let unstuffed = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        message.extend_from_slice(unstuffed);
    }
}

/// Reads and discards until the client closes, never answering.
async fn drain_forever<R: AsyncReadExt + Unpin>(read: &mut R) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = read.read(&mut buf).await {
        if n == 0 {
            // The client closed; keep nothing open, say nothing.
            return;
        }
    }
}
