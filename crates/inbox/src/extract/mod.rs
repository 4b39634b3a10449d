//! Attachment text extraction (PDF, Word, spreadsheets, CSV, HTML, RTF, ZIP), each under a
//! time and memory limit so a hostile or broken file cannot take the process down; and the
//! decoders for files hidden inside message bodies (TNEF winmail.dat, inline uuencode).
//!
//! PDF goes to poppler's `pdftotext` in a child process (killed at the time limit, run under an
//! address-space limit). Everything parsed in process runs on tokio's blocking pool under the
//! time limit and `catch_unwind`, with input-size caps standing in for the memory limit: a
//! panic, a timeout or an over-large file is `Extraction::Failed(reason)`, never a crash.
//! (A blocking parser that times out is abandoned, not stopped: it finishes in the background.)

mod archive;
mod detect;
mod html;
mod office;
mod pdf;
mod rtf;
mod text;
mod tnef;
mod uuencode;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::time::Instant;

use self::detect::{Hint, Kind};

pub use self::html::html_to_text;
pub use self::pdf::pdf_text_available;
pub use self::text::decode_text;
pub use self::tnef::tnef_attachments;
pub use self::uuencode::uuencoded;

/// Limits for one extraction.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time for the whole extraction (an archive's entries share it).
    pub timeout: Duration,
    /// Address-space limit of the PDF extractor's process; in-process parsers refuse inputs
    /// larger than a quarter of it, and a ZIP may expand to at most half of it in total.
    pub memory_bytes: u64,
    /// Longest text kept; longer text is cut and ends with "[truncated]".
    pub max_text_chars: usize,
    /// How many archives deep a ZIP inside a ZIP is still opened.
    pub max_depth: u32,
    /// False: attachments are kept byte for byte but their text is not read (their status
    /// is "unsupported"). Only the ingest benchmark turns this off, to time the pipeline
    /// apart from extraction.
    pub read_attachments: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(20),
            memory_bytes: 512 * 1024 * 1024,
            max_text_chars: 2_000_000,
            max_depth: 3,
            read_attachments: true,
        }
    }
}

/// What came out of one attachment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Extraction {
    /// Its text (possibly empty, e.g. a scanned PDF without a text layer).
    Ok(String),
    /// A supported type that could not be read: why.
    Failed(String),
    /// A type foi does not read (images, legacy .doc, ...).
    Unsupported,
}

impl Extraction {
    /// "ok", "failed" or "unsupported" (the `extraction` field of `foi messages list --json`).
    pub fn status(&self) -> &'static str {
        match self {
            Extraction::Ok(_) => "ok",
            Extraction::Failed(_) => "failed",
            Extraction::Unsupported => "unsupported",
        }
    }

    /// The text, when extraction succeeded.
    pub fn text(&self) -> Option<&str> {
        match self {
            Extraction::Ok(t) => Some(t),
            _ => None,
        }
    }

    /// Why extraction failed, when it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            Extraction::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// Text of one attachment, chosen by content type and file name (sniffing magic bytes when
/// they disagree: %PDF, PK zip, D0CF11E0 OLE, {\rtf).
pub async fn extract_text(filename: Option<&str>, content_type: &str, bytes: &[u8], limits: &Limits) -> Extraction {
    let ctx = Ctx::new(*limits);
    let work = extract_at(filename, content_type, bytes, &ctx, 0);
    match tokio::time::timeout_at(ctx.deadline, work).await {
        Ok(Extraction::Ok(text)) => Extraction::Ok(finish_text(text, limits.max_text_chars)),
        Ok(other) => other,
        Err(_) => Extraction::Failed(format!("extraction timed out after {}", human_duration(limits.timeout))),
    }
}

/// One extraction's limits, its deadline, and the bytes archives may still expand to.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    limits: Limits,
    deadline: Instant,
    archive_budget: Arc<AtomicU64>,
}

impl Ctx {
    fn new(limits: Limits) -> Ctx {
        let now = Instant::now();
        Ctx {
            limits,
            deadline: now.checked_add(limits.timeout).unwrap_or(now + Duration::from_secs(86_400 * 365)),
            archive_budget: Arc::new(AtomicU64::new(limits.memory_bytes / 2)),
        }
    }

