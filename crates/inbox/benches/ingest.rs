//! Benchmark: import a Maildir of simulated replies (foi-simulate's seeded generator; 20%
//! carry a PDF letter or a spreadsheet) into SQLite, as `foi inbox import` does. Reports
//! messages per second for parse + match + classify + store (attachments kept, their text
//! not read), for attachment text extraction alone, and for the whole pipeline, each with
//! its process's peak memory; then runs the Python standard-library baselines
//! (`ingest_baseline.py`: the Maildir streamed, email + sqlite3, a commit every 200) on the
//! same Maildir: parse + store, and the whole pipeline (attachments' text too, `pdftotext`
//! for each PDF), so that each of foi's figures is set against one doing the same work.
//!
//! `cargo bench -p foi-inbox --bench ingest` imports 10,000 replies (`BENCH_REPLIES=N` for
//! another size); under `cargo test` it runs a 150-reply smoke test. Each measured run is a
//! child process of this one, so its peak memory is its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use foi_core::{Codebook, Named};
use foi_inbox::classify::Classifier;
use foi_inbox::extract::{Limits, extract_text};
use foi_inbox::{Ingestor, parse, sources};
use foi_simulate::{Launch, Maildir, Mix, Simulation};
use foi_store::Store;
use foi_testkit::peak_rss_mb;

// The allocator the foi binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A measured run, in a child process: prints `messages seconds peak_mb [attachments bytes]`.
async fn child(mode: &str, maildir: &Path, db: &Path) {
    let files = sources::files(&[maildir.to_path_buf()]).unwrap();
    let start = Instant::now();
    match mode {
        "extract" => {
            let limits = Limits::default();
            let (mut messages, mut attachments, mut bytes) = (0, 0, 0);
            for f in &files {
                let raw = std::fs::read(f).unwrap();
                let p = parse::parse(&raw);
                if p.attachments.is_empty() {
                    continue;
                }
                messages += 1;
                for a in &p.attachments {
                    let e = extract_text(a.filename.as_deref(), &a.content_type, &a.bytes, &limits).await;
                    assert!(e.text().is_some(), "{}: {:?}", f.display(), e.error());
                    attachments += 1;
                    bytes += a.bytes.len();
                }
            }
            println!("{messages} {:.3} {:.1} {attachments} {bytes}", start.elapsed().as_secs_f64(), peak_rss_mb());
        }
        _ => {
            let store = Store::connect(&format!("sqlite://{}", db.display())).await.unwrap();
            let limits = Limits { read_attachments: mode == "pipeline", ..Limits::default() };
            let ing = Ingestor { store: &store, classifier: Classifier::builtin(), limits, echo_texts: Vec::new() };
            let start = Instant::now();
            let items = files.iter().flat_map(|f| sources::read(f).unwrap()).map(|found| foi_inbox::ingest::Item {
                raw: found.raw,
                source: found.source,
                location: None,
            });
            let outcomes = ing.ingest_all(items, |_| {}).await.unwrap();
            for o in &outcomes {
                assert!(o.new && (o.matched.is_some() || o.class == "bounce"), "{o:?}");
            }
            let n = outcomes.len();
            println!("{n} {:.3} {:.1}", start.elapsed().as_secs_f64(), peak_rss_mb());
            store.close().await.unwrap();
        }
    }
}

fn run_child(mode: &str, maildir: &Path, db: &Path) -> Vec<f64> {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("BENCH_CHILD", mode)
        .env("BENCH_MAILDIR", maildir)
        .env("BENCH_DB", db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{mode} run failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout);
    let last = line.lines().last().unwrap_or("").to_string();
    last.split_whitespace().map(|v| v.parse().unwrap()).collect()
}

/// Sets up a round of simulated bodies sent through the file transport and fills a Maildir
/// with `target` of their replies. Returns (replies, with attachment).
async fn set_up(dir: &Path, target: usize) -> (usize, usize) {
    let db = dir.join("setup.db");
    let store = Store::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    // About 1.4 replies per request with this mix; make enough requests.
    let bodies = foi_simulate::synthetic_bodies(target * 3 / 4 + 20);
    store.import_bodies(&bodies, "bench", false).await.unwrap();
    let codes: Vec<String> = bodies.iter().map(|b| b.body.code.clone()).collect();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let launch = Launch::shipped(&root(), "bench", "Benchmark round", on);
    foi_simulate::launch_round(&store, &launch, &codes, &dir.join("outbox")).await.unwrap();
    let sent = foi_simulate::sent_requests(&store, "bench").await.unwrap();
    let codebook = Codebook::from_toml(&std::fs::read_to_string(&launch.codebook).unwrap()).unwrap();
    // No clarifications or lost references: every reply is matched without an officer.
    let mix = Mix { attachments: 0.41, clarification: 0.0, lost_reference: 0.0, ..Mix::default() };
    let sim = Simulation::new(2026, mix, &codebook).unwrap();
    let mut maildir = Maildir::create(&dir.join("Maildir")).unwrap();
    let (mut n, mut attached) = (0, 0);
    let mut classes: Vec<(&'static str, usize)> = Vec::new();
    'requests: for s in &sent {
        for r in sim.replies(s) {
            if n == target {
                break 'requests;
            }
            maildir.deliver(&r.raw, r.at).unwrap();
            n += 1;
            attached += usize::from(r.expected.attachment.is_some());
            let name = r.expected.class.name();
            match classes.iter_mut().find(|(c, _)| *c == name) {
                Some((_, k)) => *k += 1,
                None => classes.push((name, 1)),
            }
        }
    }
    assert_eq!(n, target, "not enough requests for {target} replies");
    store.close().await.unwrap();
    let mix: Vec<String> = classes.iter().map(|(c, k)| format!("{c} {k}")).collect();
    eprintln!("  replies: {}", mix.join(", "));
    (n, attached)
}

