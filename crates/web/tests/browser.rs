//! The web UI in a real browser: headless Chromium (Debian's `chromium`) driven over
//! WebDriver (Debian's `chromium-driver`, started here on a free loopback port). An analyst
//! signs in, opens the round, assigns the message waiting in triage, tags a reply by
//! accepting a suggestion, and sees the response-rate table change; on SQLite and then on
//! PostgreSQL. Screenshots of the main pages are kept under `target/web-screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver on a free port, ready to take a session.
fn start_driver() -> (Driver, u16) {
    let exe = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("chromedriver is not installed (Debian package chromium-driver): run the README's test command, .ci/test, which installs it");
    let port = free_port();
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Driver(child), port)
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    // A click that submits a form returns before the next page is there: wait for it.
    match c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap(),
        Err(e) => panic!("{css}: {e}\n{}\n{}", c.current_url().await.unwrap(), c.source().await.unwrap()),
    }
}

/// The "answered some or all" cell of the all-bodies row on the dashboard.
async fn answered_all(c: &Client, base: &str) -> String {
    c.goto(base).await.unwrap();
    let rows = c.find_all(Locator::Css("section.round table tbody tr")).await.unwrap();
    for r in rows {
        let cells = r.find_all(Locator::Css("td")).await.unwrap();
        if cells.len() > 4 && cells[0].text().await.unwrap() == "all" {
            return cells[4].text().await.unwrap();
        }
    }
    panic!("no all-bodies row on the dashboard: {}", c.source().await.unwrap());
}

/// On SQLite and then on PostgreSQL: a fresh database, server and browser session each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_triages_and_tags_in_a_real_browser() {
    foi_store::testing::each_backend(|store| async move { triage_and_tag(store).await }).await;
}

async fn triage_and_tag(store: foi_store::Store) {
    let backend = store.backend();
    let fx = fixture::build(&store).await;
    let mut app = foi_web::App::new(store.clone()).unwrap();
    app.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 2);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(foi_web::serve(app, "127.0.0.1:0".parse().unwrap(), move |addr| {
        let _ = tx.send(addr);
    }));
    let addr = rx.await.unwrap();
    let base = format!("http://{addr}");

    let (_driver, port) = start_driver();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
        }),
    );
    // Plain HTTP to chromedriver on loopback: no TLS needed.
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session through chromedriver");

    // Sign in.
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/signin"), "{backend:?}: sent to sign in");
    shot(&c, "signin").await;
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("ana").await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(fixture::PASSWORD).await.unwrap();
    c.find(Locator::Css("#signin button")).await.unwrap().click().await.unwrap();
    assert!(text(&c, "header .who").await.contains("analyst"), "{backend:?}");
    let before = answered_all(&c, &format!("{base}/")).await;
    shot(&c, "dashboard").await;

    // Open the round from the dashboard.
    c.find(Locator::Css("section.round h2 a")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#requests")).await.unwrap();
    let rows = c.find_all(Locator::Css("#requests tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 12, "{backend:?}: a row per request");
    shot(&c, "round").await;

    // Triage: assign the waiting message to its request.
    c.goto(&format!("{base}/triage")).await.unwrap();
    let form = format!("#m{} form[action$=assign]", fx.triage_id);
    c.find(Locator::Css(&format!("{form} input[name=reference]")))
        .await
        .unwrap()
        .send_keys(&fx.triage_for)
        .await
        .unwrap();
    shot(&c, "triage").await;
    c.find(Locator::Css(&format!("{form} button"))).await.unwrap().click().await.unwrap();
    assert_eq!(text(&c, "#flash").await, "Message assigned.", "{backend:?}");
    assert!(c.find(Locator::Css("#empty")).await.is_ok(), "{backend:?}: nothing left to triage");

    // Tag: accept a suggestion, with its evidence as the quote.
    c.goto(&format!("{base}/requests/{}/tag", fx.suggested)).await.unwrap();
    shot(&c, "tag").await;
    let question = c.find(Locator::Css(".question:has(.suggestion)")).await.unwrap();
    let id = question.attr("id").await.unwrap().unwrap();
    question.find(Locator::Css("button[value=suggestion]")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&c, "#flash").await, "Answer saved.", "{backend:?}");
    assert!(!text(&c, &format!("#{id} .current")).await.is_empty(), "{backend:?}: the question shows its answer");
    let tags = store
        .tags(&foi_store::TagFilter { reference: Some(fx.suggested.clone()), ..Default::default() })
        .await
        .unwrap();
    let t = tags.iter().find(|t| t.status == "confirmed").unwrap_or_else(|| panic!("{backend:?}: a confirmed tag"));
    assert_eq!(t.tagger, "person:ana", "{backend:?}");
    assert!(t.quote.as_deref().is_some_and(|q| !q.is_empty()), "{backend:?}: the suggestion's evidence is the quote");

    // The request page shows the assigned reply in its thread.
    c.goto(&format!("{base}/requests/{}", fx.triage_for)).await.unwrap();
    assert!(
        c.source().await.unwrap().contains("children&#x27;s hospice")
            || c.source().await.unwrap().contains("children's hospice"),
        "{backend:?}: the assigned reply is in the thread"
    );
    shot(&c, "request").await;

    // The response-rate table counts the answer that was in triage.
    let after = answered_all(&c, &format!("{base}/")).await;
    let n = |s: &str| s.split_whitespace().next().unwrap().parse::<u32>().unwrap();
    assert_eq!(n(&after), n(&before) + 1, "{backend:?}: answered some or all: {before} then {after}");

    c.close().await.unwrap();
    server.abort();
}
