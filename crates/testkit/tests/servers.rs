//! Proves the testkit's servers work: real Postfix delivering into real Dovecot (bytes kept,
//! special recipients refused), IMAP round trips, two instances at once, and the scripted
//! SMTP server's misbehaviours. Needs root and Postfix/Dovecot (`.ci/test` installs them).

use std::time::Duration;

use foi_testkit::{Behaviour, MailServers, ScriptedSmtp};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const WAIT: Duration = Duration::from_secs(20);

/// A raw SMTP conversation, written here so the tests don't rely on the testkit's own client.
struct Smtp {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Smtp {
    async fn connect(port: u16) -> (Smtp, String) {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect to SMTP");
        let (read, write) = stream.into_split();
        let mut smtp = Smtp { read: BufReader::new(read), write };
        let greeting = smtp.reply().await;
        (smtp, greeting)
    }

    /// Reads one (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let n = self.read.read_line(&mut line).await.expect("read reply");
            assert!(n > 0, "server closed the connection; reply so far {reply:?}");
            reply.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return reply;
            }
        }
    }

    async fn command(&mut self, command: &str) -> String {
        self.write.write_all(format!("{command}\r\n").as_bytes()).await.expect("write command");
        self.reply().await
    }

    /// Sends a message whose lines start with no dot; returns the reply to the final dot.
    async fn data(&mut self, raw: &[u8]) -> String {
        let reply = self.command("DATA").await;
        assert!(reply.starts_with("354"), "DATA: {reply}");
        self.write.write_all(raw).await.expect("write data");
        self.write.write_all(b".\r\n").await.expect("write dot");
        self.reply().await
    }
}

fn message(to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Officer <foi@charity.example>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@charity.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn smtp_message_reaches_the_mailbox_with_received_header() {
    let servers = MailServers::start().await;
    assert_eq!(servers.host(), "127.0.0.1");
    let (mut smtp, greeting) = Smtp::connect(servers.smtp_port()).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    let ehlo = smtp.command("EHLO client.charity.example").await;
    assert!(ehlo.starts_with("250"), "{ehlo}");
    let mail = smtp.command("MAIL FROM:<foi@charity.example>").await;
    assert!(mail.starts_with("250"), "{mail}");
    let rcpt = smtp.command("RCPT TO:<foi@body1.example>").await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    let body = "Dear FOI officer,\r\nPlease send the figures for 2025.\r\nThank you £€.";
    let raw = message("foi@body1.example", "req-1", body);
    let done = smtp.data(&raw).await;
    assert!(done.starts_with("250"), "{done}");
    assert!(smtp.command("QUIT").await.starts_with("221"));

    let messages = servers.wait_for("foi@body1.example", "INBOX", 1, WAIT).await;
    assert_eq!(messages.len(), 1);
    let got = &messages[0];
    assert!(contains(got, body.as_bytes()), "{}", String::from_utf8_lossy(got));
    assert!(got.ends_with(&raw), "the message as sent is kept byte for byte at the end");
    let text = String::from_utf8_lossy(got);
    assert!(text.contains("Received: from client.charity.example") && text.contains("(Postfix)"), "{text}");
    // Addresses are case-insensitive mailboxes; another address's mailbox stays empty.
    assert_eq!(servers.fetch_all("FOI@Body1.Example", "INBOX").await.len(), 1);
    assert!(servers.fetch_all("other@body1.example", "INBOX").await.is_empty());
    assert!(servers.fetch_all("foi@body1.example", "Missing").await.is_empty());
    servers.wait_queue_empty(WAIT).await;
}

#[tokio::test]
async fn special_recipients_are_refused_at_rcpt() {
    let servers = MailServers::start().await;
    let (mut smtp, _) = Smtp::connect(servers.smtp_port()).await;
    smtp.command("EHLO client.charity.example").await;
    for (rcpt, code, status) in [
        ("tempfail@x.example", "450", "4.2.0"),
        ("reject@x.example", "550", "5.1.1"),
        ("TempFail@Other.example", "450", "4.2.0"),
    ] {
        let mail = smtp.command("MAIL FROM:<foi@charity.example>").await;
        assert!(mail.starts_with("250"), "{mail}");
        let reply = smtp.command(&format!("RCPT TO:<{rcpt}>")).await;
        assert!(reply.starts_with(&format!("{code} {status} ")), "{rcpt}: {reply}");
        assert!(smtp.command("RSET").await.starts_with("250"));
    }
    // An ordinary recipient in the same domain is still accepted.
    smtp.command("MAIL FROM:<foi@charity.example>").await;
    let ok = smtp.command("RCPT TO:<tempfailure@x.example>").await;
    assert!(ok.starts_with("250"), "{ok}");
    smtp.command("QUIT").await;
}

#[tokio::test]
async fn append_then_fetch_round_trips_bytes_exactly() {
    let servers = MailServers::start().await;
    let first = b"From: a@b.example\r\nSubject: one\r\n\r\nline\r\n.leading dot\r\n\r\n  spaces  \r\n".to_vec();
    let mut second = b"From: a@b.example\r\nSubject: two\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec();
    second.extend((0u8..=255).filter(|b| *b != b'\r' && *b != b'\n' && *b != 0));
    second.extend_from_slice(b"\r\n");
    servers.append("foi@charity.example", "Sent", &first).await;
    servers.append("foi@charity.example", "Sent", &second).await;
    let got = servers.fetch_all("foi@charity.example", "Sent").await;
    assert_eq!(got, vec![first.clone(), second]);
    servers.append("foi@charity.example", "INBOX", &first).await;
    assert_eq!(servers.fetch_all("foi@charity.example", "INBOX").await, vec![first]);
}

#[tokio::test]
async fn deliver_goes_through_postfix() {
    let servers = MailServers::start().await;
    let raw = message("reply@charity.example", "reply-1", ".dot first\r\nbody");
    servers.deliver("foi@body2.example", "reply@charity.example", &raw).await;
    let got = servers.wait_for("reply@charity.example", "INBOX", 1, WAIT).await;
    assert!(got[0].ends_with(&raw), "{}", String::from_utf8_lossy(&got[0]));
    assert!(String::from_utf8_lossy(&got[0]).contains("(Postfix)"));
    servers.wait_queue_empty(WAIT).await;
}

#[tokio::test]
async fn two_instances_run_at_once() {
    let (a, b) = tokio::join!(MailServers::start(), MailServers::start());
    assert_ne!(a.smtp_port(), b.smtp_port());
    assert_ne!(a.imap_port(), b.imap_port());
    a.deliver("x@y.example", "one@a.example", &message("one@a.example", "a", "for a")).await;
    b.deliver("x@y.example", "one@a.example", &message("one@a.example", "b", "for b")).await;
    let in_a = a.wait_for("one@a.example", "INBOX", 1, WAIT).await;
    let in_b = b.wait_for("one@a.example", "INBOX", 1, WAIT).await;
    assert!(contains(&in_a[0], b"for a") && !contains(&in_a[0], b"for b"));
    assert!(contains(&in_b[0], b"for b") && !contains(&in_b[0], b"for a"));
    let dir = a.dir().to_path_buf();
    drop(a);
    assert!(!dir.exists(), "the temp dir is removed on drop");
    // b still works after a stopped.
    assert_eq!(b.fetch_all("one@a.example", "INBOX").await.len(), 1);
}

#[tokio::test]
async fn scripted_hang_never_greets() {
    let server = ScriptedSmtp::start(Behaviour::Hang).await;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).await.expect("connect");
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    assert!(read.is_err(), "the server must say nothing: {read:?}");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.messages(), 0);
}

