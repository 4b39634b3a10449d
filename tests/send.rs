//! `foi round` / `foi send` / `foi chase` through a real Postfix delivering into a real
//! Dovecot: every request exactly once, failures classified, crashes resolved; over STARTTLS
//! and implicit TLS with a test CA, and nothing sent when the server's certificate is refused.

use std::time::Duration;

use foi_store::testing::each_backend_url;
use foi_testkit::scripted_smtp::{Behaviour, ScriptedSmtp};
use foi_testkit::{MailServers, TestCa};

use crate::util::{bodies_csv, body_address, foi, unfold, with_imap, workspace};

/// Sets up a round of `n` bodies in `dir` against `db`.
fn round_of(dir: &std::path::Path, db: &str, n: usize, prefix: &str) {
    let csv = bodies_csv(dir, n, prefix);
    foi(dir, Some(db), &["bodies", "import", &csv]).ok();
    foi(dir, Some(db), &["round", "new", "cpc", "--name", "Children's palliative care 2026", "--launch", "2026-11-02"])
        .ok();
    foi(dir, Some(db), &["round", "add-bodies", "cpc", "--all-current"]).ok();
}

fn references(dir: &std::path::Path, db: &str) -> Vec<(String, String, String)> {
    let status = foi(dir, Some(db), &["round", "status", "cpc", "--format", "json"]).ok().json();
    status
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["body_code"].as_str().unwrap().to_string(),
                s["reference"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_200_body_round_goes_through_postfix_exactly_once() {
    let mail = MailServers::start().await;
    for (backend, db, guard) in each_backend_url().await {
        let prefix = format!("{backend:?}").to_lowercase();
        let dir = workspace(Some((mail.smtp_port(), "none")));
        round_of(dir.path(), &db, 200, &prefix);
        let preview = foi(dir.path(), Some(&db), &["round", "preview", "cpc"]).ok();
        assert!(preview.stdout.contains("200 requests render cleanly"), "{}", preview.stdout);
        let run =
            foi(dir.path(), Some(&db), &["--today", "2026-11-02", "send", "--round", "cpc", "--no-pacing", "--json"])
                .ok();
        let summary = run.json();
        assert_eq!(summary["sent"].as_array().unwrap().len(), 200, "{backend:?}: {}", run.stdout);
        let refs = references(dir.path(), &db);
        assert_eq!(refs.len(), 200);
        let mut total = 0;
        for (code, reference, state) in &refs {
            assert_eq!(state, "sent", "{code}");
            let i: usize = code[1..].parse().unwrap();
            let addr = body_address(&prefix, i);
            let got = mail.wait_for(&addr, "INBOX", 1, Duration::from_secs(60)).await;
            assert_eq!(got.len(), 1, "{backend:?}: {addr} has {} messages", got.len());
            total += got.len();
            let headers = unfold(&got[0]);
            assert!(headers.contains(&format!("To: {addr}")), "{headers}");
            assert!(headers.contains(&format!("Reply-To: foi+{reference}@charity.example")), "{code}");
            assert!(headers.contains(&format!("Message-ID: <{reference}.request.0@charity.example>")), "{code}");
            assert!(headers.contains(&format!("[FOI ref {reference}]")), "{code}");
            // Byte for byte: what was stored and previewed is what arrived, after the
            // trace headers the servers add in front.
            let stored = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
                .current_dir(dir.path())
                .env("FOI_DATABASE_URL", &db)
                .args(["round", "preview", "cpc", "--body", code])
                .output()
                .unwrap()
                .stdout;
            assert!(got[0].ends_with(&stored), "{backend:?} {code}: delivered bytes differ from the stored request");
            let text = String::from_utf8_lossy(&stored).replace("=\r\n", "");
            assert!(text.contains("1. Has your organisation"), "{code}: the codebook's questions are rendered");
        }
        assert_eq!(total, 200);
        // A second run sends nothing.
        let again = foi(dir.path(), Some(&db), &["send", "--round", "cpc", "--no-pacing", "--json"]).ok().json();
        assert_eq!(again["sent"].as_array().unwrap().len(), 0);
        guard.remove().await;
    }
}

#[tokio::test]
async fn smtp_refusals_are_classified_against_a_real_server() {
    let mail = MailServers::start().await;
    for (backend, db, guard) in each_backend_url().await {
        // The accepted message goes to an address of this backend's own, on the shared server.
        let good = format!("foi-{backend:?}@good.example").to_ascii_lowercase();
        let dir = workspace(Some((mail.smtp_port(), "none")));
        let csv = dir.path().join("b.csv");
        std::fs::write(
            &csv,
            format!("code,name,kind,foi_email\nT1,Temp Fail Body,icb,tempfail@busy.example\nR1,Rejecting Body,icb,reject@gone.example\nOK1,Good Body,icb,{good}\nN1,No Address Body,unitary,\n"),
        )
        .unwrap();
        foi(dir.path(), Some(&db), &["bodies", "import", csv.to_str().unwrap()]).ok();
        foi(dir.path(), Some(&db), &["round", "new", "cpc", "--name", "CPC"]).ok();
        foi(dir.path(), Some(&db), &["round", "add-bodies", "cpc", "--all-current"]).ok();
        let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]);
        assert_eq!(run.code, 3, "{backend:?}: failures give exit code 3: {}", run.stderr);
        let s = run.json();
        assert_eq!(s["sent"].as_array().unwrap().len(), 1, "{backend:?}");
        let retry = &s["retry"].as_array().unwrap()[0];
        assert!(retry["detail"].as_str().unwrap().contains("450"), "{backend:?}: {retry}");
        let failed = &s["failed"].as_array().unwrap()[0];
        assert!(failed["detail"].as_str().unwrap().contains("550"), "{backend:?}: {failed}");
        assert_eq!(s["skipped_no_address"][0]["code"], "N1", "{backend:?}");
        let states = references(dir.path(), &db);
        let state_of = |c: &str| states.iter().find(|(code, _, _)| code == c).unwrap().2.clone();
        assert_eq!(state_of("R1"), "delivery_failed", "{backend:?}");
        assert_eq!(state_of("T1"), "queued", "{backend:?}: a temporary failure stays queued for a retry");
        assert_eq!(state_of("OK1"), "sent", "{backend:?}");
        assert_eq!(mail.wait_for(&good, "INBOX", 1, Duration::from_secs(30)).await.len(), 1, "{backend:?}");
        guard.remove().await;
    }
}

