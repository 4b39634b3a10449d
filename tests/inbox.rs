//! `foi inbox sync` end to end: a round sent through Postfix, the bodies' replies delivered
//! into Dovecot, synced over IMAP, matched and classified; a second sync adds nothing. Over
//! STARTTLS and implicit TLS with a test CA, and nothing read when a certificate is refused.

use std::time::Duration;

use foi_testkit::{MailServers, TestCa};

use crate::util::{bodies_csv, body_address, foi, with_imap_user, workspace, xlsx};

fn reply(from: &str, to: &str, subject: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 17 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{}@body.example>\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.bytes().chain(body.bytes()).fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    )
    .into_bytes()
}

fn with_pdf(from: &str, to: &str, subject: &str, body: &str, pdf: &[u8]) -> Vec<u8> {
    with_attachments(from, to, subject, body, &[("response.pdf", "application/pdf", pdf)])
}

fn base64(bytes: &[u8]) -> String {
    let mut b64 = String::new();
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (i, c) in bytes.chunks(3).enumerate() {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() { b64.push(T[((n >> (18 - 6 * k)) & 63) as usize] as char) } else { b64.push('=') }
        }
        if i % 19 == 18 {
            b64.push_str("\r\n");
        }
    }
    b64
}

/// A reply with a text part and attachments (name, content type, bytes).
fn with_attachments(from: &str, to: &str, subject: &str, body: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Wed, 18 Nov 2026 10:00:00 +0000\r\nMessage-ID: <answer-{}-{}@body.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.len(),
        files.len()
    );
    for (name, ct, bytes) in files {
        m.push_str(&format!(
            "--b1\r\nContent-Type: {ct}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(bytes)
        ));
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

#[tokio::test]
async fn replies_are_synced_matched_and_classified_once() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        // Fresh servers for each backend: the test counts everything in the shared mailbox.
        let mail = MailServers::start().await;
        let dir = workspace(Some((mail.smtp_port(), "none")));
        with_imap_user(dir.path(), mail.imap_port(), "foi@charity.example");
        let csv = bodies_csv(dir.path(), 7, "in");
        foi(dir.path(), Some(&db), &["bodies", "import", &csv]).ok();
        foi(dir.path(), Some(&db), &["round", "new", "cpc", "--name", "CPC 2026", "--launch", "2026-11-02"]).ok();
        foi(dir.path(), Some(&db), &["round", "add-bodies", "cpc", "--all-current"]).ok();
        foi(dir.path(), Some(&db), &["--today", "2026-11-02", "send", "--no-pacing"]).ok();
        let status = foi(dir.path(), Some(&db), &["round", "status", "cpc", "--format", "json"]).ok().json();
        let r = |code: &str| -> String {
            status.as_array().unwrap().iter().find(|s| s["body_code"] == code).unwrap()["reference"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let box_to = |code: &str| format!("foi+{}@charity.example", r(code));
        let tag = |code: &str| format!("[FOI ref {}]", r(code));
        let sheet =
            xlsx(&[&["Service", "Commissioned"], &["Community children's nursing", "Yes"], &["Out of hours", "No"]]);
        let pdf =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/childrens-palliative-care/definitions.pdf"))
                .unwrap();

        let bounce = format!(
            "From: Mail Delivery System <MAILER-DAEMON@shared2.example>\r\nTo: foi@charity.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
             Date: Mon, 02 Nov 2026 10:05:00 +0000\r\nMessage-ID: <bounce-1@shared2.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n\r\n\
             --r1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\
             --r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.shared2.example\r\n\r\n\
             Final-Recipient: rfc822; {addr}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\
             --r1\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{r2}.request.0@charity.example>\r\nSubject: Freedom of Information request: CPC 2026 {tag2}\r\n--r1--\r\n",
            addr = body_address("in", 2),
            r2 = r("B002"),
            tag2 = tag("B002"),
        );
        let replies: Vec<(&str, Vec<u8>)> = vec![
            ("bounce", bounce.into_bytes()),
            (
                "ack",
                reply(
                    &body_address("in", 1),
                    &box_to("B001"),
                    &format!("Acknowledgement {}", tag("B001")),
                    "Auto-Submitted: auto-replied\r\n",
                    "Thank you for your request for information, which we received on 2 November 2026. Our ref: FOI 26-1001.\r\nWe will respond within 20 working days.",
                ),
            ),
            (
                "ooo",
                reply(
                    &body_address("in", 3),
                    &box_to("B003"),
                    &format!("Automatic reply: Freedom of Information request {}", tag("B003")),
                    "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n",
                    "I am out of the office until Monday with no access to email.",
                ),
            ),
            (
                "answer",
                with_attachments(
                    &body_address("in", 4),
                    &box_to("B004"),
                    &format!("RE: Freedom of Information request {}", tag("B004")),
                    "Please find attached our response to your request for information.",
                    &[
                        ("response.pdf", "application/pdf", &pdf),
                        ("services.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &sheet),
                    ],
                ),
            ),
            (
                "refusal",
                reply(
                    &body_address("in", 5),
                    &box_to("B005"),
                    &format!("FOI response {}", tag("B005")),
                    "",
                    "We estimate that the cost of complying with your request would exceed the appropriate limit under section 12 of the Freedom of Information Act. We are therefore refusing your request.",
                ),
            ),
            (
                "stripped",
                reply(
                    &body_address("in", 6),
                    &box_to("B006"),
                    "RE: Your request",
                    "",
                    "We do not hold the information you requested.",
                ),
            ),
            (
                "nhs.net",
                reply(
                    "icb.foi@nhs.net",
                    "foi@charity.example",
                    "Information request reply",
                    &format!("In-Reply-To: <{}.request.0@charity.example>\r\n", r("B007")),
                    "In response to your request, I can confirm that the answers to your questions are below.",
                ),
            ),
            (
                "unknown nhs.net",
                reply(
                    "someone@nhs.net",
                    "foi@charity.example",
                    "Question",
                    "",
                    "Could you tell us more about your charity?",
                ),
            ),
        ];
        for (_, raw) in &replies {
            mail.deliver("sender@body.example", "foi@charity.example", raw).await;
        }
        mail.wait_for("foi@charity.example", "INBOX", replies.len(), Duration::from_secs(30)).await;

        let first = foi(dir.path(), Some(&db), &["inbox", "sync", "--json"]).ok().json();
        assert_eq!(first["added"], replies.len(), "{backend:?}: {first}");
        let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
        let msgs = list.as_array().unwrap();
        let by_subject =
            |needle: &str| msgs.iter().find(|m| m["subject"].as_str().unwrap_or("").contains(needle)).unwrap().clone();
        let check = |needle: &str, class: &str, request: Option<String>, method: Option<&str>| {
            let m = by_subject(needle);
            assert_eq!(m["class"], class, "{backend:?} {needle}: {m}");
            assert_eq!(m["request"].as_str().map(str::to_string), request, "{backend:?} {needle}: {m}");
            if let Some(method) = method {
                assert_eq!(m["match_method"], method, "{backend:?} {needle}: {m}");
            }
        };
        check("Acknowledgement", "acknowledgement", Some(r("B001")), Some("reply_address"));
        check("Automatic reply", "auto_reply", Some(r("B003")), None);
        check("Undelivered Mail", "bounce", Some(r("B002")), None);
        let b = by_subject("Undelivered Mail");
        assert_eq!(
            b["bounce"],
            serde_json::json!({"permanent": true, "address": body_address("in", 2)}),
            "{backend:?}: {b}"
        );
        check("RE: Freedom", "answer_full", Some(r("B004")), None);
        check("FOI response [", "refusal", Some(r("B005")), None);
        check("Your request", "not_held", Some(r("B006")), Some("reply_address"));
        check("Information request reply", "answer_full", Some(r("B007")), Some("in_reply_to"));
        check("Question", "unknown", None, None);
        let answer = by_subject("RE: Freedom");
        assert_eq!(answer["attachments"][0]["filename"], "response.pdf", "{backend:?}: {answer}");
        assert_eq!(answer["attachments"][0]["extraction"], "ok", "{backend:?}: {answer}");
        assert!(answer["attachments"][0]["text_chars"].as_u64().unwrap() > 100, "{backend:?}: {answer}");
        assert_eq!(answer["attachments"][1]["filename"], "services.xlsx", "{backend:?}: {answer}");
        assert_eq!(answer["attachments"][1]["extraction"], "ok", "{backend:?}: {answer}");
        let shown = foi(dir.path(), Some(&db), &["messages", "show", &answer["id"].to_string()]).ok().stdout;
        assert!(shown.contains("Community children's nursing\tYes"), "{backend:?}: {shown}");
        assert_eq!(by_subject("FOI response [")["exemptions"], serde_json::json!(["s12"]), "{backend:?}");

        let states = foi(dir.path(), Some(&db), &["round", "status", "cpc", "--format", "json"]).ok().json();
        let state = |code: &str| {
            states.as_array().unwrap().iter().find(|s| s["body_code"] == code).unwrap()["state"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(state("B001"), "acknowledged", "{backend:?}");
        assert_eq!(state("B002"), "delivery_failed", "{backend:?}");
        assert_eq!(state("B003"), "sent", "{backend:?}: an out-of-office moves nothing");
        assert_eq!(state("B004"), "answered_full", "{backend:?}");
        assert_eq!(state("B005"), "refused", "{backend:?}");
        assert_eq!(state("B006"), "not_held", "{backend:?}");
        // The unknown nhs.net message waits in triage; assigning it teaches nothing wrong.
        let triage = foi(dir.path(), Some(&db), &["triage", "list", "--json"]).ok().json();
        assert_eq!(triage.as_array().unwrap().len(), 1, "{backend:?}: {triage}");

        // A second sync adds nothing.
        let second = foi(dir.path(), Some(&db), &["inbox", "sync", "--json"]).ok().json();
        assert_eq!(second["added"], 0, "{backend:?}: {second}");
        // Importing the same messages from files adds nothing either.
        let files = mail.fetch_all("foi@charity.example", "INBOX").await;
        for (i, raw) in files.iter().enumerate() {
            std::fs::write(dir.path().join(format!("m{i}.eml")), raw).unwrap();
        }
        let again =
            foi(dir.path(), Some(&db), &["inbox", "import", dir.path().to_str().unwrap(), "--json"]).ok().json();
        assert_eq!(again["added"], 0, "{backend:?}: {again}");
        guard.remove().await;
    }
}

#[tokio::test]
async fn a_sync_killed_mid_way_loses_and_duplicates_nothing() {
    let mail = MailServers::start().await;
    // 120 messages: three chunks of 50, each ingested as one batch and then remembered. The
    // crash comes while the second chunk is written: before it is stored, or stored but not
    // committed.
    const N: usize = 120;
    for (point, hit) in [("ingest_before_store", 2), ("ingest_after_store", 2)] {
        for (backend, db, guard) in foi_store::testing::each_backend_url().await {
            let user = format!("{backend:?}-{point}@charity.example").to_ascii_lowercase();
            let dir = workspace(None);
            with_imap_user(dir.path(), mail.imap_port(), &user);
            for i in 0..N {
                let raw = reply(
                    "someone@council.example",
                    &user,
                    &format!("Reply number {i:03}"),
                    "",
                    "We do not hold the information.",
                );
                mail.append(&user, "INBOX", &raw).await;
            }
            let crash = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
                .current_dir(dir.path())
                .env("FOI_DATABASE_URL", &db)
                .env("FOI_FAULT_INJECT", format!("{point}:{hit}"))
                .args(["inbox", "sync"])
                .output()
                .unwrap();
            assert!(!crash.status.success(), "{backend:?} {point} should have crashed");
            let kept = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
            assert_eq!(
                kept.as_array().unwrap().len(),
                50,
                "{backend:?} {point}: the first chunk was committed, the second not"
            );
            foi(dir.path(), Some(&db), &["inbox", "sync"]).ok();
            foi(dir.path(), Some(&db), &["inbox", "sync"]).ok();
            let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
            let mut subjects: Vec<String> =
                list.as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect();
            subjects.sort();
            let expected: Vec<String> = (0..N).map(|i| format!("Reply number {i:03}")).collect();
            assert_eq!(subjects, expected, "{backend:?} {point}: every message exactly once");
            guard.remove().await;
        }
    }
}

/// `foi inbox sync --watch` stays connected and waits in IMAP IDLE: with polling set to an
/// hour, a reply delivered after the first sync is ingested within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_ingests_new_mail_as_it_arrives() {
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mail = MailServers::start().await;
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let user = &format!("watch-{backend:?}@charity.example").to_ascii_lowercase();
        let dir = workspace(None);
        with_imap_user(dir.path(), mail.imap_port(), user);
        let first = reply("a@council.example", user, "Before the watch", "", "We do not hold the information.");
        mail.append(user, "INBOX", &first).await;
        let watch = Kill(
            std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
                .current_dir(dir.path())
                .env("FOI_DATABASE_URL", &db)
                .args(["inbox", "sync", "--watch", "--interval", "3600", "--json"])
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("watch.log")).unwrap())
                .spawn()
                .unwrap(),
        );
        let subjects = || -> Vec<String> {
            let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
            list.as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap_or("").to_string()).collect()
        };
        let wait_for = |n: usize| {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                let s = subjects();
                if s.len() >= n || std::time::Instant::now() > deadline {
                    return s;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        };
        let log = || std::fs::read_to_string(dir.path().join("watch.log")).unwrap_or_default();
        assert_eq!(wait_for(1), vec!["Before the watch"], "{backend:?}: {}", log());
        // Give the watch a moment to enter IDLE, then deliver through Postfix.
        std::thread::sleep(Duration::from_secs(1));
        let second = reply("b@council.example", user, "While watching", "", "We do not hold the information.");
        mail.deliver("b@council.example", user, &second).await;
        let s = wait_for(2);
        assert_eq!(s.len(), 2, "{backend:?}: the watch ingested the new reply: {s:?}\n{}", log());
        assert!(s.contains(&"While watching".to_string()), "{backend:?}: {s:?}");
        drop(watch);
        guard.remove().await;
    }
}