#[tokio::main]
async fn main() {
    if let Ok(mode) = std::env::var("BENCH_CHILD") {
        let maildir = PathBuf::from(std::env::var("BENCH_MAILDIR").unwrap());
        let db = PathBuf::from(std::env::var("BENCH_DB").unwrap());
        child(&mode, &maildir, &db).await;
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let target: usize =
        std::env::var("BENCH_REPLIES").ok().and_then(|v| v.parse().ok()).unwrap_or(if full { 10_000 } else { 150 });
    let tmp = tempfile::tempdir().unwrap();
    // BENCH_DIR keeps the set-up (Maildir, databases) for profiling a child run by hand.
    let kept = std::env::var("BENCH_DIR").ok().map(PathBuf::from);
    let dir = kept.as_deref().unwrap_or(tmp.path());
    std::fs::create_dir_all(dir).unwrap();
    println!("ingest benchmark: a Maildir of {target} simulated replies imported into SQLite");
    let t = Instant::now();
    let (n, attached) = set_up(dir, target).await;
    eprintln!("  set-up (round of simulated bodies, replies written) took {:.1} s", t.elapsed().as_secs_f64());
    let maildir = dir.join("Maildir");
    let size: u64 = sources::files(std::slice::from_ref(&maildir))
        .unwrap()
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "  {n} replies, {attached} ({:.0}%) with a PDF or spreadsheet, {:.1} MB",
        100.0 * attached as f64 / n as f64,
        size as f64 / 1e6
    );
    let fresh = |name: &str| {
        let db = dir.join(name);
        std::fs::copy(dir.join("setup.db"), &db).unwrap();
        db
    };
    let core = run_child("no-extract", &maildir, &fresh("core.db"));
    let extract = run_child("extract", &maildir, &fresh("unused.db"));
    let whole = run_child("pipeline", &maildir, &fresh("whole.db"));
    let rate = |v: &[f64]| v[0] / v[1];
    println!(
        "  parse + match + classify + store   {:>8.0} messages/s   ({:.2} s, peak {:.0} MB)",
        rate(&core),
        core[1],
        core[2]
    );
    println!(
        "  attachment text extraction alone   {:>8.0} messages/s   ({:.0} attachments, {:.1} MB, {:.2} s, peak {:.0} MB)",
        rate(&extract),
        extract[3],
        extract[4] / 1e6,
        extract[1],
        extract[2]
    );
    println!(
        "  whole pipeline (foi inbox import)  {:>8.0} messages/s   ({:.2} s, peak {:.0} MB)",
        rate(&whole),
        whole[1],
        whole[2]
    );
    // The Python baselines: the same Maildir streamed one message at a time, committed every
    // 200; `store` does parse + store (less than foi's first figure: no matching, no
    // classification), `pipeline` also reads every attachment's text (foi's whole pipeline).
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/ingest_baseline.py");
    let baseline = |mode: &str| -> Vec<f64> {
        let db = dir.join(format!("python-{mode}.db"));
        let _ = std::fs::remove_file(&db);
        match Command::new("python3").arg(&script).arg(mode).arg(&maildir).arg(&db).output() {
            Ok(o) if o.status.success() => {
                let v: Vec<f64> =
                    String::from_utf8_lossy(&o.stdout).split_whitespace().map(|x| x.parse().unwrap()).collect();
                assert_eq!(v[0] as usize, n, "the {mode} baseline read every message");
                v
            }
            Ok(o) => panic!("the Python {mode} baseline failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("cannot run python3 for the baseline: {e}"),
        }
    };
    let store_only = baseline("store");
    let pipeline = baseline("pipeline");
    // Python's email counts a few more parts as attachments than foi reads text from (parts
    // foi keeps as the body); the work is the same within a few percent.
    assert!(
        (pipeline[3] - extract[3]).abs() <= (extract[3] * 0.1).max(3.0),
        "the pipeline baseline read {} attachments, foi {}",
        pipeline[3],
        extract[3]
    );
    println!(
        "  Python baseline: parse + store     {:>8.0} messages/s   ({:.2} s, peak {:.0} MB)",
        rate(&store_only),
        store_only[1],
        store_only[2]
    );
    println!(
        "  Python baseline: whole pipeline    {:>8.0} messages/s   ({:.2} s, peak {:.0} MB; {:.0} attachments read, pdftotext per PDF)",
        rate(&pipeline),
        pipeline[1],
        pipeline[2],
        pipeline[3]
    );
    println!(
        "  foi parse + match + classify + store is {:.1}x the parse + store baseline; foi's whole pipeline {:.1}x \
         the whole-pipeline baseline",
        rate(&core) / rate(&store_only),
        rate(&whole) / rate(&pipeline)
    );
}
