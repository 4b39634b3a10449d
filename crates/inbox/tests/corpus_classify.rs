//! Agreement of the classifier's bounce and auto-reply decisions with other projects'
//! expectations on the real-world corpus beside the repository (`../shared/corpus`): sisimai's
//! bounces and vacation replies (`EXPECTED.tsv`), alaveteli's fixtures (`EXPECTATIONS.md`:
//! the out-of-office tracking reply, the others are ordinary replies) and froide's bounces and
//! auto-reply (`EXPECTATIONS.md`), enmime's delivery reports; mail-parser's malformed messages
//! are only classified, without panicking. Each message is parsed with mailparse just enough to build
//! the classifier's input; a malformed one is classified with what mailparse gives. Built and
//! run only with the `shared-corpus` feature: the corpus exists only on this project's machines
//! (`.ci/test` runs it when `../shared/corpus` is there), and a fresh clone tests without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use foi_core::MessageClass;
use foi_inbox::classify::{Classification, Classifier, Input};
use foi_inbox::folding::fold_quoted;
use mailparse::{MailHeaderMap, ParsedMail};

/// The shared corpus beside the repository. This test is built only with the `shared-corpus`
/// feature (`.ci/test` turns it on when `../shared/corpus` exists): asked for, the corpus
/// must be there, so a missing one fails here, loudly, instead of testing nothing.
fn corpus() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        dir.join("README.md").is_file(),
        "the shared corpus is missing at {}: the `shared-corpus` feature runs these tests only \
where ../shared/corpus exists beside the repository",
        dir.display()
    );
    dir
}

/// What the classifier needs, owned.
#[derive(Default)]
struct Owned {
    subject: String,
    from: String,
    headers: Vec<(String, String)>,
    content_type: String,
    text: String,
    delivery_status: Option<String>,
}

fn without_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") { raw.iter().position(|&b| b == b'\n').map_or(raw, |i| &raw[i + 1..]) } else { raw }
}

fn first_address(v: &str) -> String {
    if let Ok(list) = mailparse::addrparse(v) {
        for a in list.iter() {
            match a {
                mailparse::MailAddr::Single(s) => return s.addr.clone(),
                mailparse::MailAddr::Group(g) => {
                    if let Some(s) = g.addrs.first() {
                        return s.addr.clone();
                    }
                }
            }
        }
    }
    v.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '(' || c == ')')
        .find(|t| t.contains('@'))
        .unwrap_or("")
        .to_string()
}

fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn body_text(part: &ParsedMail) -> String {
    part.get_body().unwrap_or_else(|_| String::from_utf8_lossy(&part.get_body_raw().unwrap_or_default()).into_owned())
}

/// Walks the parts (not into attached messages): the first text/plain and text/html that are
/// not attachments, and the delivery-status part.
fn walk(part: &ParsedMail, plain: &mut Option<String>, html: &mut Option<String>, ds: &mut Option<String>) {
    let ct = part.ctype.mimetype.to_ascii_lowercase();
    if !part.subparts.is_empty() {
        for p in &part.subparts {
            walk(p, plain, html, ds);
        }
        return;
    }
    let attachment = part
        .headers
        .get_first_value("Content-Disposition")
        .is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("attachment"));
    match ct.as_str() {
        "message/delivery-status" | "message/global-delivery-status" if ds.is_none() => {
            *ds = Some(String::from_utf8_lossy(&part.get_body_raw().unwrap_or_default()).into_owned())
        }
        "text/plain" if plain.is_none() && !attachment => *plain = Some(body_text(part)),
        "text/html" if html.is_none() && !attachment => *html = Some(html_to_text(&body_text(part))),
        _ => {}
    }
}

fn read(raw: &[u8]) -> Owned {
    let raw = without_mbox_line(raw);
    let mut o = Owned::default();
    match mailparse::parse_mail(raw) {
        Ok(mail) => {
            for h in &mail.headers {
                o.headers.push((h.get_key(), h.get_value()));
            }
            o.subject = mail.headers.get_first_value("Subject").unwrap_or_default();
            o.from = mail.headers.get_first_value("From").map(|v| first_address(&v)).unwrap_or_default();
            o.content_type = mail.headers.get_first_value("Content-Type").unwrap_or_else(|| "text/plain".into());
            let (mut plain, mut html, mut ds) = (None, None, None);
            walk(&mail, &mut plain, &mut html, &mut ds);
            // No text part (a report without its boundaries, say): all the body's text.
            let text = plain.or(html).unwrap_or_else(|| body_text(&mail));
            o.text = fold_quoted(&text).0;
            o.delivery_status = ds;
        }
        Err(_) => {
            // What can be read: header lines, then the rest as text.
            let s = String::from_utf8_lossy(raw);
            let (head, body) = s.split_once("\n\n").unwrap_or((&s, ""));
            for line in head.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    o.headers.push((k.trim().to_string(), v.trim().to_string()));
                    match k.trim().to_ascii_lowercase().as_str() {
                        "subject" => o.subject = v.trim().to_string(),
                        "from" => o.from = first_address(v),
                        "content-type" => o.content_type = v.trim().to_string(),
                        _ => {}
                    }
                }
            }
            o.text = fold_quoted(body).0;
        }
    }
    o
}

