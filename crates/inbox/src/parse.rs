//! Parsing one raw message with mailparse: decoded headers (RFC 2047, RFC 2231), sender,
//! date, threading, every recipient a token may hide in, the text (plain preferred, HTML
//! turned into text, quoted history folded away), and every attachment, including nested
//! messages, TNEF contents and inline uuencoded files. Never panics: a message that cannot be
//! parsed at all comes back with `parse_error` set.

use chrono::{DateTime, Utc};
use mailparse::{MailHeaderMap, ParsedMail};

use crate::{extract, folding};

/// One attachment found in a message.
#[derive(Debug, Clone)]
pub struct Part {
    pub filename: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What foi reads from a message.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// In-Reply-To and References, without angle brackets.
    pub thread: Vec<String>,
    /// Addresses from To, Cc, Delivered-To, X-Original-To, Envelope-To and Received "for".
    pub recipients: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    /// The reply's new text (quoted history folded away).
    pub text: String,
    /// The whole text, quoted history included.
    pub full_text: String,
    pub folded: bool,
    /// The text of a message/delivery-status part (bounces).
    pub delivery_status: Option<String>,
    /// The header sections of messages this one carries (a `message/rfc822` part, a
    /// `text/rfc822-headers` part): a bounce's copy of the message that failed.
    pub originals: Vec<String>,
    pub attachments: Vec<Part>,
    pub parse_error: Option<String>,
}

fn strip_brackets(s: &str) -> String {
    s.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn ids(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(strip_brackets)
        .filter(|t| t.contains('@'))
        .collect()
}

/// Addresses in a text (header values, a header section), by a forgiving pattern.
pub(crate) fn addresses_in(value: &str) -> Vec<String> {
    addresses(value)
}

/// Addresses in a header value, by a forgiving pattern (broken headers included).
fn addresses(value: &str) -> Vec<String> {
    static_re!(address_re, r"[A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}");
    let re = address_re();
    re.find_iter(value).map(|m| m.as_str().to_ascii_lowercase()).collect()
}

/// Drops a leading mbox `From ` line, which some exported .eml files carry.
pub fn without_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(i) => &raw[i + 1..],
            None => raw,
        }
    } else {
        raw
    }
}

/// Parses a raw message. Never panics.
pub fn parse(raw: &[u8]) -> Parsed {
    let body = without_mbox_line(raw);
    match std::panic::catch_unwind(|| mailparse::parse_mail(body)) {
        Ok(Ok(mail)) => {
            let mut p = Parsed::default();
            read_headers(&mail, &mut p);
            let mut texts = Texts::default();
            walk(&mail, &mut p, &mut texts, 0);
            let full = texts.plain.or(texts.html).unwrap_or_default();
            let (full, uu) = extract::uuencoded(&full);
            for (name, bytes) in uu {
                p.attachments.push(Part { content_type: guess_type(&name), filename: Some(name), bytes });
            }
            let (mut text, mut folded) = folding::fold_quoted(&full);
            // "Please see response below": the answers are inside the quoted message.
            if folded && folding::points_below(&text) {
                text = full.replace("\r\n", "\n");
                folded = false;
            }
            p.full_text = full;
            p.text = text;
            p.folded = folded;
            p
        }
        Ok(Err(e)) => Parsed { parse_error: Some(format!("cannot parse the message: {e}")), ..fallback(body) },
        Err(_) => Parsed { parse_error: Some("cannot parse the message: the parser failed".into()), ..fallback(body) },
    }
}

/// What can be read from a message mailparse gave up on: headers by line.
pub(crate) fn fallback(raw: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(raw);
    let mut p = Parsed::default();
    for line in text.lines().take_while(|l| !l.is_empty()) {
        if let Some((k, v)) = line.split_once(':') {
            p.headers.push((k.trim().to_string(), v.trim().to_string()));
            match k.trim().to_ascii_lowercase().as_str() {
                "message-id" => p.message_id = Some(strip_brackets(v)),
                "subject" => p.subject = v.trim().to_string(),
                "from" => p.from = addresses(v).into_iter().next(),
                _ => {}
            }
        }
    }
    p
}

