//! foi-imap against a real Dovecot (foi-testkit): append and find by Message-ID, new UIDs and
//! raw bytes kept exactly, folder names beyond ASCII, STARTTLS and implicit TLS with a test CA
//! named in `ca_file`, and the failures: a wrong password, a closed port, a silent server, TLS
//! spoken to a plain server, a certificate from a CA foi does not trust or for another name.
//! The Dovecot tests need root and Dovecot (`.ci/test` installs them).

use std::time::{Duration, Instant};

use foi_core::Secret;
use foi_imap::{Error, Idle, ImapSettings, Security, Session};
use foi_testkit::scripted_smtp::{Behaviour, ScriptedSmtp};
use foi_testkit::{MailServers, PASSWORD, TestCa};

const USER: &str = "officer@charity.example";

fn settings(port: u16, password: &str) -> ImapSettings {
    ImapSettings {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Security::None,
        username: USER.into(),
        password: Secret::new(password),
        timeout: Duration::from_secs(20),
        ca_file: None,
    }
}

fn message(id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Officer <foi@charity.example>\r\nTo: foi@nhs.example\r\nSubject: FOI request\r\n\
         Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn append_then_find_by_message_id() {
    let mail = MailServers::start().await;
    let mut session = Session::connect(&settings(mail.imap_port(), PASSWORD)).await.expect("connect");
    // A missing folder holds nothing (and is not created by looking).
    assert_eq!(
        session.find_message_id("Sent", "a1@foi.test").await.expect("find in missing folder"),
        Vec::<u32>::new()
    );

    session.append("Sent", &message("a1@foi.test", "First.")).await.expect("append creates Sent");
    session.append("Sent", &message("b2@foi.test", "Second.")).await.expect("append");
    // IMAP's search is a case-insensitive substring match: only the exact Message-ID counts.
    session.append("Sent", &message("A1@foi.test", "Same id in capitals.")).await.expect("append");
    session.append("Sent", &message("xa1@foi.test.uk", "Longer id.")).await.expect("append");

    let found = session.find_message_id("Sent", "a1@foi.test").await.expect("find");
    assert_eq!(found.len(), 1, "{found:?}");
    let (_, all) = session.uids_after("Sent", 0).await.expect("uids");
    assert_eq!(found, vec![all[0]]);
    // Angle brackets are accepted too.
    assert_eq!(session.find_message_id("Sent", "<b2@foi.test>").await.expect("find"), vec![all[1]]);
    assert!(session.find_message_id("Sent", "c3@foi.test").await.expect("find other").is_empty());
    // Filed as read, byte for byte.
    let raw = session.fetch_raw("Sent", &found).await.expect("fetch");
    assert_eq!(raw, vec![(found[0], message("a1@foi.test", "First."))]);
    session.logout().await.expect("logout");

    let stored = mail.fetch_all(USER, "Sent").await;
    assert_eq!(stored.len(), 4);
    let flags = std::fs::read_dir(mail.dir().join("mail").join(USER).join("Maildir/.Sent/cur"))
        .expect("Dovecot's Sent folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(flags.iter().all(|name| name.ends_with(":2,S")), "not all \\Seen: {flags:?}");
    let subscriptions = std::fs::read_to_string(mail.dir().join("mail").join(USER).join("Maildir/subscriptions"))
        .expect("Dovecot's subscriptions");
    assert!(subscriptions.lines().any(|l| l == "Sent"), "Sent not subscribed: {subscriptions:?}");
}

#[tokio::test]
async fn new_uids_and_raw_bytes_exactly_as_appended() {
    let mail = MailServers::start().await;
    let mut session = Session::connect(&settings(mail.imap_port(), PASSWORD)).await.expect("connect");
    let messages = [
        message("m1@foi.test", "Dear FOI officer,\r\n\r\nPlease send £10 worth of data.\r\n.\r\nA line with a dot."),
        message("m2@foi.test", "Second.\r\n  Indented line, trailing spaces   "),
        message("m3@foi.test", "Third."),
    ];
    for m in &messages {
        session.append("Replies", m).await.expect("append");
    }
    let (validity, uids) = session.uids_after("Replies", 0).await.expect("uids_after 0");
    assert!(validity > 0);
    assert_eq!(uids.len(), 3);
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");

    let (again, later) = session.uids_after("Replies", uids[0]).await.expect("uids_after first");
    assert_eq!(again, validity);
    assert_eq!(later, uids[1..].to_vec());
    // `N:*` past the last UID still matches the last message on the wire: not returned.
    assert!(session.uids_after("Replies", uids[2]).await.expect("uids_after last").1.is_empty());
    assert!(session.uids_after("Replies", u32::MAX).await.expect("uids_after max").1.is_empty());

    // Asked for out of order and twice, plus a UID that does not exist: UID order, once each.
    let asked = [uids[2], uids[0], uids[1], uids[0], uids[2] + 100];
    let fetched = session.fetch_raw("Replies", &asked).await.expect("fetch_raw");
    let expected: Vec<(u32, Vec<u8>)> = uids.iter().copied().zip(messages.iter().cloned()).collect();
    assert_eq!(fetched, expected);
    assert!(session.fetch_raw("Replies", &[]).await.expect("fetch nothing").is_empty());

    // INBOX always exists (empty here); a missing folder is an error naming it.
    assert!(session.uids_after("INBOX", 0).await.expect("INBOX").1.is_empty());
    let e = session.uids_after("No Such Folder", 0).await.expect_err("missing folder");
    assert!(matches!(e, Error::NoSuchFolder { .. }), "{e:?}");
    assert!(e.to_string().contains("\"No Such Folder\"") && e.to_string().contains("127.0.0.1:"), "{e}");
    session.logout().await.expect("logout");
}

#[tokio::test]
async fn folder_names_beyond_ascii() {
    let mail = MailServers::start().await;
    let mut session = Session::connect(&settings(mail.imap_port(), PASSWORD)).await.expect("connect");
    for folder in ["Éléments envoyés", "Sent & Received"] {
        session.append(folder, &message("u1@foi.test", "Hello.")).await.expect("append");
        assert_eq!(session.find_message_id(folder, "u1@foi.test").await.expect("find").len(), 1, "{folder}");
    }
    // Dovecot keeps them under their modified UTF-7 names.
    assert_eq!(mail.fetch_all(USER, "&AMk-l&AOk-ments envoy&AOk-s").await.len(), 1);
    assert_eq!(mail.fetch_all(USER, "Sent &- Received").await.len(), 1);
    session.logout().await.expect("logout");
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error() {
    let mail = MailServers::start().await;
    let e = Session::connect(&settings(mail.imap_port(), "not-the-password")).await.expect_err("wrong password");
    let text = e.to_string();
    assert!(matches!(e, Error::Login { .. }), "{e:?}");
    assert!(text.contains("refused the login for officer@charity.example"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{}", mail.imap_port())), "{text}");
    assert!(!text.contains("not-the-password") && !format!("{e:?}").contains("not-the-password"), "{text}");
    assert!(!format!("{:?}", settings(1, "not-the-password")).contains("not-the-password"));
}

#[tokio::test]
async fn tls_to_a_plain_server_fails_clearly() {
    let mail = MailServers::start().await;
    let mut s = settings(mail.imap_port(), PASSWORD);
    s.security = Security::Tls;
    s.host = "localhost".into();
    let e = Session::connect(&s).await.expect_err("TLS to a plain server");
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(e.to_string().contains(&format!("localhost:{}", mail.imap_port())), "{e}");
}

/// A server without TLS refuses STARTTLS: an error, never a login in plain text.
#[tokio::test]
async fn starttls_refused_by_the_server_is_an_error_not_a_plain_login() {
    let mail = MailServers::start().await;
    let mut s = settings(mail.imap_port(), PASSWORD);
    s.security = Security::StartTls;
    let e = Session::connect(&s).await.expect_err("STARTTLS to a server without TLS");
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(e.to_string().contains("the server refused STARTTLS"), "{e}");
    assert!(e.to_string().contains("foi does not log in without TLS"), "{e}");
    assert!(logins(&mail, USER).is_empty(), "{}", mail.dovecot_log());
}

#[tokio::test]
async fn a_closed_port_is_an_error_naming_host_and_port() {
    let port = {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let e = Session::connect(&settings(port, PASSWORD)).await.expect_err("closed port");
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(e.is_connection_failure());
    assert!(e.to_string().contains(&format!("cannot connect to the IMAP server 127.0.0.1:{port}")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out() {
    let silent = ScriptedSmtp::start(Behaviour::Hang).await;
    let mut s = settings(silent.port(), PASSWORD);
    s.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let e = Session::connect(&s).await.expect_err("silent server");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(e.is_connection_failure());
    assert_eq!(
        e.to_string(),
        format!("timed out after 500ms waiting for the IMAP server 127.0.0.1:{}: greeting", silent.port())
    );
}

#[test]
fn security_from_str() {
    for (s, want) in [("tls", Security::Tls), ("SSL", Security::Tls), ("imaps", Security::Tls)] {
        assert_eq!(s.parse::<Security>().expect(s), want);
    }
    for s in ["none", "plain", "Plain"] {
        assert_eq!(s.parse::<Security>().expect(s), Security::None);
    }
    for s in ["starttls", "STARTTLS"] {
        assert_eq!(s.parse::<Security>().expect(s), Security::StartTls);
    }
    let e = "ssl3".parse::<Security>().expect_err("ssl3");
    assert_eq!(e.to_string(), "unknown IMAP security \"ssl3\" (expected starttls, tls or none)");
    assert_eq!(Security::Tls.default_port(), 993);
    assert_eq!(Security::StartTls.default_port(), 143);
    assert_eq!(Security::None.default_port(), 143);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_wakes_on_new_mail_and_ends_quietly_otherwise() {
    let mail = MailServers::start().await;
    let mut session = Session::connect(&settings(mail.imap_port(), PASSWORD)).await.expect("connect");
    session.append("INBOX", &message("first@foi.test", "First.")).await.expect("append");
    assert!(session.supports_idle().await.expect("capability"), "Dovecot offers IDLE");

    // Nothing arrives: the wait runs out and the session is still usable.
    let started = Instant::now();
    assert_eq!(session.idle("INBOX", Duration::from_secs(2)).await.expect("idle"), Idle::Quiet);
    assert!(started.elapsed() >= Duration::from_secs(2));

    // Another session delivers a message meanwhile: IDLE hears of it long before its wait.
    let port = mail.imap_port();
    let other = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut other = Session::connect(&settings(port, PASSWORD)).await.expect("connect");
        other.append("INBOX", &message("second@foi.test", "Second.")).await.expect("append");
    });
    let started = Instant::now();
    assert_eq!(session.idle("INBOX", Duration::from_secs(120)).await.expect("idle"), Idle::NewMail);
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    other.await.expect("the other session");
    let (_, uids) = session.uids_after("INBOX", 0).await.expect("usable after IDLE");
    assert_eq!(uids.len(), 2);
    assert!(matches!(session.idle("No such folder", Duration::from_secs(1)).await, Err(Error::NoSuchFolder { .. })));
    session.logout().await.expect("logout");
}

/// Dovecot's log lines of `user`'s logins (each says `TLS` when the login was made over TLS).
fn logins(mail: &MailServers, user: &str) -> Vec<String> {
    let needle = format!("Login: user=<{user}>");
    mail.dovecot_log().lines().filter(|l| l.contains(&needle)).map(str::to_string).collect()
}

/// `user`'s logins once at least one is logged (Dovecot writes its log a moment later), or
/// none after 10 seconds.
async fn logins_logged(mail: &MailServers, user: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = logins(mail, user);
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// STARTTLS on the IMAP port and TLS from the first byte on the IMAPS port, the server's
/// certificate (for 127.0.0.1 and localhost) signed by a test CA that foi trusts through
/// `ca_file`: both log in over TLS and work.
#[tokio::test]
async fn starttls_and_implicit_tls_with_a_test_ca_in_ca_file() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1", "localhost"])).await;
    let ca_file = mail.dir().join("trusted-ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).expect("write the CA");
    for (security, port, host, user) in [
        (Security::StartTls, mail.imap_port(), "127.0.0.1", "starttls@charity.example"),
        (Security::Tls, mail.imaps_port(), "localhost", "imaps@charity.example"),
    ] {
        let mut s = settings(port, PASSWORD);
        s.security = security;
        s.host = host.into();
        s.username = user.into();
        s.ca_file = Some(ca_file.clone());
        let mut session = Session::connect(&s).await.unwrap_or_else(|e| panic!("{security:?}: {e}\n{}", mail.logs()));
        let id = format!("{user}.tls@foi.test");
        session.append("Sent", &message(&id, "Over TLS.")).await.expect("append");
        assert_eq!(session.find_message_id("Sent", &id).await.expect("find").len(), 1, "{security:?}");
        assert!(session.supports_idle().await.expect("capability"), "{security:?}: IDLE after TLS");
        session.logout().await.expect("logout");
        let lines = logins_logged(&mail, user).await;
        assert_eq!(lines.len(), 1, "{security:?}: {lines:?}");
        assert!(lines[0].contains(", TLS,"), "{security:?}: the login was made over TLS: {lines:?}");
    }
    assert_eq!(mail.fetch_all("starttls@charity.example", "Sent").await.len(), 1);
    assert_eq!(mail.fetch_all("imaps@charity.example", "Sent").await.len(), 1);
}

/// A certificate signed by a CA foi does not trust (none named, or another CA named in
/// `ca_file`) and a certificate for another host name are refused before LOGIN: the error
/// says why, and the password never reaches the server.
#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_or_for_another_name_is_refused_before_login() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1", "localhost"])).await;
    let other_ca = mail.dir().join("other-ca.pem");
    std::fs::write(&other_ca, TestCa::new("another CA").cert_pem()).expect("write the other CA");
    let trusted = mail.dir().join("trusted-ca.pem");
    std::fs::write(&trusted, ca.cert_pem()).expect("write the CA");
    // The same CA, but a certificate for another name.
    let elsewhere = MailServers::start_tls(&ca.server_cert(&["mail.elsewhere.example"])).await;
    let cases = [
        (
            "no ca_file, STARTTLS",
            Security::StartTls,
            mail.imap_port(),
            None,
            "not signed by a certificate authority foi trusts",
        ),
        ("no ca_file, TLS", Security::Tls, mail.imaps_port(), None, "not signed by a certificate authority foi trusts"),
        (
            "another CA, STARTTLS",
            Security::StartTls,
            mail.imap_port(),
            Some(&other_ca),
            "not signed by a certificate authority foi trusts",
        ),
        (
            "another CA, TLS",
            Security::Tls,
            mail.imaps_port(),
            Some(&other_ca),
            "not signed by a certificate authority foi trusts",
        ),
        (
            "another name, STARTTLS",
            Security::StartTls,
            elsewhere.imap_port(),
            Some(&trusted),
            "not valid for the host name \"127.0.0.1\"",
        ),
        (
            "another name, TLS",
            Security::Tls,
            elsewhere.imaps_port(),
            Some(&trusted),
            "not valid for the host name \"127.0.0.1\"",
        ),
    ];
    for (case, security, port, ca_file, why) in cases {
        let mut s = settings(port, PASSWORD);
        s.security = security;
        s.ca_file = ca_file.cloned();
        let e = Session::connect(&s).await.expect_err(case);
        let text = e.to_string();
        assert!(matches!(e, Error::Connect { .. }), "{case}: {e:?}");
        assert!(text.contains(&format!("cannot connect to the IMAP server 127.0.0.1:{port}")), "{case}: {text}");
        assert!(text.contains("the server's TLS certificate was refused"), "{case}: {text}");
        assert!(text.contains(why), "{case}: {text}");
        if let Some(f) = ca_file {
            assert!(
                text.contains(&f.display().to_string()) || why.contains("host name"),
                "{case}: names the ca_file: {text}"
            );
        } else {
            assert!(text.contains("add the server's CA with ca_file"), "{case}: {text}");
        }
    }
    for servers in [&mail, &elsewhere] {
        assert!(logins(servers, USER).is_empty(), "no login reached the server: {}", servers.dovecot_log());
    }
}

/// A `ca_file` that is missing or holds no certificate is an error naming the file.
#[tokio::test]
async fn a_bad_ca_file_is_an_error_naming_it() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1"])).await;
    let empty = mail.dir().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    for (path, why) in [(mail.dir().join("missing.pem"), "cannot read"), (empty, "holds no certificate")] {
        let mut s = settings(mail.imaps_port(), PASSWORD);
        s.security = Security::Tls;
        s.ca_file = Some(path.clone());
        let e = Session::connect(&s).await.expect_err("bad ca_file");
        let text = e.to_string();
        assert!(text.contains(why) && text.contains(&path.display().to_string()), "{text}");
    }
    assert!(foi_imap::tls::read_ca_file(&mail.dir().join("missing.pem")).is_err());
}