    /// How far all archives of this extraction may expand in total.
    fn archive_budget_total(&self) -> u64 {
        self.limits.memory_bytes / 2
    }

    /// The largest input an in-process parser accepts.
    fn in_process_cap(&self) -> u64 {
        self.limits.memory_bytes / 4
    }

    fn timed_out(&self, what: &str) -> String {
        format!("{what} timed out after {}", human_duration(self.limits.timeout))
    }
}

/// Extracts one file at archive depth `depth` (0 for an attachment itself). Text is not yet cut
/// to `max_text_chars` (collectors stop a little past it; `finish_text` cuts).
async fn extract_at(filename: Option<&str>, content_type: &str, bytes: &[u8], ctx: &Ctx, depth: u32) -> Extraction {
    let charset = detect::charset(content_type);
    match detect::kind(filename, content_type, bytes) {
        Kind::Unsupported => Extraction::Unsupported,
        Kind::Pdf => pdf::extract(bytes, ctx).await,
        Kind::Text => {
            let owned = text::prefix_for(bytes, ctx.limits.max_text_chars).to_vec();
            blocking("text decoding", ctx, move || Ok(decode_text(&owned, charset.as_deref()))).await.into()
        }
        Kind::Html => {
            let owned = match in_process(bytes, ctx, "HTML") {
                Ok(owned) => owned,
                Err(failed) => return failed,
            };
            blocking("HTML reader", ctx, move || Ok(html_to_text(&decode_text(&owned, charset.as_deref()))))
                .await
                .into()
        }
        Kind::Rtf => {
            let owned = match in_process(bytes, ctx, "RTF") {
                Ok(owned) => owned,
                Err(failed) => return failed,
            };
            let max = ctx.limits.max_text_chars;
            blocking("RTF reader", ctx, move || Ok(rtf::rtf_to_text(&owned, max))).await.into()
        }
        Kind::Ole(hint) => {
            let owned = match in_process(bytes, ctx, "spreadsheet") {
                Ok(owned) => owned,
                Err(failed) => return failed,
            };
            if office::is_encrypted_ooxml(&owned) {
                return Extraction::Failed("the document is password-protected".to_string());
            }
            let max = ctx.limits.max_text_chars;
            match blocking("XLS reader", ctx, move || office::spreadsheet(&owned, office::Sheet::Xls, max)).await {
                Ok(text) => Extraction::Ok(text),
                // An OLE file not declared as Excel that calamine cannot read is some other
                // Office format (Word 97, Outlook .msg, PowerPoint): not one foi reads.
                Err(_) if hint != Some(Hint::Xls) => Extraction::Unsupported,
                Err(reason) => Extraction::Failed(reason),
            }
        }
        Kind::Zip(hint) => {
            let owned = match in_process(bytes, ctx, "file") {
                Ok(owned) => owned,
                Err(failed) => return failed,
            };
            let (max, cap) = (ctx.limits.max_text_chars, ctx.in_process_cap());
            let read = blocking("Office document reader", ctx, move || Ok(office::container(owned, hint, max, cap)));
            match read.await {
                Err(reason) => Extraction::Failed(reason),
                Ok(office::Container::Read(extraction)) => extraction,
                Ok(office::Container::Archive(owned)) => Box::pin(archive::extract(owned, ctx, depth)).await,
            }
        }
    }
}

impl From<Result<String, String>> for Extraction {
    fn from(result: Result<String, String>) -> Self {
        result.map_or_else(Extraction::Failed, Extraction::Ok)
    }
}

/// The bytes as an owned buffer for an in-process parser; Failed when they exceed its cap.
fn in_process(bytes: &[u8], ctx: &Ctx, what: &str) -> Result<Vec<u8>, Extraction> {
    if bytes.len() as u64 <= ctx.in_process_cap() {
        Ok(bytes.to_vec())
    } else {
        Err(Extraction::Failed(format!(
            "the {what} is too large to read ({}; the limit is {})",
            human_bytes(bytes.len() as u64),
            human_bytes(ctx.in_process_cap())
        )))
    }
}