#[tokio::test]
async fn a_pdf_the_extractor_cannot_read_is_recorded_and_the_batch_completes() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        let mut corrupt = b"%PDF-1.7\n".to_vec();
        corrupt.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        std::fs::write(
            dir.path().join("a.eml"),
            reply("a@x.example", "foi@charity.example", "First", "", "We do not hold the information."),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.eml"),
            with_pdf("b@x.example", "foi@charity.example", "Broken PDF", "See attached.", &corrupt),
        )
        .unwrap();
        std::fs::write(dir.path().join("c.eml"), b"\xff\xfe not a message at all \x00\x01").unwrap();
        let run = foi(dir.path(), Some(&db), &["inbox", "import", dir.path().to_str().unwrap(), "--json"]).ok().json();
        assert_eq!(run["added"], 3, "{backend:?}: {run}");
        let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
        let broken = list.as_array().unwrap().iter().find(|m| m["subject"] == "Broken PDF").unwrap();
        let att = &broken["attachments"][0];
        assert_eq!(att["extraction"], "failed", "{backend:?}: {att}");
        assert!(att["extraction_error"].as_str().unwrap().starts_with("could not extract: "), "{backend:?}: {att}");
        assert_eq!(list.as_array().unwrap().len(), 3, "{backend:?}");
        guard.remove().await;
    }
}

