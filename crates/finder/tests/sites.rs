//! The finder against fixture sites (`tests/sites/<site>/`) served on loopback, each by a
//! server of its own that logs every request it gets (path, time, User-Agent): what is
//! found and ranked, what robots.txt forbids, the pace per host, and sites that fail.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use foi_finder::{FOI_SCORE, Finding, Options, Site, find};
use tokio::time::Instant;

const USER_AGENT: &str = "foi/0.1.0 (FOI request tool; contact: research@charity.example)";

/// One request a fixture server got.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    at: Instant,
    user_agent: String,
}

#[derive(Clone)]
struct Fixture {
    root: PathBuf,
    hits: Arc<Mutex<Vec<Hit>>>,
    trouble: Trouble,
}

/// What goes wrong with a whole site.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trouble {
    None,
    /// The home page never answers in time.
    StallHome,
    /// robots.txt answers 503.
    RobotsDown,
}

/// A fixture site being served.
struct Server {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path).collect()
    }

    fn site(&self, code: &str) -> Site {
        Site { code: code.into(), name: format!("The {code} site"), website: self.url.clone() }
    }

    /// Every request carried the finder's User-Agent.
    fn assert_user_agent(&self) {
        for hit in self.hits() {
            assert_eq!(hit.user_agent, USER_AGENT, "{}", hit.path);
        }
    }
}

async fn serve(site: &str) -> Server {
    serve_on("127.0.0.1", site, Trouble::None).await
}

async fn serve_on(ip: &str, site: &str, trouble: Trouble) -> Server {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sites").join(site);
    let hits = Arc::new(Mutex::new(Vec::new()));
    let fixture = Fixture { root, hits: hits.clone(), trouble };
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = Router::new().fallback(respond).with_state(fixture);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { url, hits }
}

async fn respond(State(fixture): State<Fixture>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let user_agent =
        request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    fixture.hits.lock().unwrap().push(Hit { path: path.clone(), at: Instant::now(), user_agent });
    let html = |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let filler = || "<p>Nothing to see here, just a very long page.</p>\n".repeat(30_000);
    match path.as_str() {
        "/robots.txt" if fixture.trouble == Trouble::RobotsDown => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        "/" if fixture.trouble == Trouble::StallHome => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            html("<p>too late</p>".into())
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            html("<p>Send FOI requests to slow@brokenshire.example</p>".into())
        }
        "/error" => (StatusCode::INTERNAL_SERVER_ERROR, "<p>error@brokenshire.example</p>").into_response(),
        "/huge" => html(format!("<p>Send FOI requests to huge@brokenshire.example</p>{}", filler())),
        "/huge-chunked" => {
            let chunks = std::iter::repeat_n(filler(), 3).map(Ok::<_, Infallible>);
            let body = Body::from_stream(futures_util::stream::iter(chunks));
            ([(header::CONTENT_TYPE, "text/html")], body).into_response()
        }
        "/make-a-request" => {
            ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.4 foi@brokenshire.example").into_response()
        }
        "/deep" => html("<b>x</p>".repeat(20_000)),
        "/loop" => Redirect::temporary("/loop-again#top").into_response(),
        "/loop-again" => Redirect::permanent("/loop").into_response(),
        "/far" => Redirect::temporary("/far/1").into_response(),
        p if p.starts_with("/far/") => {
            let n: u32 = p.trim_start_matches("/far/").parse().unwrap_or(0);
            Redirect::temporary(&format!("/far/{}", n + 1)).into_response()
        }
        _ => file(&fixture, &path).await,
    }
}

/// A fixture file: `/` is `index.html`, `/a/b` is `a/b.html` (or `a/b` itself).
async fn file(fixture: &Fixture, path: &str) -> Response {
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|part| part == "..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let tries =
        if rel.is_empty() { vec!["index.html".to_string()] } else { vec![format!("{rel}.html"), rel.to_string()] };
    for name in tries {
        let file = fixture.root.join(&name);
        if let Ok(bytes) = tokio::fs::read(&file).await {
            let kind = if name.ends_with(".html") { "text/html; charset=utf-8" } else { "text/plain" };
            return ([(header::CONTENT_TYPE, kind)], bytes).into_response();
        }
    }
    StatusCode::NOT_FOUND.into_response()
}

/// Options for tests: quick, and short enough waits.
fn options() -> Options {
    Options {
        per_host_interval: Duration::from_millis(10),
        timeout: Duration::from_secs(2),
        ..Options::new(USER_AGENT)
    }
}

