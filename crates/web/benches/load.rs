//! Benchmark: the web UI under load. 200 generated rounds of 200 requests each; 50
//! concurrent clients on loopback, each on its own keep-alive connection, asking in turn for
//! a random round page and a random request page as a signed-in analyst for a fixed time.
//! Each client sends its next request `BENCH_INTERVAL_MS` after the previous one was sent
//! (a bounded, paced load; 0 = as fast as answers come, the saturating load). Prints
//! requests per second and the p50/p99 latency of each page.
//!
//! `cargo bench -p foi-web --bench load` (`BENCH_ROUNDS`, `BENCH_REQUESTS`, `BENCH_CLIENTS`,
//! `BENCH_SECONDS`, `BENCH_INTERVAL_MS` (default 1000) change the sizes;
//! `BENCH_BACKENDS=postgres` or `sqlite,postgres`). Under `cargo test` it runs as a small
//! smoke test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use foi_store::Store;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A tiny HTTP/1.1 client on one keep-alive connection: GET, read the whole response.
struct Conn {
    r: BufReader<TcpStream>,
    host: String,
    cookie: String,
}

impl Conn {
    async fn get(&mut self, path: &str) -> u16 {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\r\n", self.host, self.cookie);
        self.r.get_mut().write_all(req.as_bytes()).await.unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).await.unwrap();
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await.unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.r.read_exact(&mut body).await.unwrap();
        status
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn measure(
    store: Store,
    backend: &str,
    rounds: usize,
    per_round: usize,
    clients: usize,
    seconds: u64,
    interval: Duration,
) {
    let t = Instant::now();
    let slugs = common::generate_rounds(&store, rounds, per_round).await;
    let mut references = Vec::new();
    for s in slugs.iter().step_by((rounds / 20).max(1)) {
        references.extend(store.requests(s).await.unwrap().into_iter().map(|r| r.reference));
    }
    println!("{backend}: generated {rounds} rounds of {per_round} requests in {:.1} s", t.elapsed().as_secs_f64());

    let app = common::app_signed_in(&store).await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(foi_web::serve(app, "127.0.0.1:0".parse().unwrap(), move |a| {
        let _ = tx.send(a);
    }));
    let addr = rx.await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (slugs, references) = (slugs.clone(), references.clone());
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut conn = Conn { r: BufReader::new(stream), host: addr.to_string(), cookie: common::cookie() };
            let (mut round_t, mut request_t, mut errors) = (Vec::new(), Vec::new(), 0usize);
            let mut k = c * 7919;
            // Clients start spread over one interval, not all at once.
            let mut next = Instant::now() + interval.mul_f64(c as f64 / 50.0);
            while Instant::now() < deadline {
                tokio::time::sleep_until(next.into()).await;
                next += interval;
                k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let round_page = k % 2 == 0;
                let path = if round_page {
                    format!("/rounds/{}", slugs[(k / 2) % slugs.len()])
                } else {
                    format!("/requests/{}", references[(k / 2) % references.len()])
                };
                let t = Instant::now();
                let status = conn.get(&path).await;
                let took = t.elapsed();
                if status != 200 {
                    errors += 1;
                }
                if round_page { round_t.push(took) } else { request_t.push(took) }
            }
            (round_t, request_t, errors)
        }));
    }
    let (mut rounds_t, mut requests_t, mut errors) = (Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (a, b, e) = t.await.unwrap();
        rounds_t.extend(a);
        requests_t.extend(b);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    server.abort();
    let total = rounds_t.len() + requests_t.len();
    let mut all: Vec<Duration> = rounds_t.iter().chain(requests_t.iter()).copied().collect();
    all.sort();
    rounds_t.sort();
    requests_t.sort();
    println!(
        "{backend}: {clients} clients, one request each every {} ms, for {elapsed:.0} s: {total} pages, {:.0} requests/s, {errors} errors",
        interval.as_millis(),
        total as f64 / elapsed
    );
    for (name, v) in [("round page", &rounds_t), ("request page", &requests_t), ("all pages", &all)] {
        println!(
            "{backend}:   {name:<13} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} pages)",
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0),
            v.len()
        );
    }
    assert_eq!(errors, 0, "every page answered 200");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, per_round, clients, seconds) = if full {
        (
            foi_testkit::env_usize("BENCH_ROUNDS", 200),
            foi_testkit::env_usize("BENCH_REQUESTS", 200),
            foi_testkit::env_usize("BENCH_CLIENTS", 50),
            foi_testkit::env_usize("BENCH_SECONDS", 20) as u64,
        )
    } else {
        (3, 20, 4, 1)
    };
    let interval =
        Duration::from_millis(foi_testkit::env_usize("BENCH_INTERVAL_MS", if full { 1000 } else { 0 }) as u64);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    println!("web load benchmark: {rounds} rounds of {per_round} requests, {clients} clients, {seconds} s");
    if backends.contains("sqlite") {
        let (store, db) = foi_store::testing::sqlite().await;
        measure(store.clone(), "SQLite", rounds, per_round, clients, seconds, interval).await;
        let _ = store.close().await;
        db.remove().await;
    }
    if backends.contains("postgres") {
        let (store, db) = foi_store::testing::postgres().await.expect("PostgreSQL is needed for this benchmark");
        measure(store.clone(), "PostgreSQL", rounds, per_round, clients, seconds, interval).await;
        let _ = store.close().await;
        db.remove().await;
    }
}