fn classify(path: &Path) -> Classification {
    let raw = std::fs::read(path).unwrap_or_default();
    let o = read(&raw);
    Classifier::builtin().classify(&Input {
        subject: &o.subject,
        from: &o.from,
        headers: &o.headers,
        content_type: &o.content_type,
        text: &o.text,
        attachment_text: "",
        delivery_status: o.delivery_status.as_deref(),
        attachments: 0,
        echo: None,
    })
}

/// What another project expects of a message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A bounce; `Some(true)` when the sending server gave up (a 5.x.x status).
    Bounce(Option<bool>),
    AutoReply,
    /// Neither a bounce nor an auto-reply.
    Other,
    /// Not a bounce; auto-reply or not is not said.
    NotBounce,
}

fn agrees(expect: Expect, c: &Classification) -> bool {
    match expect {
        Expect::Bounce(permanent) => {
            c.class == MessageClass::Bounce
                && permanent.is_none_or(|p| c.bounce.as_ref().is_some_and(|b| b.permanent == p))
        }
        Expect::AutoReply => c.class == MessageClass::AutoReply,
        Expect::Other => !matches!(c.class, MessageClass::Bounce | MessageClass::AutoReply),
        Expect::NotBounce => c.class != MessageClass::Bounce,
    }
}

struct Tally {
    name: &'static str,
    total: usize,
    agree: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Tally { name, total: 0, agree: 0, disagreements: Vec::new() }
    }
    fn check(&mut self, path: &Path, expect: Expect) {
        let c = classify(path);
        if std::env::var_os("FOI_CORPUS_VERBOSE").is_some() {
            println!(
                "{}\t{}\t{:?}\t{}\t{}",
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                c.class,
                c.bounce,
                c.rule,
                c.evidence
            );
        }
        self.total += 1;
        if agrees(expect, &c) {
            self.agree += 1;
        } else {
            self.disagreements.push(format!(
                "{}: expected {expect:?}, got {} {:?} (rule {}, evidence {:?})",
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                c.class,
                c.bounce,
                c.rule,
                c.evidence
            ));
        }
    }
    fn rate(&self) -> f64 {
        self.agree as f64 / self.total.max(1) as f64
    }
    fn print(&self) {
        println!("{}: {}/{} agree ({:.1}%)", self.name, self.agree, self.total, 100.0 * self.rate());
        for d in &self.disagreements {
            println!("  disagrees: {d}");
        }
    }
}

fn files(dir: &Path, ext: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the corpus sits beside the repository)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| ext.iter().any(|e| x == *e)))
        .collect();
    out.sort();
    out
}

/// sisimai: EXPECTED.tsv (file, dsn, reply_code, reason, hardbounce, source). A status given
/// means a bounce, permanent when it is 5.x.x (sisimai's "hardbounce" is narrower: address
/// known bad; a full mailbox or a spam rejection is soft there, permanent here, since the
/// sending server gave up); reason "vacation" is an auto-reply; "not a bounce" is not one.
fn sisimai(t: &mut Tally, hard: &mut (usize, usize)) {
    let dir = corpus().join("other/sisimai");
    let tsv = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap_or_else(|e| panic!("EXPECTED.tsv: {e}"));
    let mut expected: BTreeMap<String, (Expect, Option<bool>)> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 5 || expected.contains_key(cols[0]) {
            continue;
        }
        let (dsn, reason, hardbounce) = (cols[1].trim(), cols[3].trim(), cols[4].trim());
        let e = if reason.starts_with("not a bounce") {
            Expect::NotBounce
        } else if reason == "vacation" {
            Expect::AutoReply
        } else {
            let permanent = dsn.chars().next().filter(|c| matches!(c, '4' | '5')).map(|c| c == '5');
            Expect::Bounce(permanent)
        };
        let hb = match hardbounce {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        };
        expected.insert(cols[0].to_string(), (e, hb));
    }
    let on_disk = files(&dir, &["eml"]);
    assert_eq!(on_disk.len(), expected.len(), "every sisimai message has an expectation");
    for path in on_disk {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((e, hb)) = expected.get(&name).copied() else { panic!("{name} is not in EXPECTED.tsv") };
        t.check(&path, e);
        if let (Expect::Bounce(_), Some(hb)) = (e, hb) {
            let c = classify(&path);
            hard.0 += 1;
            if c.bounce.is_some_and(|b| b.permanent == hb) {
                hard.1 += 1;
            }
        }
    }
}

