//! `foi bodies find-emails` against fixture websites served on loopback (the finder crate's
//! own fixture sites: a council with its FOI address two links down, a board that takes
//! requests only by web form, a site whose robots.txt fences off decoys). No network.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::util::{foi, workspace};

/// One request a fixture server answered.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    user_agent: String,
    at: Instant,
}

/// A static file server for one fixture site: `/` is `index.html`, `/a/b` is `a/b.html` or
/// `a/b`; anything else is 404. One thread per connection; the server lives as long as the
/// test process.
fn serve(site: &str) -> (String, Arc<Mutex<Vec<Hit>>>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/finder/tests/sites").join(site);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(Vec::new()));
    let log = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let root = root.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                let mut user_agent = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("user-agent")
                    {
                        user_agent = value.trim().to_string();
                    }
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
                log.lock().unwrap().push(Hit { path: path.clone(), user_agent, at: Instant::now() });
                let rel = path.trim_start_matches('/');
                let tries = if rel.is_empty() {
                    vec!["index.html".to_string()]
                } else {
                    vec![format!("{rel}.html"), rel.to_string()]
                };
                let found = (!rel.split('/').any(|p| p == ".."))
                    .then(|| {
                        tries.iter().find_map(|t| std::fs::read(root.join(t)).ok().map(|b| (t.ends_with(".html"), b)))
                    })
                    .flatten();
                let (status, kind, body) = match found {
                    Some((true, b)) => ("200 OK", "text/html; charset=utf-8", b),
                    Some((false, b)) => ("200 OK", "text/plain", b),
                    None => ("404 Not Found", "text/plain", b"not found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
            });
        }
    });
    (url, hits)
}

#[test]
fn find_emails_ranks_the_foi_address_first_reports_web_forms_and_is_polite() {
    let dir = workspace(None);
    let (db, _guard) = foi_store::testing::sqlite_url();
    let (council, council_hits) = serve("council");
    let (webform, _) = serve("webform");
    let (fenced, fenced_hits) = serve("robots");
    let bodies = dir.path().join("bodies.csv");
    std::fs::write(
        &bodies,
        format!(
            "code,name,kind,website\nE10000001,Northshire County Council,county_council,{council}\n\
             QXX,NHS Westvale Integrated Care Board,icb,{webform}\nE10000002,Eastvale County Council,county_council,{fenced}\n\
             E10000003,Nowebshire County Council,county_council,\n"
        ),
    )
    .unwrap();
    let run = |args: &[&str]| foi(dir.path(), Some(&db), args);
    run(&["bodies", "import", bodies.to_str().unwrap()]).ok();

    let out = run(&["bodies", "find-emails", "--missing-email"]).ok();
    let table = &out.stdout;
    // The council: the FOI address first, with its page and sentence; general enquiries below.
    let line = |needle: &str| table.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {table}"));
    let foi_line = line("foi@northshire.example");
    assert!(foi_line.contains("1 FOI") && foi_line.contains("access-to-information/freedom-of-information"), "{table}");
    let foi_at = table.find("foi@northshire.example").unwrap();
    assert!(table.find("enquiries@northshire.example").unwrap() > foi_at, "{table}");
    assert!(table.find("webmaster@northshire.example").unwrap() > table.find("enquiries@northshire.example").unwrap());
    // The board takes requests only through a web form.
    assert!(line("QXX").contains("web form only"), "{table}");
    // robots.txt: the fenced-off decoys were never fetched.
    assert!(table.contains("foi@eastvale.example"), "{table}");
    let paths: Vec<String> = fenced_hits.lock().unwrap().iter().map(|h| h.path.clone()).collect();
    assert_eq!(paths.first().map(String::as_str), Some("/robots.txt"), "{paths:?}");
    assert!(paths.iter().all(|p| !p.starts_with("/private") && !p.starts_with("/archive")), "{paths:?}");
    // A body with no website is named.
    assert!(table.contains("E10000003: no website known"), "{table}");
    // One request a second per host, each naming foi and the charity's contact.
    let hits = council_hits.lock().unwrap().clone();
    assert!(hits.len() >= 4, "{hits:?}");
    for pair in hits.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= std::time::Duration::from_millis(950), "{gap:?} between {} and {}", pair[0].path, pair[1].path);
    }
    for h in &hits {
        assert!(
            h.user_agent.starts_with("foi/")
                && h.user_agent.ends_with("(FOI request tool; contact: campaigns@charity.example)"),
            "{}",
            h.user_agent
        );
    }
    // Nothing is recorded without --accept.
    let show = run(&["bodies", "show", "E10000001", "--json"]).ok().json();
    assert!(show["body"]["foi_email"].is_null());

    // --accept records the FOI address with its page as its source; the web-form board
    // stays without one.
    let out = run(&["--user", "ann", "bodies", "find-emails", "--code", "E10000001,QXX", "--accept"]).ok();
    assert!(out.stdout.contains("E10000001: recorded foi@northshire.example"), "{}", out.stdout);
    assert!(out.stdout.contains("QXX: nothing tied to FOI to accept"), "{}", out.stdout);
    let body = run(&["bodies", "show", "E10000001", "--json"]).ok().json()["body"].clone();
    assert_eq!(body["foi_email"], "foi@northshire.example");
    assert_eq!(body["email_source"]["source"], format!("{council}access-to-information/freedom-of-information"));
    assert_eq!(body["email_source"]["confidence"], "medium");
    assert_eq!(body["email_source"]["set_by"], "ann");
    assert!(run(&["bodies", "show", "QXX", "--json"]).ok().json()["body"]["foi_email"].is_null());
    // Accepting again leaves the held address alone.
    let again = run(&["bodies", "find-emails", "--code", "E10000001", "--accept", "--json"]).ok().json();
    assert_eq!(again["accepted"][0]["outcome"], "already_held", "{again}");

    // Without a sender address the finder refuses to run (it names its contact).
    std::fs::write(dir.path().join("foi.toml"), "").unwrap();
    let err = run(&["bodies", "find-emails", "--code", "E10000001"]).fails().stderr;
    assert!(err.contains("no [sender] email"), "{err}");
}
