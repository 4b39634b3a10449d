//! Benchmark: render + send + record N requests through a local Postfix (pacing off), with
//! messages per second and peak memory. `cargo bench -p foi-mailer --bench send` runs 1,000;
//! under `cargo test` it runs a 20-message smoke test.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use foi_core::{Actor, Codebook, registry};
use foi_mailer::outbox::{self, NoSentFolder, SendOptions};
use foi_mailer::round::{self, Writer};
use foi_mailer::transport::SmtpClient;
use foi_mailer::{Pacing, Security, Sender, SmtpSettings, TemplateSet, Transport};
use foi_store::{NewRound, Store};
use foi_testkit::{MailServers, peak_rss_mb};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = if full { 1000 } else { 20 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mail = MailServers::start().await;
    // Measure foi and Postfix's acceptance, not Dovecot's deliveries competing for the same two
    // cores: Postfix keeps the accepted messages queued.
    let postfix_dir = mail.dir().join("postfix");
    let postfix_dir = postfix_dir.to_str().unwrap();
    for args in [
        vec!["postconf", "-c", postfix_dir, "-e", "defer_transports=lmtp"],
        vec!["postfix", "-c", postfix_dir, "reload"],
    ] {
        let ok =
            std::process::Command::new(args[0]).args(&args[1..]).output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "{args:?} failed");
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("bench.db").display())).await.unwrap();
    let mut csv = String::from("code,name,kind,foi_email\n");
    for i in 0..n {
        let kind = if i % 2 == 0 { "icb" } else { "unitary" };
        csv.push_str(&format!("X{i:04},Bench Body {i},{kind},foi-{i}@bench{}.example\n", i % 10));
    }
    let rows = registry::read_bodies(csv.as_bytes(), None);
    store.import_bodies(&rows.rows, "bench", false).await.unwrap();
    let codebook_text = std::fs::read_to_string(root.join("data/codebooks/childrens-palliative-care.toml")).unwrap();
    let sender = Sender {
        name: "Bench".into(),
        email: "bench@charity.example".into(),
        reply_local: "foi".into(),
        reply_domain: "charity.example".into(),
    };
    let r = store
        .create_round(&NewRound {
            slug: "bench".into(),
            name: "Benchmark round".into(),
            codebook_name: "childrens-palliative-care".into(),
            codebook: codebook_text.clone(),
            template_set: "childrens-palliative-care".into(),
            sender_name: sender.name.clone(),
            sender_email: sender.email.clone(),
            reply_domain: Some("charity.example".into()),
            launch_date: None,
        })
        .await
        .unwrap();
    let codes: Vec<String> =
        store.list_bodies(&Default::default()).await.unwrap().into_iter().map(|b| b.code).collect();
    let actor = Actor::System("bench".into());
    round::add_bodies(&store, "bench", &codes, &actor).await.unwrap();
    let set = TemplateSet::load(&root.join("templates/childrens-palliative-care")).unwrap();
    let cb = Codebook::from_toml(&codebook_text).unwrap();
    let today = chrono::Local::now().date_naive();
    let w = Writer { round: &r, templates: &set, codebook: &cb, sender: &sender, today };
    let file_only = std::env::var("BENCH_TRANSPORT").is_ok_and(|v| v == "file");
    let mut transport = if file_only {
        Transport::File(foi_mailer::transport::FileOutbox::new(&dir.path().join("outbox")).unwrap())
    } else {
        Transport::Smtp(Box::new(SmtpClient::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(mail.smtp_port()),
            security: Security::None,
            username: None,
            password: None,
            timeout: Duration::from_secs(30),
        })))
    };
    let opts = SendOptions {
        round: Some("bench".into()),
        pacing: Pacing::OFF,
        max_attempts: 3,
        retry_after: Duration::from_secs(60),
        today,
        connections: std::env::var("BENCH_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(8),
        actor: actor.clone(),
    };

    let start = Instant::now();
    let prepared = round::prepare(&store, &w, None).await.unwrap();
    round::queue(&store, &prepared.ready, &actor, today).await.unwrap();
    let rendered = start.elapsed();
    let summary = outbox::send(&store, &mut transport, &mut NoSentFolder, &opts, |_, _, _| {}).await.unwrap();
    let total = start.elapsed();
    assert_eq!(
        summary.sent.len(),
        n,
        "every message was accepted: {:?}",
        summary.failed.first().or(summary.held.first())
    );
    println!("send benchmark: {n} requests rendered, queued, sent through Postfix and recorded (SQLite, pacing off)");
    println!(
        "  render + compose + queue  {:>8.2} s  {:>8.0} messages/s",
        rendered.as_secs_f64(),
        n as f64 / rendered.as_secs_f64()
    );
    println!(
        "  send + record             {:>8.2} s  {:>8.0} messages/s",
        (total - rendered).as_secs_f64(),
        n as f64 / (total - rendered).as_secs_f64()
    );
    println!(
        "  whole                     {:>8.2} s  {:>8.0} messages/s",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
    println!("  peak memory (VmHWM)       {:>8.1} MB", peak_rss_mb());
    transport.close().await;
}