/// alaveteli: `track-response-generic-oof.eml` is an out-of-office (exit 2 of
/// handle-mail-replies); every other fixture is an ordinary message (exit 0: neither a bounce
/// nor an auto-reply; the spec asserts it for incoming-request-bad-uuencoding.eml).
fn alaveteli(t: &mut Tally) {
    for path in files(&corpus().join("alaveteli"), &["eml"]) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let e = if name.contains("oof") || name.contains("out-of-office") {
            Expect::AutoReply
        } else if name.contains("bounce") {
            Expect::Bounce(None)
        } else {
            Expect::Other
        };
        t.check(&path, e);
    }
}

/// froide: bounce_001 (5.5.3) and bounce_002 (5.1.1) are hard bounces, bounce_003 (552 5.2.2
/// quota) is a bounce froide calls soft (the server gave up: permanent here), test_mail_12 is a
/// Postfix bounce, test_mail_05 an auto-reply (`X-Autoreply`); the others are not bounces.
fn froide(t: &mut Tally) {
    for path in files(&corpus().join("froide"), &["txt", "eml"]) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let e = match name.as_str() {
            "bounce_001.txt" | "bounce_002.txt" | "bounce_003.txt" => Expect::Bounce(Some(true)),
            "test_mail_12.txt" => Expect::Bounce(None),
            "test_mail_05.txt" => Expect::AutoReply,
            _ => Expect::NotBounce,
        };
        t.check(&path, e);
    }
}

/// enmime: its DSNs (`dsn/`, the delayed one temporary; "Cannot send message for 5 days",
/// Action failed with 4.0.0, is permanent: the server gave up), and its ordinary and
/// low-quality messages, which are not bounces, except `multipart-wo-boundary.raw` (a test of
/// a report without a boundary, but from Mailer-Daemon with the subject "Delivery Status
/// Notification (Failure)": a bounce by its headers).
fn enmime(t: &mut Tally) {
    let dir = corpus().join("other/enmime");
    for path in files(&dir.join("dsn"), &["raw"]) {
        let delayed = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("delayed"));
        t.check(&path, Expect::Bounce(Some(!delayed)));
    }
    for sub in ["mail", "low-quality"] {
        for path in files(&dir.join(sub), &["raw"]) {
            let bounce = path.file_name().is_some_and(|n| n == "multipart-wo-boundary.raw");
            t.check(&path, if bounce { Expect::Bounce(None) } else { Expect::NotBounce });
        }
    }
}

/// mail-parser's malformed and third-party messages: no expectation but no panic; the
/// classes are printed.
fn mail_parser() -> BTreeMap<String, usize> {
    let mut classes = BTreeMap::new();
    let dir = corpus().join("other/mail-parser");
    for sub in ["malformed", "rfc", "thirdparty"] {
        for path in files(&dir.join(sub), &["eml"]) {
            *classes.entry(classify(&path).class.to_string()).or_insert(0) += 1;
        }
    }
    classes
}

#[test]
fn corpus_classify_agreement() {
    let mut s = Tally::new("sisimai bounces and vacation replies");
    let mut hard = (0, 0);
    sisimai(&mut s, &mut hard);
    let mut a = Tally::new("alaveteli fixtures");
    alaveteli(&mut a);
    let mut f = Tally::new("froide fixtures");
    froide(&mut f);
    s.print();
    println!(
        "  (for information: permanent == sisimai's hardbounce for {}/{} bounces; hardbounce means \
'address known bad', a narrower notion)",
        hard.1, hard.0
    );
    a.print();
    f.print();
    let mut e = Tally::new("enmime DSNs and ordinary messages");
    enmime(&mut e);
    e.print();
    println!("mail-parser messages (no expectation, no panic): {:?}", mail_parser());
    let total = s.total + a.total + f.total + e.total;
    let agree = s.agree + a.agree + f.agree + e.agree;
    let rate = agree as f64 / total.max(1) as f64;
    println!("overall: {agree}/{total} agree ({:.1}%)", 100.0 * rate);
    assert!(s.total >= 59 && a.total >= 29, "corpus incomplete: {} sisimai, {} alaveteli", s.total, a.total);
    assert!(s.rate() >= 0.95, "sisimai agreement {:.3} < 0.95", s.rate());
    assert!(a.rate() >= 0.95, "alaveteli agreement {:.3} < 0.95", a.rate());
    assert!(rate >= 0.95, "overall agreement {rate:.3} < 0.95");
}