// Multi-threaded: the scripted server runs in this process while the test waits for `foi`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_or_silent_connection_after_the_message_holds_it_for_the_officer() {
    for (behaviour, expect_held) in
        [(Behaviour::DropMidData, true), (Behaviour::GreetThenHangAtData, true), (Behaviour::Hang, false)]
    {
        // A fresh database on each backend, and a fresh server, for each behaviour.
        for (backend, db, guard) in each_backend_url().await {
            let server = ScriptedSmtp::start(behaviour).await;
            let dir = workspace(Some((server.port(), "none")));
            let csv = dir.path().join("b.csv");
            std::fs::write(&csv, "code,name,kind,foi_email\nA1,A Body,icb,foi@a.example\n").unwrap();
            foi(dir.path(), Some(&db), &["bodies", "import", csv.to_str().unwrap()]).ok();
            foi(dir.path(), Some(&db), &["round", "new", "cpc", "--name", "CPC"]).ok();
            foi(dir.path(), Some(&db), &["round", "add-bodies", "cpc", "--all-current"]).ok();
            let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]);
            let s = run.json();
            if expect_held {
                let held = &s["held"].as_array().unwrap();
                assert_eq!(held.len(), 1, "{backend:?} {behaviour:?}: {}", run.stdout);
                assert!(
                    held[0]["detail"].as_str().unwrap().contains("foi send --release"),
                    "{backend:?} {behaviour:?}"
                );
                // Running again never resends a held message.
                let again = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]).json();
                assert_eq!(
                    again["sent"].as_array().unwrap().len() + again["retry"].as_array().unwrap().len(),
                    0,
                    "{backend:?} {behaviour:?}"
                );
                let connections = server.connections();
                foi(dir.path(), Some(&db), &["send", "--no-pacing"]);
                assert_eq!(
                    server.connections(),
                    connections,
                    "{backend:?} {behaviour:?}: no new connection for a held message"
                );
            } else {
                // Nothing was handed over: a silent server is a temporary failure, retried later.
                assert_eq!(s["retry"].as_array().unwrap().len(), 1, "{backend:?} {behaviour:?}: {}", run.stdout);
                assert_eq!(server.messages(), 0, "{backend:?} {behaviour:?}");
            }
            guard.remove().await;
        }
    }
}