#[tokio::test]
async fn scripted_drop_mid_data_closes_the_connection() {
    let server = ScriptedSmtp::start(Behaviour::DropMidData).await;
    let (mut smtp, greeting) = Smtp::connect(server.port()).await;
    assert!(greeting.starts_with("220"));
    assert!(smtp.command("EHLO c.example").await.starts_with("250"));
    assert!(smtp.command("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(smtp.command("RCPT TO:<c@d.example>").await.starts_with("250"));
    assert!(smtp.command("DATA").await.starts_with("354"));
    let _ = smtp.write.write_all(b"Subject: x\r\n\r\nsome body\r\n").await;
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), smtp.read.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection");
    // Either a clean EOF or a reset; no reply in any case.
    assert!(n.map(|n| n == 0).unwrap_or(true), "{rest:?}");
    assert_eq!(server.messages(), 0);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn scripted_hang_at_data_receives_but_never_answers() {
    let server = ScriptedSmtp::start(Behaviour::GreetThenHangAtData).await;
    let (mut smtp, _) = Smtp::connect(server.port()).await;
    smtp.command("EHLO c.example").await;
    assert!(smtp.command("AUTH PLAIN AGZvbwBiYXI=").await.starts_with("235"));
    smtp.command("MAIL FROM:<a@b.example>").await;
    smtp.command("RCPT TO:<c@d.example>").await;
    assert!(smtp.command("DATA").await.starts_with("354"));
    smtp.write.write_all(b"Subject: x\r\n\r\n..dotted\r\nbody\r\n.\r\n").await.expect("write");
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_millis(300), smtp.read.read_line(&mut line)).await;
    assert!(read.is_err(), "no reply to the final dot: {line:?}");
    assert_eq!(server.messages(), 1);
    assert_eq!(server.received(), vec![b"Subject: x\r\n\r\n.dotted\r\nbody\r\n".to_vec()]);
    let port = server.port();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "the server stops listening when dropped");
}