/// A request Postfix accepts and then cannot deliver: Postfix's own bounce (its delivery
/// status notification, the original attached) comes back to foi's mailbox. foi matches it to
/// the request by what it finds in the attached original, moves the request to
/// delivery_failed, and never chases it; on SQLite and PostgreSQL.
#[tokio::test]
async fn a_real_postfix_bounce_is_matched_and_never_chased() {
    let mail = MailServers::start().await;
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(Some((mail.smtp_port(), "none")));
        // The sender's own mailbox receives the bounce.
        let sender = format!("campaigns-{backend:?}@charity.example").to_ascii_lowercase();
        let toml = std::fs::read_to_string(dir.path().join("foi.toml")).unwrap();
        std::fs::write(dir.path().join("foi.toml"), toml.replace("campaigns@charity.example", &sender)).unwrap();
        with_imap_user(dir.path(), mail.imap_port(), &sender);
        let csv = format!(
            "code,name,kind,region,foi_email\nK01,Bouncing Council,unitary,Test Region,foi@{}\nK02,Working Council,unitary,Test Region,foi-{backend:?}@k02.example\n",
            foi_testkit::BOUNCE_DOMAIN
        );
        std::fs::write(dir.path().join("bodies.csv"), csv).unwrap();
        foi(dir.path(), Some(&db), &["bodies", "import", "bodies.csv"]).ok();
        foi(dir.path(), Some(&db), &["round", "new", "b", "--name", "Bounce 2026", "--launch", "2026-09-01"]).ok();
        foi(dir.path(), Some(&db), &["round", "add-bodies", "b", "--all-current"]).ok();
        foi(dir.path(), Some(&db), &["--today", "2026-09-01", "send", "--no-pacing"]).ok();
        let bounced = mail.wait_for(&sender, "INBOX", 1, Duration::from_secs(30)).await;
        let dsn = String::from_utf8_lossy(&bounced[0]).to_string();
        assert!(dsn.contains("multipart/report") && dsn.contains("message/delivery-status"), "{backend:?}: {dsn}");

        let out = foi(dir.path(), Some(&db), &["inbox", "sync", "--json"]).ok().json();
        assert_eq!(out["added"], 1, "{backend:?}: {out}");
        assert_eq!(out["matched"], 1, "{backend:?}: {out}");
        let m = &out["messages"][0];
        assert_eq!(m["class"], "bounce", "{backend:?}: {m}");
        assert_eq!(m["matched"]["method"], "attached_original", "{backend:?}: {m}");
        assert_eq!(m["moved_to"], "delivery_failed", "{backend:?}: {m}");

        // Weeks later the officer chases: the bounced request is not among them.
        let chase = foi(dir.path(), Some(&db), &["--today", "2026-10-20", "chase", "--dry-run"]).ok();
        assert!(chase.stdout.contains("1 chasers would be sent"), "{backend:?}: {}", chase.stdout);
        assert!(chase.stderr.contains("K02 ") && !chase.stderr.contains("K01 "), "{backend:?}: {}", chase.stderr);
        guard.remove().await;
    }
}

