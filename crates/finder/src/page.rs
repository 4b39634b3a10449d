//! One HTML page read for what the finder needs: its visible text in lines (one per block),
//! its links with their text, the addresses on it (mailto: links, plain text, disguised as
//! `foi [at] kent [dot] gov [dot] uk`, Cloudflare's encoded addresses) each with the sentence
//! around it, and whether it sends requests through an online form.

use std::sync::LazyLock;

use ego_tree::iter::Edge;
use regex::Regex;
use scraper::{Html, Node, Selector};
use url::Url;

use crate::rank::{self, LinkKind, Topic, re};

/// What one page says.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Its title, first heading or path names FOI.
    pub(crate) about_foi: bool,
    pub(crate) sightings: Vec<Sighting>,
    /// Links worth following (http and https only, fragments removed, documents left out),
    /// each once, in page order.
    pub(crate) links: Vec<(Url, LinkKind)>,
    /// It says requests go through an online form (or, being about FOI, links to a request
    /// portal).
    pub(crate) web_form: bool,
}

/// One address seen on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sighting {
    /// Lowercase.
    pub(crate) address: String,
    pub(crate) sentence: String,
    /// What the sentence (without the address itself) or the mailto link's subject is about.
    pub(crate) topic: Topic,
    pub(crate) mailto: bool,
}

/// At most this many addresses are kept from one page.
const MAX_SIGHTINGS: usize = 500;
/// At most this many links are kept from one page.
const MAX_LINKS: usize = 2000;
/// A sentence is cut to about this many characters either side of its address.
const BEFORE_CHARS: usize = 140;
const AFTER_CHARS: usize = 100;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b[a-z0-9](?:[a-z0-9._%+'-]{0,62}[a-z0-9_-])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b")
});

static EMAIL_WHOLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^[a-z0-9](?:[a-z0-9._%+'-]{0,62}[a-z0-9_-])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
});

/// `foi [at] kent [dot] gov [dot] uk`, `foi(at)kent.gov.uk`, `foi at kent dot gov dot uk`,
/// `foi@kent[dot]gov[dot]uk`. Group 1 the local part, 2 the "at", 3 the domain.
static OBFUSCATED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b([a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?)( ?[\[\(\{<] ?at ?[\]\)\}>] ?| at |@)((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?: ?[\[\(\{<] ?dot ?[\]\)\}>] ?| dot |\.))+[a-z]{2,24})\b",
    )
});

static OBFUSCATED_DOT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i) ?[\[\(\{<] ?dot ?[\]\)\}>] ?| dot "));

/// Sentence ends within a line.
static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| re(r"[.!?] "));

static TITLE: LazyLock<Selector> = LazyLock::new(|| selector("title"));
static H1: LazyLock<Selector> = LazyLock::new(|| selector("h1"));
static BASE: LazyLock<Selector> = LazyLock::new(|| selector("base[href]"));

fn selector(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| unreachable!("built-in selector {s}: {e}"))
}

/// Elements whose content is never shown as text.
const HIDDEN: &[&str] =
    &["script", "style", "noscript", "template", "title", "head", "svg", "math", "iframe", "object"];

/// Elements that start and end a line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Links to these are documents, not pages: never followed.
const DOCUMENTS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "ods", "csv", "ppt", "pptx", "odp", "zip", "jpg", "jpeg", "png",
    "gif", "svg", "webp", "ico", "mp3", "mp4", "m4a", "wav", "avi", "mov", "ics", "xml", "json", "txt", "css", "js",
];

/// Pages nested deeper than this (as [`nesting`] counts) are not parsed.
pub(crate) const MAX_NESTING: usize = 1000;