async fn find_one(site: Site, opts: &Options) -> Finding {
    let mut findings = find(&[site], opts, |_| {}).await.unwrap();
    assert_eq!(findings.len(), 1);
    findings.remove(0)
}

fn addresses(finding: &Finding) -> Vec<&str> {
    finding.candidates.iter().map(|c| c.address.as_str()).collect()
}

#[tokio::test]
async fn the_foi_page_two_levels_down_gives_the_foi_address_first_and_general_enquiries_after() {
    let server = serve("council").await;
    let finding = find_one(server.site("E10000001"), &options()).await;

    assert_eq!(finding.code, "E10000001");
    assert_eq!(finding.website, server.url);
    assert_eq!(finding.errors, Vec::<String>::new());
    assert_eq!(
        addresses(&finding),
        ["foi@northshire.example", "enquiries@northshire.example", "webmaster@northshire.example"]
    );
    let foi = &finding.candidates[0];
    assert_eq!(foi.page, format!("{}access-to-information/freedom-of-information", server.url));
    assert_eq!(
        foi.sentence,
        "Send your request to foi@northshire.example or write to the Information Governance Team, County Hall, Northshire NS1 1AA."
    );
    assert!(foi.from_mailto);
    assert!(foi.score >= FOI_SCORE);
    assert_eq!(finding.foi_address().map(|c| c.address.as_str()), Some("foi@northshire.example"));

    let general = &finding.candidates[1];
    assert_eq!(general.page, format!("{}contact-us", server.url));
    assert_eq!(general.sentence, "For general enquiries email enquiries@northshire.example or call 0300 123 4567.");
    assert!(general.score < FOI_SCORE && general.score > 0);
    assert!(finding.candidates[2].score < 0, "the webmaster last");
    assert_eq!(finding.web_form, None);

    // Home, access to information, freedom of information, contact: only pages whose links
    // name FOI or contact, no deeper than two links, each once, robots.txt first (absent).
    let paths = server.paths();
    assert_eq!(
        paths,
        ["/robots.txt", "/", "/access-to-information", "/access-to-information/freedom-of-information", "/contact-us"]
    );
    assert_eq!(finding.pages, 4);
    server.assert_user_agent();
}

#[tokio::test]
async fn addresses_in_plain_text_and_disguised_are_found() {
    let server = serve("icb").await;
    let finding = find_one(server.site("QRL"), &options()).await;

    assert_eq!(finding.errors, Vec::<String>::new());
    assert_eq!(
        addresses(&finding),
        ["westmoor.foi@nhs.example", "information.governance@westmoor-icb.example", "westmoor.pals@nhs.example"]
    );
    assert!(finding.candidates.iter().all(|c| !c.from_mailto));
    let foi = &finding.candidates[0];
    assert_eq!(foi.page, format!("{}about-us/freedom-of-information", server.url));
    assert_eq!(
        foi.sentence,
        "Requests must be made in writing. Please email westmoor.foi@nhs.example and include your name and an address for the reply."
    );
    let ig = &finding.candidates[1];
    assert!(
        ig.sentence
            .ends_with("the information governance team: information.governance [at] westmoor-icb [dot] example")
    );
    assert!(ig.score >= FOI_SCORE, "the IG team is an FOI address too, below the FOI team's");
    assert!(finding.candidates[2].score < FOI_SCORE);
    assert!(!server.paths().contains(&"/about-us".to_string()), "About us names neither FOI nor contact");
}

#[tokio::test]
async fn what_robots_txt_forbids_is_never_fetched() {
    let server = serve("robots").await;
    let finding = find_one(server.site("E07000001"), &options()).await;

    // `User-agent: *` may read nothing; the rules for `foi` (the User-Agent's first word)
    // allow all but /private/ and /archive, where the decoys are.
    assert_eq!(addresses(&finding), ["foi@eastvale.example"]);
    assert_eq!(server.paths(), ["/robots.txt", "/", "/access-to-information"]);
    assert_eq!(finding.errors, Vec::<String>::new());
    server.assert_user_agent();
}

#[tokio::test]
async fn a_site_that_takes_requests_only_by_web_form_says_so() {
    let server = serve("webform").await;
    let finding = find_one(server.site("E07000002"), &options()).await;

    assert_eq!(finding.candidates, []);
    assert_eq!(finding.web_form, Some(format!("{}foi", server.url)));
    assert_eq!(finding.foi_address(), None);
    assert_eq!(finding.errors, Vec::<String>::new());
    let mut paths = server.paths();
    paths.sort();
    assert_eq!(paths, ["/", "/contact", "/foi", "/foi/request", "/robots.txt"]);
}