/// The rules are read at run time: a rules file with a mistake is refused naming its line,
/// `foi config show` says which file is used, and `foi inbox evaluate` measures a labelled set.
#[tokio::test]
async fn rules_are_read_at_run_time_and_measured() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        std::fs::write(
            dir.path().join("mine.toml"),
            "[[rule]]\nid = \"fine\"\nclass = \"not_held\"\npattern = \"(?i)nicht vorhanden\"\n\n[[rule]]\nid = \"broken\"\nclass = \"refusal\"\npattern = \"(unclosed\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("reply.eml"), b"From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n").unwrap();
        let run = foi(dir.path(), Some(&db), &["inbox", "import", "reply.eml", "--rules", "mine.toml"]).fails();
        assert!(
            run.stderr.contains("mine.toml:9: rule broken: bad pattern regex: unclosed group"),
            "{backend:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{backend:?}: {}", run.stderr);
        // Nothing was imported.
        let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
        assert_eq!(list.as_array().map(Vec::len), Some(0), "{backend:?}");
        // Named in foi.toml.
        let toml = std::fs::read_to_string(dir.path().join("foi.toml")).unwrap();
        std::fs::write(dir.path().join("foi.toml"), format!("inbox_rules = \"mine.toml\"\n{toml}")).unwrap();
        let show = foi(dir.path(), Some(&db), &["config", "show"]).ok();
        assert!(show.stdout.contains("rules     mine.toml (configuration file)"), "{backend:?}: {}", show.stdout);
        foi(dir.path(), Some(&db), &["inbox", "import", "reply.eml"]).fails();

        // The labelled corpus, measured from the repository's folder.
        let root = env!("CARGO_MANIFEST_DIR");
        let out = foi(
            std::path::Path::new(root),
            Some(&db),
            &["inbox", "evaluate", "tests/replies/edge", "--json", "--min-agreement", "80"],
        )
        .ok()
        .json();
        assert!(out["replies"].as_u64().unwrap() >= 30, "{backend:?}: {out}");
        assert!(
            out["agreement"]["n"].as_u64().unwrap() * 10 >= out["agreement"]["of"].as_u64().unwrap() * 8,
            "{backend:?}: {out}"
        );
        let fail = foi(
            std::path::Path::new(root),
            Some(&db),
            &["inbox", "evaluate", "tests/replies/edge", "--min-agreement", "100.1"],
        );
        assert_eq!(fail.code, 1, "{backend:?}: {}", fail.stdout);
        let bad = foi(std::path::Path::new(root), Some(&db), &["inbox", "evaluate", "nowhere"]).fails();
        assert!(bad.stderr.contains("nowhere"), "{backend:?}: {}", bad.stderr);
        guard.remove().await;
    }
}