/// Elements that have no end tag, or whose end tag is often left out: not counted by
/// [`nesting`].
const UNCOUNTED: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"keygen",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"option",
    b"optgroup",
    b"tr",
    b"td",
    b"th",
    b"tbody",
    b"thead",
    b"tfoot",
    b"colgroup",
    b"caption",
    b"rb",
    b"rt",
    b"rp",
    b"rtc",
    b"html",
    b"head",
    b"body",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&[u8]] =
    &[b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript"];

/// How deep a page's elements nest at most, counted from its tags in one pass without
/// parsing (elements with optional end tags left out, unclosed ones counted as open).
pub(crate) fn nesting(html: &str) -> usize {
    let lower = html.to_ascii_lowercase();
    let b = lower.as_bytes();
    let find = |from: usize, what: &[u8]| -> Option<usize> {
        b.get(from..)?.windows(what.len()).position(|w| w == what).map(|p| from + p)
    };
    let (mut i, mut depth, mut max) = (0, 0usize, 0usize);
    while let Some(lt) = b.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'<')) {
        i += lt + 1;
        if b.get(i..).is_some_and(|rest| rest.starts_with(b"!--")) {
            i = find(i, b"-->").map_or(b.len(), |end| end + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        let Some(name) = b.get(start..i).filter(|n| !n.is_empty()) else { continue };
        if UNCOUNTED.contains(&name) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        depth += 1;
        max = max.max(depth);
        if RAW_TEXT.contains(&name) {
            let end_tag = [b"</".as_slice(), name].concat();
            i = find(i, &end_tag).unwrap_or(b.len());
        }
    }
    max
}

/// An anchor as met in the text.
struct Anchor {
    href: String,
    /// Its title and aria-label.
    label: String,
    /// Its text's span in the page's text.
    start: usize,
    end: usize,
}

/// A page's text: blocks on lines of their own, whitespace collapsed.
#[derive(Default)]
struct Text {
    buf: String,
    anchors: Vec<Anchor>,
}

impl Text {
    fn push(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => {}
                c if c.is_whitespace() => {
                    if !self.buf.is_empty() && !self.buf.ends_with([' ', '\n']) {
                        self.buf.push(' ');
                    }
                }
                c => self.buf.push(c),
            }
        }
    }

    fn space(&mut self) {
        self.push(" ");
    }

    fn line_break(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
    }

    /// The text in a span (empty where the span is not one).
    fn span(&self, start: usize, end: usize) -> &str {
        self.buf.get(start..end).unwrap_or_default()
    }
}

/// Reads a page fetched from `url`.
pub(crate) fn read(html: &str, url: &Url) -> Facts {
    let doc = Html::parse_document(html);
    let base = doc
        .select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| url.join(href.trim()).ok())
        .unwrap_or_else(|| url.clone());
    let title: String = doc.select(&TITLE).next().map(|t| t.text().collect()).unwrap_or_default();
    let h1: String = doc.select(&H1).next().map(|t| t.text().collect()).unwrap_or_default();
    let about_foi = rank::page_about_foi(&format!("{title} {h1}"), url.path());
    let text = text_of(&doc);
    drop(doc);

    let mut facts = Facts { about_foi, ..Facts::default() };
    let mut seen_links = std::collections::HashSet::new();
    for anchor in &text.anchors {
        let inner = text.span(anchor.start, anchor.end);
        if let Some((addresses, subject)) = mailto(&anchor.href) {
            for address in addresses.into_iter().take(MAX_SIGHTINGS.saturating_sub(facts.sightings.len())) {
                let (sentence, context) = sentence(&text.buf, anchor.start, anchor.end, true);
                let topic = rank::topic(&context).max(rank::topic(&subject));
                facts.sightings.push(Sighting { address, sentence, topic, mailto: true });
            }
            continue;
        }
        let Ok(mut link) = base.join(anchor.href.trim()) else { continue };
        if !matches!(link.scheme(), "http" | "https") {
            continue;
        }
        link.set_fragment(None);
        let label = format!("{inner} {}", anchor.label);
        let kind = rank::link_kind(&label, link.path());
        if (facts.about_foi || kind == LinkKind::Foi) && link.host_str().is_some_and(rank::request_portal) {
            facts.web_form = true;
        }
        if kind == LinkKind::None || is_document(&link) || facts.links.len() >= MAX_LINKS {
            continue;
        }
        if seen_links.insert(link.clone()) {
            facts.links.push((link, kind));
        }
    }
    for m in EMAIL.find_iter(&text.buf).take(MAX_SIGHTINGS.saturating_sub(facts.sightings.len())) {
        let Some(address) = valid(m.as_str()) else { continue };
        let (sentence, context) = sentence(&text.buf, m.start(), m.end(), true);
        let topic = rank::topic(&context);
        facts.sightings.push(Sighting { address, sentence, topic, mailto: false });
    }
    for caps in OBFUSCATED.captures_iter(&text.buf) {
        if facts.sightings.len() >= MAX_SIGHTINGS {
            break;
        }
        let (Some(all), Some(local), Some(at), Some(domain)) = (caps.get(0), caps.get(1), caps.get(2), caps.get(3))
        else {
            continue;
        };
        let at_bracketed = !matches!(at.as_str().to_ascii_lowercase().as_str(), " at " | "@");
        let dot_hidden = OBFUSCATED_DOT.is_match(domain.as_str());
        if !(at_bracketed || dot_hidden) {
            continue;
        }
        let domain = OBFUSCATED_DOT.replace_all(domain.as_str(), ".");
        let Some(address) = valid(&format!("{}@{domain}", local.as_str())) else { continue };
        let (sentence, context) = sentence(&text.buf, all.start(), all.end(), false);
        let topic = rank::topic(&context);
        facts.sightings.push(Sighting { address, sentence, topic, mailto: false });
    }
    facts.web_form |= text
        .buf
        .lines()
        .flat_map(|line| SENTENCE_END.split(line))
        .any(|s| rank::names_web_form(s) && (facts.about_foi || rank::topic(s) == Topic::Foi));
    facts
}