#[tokio::test]
async fn a_send_killed_at_any_step_never_sends_twice_or_loses_a_request() {
    let mail = MailServers::start().await;
    let mut case = 0;
    for point in ["before_smtp", "after_smtp", "before_commit"] {
        for hit in [1, 4, 9] {
            for (backend, db, guard) in each_backend_url().await {
                case += 1;
                let prefix = format!("c{case}");
                let at = format!("{backend:?} {point}:{hit}");
                let dir = workspace(Some((mail.smtp_port(), "none")));
                round_of(dir.path(), &db, 12, &prefix);
                let crash = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
                    .current_dir(dir.path())
                    .env("FOI_DATABASE_URL", &db)
                    .env("FOI_FAULT_INJECT", format!("{point}:{hit}"))
                    .args(["send", "--no-pacing"])
                    .output()
                    .unwrap();
                assert!(!crash.status.success(), "{at} should have crashed");
                // Run again (twice: a second run must change nothing).
                foi(dir.path(), Some(&db), &["send", "--no-pacing"]);
                foi(dir.path(), Some(&db), &["send", "--no-pacing"]);
                mail.wait_queue_empty(Duration::from_secs(30)).await;
                let refs = references(dir.path(), &db);
                let held = foi(dir.path(), Some(&db), &["round", "show", "cpc", "--json"]).ok().json();
                let mut held_count = 0;
                for (code, _, state) in &refs {
                    let i: usize = code[1..].parse().unwrap();
                    let got = mail.fetch_all(&body_address(&prefix, i), "INBOX").await;
                    assert!(got.len() <= 1, "{at}: {code} received {} copies", got.len());
                    match state.as_str() {
                        "sent" => assert_eq!(got.len(), 1, "{at}: {code} is sent but did not arrive"),
                        "queued" => held_count += 1,
                        other => panic!("{at}: {code} ended {other}: {held}"),
                    }
                }
                // Exactly one message was in flight when the process died: it is held.
                assert_eq!(held_count, 1, "{at}: {refs:?}");
                guard.remove().await;
            }
        }
    }
}