/// Runs an in-process parser on the blocking pool under the extraction's deadline; a panic or
/// a timeout becomes `Err(reason)`.
async fn blocking<T, F>(what: &str, ctx: &Ctx, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(f)));
    match tokio::time::timeout_at(ctx.deadline, task).await {
        Err(_) => Err(ctx.timed_out(what)),
        Ok(Err(join)) => Err(format!("{what} crashed: {join}")),
        Ok(Ok(Err(panic))) => Err(format!("{what} crashed: {}", panic_message(panic.as_ref()))),
        Ok(Ok(Ok(result))) => result,
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Cuts text to `max` characters (adding "[truncated]"), drops NULs (PostgreSQL text cannot
/// hold them) and turns CRLF into LF.
fn finish_text(text: String, max: usize) -> String {
    let mut text =
        if text.contains('\0') || text.contains('\r') { text.replace("\r\n", "\n").replace('\0', "") } else { text };
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
        text.push_str("\n[truncated]");
    }
    text
}

/// Collects text up to a character limit. It keeps one character more than the limit so that
/// `finish_text` knows there was more and says "[truncated]".
#[derive(Debug)]
pub(crate) struct Sink {
    text: String,
    chars: usize,
    keep: usize,
}

impl Sink {
    pub(crate) fn new(max_text_chars: usize) -> Sink {
        Sink { text: String::new(), chars: 0, keep: max_text_chars.saturating_add(1) }
    }

    /// Appends; false once full (callers stop reading).
    pub(crate) fn push(&mut self, s: &str) -> bool {
        if self.chars >= self.keep {
            return false;
        }
        let room = self.keep - self.chars;
        match s.char_indices().nth(room) {
            None => {
                self.chars += s.chars().count();
                self.text.push_str(s);
            }
            Some((cut, _)) => {
                self.text.push_str(&s[..cut]);
                self.chars = self.keep;
            }
        }
        self.chars < self.keep
    }

    pub(crate) fn push_char(&mut self, c: char) -> bool {
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf))
    }

    pub(crate) fn is_full(&self) -> bool {
        self.chars >= self.keep
    }

    /// Removes trailing characters matching `f` (for tidying separators).
    pub(crate) fn trim_end_matches(&mut self, f: impl Fn(char) -> bool) {
        while let Some(c) = self.text.chars().next_back() {
            if !f(c) {
                break;
            }
            self.text.pop();
            self.chars = self.chars.saturating_sub(1);
        }
    }

    pub(crate) fn into_text(self) -> String {
        self.text
    }
}