/// The page's visible text, with the anchors met on the way.
fn text_of(doc: &Html) -> Text {
    let mut text = Text::default();
    // The node whose content is being left out (hidden, or replaced by its decoded address).
    let mut skipping = None;
    let mut open_anchors = Vec::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) => text.push(t),
                    Node::Element(e) => {
                        let name = e.name();
                        if HIDDEN.contains(&name) {
                            skipping = Some(node.id());
                            continue;
                        }
                        if BLOCKS.contains(&name) {
                            text.line_break();
                        } else if matches!(name, "td" | "th" | "img" | "input" | "button" | "label") {
                            text.space();
                        }
                        if name == "a" {
                            text.space();
                            let label =
                                [e.attr("title"), e.attr("aria-label")].into_iter().flatten().collect::<Vec<_>>();
                            text.anchors.push(Anchor {
                                href: e.attr("href").unwrap_or_default().to_string(),
                                label: label.join(" "),
                                start: text.buf.len(),
                                end: text.buf.len(),
                            });
                            open_anchors.push((node.id(), text.anchors.len() - 1));
                        }
                        if let Some(address) = e.attr("data-cfemail").and_then(cloudflare) {
                            text.push(&address);
                            skipping = Some(node.id());
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skipping {
                    if id != node.id() {
                        continue;
                    }
                    skipping = None;
                }
                let Node::Element(e) = node.value() else { continue };
                let name = e.name();
                if name == "a" {
                    if let Some(&(id, i)) = open_anchors.last()
                        && id == node.id()
                    {
                        open_anchors.pop();
                        let end = text.buf.len();
                        if let Some(anchor) = text.anchors.get_mut(i) {
                            anchor.end = end;
                        }
                    }
                    text.space();
                }
                if BLOCKS.contains(&name) {
                    text.line_break();
                } else if matches!(name, "td" | "th") {
                    text.space();
                }
            }
        }
    }
    text
}

/// The addresses of a `mailto:` link (or of Cloudflare's encoded link), lowercase, and its
/// subject.
fn mailto(href: &str) -> Option<(Vec<String>, String)> {
    let href = href.trim();
    if let Some((_, hex)) = href.split_once("/cdn-cgi/l/email-protection#") {
        return Some((cloudflare(hex).and_then(|a| valid(&a)).into_iter().collect(), String::new()));
    }
    let scheme = href.get(..7)?;
    if !scheme.eq_ignore_ascii_case("mailto:") {
        return None;
    }
    let rest = href.get(7..)?;
    let (to, query) = rest.split_once('?').unwrap_or((rest, ""));
    let to = percent_encoding::percent_decode_str(to).decode_utf8_lossy();
    let addresses = to.split([',', ';']).filter_map(|a| valid(a.trim())).collect();
    let subject = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case("subject"))
        .map(|(_, v)| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some((addresses, subject))
}

/// Cloudflare's email obfuscation: hex bytes, the first the key the rest are XORed with.
fn cloudflare(hex: &str) -> Option<String> {
    let hex = hex.trim();
    if hex.len() < 4 || hex.len() > 1024 || !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<Vec<u8>>>()?;
    let (key, rest) = bytes.split_first()?;
    let decoded: Vec<u8> = rest.iter().map(|b| b ^ key).collect();
    let address = String::from_utf8(decoded).ok()?;
    valid(&address)
}

