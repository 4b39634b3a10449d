//! Benchmark: the monthly report (response rates and the monthly series) and the
//! commissioning table of one generated round of 200,000 requests with 2,000,000 tags, on
//! SQLite and on PostgreSQL, each timed from the database read to the finished tables as
//! `foi report` computes them (rendering to text excluded; it is linear in the output).
//!
//! `cargo bench -p foi-analysis --bench reports` (`BENCH_REQUESTS=N BENCH_TAGS=M` for other
//! sizes; `BENCH_BACKENDS=sqlite` for one backend); under `cargo test` it runs a small smoke
//! size. Generation is reported too, but is not what is measured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use foi_analysis::{commissioning, rates};
use foi_core::{Calendar, Codebook};
use foi_store::{BulkRound, Store};
use foi_testkit::peak_rss_mb;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn measure(store: &Store, backend: &str, requests: usize, tags: usize, runs: usize) {
    let text = foi_testkit::SHIPPED_CODEBOOK;
    let book = Codebook::from_toml(text).unwrap();
    let questions = BulkRound::questions_of(&book);
    let launch = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let t = Instant::now();
    let written = store
        .generate_round(&BulkRound {
            slug: "bench",
            requests,
            tags,
            codebook: text,
            questions: &questions,
            launch,
            seed: 2026,
        })
        .await
        .unwrap();
    println!("{backend}: generated {requests} requests and {written} tags in {:.1} s", t.elapsed().as_secs_f64());
    let cal = Calendar::uk();
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 0).unwrap();
    let mut monthly = Vec::new();
    let mut commissioning = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let facts = store.round_facts_without_answers("bench").await.unwrap();
        let read = t.elapsed().as_secs_f64();
        let r = rates::response_rates(&facts, at, "bench", cal).unwrap();
        let m = rates::monthly(&facts, at, "bench", cal).unwrap();
        monthly.push(t.elapsed().as_secs_f64());
        assert!(!r.rows.is_empty() && !m.rows.is_empty());
        drop(facts);
        let t = Instant::now();
        let facts = store.round_facts("bench").await.unwrap();
        let read_coded = t.elapsed().as_secs_f64();
        let c = commissioning::commissioning(&facts, &book, at, "bench").unwrap();
        let s = commissioning::shares(&c);
        commissioning.push(t.elapsed().as_secs_f64());
        assert_eq!(c.rows.len(), requests + 2, "a row per body and a share row per group");
        assert!(!s.rows.is_empty());
        println!("  (of which reading the round {read:.2} s; with coded answers {read_coded:.2} s)");
    }
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "{backend}: monthly report      best {:.2} s, median {:.2} s ({runs} runs)",
        best(&monthly),
        median(&mut monthly)
    );
    println!(
        "{backend}: commissioning table best {:.2} s, median {:.2} s ({runs} runs)",
        best(&commissioning),
        median(&mut commissioning)
    );
    println!("{backend}: peak memory so far {:.0} MB", peak_rss_mb());
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (requests, tags, runs) = if full {
        (foi_testkit::env_usize("BENCH_REQUESTS", 200_000), foi_testkit::env_usize("BENCH_TAGS", 2_000_000), 3)
    } else {
        (2_000, 20_000, 1)
    };
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("reports benchmark: {requests} requests, {tags} tags");
    if backends.contains("sqlite") {
        let (store, db) = foi_store::testing::sqlite().await;
        measure(&store, "SQLite", requests, tags, runs).await;
        let _ = store.close().await;
        if std::env::var_os("BENCH_KEEP").is_none() {
            db.remove().await;
        }
    }
    if backends.contains("postgres") {
        let (store, db) = foi_store::testing::postgres().await.expect("PostgreSQL is needed for this benchmark");
        measure(&store, "PostgreSQL", requests, tags, runs).await;
        let _ = store.close().await;
        if std::env::var_os("BENCH_KEEP").is_none() {
            db.remove().await;
        }
    }
}