#[tokio::test]
async fn one_request_at_a_time_per_host_the_interval_apart() {
    let council = serve("council").await;
    // Its robots.txt asks for 0.3 s between requests: more than the options' 0.2 s.
    let webform = serve("webform").await;
    let opts = Options { per_host_interval: Duration::from_millis(200), ..options() };
    let started = Instant::now();
    let findings = find(&[council.site("a"), webform.site("b")], &opts, |_| {}).await.unwrap();
    assert!(findings.iter().all(|f| f.errors.is_empty()), "{findings:?}");

    let gaps = |server: &Server| -> Vec<Duration> {
        let hits = server.hits();
        hits.windows(2).map(|w| w[1].at.duration_since(w[0].at)).collect()
    };
    let council_gaps = gaps(&council);
    let webform_gaps = gaps(&webform);
    assert_eq!(council_gaps.len(), 4);
    assert_eq!(webform_gaps.len(), 4);
    assert!(council_gaps.iter().all(|g| *g >= Duration::from_millis(200)), "{council_gaps:?}");
    assert!(webform_gaps.iter().all(|g| *g >= Duration::from_millis(300)), "{webform_gaps:?}");
    // Both sites are on 127.0.0.1, one host: its requests never overlapped and kept the
    // interval too, whichever site they were for.
    let mut all: Vec<Instant> = council.hits().iter().chain(webform.hits().iter()).map(|h| h.at).collect();
    all.sort();
    assert!(all.windows(2).all(|w| w[1].duration_since(w[0]) >= Duration::from_millis(200)));
    assert!(started.elapsed() >= Duration::from_millis(200 * 9));
    council.assert_user_agent();
    webform.assert_user_agent();
}

#[tokio::test]
async fn sites_on_different_hosts_are_read_at_the_same_time() {
    let one = serve_on("127.0.0.1", "council", Trouble::None).await;
    let two = serve_on("127.0.0.2", "council", Trouble::None).await;
    let opts = Options { per_host_interval: Duration::from_millis(200), parallel_sites: 2, ..options() };
    let started = Instant::now();
    let findings = find(&[one.site("one"), two.site("two")], &opts, |_| {}).await.unwrap();
    assert_eq!(addresses(&findings[0]), addresses(&findings[1]));
    let (a, b) = (one.hits(), two.hits());
    assert_eq!((a.len(), b.len()), (5, 5));
    assert!(b[0].at < a[4].at && a[0].at < b[4].at, "the two hosts' requests interleave");
    assert!(started.elapsed() < Duration::from_millis(200 * 9), "{:?}", started.elapsed());
}