/// The address lowercased if it is one: a sane length, no empty labels, not an image name
/// (`logo@2x.png`).
fn valid(address: &str) -> Option<String> {
    let address = address.trim().to_ascii_lowercase();
    if address.len() > 254 || !EMAIL_WHOLE.is_match(&address) {
        return None;
    }
    let (local, domain) = address.rsplit_once('@')?;
    let tld = domain.rsplit('.').next().unwrap_or_default();
    if local.len() > 64
        || local.contains("..")
        || DOCUMENTS.contains(&tld)
        || matches!(tld, "htm" | "html" | "php" | "aspx")
    {
        return None;
    }
    Some(address)
}

fn is_document(url: &Url) -> bool {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    last.rsplit_once('.').is_some_and(|(_, ext)| DOCUMENTS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The sentence around `start..end` in `buf` (cut to a readable length; the line before it
/// too when its own line says little, as under a heading or after "Email:"), and the same
/// without the address (for judging what it is about). `keep_inside` keeps the words inside
/// the span other than addresses (a mailto link's text: "email the FOI team").
fn sentence(buf: &str, start: usize, end: usize, keep_inside: bool) -> (String, String) {
    // Only a window around the address is looked at: a page of one endless line costs no
    // more per address than any other.
    let from = floor_boundary(buf, start.saturating_sub(1500));
    let to = floor_boundary(buf, end.saturating_add(600).min(buf.len()));
    let (Some(head), Some(inside), Some(tail)) = (buf.get(from..start), buf.get(start..end), buf.get(end..to)) else {
        return (String::new(), String::new());
    };
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let line_end = tail.find('\n').unwrap_or(tail.len());
    let after = first_sentence(tail.get(..line_end).unwrap_or_default());
    let inside_words = if keep_inside { EMAIL.replace_all(inside, " ").into_owned() } else { String::new() };
    // The sentence's start, then the sentences before it on its line, then the lines above
    // (their last sentence), until there are words enough to say what it is about.
    let lines_above = head.get(..line_start).unwrap_or_default().lines().rev().map(str::trim).filter(|l| !l.is_empty());
    let mut pieces = sentences_backwards(head.get(line_start..).unwrap_or_default())
        .into_iter()
        .chain(lines_above.take(2).map(last_sentence));
    let mut before = pieces.next().unwrap_or_default().to_string();
    for piece in pieces.take(3) {
        if before.chars().chain(inside_words.chars()).filter(|c| c.is_alphabetic()).count() >= 12 {
            break;
        }
        before = format!("{} {before}", piece.trim_end());
    }
    let before = clip_start(before.trim_start(), BEFORE_CHARS);
    let after = clip_end(after, AFTER_CHARS);
    let sentence = squeeze(&format!("{before}{inside}{after}"));
    let context = squeeze(&format!("{before} {inside_words} {after}"));
    (sentence, context)
}

/// The largest char boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The sentences of a line, last first (the last one unfinished: it runs up to the address).
fn sentences_backwards(s: &str) -> Vec<&str> {
    let mut starts = vec![0];
    starts.extend(SENTENCE_END.find_iter(s).map(|m| m.end()));
    let mut out = Vec::with_capacity(starts.len());
    let mut end = s.len();
    for &start in starts.iter().rev() {
        if let Some(piece) = s.get(start..end) {
            out.push(piece);
        }
        end = start;
    }
    out
}

fn last_sentence(s: &str) -> &str {
    SENTENCE_END.find_iter(s).last().and_then(|m| s.get(m.end()..)).unwrap_or(s)
}

fn first_sentence(s: &str) -> &str {
    if s.starts_with(['.', '!', '?']) {
        return s.get(..1).unwrap_or_default();
    }
    SENTENCE_END.find(s).and_then(|m| s.get(..m.start() + 1)).unwrap_or(s)
}

/// The last `max` characters of `s`, with "…" where cut.
fn clip_start(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let kept: String = s.chars().skip(n - max).collect();
    format!("…{kept}")
}

/// The first `max` characters of `s`, with "…" where cut.
fn clip_end(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max).collect();
    format!("{kept}…")
}

/// Whitespace collapsed, and none before punctuation (a link's end leaves a space).
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() && !word.starts_with(['.', ',', ';', ':', '!', '?', ')']) {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> Facts {
        let url = Url::parse("https://www.council.example/a/page").unwrap();
        read(&format!("<!doctype html><html><head><title>Page</title></head><body>{body}</body></html>"), &url)
    }

    fn addresses(body: &str) -> Vec<(String, bool)> {
        page(body).sightings.into_iter().map(|s| (s.address, s.mailto)).collect()
    }

    #[test]
    fn addresses_in_text_links_and_disguise() {
        let check = |body: &str, want: &[(&str, bool)]| {
            let want: Vec<(String, bool)> = want.iter().map(|(a, m)| (a.to_string(), *m)).collect();
            assert_eq!(addresses(body), want, "{body}");
        };
        check("<p>Email FOI@Council.Example.</p>", &[("foi@council.example", false)]);
        check(
            r#"<p><a href="mailto:foi@council.example?subject=FOI">foi@council.example</a></p>"#,
            &[("foi@council.example", true), ("foi@council.example", false)],
        );
        check(r#"<a href="MAILTO:a@x.example,b@x.example">us</a>"#, &[("a@x.example", true), ("b@x.example", true)]);
        check(r#"<a href="mailto:foi%40x.example">write</a>"#, &[("foi@x.example", true)]);
        check("<p>foi [at] kent [dot] gov [dot] uk</p>", &[("foi@kent.gov.uk", false)]);
        check("<p>foi(at)kent.gov.uk</p>", &[("foi@kent.gov.uk", false)]);
        check("<p>foi at kent dot gov dot uk</p>", &[("foi@kent.gov.uk", false)]);
        check("<p>foi@kent[dot]gov[dot]uk</p>", &[("foi@kent.gov.uk", false)]);
        check("<p>foi&#64;kent.gov.uk</p>", &[("foi@kent.gov.uk", false)]);
        check("<p>foi@<span>kent.gov.uk</span></p>", &[("foi@kent.gov.uk", false)]);
        check("<p>f\u{200B}oi@kent.gov.uk</p>", &[("foi@kent.gov.uk", false)]);
        check(
            r#"<p><a href="mailto:x@a.example">x@a.example</a>Phone</p>"#,
            &[("x@a.example", true), ("x@a.example", false)],
        );
        // Cloudflare: key 0x42, "foi@x.example" XORed.
        let hex: String = std::iter::once(0x42u8)
            .chain("foi@x.example".bytes().map(|b| b ^ 0x42))
            .map(|b| format!("{b:02x}"))
            .collect();
        check(
            &format!(r#"<span class="__cf_email__" data-cfemail="{hex}">[email&#160;protected]</span>"#),
            &[("foi@x.example", false)],
        );
        check(&format!(r#"<a href="/cdn-cgi/l/email-protection#{hex}">Email us</a>"#), &[("foi@x.example", true)]);
        check("<p>visit us at kent.gov.uk</p>", &[]);
        check(r#"<img src="logo@2x.png"><p>logo@2x.png</p>"#, &[]);
        check("<script>var a = 'hidden@x.example';</script><style>/* s@x.example */</style>", &[]);
        check("<p>a..b@x.example</p>", &[]);
        check(r#"<a href="mailto:">empty</a><a href="mailto:not-an-address">x</a>"#, &[]);
    }

    #[test]
    fn the_sentence_around_an_address() {
        let facts = page(
            "<h2>Freedom of information</h2><p>Email:</p><p>foi@council.example</p>\
             <p>Bins are collected weekly. For general enquiries write to enquiries@council.example or call us. \
             Opening hours are 9 to 5.</p>\
             <p>To make a request, <a href=\"mailto:info@council.example\">email the FOI team</a>.</p>",
        );
        let got: Vec<(&str, &str, Topic)> =
            facts.sightings.iter().map(|s| (s.address.as_str(), s.sentence.as_str(), s.topic)).collect();
        assert_eq!(
            got,
            vec![
                ("info@council.example", "To make a request, email the FOI team.", Topic::Foi),
                ("foi@council.example", "Freedom of information Email: foi@council.example", Topic::Foi),
                (
                    "enquiries@council.example",
                    "For general enquiries write to enquiries@council.example or call us.",
                    Topic::Other
                ),
            ]
        );
    }

    #[test]
    fn a_heading_above_a_short_line_counts() {
        let facts = page("<h2>Freedom of information requests</h2><p>foi@council.example</p>");
        assert_eq!(facts.sightings[0].sentence, "Freedom of information requests foi@council.example");
        assert_eq!(facts.sightings[0].topic, Topic::Foi);
    }

    #[test]
    fn long_sentences_are_cut() {
        let long = "word ".repeat(200);
        let facts = page(&format!("<p>{long}foi@council.example {long}</p>"));
        let s = &facts.sightings[0].sentence;
        assert!(s.chars().count() <= BEFORE_CHARS + AFTER_CHARS + 40, "{}", s.len());
        assert!(s.contains("foi@council.example") && s.starts_with('…') && s.ends_with('…'));
    }

    #[test]
    fn links_followed_and_not() {
        let facts = page(
            r##"<base href="https://www.council.example/b/">
            <a href="/foi">Freedom of information</a>
            <a href="contact-us#top" title="Contact us">Get help</a>
            <a href="https://www.council.example/foi">FOI again</a>
            <a href="/foi/guide.pdf">Freedom of information guide</a>
            <a href="/bins">Bins</a>
            <a href="javascript:void(0)">Contact</a>
            <a href="ftp://x.example/contact">Contact</a>
            <a href="http://[::1">Contact</a>"##,
        );
        let links: Vec<(String, LinkKind)> = facts.links.iter().map(|(u, k)| (u.to_string(), *k)).collect();
        assert_eq!(
            links,
            vec![
                ("https://www.council.example/foi".to_string(), LinkKind::Foi),
                ("https://www.council.example/b/contact-us".to_string(), LinkKind::Contact),
            ]
        );
    }

    #[test]
    fn web_forms() {
        assert!(page("<p>We only accept FOI requests through our online form.</p>").web_form);
        let about = Url::parse("https://x.example/freedom-of-information").unwrap();
        assert!(read("<p>Please use the online form.</p>", &about).web_form);
        assert!(read(r#"<a href="https://x.icasework.com/form">Make a request</a>"#, &about).web_form);
        assert!(!page("<p>Report a pothole using our online form.</p>").web_form);
        assert!(!page("<p>Send FOI requests to foi@x.example.</p>").web_form);
    }

    #[test]
    fn nesting_is_counted_from_the_tags() {
        let check = |html: &str, want: usize| assert_eq!(nesting(html), want, "{html}");
        check("", 0);
        check("<div><div><span>x</span></div></div>", 3);
        check("<ul><li>a<li>b</ul><p>x<p>y<br><img src=x>", 1);
        check("<DIV><Div>x</DIV></div><div>", 2);
        check("<script>if (a<b && c<d) { x = '<div>'; }</script><div></div>", 1);
        check("<!-- <div><div><div> --><div>", 1);
        check("</div></div><div>", 1);
        check("<div", 1);
        check("< div>", 0);
        check(&"<b>x</p>".repeat(5000), 5000);
        for site in ["council", "icb", "robots", "webform", "broken"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites").join(site);
            let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
            assert!(nesting(&html) < 10, "{site}: {}", nesting(&html));
        }
    }

    /// Generated input never panics: random bytes, random tags, deep nesting, cut UTF-8.
    #[test]
    fn any_input_is_read_without_panic() {
        let url = Url::parse("https://x.example/").unwrap();
        let pieces = [
            "<a href=\"mailto:",
            "\">",
            "</a>",
            "<p>",
            "</p>",
            "@",
            "[at]",
            " dot ",
            ".",
            "foi",
            "é",
            "\u{200B}",
            "<div>",
            "<script>",
            "</script>",
            "<a href=\"",
            "data-cfemail=\"",
            "zz",
            "\n",
            "<br>",
            "..",
            "<base href=\"",
            "<table><tr><td>",
            "£",
            "&#64;",
            "<!--",
            "-->",
            "\0",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..300 {
            let mut doc = String::new();
            for _ in 0..(round % 97) * 3 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                doc.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            let _ = (nesting(&doc), read(&doc, &url));
            let bytes: Vec<u8> = doc.bytes().rev().collect();
            let reversed = String::from_utf8_lossy(&bytes);
            let _ = (nesting(&reversed), read(&reversed, &url));
        }
        let deep = "<div>".repeat(3_000) + "foi@x.example" + &"</div>".repeat(3_000);
        assert_eq!(read(&deep, &url).sightings.len(), 1);
        let many = "<p>a@b.example</p>".repeat(MAX_SIGHTINGS * 2);
        assert_eq!(read(&many, &url).sightings.len(), MAX_SIGHTINGS);
    }
}