/// "20 s", "1.5 s", "250 ms".
fn human_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// "512 MiB", "3.2 MiB", "700 KiB", "12 bytes".
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= 10 * MIB {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Helper so the archive module can recurse through the dispatcher.
fn extract_entry<'a>(
    name: &'a str,
    bytes: &'a [u8],
    ctx: &'a Ctx,
    depth: u32,
) -> std::pin::Pin<Box<dyn Future<Output = Extraction> + Send + 'a>> {
    Box::pin(extract_at(Some(name), "application/octet-stream", bytes, ctx, depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_and_error() {
        let ok = Extraction::Ok("hi".into());
        assert_eq!((ok.status(), ok.text(), ok.error()), ("ok", Some("hi"), None));
        let failed = Extraction::Failed("bad".into());
        assert_eq!((failed.status(), failed.text(), failed.error()), ("failed", None, Some("bad")));
        assert_eq!(Extraction::Unsupported.status(), "unsupported");
        let limits = Limits::default();
        assert_eq!(limits.timeout, Duration::from_secs(20));
        assert_eq!(limits.memory_bytes, 512 * 1024 * 1024);
        assert_eq!((limits.max_text_chars, limits.max_depth), (2_000_000, 3));
    }

    #[test]
    fn text_is_cut_with_a_note() {
        assert_eq!(finish_text("abcdef".into(), 3), "abc\n[truncated]");
        assert_eq!(finish_text("abc".into(), 3), "abc");
        assert_eq!(finish_text("a\r\nb\0c".into(), 10), "a\nbc");
        let mut sink = Sink::new(3);
        assert!(sink.push("ab"));
        assert!(!sink.push("cdef"));
        assert!(sink.is_full());
        assert_eq!(finish_text(sink.into_text(), 3), "abc\n[truncated]");
        assert_eq!(human_duration(Duration::from_secs(20)), "20 s");
        assert_eq!(human_duration(Duration::from_millis(1)), "1 ms");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
    }

    #[tokio::test]
    async fn a_panicking_parser_is_a_failure() {
        let ctx = Ctx::new(Limits::default());
        let result: Result<(), String> = blocking("test parser", &ctx, || panic!("boom")).await;
        assert_eq!(result, Err("test parser crashed: boom".into()));
    }

    #[tokio::test]
    async fn a_hanging_parser_times_out() {
        let ctx = Ctx::new(Limits { timeout: Duration::from_millis(50), ..Limits::default() });
        let result = blocking("slow parser", &ctx, || {
            std::thread::sleep(Duration::from_millis(500));
            Ok(())
        })
        .await;
        assert_eq!(result, Err("slow parser timed out after 50 ms".into()));
    }

    #[tokio::test]
    async fn unknown_types_are_unsupported() {
        let limits = Limits::default();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(extract_text(Some("photo.png"), "image/png", png, &limits).await, Extraction::Unsupported);
        assert_eq!(
            extract_text(Some("letter.doc"), "application/msword", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", &limits)
                .await,
            Extraction::Unsupported
        );
        assert_eq!(extract_text(None, "application/octet-stream", b"\x01\x02", &limits).await, Extraction::Unsupported);
    }

    #[tokio::test]
    async fn plain_text_and_csv_are_decoded_and_cut() {
        let limits = Limits { max_text_chars: 10, ..Limits::default() };
        let got = extract_text(Some("data.csv"), "text/csv", b"a,b\r\n1,2\r\n3,4\r\n5,6\r\n", &limits).await;
        assert_eq!(got, Extraction::Ok("a,b\n1,2\n3,\n[truncated]".into()));
        // Windows-1252 (a pound sign and an en dash) when the bytes are not UTF-8.
        let got = extract_text(Some("costs.txt"), "text/plain", b"\xa3100 \x96 \xa3200", &Limits::default()).await;
        assert_eq!(got, Extraction::Ok("£100 – £200".into()));
        // A CSV sent as "Excel" (a common mislabelling) is still read as text.
        let got =
            extract_text(Some("export.csv"), "application/vnd.ms-excel", b"Name,Count\nA,1\n", &Limits::default())
                .await;
        assert_eq!(got, Extraction::Ok("Name,Count\nA,1\n".into()));
    }

    #[tokio::test]
    async fn html_with_a_script_is_readable_text() {
        let html = b"<html><head><title>T</title><style>p{color:red}</style>\
            <script>alert('x < y')</script></head><body><h1>Response</h1>\
            <p>We hold <b>no</b>&nbsp;information &amp; refuse under s.12.</p>\
            <table><tr><td>Year</td><td>Cost</td></tr><tr><td>2024</td><td>&pound;5</td></tr></table></body></html>";
        let got = extract_text(Some("reply.htm"), "text/html; charset=utf-8", html, &Limits::default()).await;
        let text = got.text().unwrap();
        assert!(!text.contains("alert") && !text.contains("color"), "{text}");
        assert!(text.contains("Response\n"), "{text}");
        assert!(text.contains("We hold no\u{a0}information & refuse under s.12."), "{text}");
        assert!(text.contains("Year\tCost\n2024\t£5"), "{text}");
    }

    #[tokio::test]
    async fn rtf_is_readable_text() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}
{\*\generator Msftedit;}\pard\f0\fs20 Dear Sir,\par
The cost is \'a3450 \endash  see s.12.\par
{\b Caf\u233?s} closed.\par}";
        let got = extract_text(Some("letter.rtf"), "application/rtf", rtf, &Limits::default()).await;
        assert_eq!(got, Extraction::Ok("Dear Sir,\nThe cost is £450 – see s.12.\nCafés closed.\n".into()));
        // Sniffed even when mislabelled.
        let got = extract_text(Some("letter.dat"), "application/octet-stream", rtf, &Limits::default()).await;
        assert_eq!(got.status(), "ok");
    }
}