fn read_headers(mail: &ParsedMail, p: &mut Parsed) {
    for h in &mail.headers {
        p.headers.push((h.get_key(), h.get_value()));
    }
    let get = |name: &str| mail.headers.get_first_value(name);
    p.message_id = get("Message-ID").map(|v| strip_brackets(&v)).filter(|v| !v.is_empty());
    p.subject = get("Subject").unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    p.from = get("From").and_then(|v| addresses(&v).into_iter().next());
    p.date = get("Date").and_then(|d| mailparse::dateparse(&d).ok()).and_then(|t| DateTime::from_timestamp(t, 0));
    for name in ["In-Reply-To", "References"] {
        for v in mail.headers.get_all_values(name) {
            p.thread.extend(ids(&v));
        }
    }
    for name in ["To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Resent-To"] {
        for v in mail.headers.get_all_values(name) {
            p.recipients.extend(addresses(&v));
        }
    }
    for v in mail.headers.get_all_values("Received") {
        if let Some(i) = v.find(" for ") {
            p.recipients.extend(addresses(&v[i + 5..]).into_iter().take(1));
        }
    }
    p.recipients.dedup();
    p.content_type =
        mail.ctype.mimetype.clone() + &mail.ctype.params.iter().map(|(k, v)| format!("; {k}={v}")).collect::<String>();
}

#[derive(Default)]
struct Texts {
    plain: Option<String>,
    html: Option<String>,
}

fn guess_type(name: &str) -> String {
    match name.rsplit('.').next().map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("htm" | "html") => "text/html",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
    .to_string()
}

fn filename(part: &ParsedMail) -> Option<String> {
    let cd = part.get_content_disposition();
    cd.params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Most attached originals kept per message.
const MAX_ORIGINALS: usize = 4;
/// Most bytes of an attached original's header section kept.
const MAX_HEADER_SECTION: usize = 64 << 10;

/// The header section of a raw message (up to the first blank line, at most 64 KiB), as text.
fn header_section(raw: &[u8]) -> String {
    let raw = without_mbox_line(raw);
    let raw = &raw[..raw.len().min(MAX_HEADER_SECTION)];
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

fn walk(part: &ParsedMail, p: &mut Parsed, texts: &mut Texts, depth: u32) {
    if depth > 20 {
        return;
    }
    let mime = part.ctype.mimetype.to_ascii_lowercase();
    if !part.subparts.is_empty() {
        for sub in &part.subparts {
            walk(sub, p, texts, depth + 1);
        }
        return;
    }
    let name = filename(part);
    let is_attachment = matches!(part.get_content_disposition().disposition, mailparse::DispositionType::Attachment);
    let bytes = || part.get_body_raw().unwrap_or_default();
    match mime.as_str() {
        "message/delivery-status" | "message/global-delivery-status" => {
            p.delivery_status =
                Some(part.get_body().unwrap_or_else(|_| String::from_utf8_lossy(&bytes()).into_owned()));
        }
        "message/rfc822" | "message/global" => {
            let raw = bytes();
            if p.originals.len() < MAX_ORIGINALS {
                p.originals.push(header_section(&raw));
            }
            p.attachments.push(Part {
                filename: name.or_else(|| Some("attached message.eml".into())),
                content_type: "message/rfc822".into(),
                bytes: raw.clone(),
            });
            // The attached message's own attachments count too.
            let inner = parse(&raw);
            p.attachments.extend(inner.attachments);
        }
        "application/ms-tnef" | "application/vnd.ms-tnef" => {
            let raw = bytes();
            match extract::tnef_attachments(&raw) {
                Ok(files) if !files.is_empty() => {
                    for (n, b) in files {
                        p.attachments.push(Part { content_type: guess_type(&n), filename: Some(n), bytes: b });
                    }
                }
                _ => p.attachments.push(Part {
                    filename: name.or(Some("winmail.dat".into())),
                    content_type: mime,
                    bytes: raw,
                }),
            }
        }
        "text/rfc822-headers" | "message/rfc822-headers" | "message/global-headers" => {
            if p.originals.len() < MAX_ORIGINALS {
                p.originals.push(header_section(&bytes()));
            }
        }
        "text/plain" if !is_attachment && name.is_none() && texts.plain.is_none() => {
            texts.plain = Some(part.get_body().unwrap_or_else(|_| String::from_utf8_lossy(&bytes()).into_owned()));
        }
        "text/html" if !is_attachment && name.is_none() && texts.html.is_none() => {
            let html = part.get_body().unwrap_or_else(|_| String::from_utf8_lossy(&bytes()).into_owned());
            texts.html = Some(extract::html_to_text(&html));
        }
        _ => {
            if name.is_some() || is_attachment || !mime.starts_with("text/") {
                p.attachments.push(Part { filename: name, content_type: mime, bytes: bytes() });
            } else if let Some(t) = texts.plain.as_mut() {
                // A further inline text part: keep it with the text.
                t.push('\n');
                t.push_str(&part.get_body().unwrap_or_default());
            }
        }
    }
}
