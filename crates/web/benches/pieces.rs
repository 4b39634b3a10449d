//! Benchmark: what one page costs on its own, and its store reads one by one, on a store of
//! 20 generated rounds of 200 requests (one at a time, no other load). Prints the mean time
//! of each. Where the load benchmark says how the pages hold up together, this says where
//! a page's time goes.
//!
//! `cargo bench -p foi-web --bench pieces` (`BENCH_BACKENDS=postgres` or `sqlite,postgres`).
//! Under `cargo test` it runs a few of each as a smoke test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use foi_store::Store;
use tower::ServiceExt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

macro_rules! time {
    ($backend:expr, $name:expr, $n:expr, $e:expr) => {{
        let t = Instant::now();
        for _ in 0..$n {
            let _ = $e;
        }
        println!("{}: {:<28} {:7.3} ms", $backend, $name, t.elapsed().as_secs_f64() * 1000.0 / $n as f64);
    }};
}

/// Asks `router` for the page at `path` as the signed-in analyst.
async fn get(router: &axum::Router, path: &str) {
    let req =
        axum::http::Request::get(path).header("cookie", common::cookie()).body(axum::body::Body::empty()).unwrap();
    assert_eq!(router.clone().oneshot(req).await.unwrap().status(), 200);
}

async fn measure(store: Store, backend: &str, n: usize) {
    common::generate_rounds(&store, 20, 200).await;
    let app = common::app_signed_in(&store).await;
    let token = foi_web::auth::token_hash(common::TOKEN);
    let reference = store.requests("r005").await.unwrap()[7].reference.clone();
    time!(backend, "store: round", n, store.round("r005").await.unwrap());
    time!(backend, "store: requests (200)", n, store.requests("r005").await.unwrap());
    time!(backend, "store: round_clock_events", n, store.round_clock_events("r005").await.unwrap());
    time!(backend, "store: session", n, store.session(&token).await.unwrap());
    time!(backend, "store: triage_count", n, store.triage_count().await.unwrap());
    time!(backend, "store: request", n, store.request(&reference).await.unwrap());
    time!(backend, "store: thread", n, store.thread(&reference).await.unwrap());
    time!(backend, "store: request_events", n, store.request_events(7).await.unwrap());
    time!(backend, "store: round_by_id", n, store.round_by_id(5).await.unwrap());
    let today = app.today;
    let router = foi_web::router(app);
    // A new App keeps nothing: its round page computes every row.
    let fresh = || {
        let mut app = foi_web::App::new(store.clone()).unwrap();
        app.today = today;
        foi_web::router(app)
    };
    time!(backend, "page: round, computed", n, get(&fresh(), "/rounds/r005").await);
    time!(backend, "page: round, kept", n, get(&router, "/rounds/r005").await);
    time!(backend, "page: request", n, get(&router, &format!("/requests/{reference}")).await);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = if std::env::args().any(|a| a == "--bench") { 300 } else { 3 };
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    if backends.contains("sqlite") {
        let (store, db) = foi_store::testing::sqlite().await;
        measure(store.clone(), "SQLite", n).await;
        let _ = store.close().await;
        db.remove().await;
    }
    if backends.contains("postgres") {
        let (store, db) = foi_store::testing::postgres().await.expect("PostgreSQL is needed for this benchmark");
        measure(store.clone(), "PostgreSQL", n).await;
        let _ = store.close().await;
        db.remove().await;
    }
}