/// `foi inbox sync` over STARTTLS (IMAP port) and TLS from the first byte (IMAPS port), the
/// server's certificate signed by a test CA named in `[imap] ca_file`: the reply is synced and
/// Dovecot logged the login as made over TLS. A certificate from a CA foi does not trust
/// (none named, or another CA named) stops the sync with an error saying why, before LOGIN:
/// nothing is read, and Dovecot never saw the password.
#[tokio::test]
async fn inbox_sync_over_starttls_and_tls_and_a_refused_certificate() {
    let ca = TestCa::new("foi test CA");
    let mail = MailServers::start_tls(&ca.server_cert(&["127.0.0.1", "localhost"])).await;
    let trusted = mail.dir().join("trusted-ca.pem");
    std::fs::write(&trusted, ca.cert_pem()).unwrap();
    let other = mail.dir().join("other-ca.pem");
    std::fs::write(&other, TestCa::new("another CA").cert_pem()).unwrap();
    let cases = [
        ("starttls", "starttls", mail.imap_port(), "127.0.0.1", Some(&trusted), true),
        ("tls", "tls", mail.imaps_port(), "localhost", Some(&trusted), true),
        ("untrusted", "starttls", mail.imap_port(), "127.0.0.1", None, false),
        ("other-ca", "tls", mail.imaps_port(), "127.0.0.1", Some(&other), false),
    ];
    for (case, security, port, host, ca_file, trusted_server) in cases {
        for (backend, db, guard) in foi_store::testing::each_backend_url().await {
            let at = format!("{backend:?} {case}");
            let user = format!("tls-{case}-{backend:?}@charity.example").to_ascii_lowercase();
            let raw =
                reply("a@council.example", &user, &format!("Reply over {case}"), "", "We do not hold the information.");
            mail.append(&user, "INBOX", &raw).await;
            let dir = workspace(None);
            with_imap_user(dir.path(), mail.imap_port(), &user);
            let path = dir.path().join("foi.toml");
            let mut toml = std::fs::read_to_string(&path).unwrap().replace(
                &format!("host = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"", mail.imap_port()),
                &format!("host = \"{host}\"\nport = {port}\nsecurity = \"{security}\""),
            );
            assert!(toml.contains(&format!("security = \"{security}\"")), "{at}: {toml}");
            if let Some(f) = ca_file {
                // The [imap] section is the last one.
                toml.push_str(&format!("ca_file = \"{}\"\n", f.display()));
            }
            std::fs::write(&path, toml).unwrap();
            let logins = || -> Vec<String> {
                let needle = format!("Login: user=<{user}>");
                mail.dovecot_log().lines().filter(|l| l.contains(&needle)).map(str::to_string).collect()
            };
            // Dovecot logs each login, with "TLS" when made over TLS; the testkit's own APPEND
            // above logged in once in plain text. The log is written a moment after the login.
            let tls_logins = |wait: bool| -> Vec<String> {
                let deadline = std::time::Instant::now() + Duration::from_secs(if wait { 10 } else { 1 });
                loop {
                    let found: Vec<String> = logins().into_iter().filter(|l| l.contains(", TLS,")).collect();
                    if (wait && !found.is_empty()) || std::time::Instant::now() > deadline {
                        return found;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            };
            if trusted_server {
                let out = foi(dir.path(), Some(&db), &["inbox", "sync", "--json"]).ok().json();
                assert_eq!(out["added"], 1, "{at}: {out}");
                let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
                assert_eq!(list[0]["subject"], format!("Reply over {case}"), "{at}: {list}");
                let lines = tls_logins(true);
                assert_eq!(lines.len(), 1, "{at}: foi logged in once, over TLS: {:?}", logins());
            } else {
                let run = foi(dir.path(), Some(&db), &["inbox", "sync", "--json"]).fails();
                assert!(run.stderr.contains("the server's TLS certificate was refused"), "{at}: {}", run.stderr);
                assert!(
                    run.stderr.contains("not signed by a certificate authority foi trusts"),
                    "{at}: {}",
                    run.stderr
                );
                let list = foi(dir.path(), Some(&db), &["messages", "list", "--json"]).ok().json();
                assert_eq!(list.as_array().map(Vec::len), Some(0), "{at}: nothing was read: {list}");
                assert!(tls_logins(false).is_empty(), "{at}: no login reached the server: {:?}", logins());
                assert!(logins().len() <= 1, "{at}: only the testkit's own login: {:?}", logins());
            }
            guard.remove().await;
        }
    }
}