#[tokio::test]
async fn sites_that_fail_are_reported_and_the_rest_goes_on() {
    let broken = serve("broken").await;
    let stalled = serve_on("127.0.0.1", "council", Trouble::StallHome).await;
    // A port where nothing listens.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let council = serve("council").await;
    let sites = [
        broken.site("broken"),
        stalled.site("stalled"),
        Site { code: "dead".into(), name: "Dead".into(), website: dead.clone() },
        Site { code: "nonsense".into(), name: "Nonsense".into(), website: "http://".into() },
        Site { code: "mail".into(), name: "Mail".into(), website: "mailto:foi@x.example".into() },
        council.site("council"),
    ];
    let opts = Options { timeout: Duration::from_millis(700), max_bytes: 1024 * 1024, ..options() };
    let mut reported = Vec::new();
    let findings = find(&sites, &opts, |f| reported.push(f.code.clone())).await.unwrap();

    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["broken", "stalled", "dead", "nonsense", "mail", "council"]);
    reported.sort();
    let mut expected: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    expected.sort();
    assert_eq!(reported, expected);

    let by_code: HashMap<&str, &Finding> = findings.iter().map(|f| (f.code.as_str(), f)).collect();
    let broken_finding = by_code["broken"];
    let u = &broken.url;
    let mut errors = broken_finding.errors.clone();
    errors.sort();
    let mut expected = vec![
        format!("{u}slow: timed out after 700ms"),
        format!("{u}error: HTTP status 500"),
        format!("{u}huge: larger than 1048576 bytes, not read"),
        format!("{u}huge-chunked: larger than 1048576 bytes, not read"),
        format!("{u}make-a-request: not HTML (application/pdf), not read"),
        format!("{u}loop: redirects in a loop"),
        format!("{u}far: more than 5 redirects"),
        format!("{u}deep: HTML nested more than 1000 elements deep, not read"),
    ];
    expected.sort();
    assert_eq!(errors, expected);
    assert_eq!(addresses(broken_finding), ["hello@brokenshire.example"], "what was read is kept");
    assert_eq!(broken_finding.pages, 1);

    assert_eq!(by_code["stalled"].errors, [format!("{}: timed out after 700ms", stalled.url)]);
    assert_eq!(by_code["stalled"].pages, 0);
    let dead_errors = &by_code["dead"].errors;
    assert_eq!(dead_errors.len(), 1);
    assert!(
        dead_errors[0].starts_with(&format!("{dead}robots.txt: robots.txt could not be read (cannot connect: ")),
        "{dead_errors:?}"
    );
    assert_eq!(by_code["nonsense"].errors, ["http://: not a web address (empty host)"]);
    assert_eq!(by_code["mail"].errors, ["mailto:foi@x.example: not a web address (not http or https)"]);
    assert!(findings.iter().all(|f| f.code == "council" || f.foi_address().is_none()));

    let council_finding = by_code["council"];
    assert_eq!(council_finding.errors, Vec::<String>::new());
    assert_eq!(council_finding.foi_address().map(|c| c.address.as_str()), Some("foi@northshire.example"));
    broken.assert_user_agent();
}

#[tokio::test]
async fn a_robots_txt_that_cannot_be_read_keeps_the_finder_out() {
    // A 5xx for robots.txt means "read nothing" (RFC 9309): only robots.txt is asked for.
    let server = serve_on("127.0.0.1", "council", Trouble::RobotsDown).await;
    let finding = find_one(server.site("x"), &options()).await;
    assert_eq!(
        finding.errors,
        [format!("{}robots.txt: robots.txt could not be read (HTTP status 503), so the site was not read", server.url)]
    );
    assert_eq!(server.paths(), ["/robots.txt"]);
    assert_eq!((finding.pages, finding.candidates.len()), (0, 0));
}

#[tokio::test]
async fn a_website_without_its_scheme_is_read_as_https() {
    let server = serve("council").await;
    let bare = server.url.trim_start_matches("http://").to_string();
    // Plain HTTP on the test port: https:// fails there, but it was tried.
    let finding = find_one(Site { website: bare.clone(), ..server.site("x") }, &options()).await;
    assert_eq!(finding.website, bare);
    assert_eq!(finding.errors.len(), 1);
    assert!(
        finding.errors[0].starts_with(&format!("https://{bare}robots.txt: robots.txt could not be read")),
        "{:?}",
        finding.errors
    );
}

#[tokio::test]
async fn the_page_limit_holds() {
    let server = serve("council").await;
    let opts = Options { max_pages: 2, ..options() };
    let finding = find_one(server.site("x"), &opts).await;
    assert_eq!(server.paths(), ["/robots.txt", "/", "/access-to-information"]);
    assert_eq!(finding.pages, 2);
    let opts = Options { max_depth: 0, ..options() };
    let server = serve("council").await;
    let finding = find_one(server.site("x"), &opts).await;
    assert_eq!(server.paths(), ["/robots.txt", "/"]);
    assert_eq!(finding.candidates, []);
}

#[tokio::test]
async fn the_user_agent_is_the_one_given() {
    let server = serve("icb").await;
    let opts =
        Options { user_agent: "foi/9.9 (FOI request tool; contact: someone@charity.example)".into(), ..options() };
    find_one(server.site("x"), &opts).await;
    let hits = server.hits();
    assert!(hits.len() >= 3);
    assert!(hits.iter().all(|h| h.user_agent == opts.user_agent), "{hits:?}");

    let bad = Options { user_agent: "foi/1\nX-Injected: yes".into(), ..options() };
    let err = find(&[server.site("x")], &bad, |_| {}).await.unwrap_err();
    assert!(err.to_string().starts_with("cannot set up the HTTP client"), "{err}");
}

/// The search can run on a spawned task (the CLI and the web UI may do so).
#[test]
fn the_search_is_send() {
    fn send<T: Send>(_: &T) {}
    let opts = options();
    let future = find(&[], &opts, |_| {});
    send(&future);
}