#[tokio::test]
async fn chasers_go_only_to_overdue_requests_threaded_to_the_original() {
    let mail = MailServers::start().await;
    for (backend, db, guard) in each_backend_url().await {
        // Each backend's bodies have their own addresses on the shared server.
        let prefix = format!("chase-{backend:?}").to_ascii_lowercase();
        let dir = workspace(Some((mail.smtp_port(), "none")));
        round_of(dir.path(), &db, 4, &prefix);
        foi(dir.path(), Some(&db), &["--today", "2026-11-02", "send", "--no-pacing"]).ok();
        let refs = references(dir.path(), &db);
        let reference = |code: &str| refs.iter().find(|(c, _, _)| c == code).unwrap().1.clone();
        foi(
            dir.path(),
            Some(&db),
            &["request", "move", &reference("B002"), "answered_full", "--reason", "answer received by post"],
        )
        .ok();
        foi(
            dir.path(),
            Some(&db),
            &[
                "--today",
                "2026-11-20",
                "request",
                "move",
                &reference("B003"),
                "clarification_requested",
                "--reason",
                "they asked which years",
            ],
        )
        .ok();

        // Not yet overdue: the due date (20 working days after Mon 2 Nov 2026, skipping
        // St Andrew's Day on Mon 30 Nov) is Tue 1 Dec.
        let early =
            foi(dir.path(), Some(&db), &["--today", "2026-12-01", "chase", "--no-pacing", "--json"]).ok().json();
        assert_eq!(early["sent"].as_array().unwrap().len(), 0, "{backend:?}: {early}");
        let run = foi(dir.path(), Some(&db), &["--today", "2026-12-10", "chase", "--no-pacing", "--json"]).ok();
        let chased: Vec<String> = run.json()["sent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["reference"].as_str().unwrap().to_string())
            .collect();
        let mut expected = vec![reference("B001"), reference("B004")];
        expected.sort();
        let mut got = chased.clone();
        got.sort();
        assert_eq!(got, expected, "{backend:?}: only the overdue requests that still await the body: {}", run.stderr);
        let inbox = mail.wait_for(&body_address(&prefix, 1), "INBOX", 2, Duration::from_secs(30)).await;
        assert_eq!(inbox.len(), 2, "{backend:?}");
        let chaser = unfold(&inbox[1]);
        let r1 = reference("B001");
        assert!(chaser.contains(&format!("In-Reply-To: <{r1}.request.0@charity.example>")), "{chaser}");
        assert!(chaser.contains(&format!("Message-ID: <{r1}.chaser.1@charity.example>")), "{chaser}");
        assert!(chaser.contains(&format!("[FOI ref {r1}]")), "{chaser}");
        assert!(chaser.contains("Subject: Re: "), "{chaser}");
        // Chasing again the same week sends nothing (5 working days between chasers).
        let again =
            foi(dir.path(), Some(&db), &["--today", "2026-12-11", "chase", "--no-pacing", "--json"]).ok().json();
        assert_eq!(again["sent"].as_array().unwrap().len(), 0, "{backend:?}");
        // Nothing reached the answered or the paused request.
        assert_eq!(mail.fetch_all(&body_address(&prefix, 2), "INBOX").await.len(), 1, "{backend:?}");
        assert_eq!(mail.fetch_all(&body_address(&prefix, 3), "INBOX").await.len(), 1, "{backend:?}");

        // The officer's clarification restarts the clock: due 20 working days after Thu 3 Dec 2026
        // (Christmas Day, Boxing Day (Mon 28 Dec substitute), 1 Jan and 4 Jan 2027 (Scotland)
        // skipped): Wed 6 Jan 2027.
        foi(
            dir.path(),
            Some(&db),
            &[
                "--today",
                "2026-12-03",
                "request",
                "clarify",
                &reference("B003"),
                "--text",
                "The years 2024-25 and 2025-26.",
            ],
        )
        .ok();
        let shown =
            foi(dir.path(), Some(&db), &["--today", "2026-12-03", "request", "show", &reference("B003"), "--json"])
                .ok()
                .json();
        assert_eq!(shown["request"]["state"], "clarification_provided", "{backend:?}");
        assert_eq!(shown["status"]["due"], "2027-01-06", "{backend:?}");
        let clar = mail.wait_for(&body_address(&prefix, 3), "INBOX", 2, Duration::from_secs(30)).await;
        assert!(String::from_utf8_lossy(&clar[1]).contains("2024-25 and 2025-26"), "{backend:?}");
        guard.remove().await;
    }
}

#[tokio::test]
async fn with_an_imap_sent_folder_a_crash_after_the_server_accepted_is_reconciled() {
    let mail = MailServers::start().await;
    for (point, reconciled) in [("before_commit", true), ("after_smtp", false)] {
        for (backend, db, guard) in each_backend_url().await {
            let prefix = format!("imap-{backend:?}-{point}").to_ascii_lowercase();
            let dir = workspace(Some((mail.smtp_port(), "none")));
            with_imap(dir.path(), mail.imap_port());
            round_of(dir.path(), &db, 5, &prefix);
            let crash = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
                .current_dir(dir.path())
                .env("FOI_DATABASE_URL", &db)
                .env("FOI_FAULT_INJECT", format!("{point}:3"))
                .args(["send", "--no-pacing"])
                .output()
                .unwrap();
            assert!(!crash.status.success(), "{backend:?} {point} should have crashed");
            let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]);
            let s = run.json();
            assert_eq!(
                s["reconciled"].as_array().unwrap().len(),
                usize::from(reconciled),
                "{backend:?} {point}: {}",
                run.stdout
            );
            assert_eq!(
                s["held"].as_array().unwrap().len(),
                usize::from(!reconciled),
                "{backend:?} {point}: {}",
                run.stdout
            );
            mail.wait_queue_empty(Duration::from_secs(30)).await;
            for i in 1..=5 {
                assert_eq!(
                    mail.fetch_all(&body_address(&prefix, i), "INBOX").await.len(),
                    1,
                    "{backend:?} {point}: body {i}"
                );
            }
            let sent_copies = mail.fetch_all("campaigns@charity.example", "Sent").await;
            let ours =
                sent_copies.iter().filter(|m| String::from_utf8_lossy(m).contains(&format!("To: {prefix}-"))).count();
            assert_eq!(ours, if reconciled { 5 } else { 4 }, "{backend:?} {point}: copies in the Sent folder");
            guard.remove().await;
        }
    }
}

/// A working folder sending through `host:port` with `security`, trusting `ca_file` (the
/// `[smtp] ca_file` option) when given.
fn tls_workspace(port: u16, security: &str, host: &str, ca_file: Option<&std::path::Path>) -> tempfile::TempDir {
    let dir = workspace(Some((port, security)));
    let path = dir.path().join("foi.toml");
    let mut toml =
        std::fs::read_to_string(&path).unwrap().replace("host = \"127.0.0.1\"", &format!("host = \"{host}\""));
    if let Some(f) = ca_file {
        // The [smtp] section is the last one.
        toml.push_str(&format!("ca_file = \"{}\"\n", f.display()));
    }
    std::fs::write(path, toml).unwrap();
    dir
}

/// STARTTLS on Postfix's submission port (which refuses MAIL before STARTTLS) and TLS from
/// the first byte on its SMTPS port, the server's certificate signed by a test CA named in
/// `[smtp] ca_file`: every request arrives once, and Postfix's Received header shows TLS.
#[tokio::test]
async fn requests_go_over_starttls_and_implicit_tls_trusting_the_test_ca() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1", "localhost"])).await;
    let ca_file = mail.dir().join("trusted-ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    for (security, port, host) in
        [("starttls", mail.submission_port(), "127.0.0.1"), ("tls", mail.smtps_port(), "localhost")]
    {
        for (backend, db, guard) in each_backend_url().await {
            let at = format!("{backend:?} {security}");
            let prefix = format!("{security}-{backend:?}").to_ascii_lowercase();
            let dir = tls_workspace(port, security, host, Some(&ca_file));
            round_of(dir.path(), &db, 2, &prefix);
            let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]).ok();
            assert_eq!(run.json()["sent"].as_array().unwrap().len(), 2, "{at}: {}", run.stdout);
            for i in 1..=2 {
                let got = mail.wait_for(&body_address(&prefix, i), "INBOX", 1, Duration::from_secs(30)).await;
                assert_eq!(got.len(), 1, "{at}: body {i}");
                let headers = unfold(&got[0]);
                assert!(
                    headers.contains("(using TLSv1.") && headers.contains("with ESMTPS"),
                    "{at}: not over TLS: {headers}"
                );
            }
            assert!(references(dir.path(), &db).iter().all(|(_, _, state)| state == "sent"), "{at}");
            guard.remove().await;
        }
    }
}

/// A server certificate signed by a CA foi does not trust (none named in `ca_file`, or
/// another CA) or made for another host name: `foi send` stops with an error saying why
/// before it takes any message from the queue. Nothing is sent, every request stays queued,
/// and once the right CA is named the same requests go, each exactly once.
#[tokio::test]
async fn a_refused_certificate_stops_the_send_and_nothing_is_sent() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1", "localhost"])).await;
    // Signed by the trusted CA, but for another name.
    let elsewhere = MailServers::start_tls(&ca.server_cert(&["mail.elsewhere.example"])).await;
    let trusted = mail.dir().join("trusted-ca.pem");
    std::fs::write(&trusted, ca.cert_pem()).unwrap();
    let other = mail.dir().join("other-ca.pem");
    std::fs::write(&other, TestCa::new("another CA").cert_pem()).unwrap();
    let untrusted = "not signed by a certificate authority foi trusts";
    let misnamed = "not valid for the host name \"127.0.0.1\"";
    let cases = [
        ("untrusted-starttls", &mail, "starttls", mail.submission_port(), None, untrusted),
        ("other-ca-tls", &mail, "tls", mail.smtps_port(), Some(&other), untrusted),
        ("misnamed-starttls", &elsewhere, "starttls", elsewhere.submission_port(), Some(&trusted), misnamed),
        ("misnamed-tls", &elsewhere, "tls", elsewhere.smtps_port(), Some(&trusted), misnamed),
    ];
    for (case, server, security, port, ca_file, why) in cases {
        for (backend, db, guard) in each_backend_url().await {
            let at = format!("{backend:?} {case}");
            let prefix = format!("{case}-{backend:?}").to_ascii_lowercase();
            let dir = tls_workspace(port, security, "127.0.0.1", ca_file.map(|p| p.as_path()));
            round_of(dir.path(), &db, 2, &prefix);
            let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]);
            assert_ne!(run.code, 0, "{at}: the send must fail: {}", run.stdout);
            assert!(run.stderr.contains("the server's TLS certificate was refused"), "{at}: {}", run.stderr);
            assert!(run.stderr.contains(why) && run.stderr.contains("nothing was sent"), "{at}: {}", run.stderr);
            let refs = references(dir.path(), &db);
            assert_eq!(refs.len(), 2, "{at}");
            assert!(refs.iter().all(|(_, _, state)| state == "queued"), "{at}: {refs:?}");
            server.wait_queue_empty(Duration::from_secs(30)).await;
            for i in 1..=2 {
                assert!(server.fetch_all(&body_address(&prefix, i), "INBOX").await.is_empty(), "{at}: body {i}");
            }
            if std::ptr::eq(server, &mail) {
                // Trust the right CA: the queue was left as it was, and each request goes once.
                let dir = tls_workspace(port, security, "127.0.0.1", Some(&trusted));
                let run = foi(dir.path(), Some(&db), &["send", "--no-pacing", "--json"]).ok();
                assert_eq!(run.json()["sent"].as_array().unwrap().len(), 2, "{at}: {}", run.stdout);
                for i in 1..=2 {
                    let got = mail.wait_for(&body_address(&prefix, i), "INBOX", 1, Duration::from_secs(30)).await;
                    assert_eq!(got.len(), 1, "{at}: body {i}");
                }
            }
            guard.remove().await;
        }
    }
}
