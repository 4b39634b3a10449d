//! ZIP archives: each entry of a supported type extracted in turn (recursively, up to
//! `max_depth` archives deep), headed "== entry name ==". Against zip bombs: every entry is
//! read through a cap whatever its header claims, all archives of one extraction share an
//! uncompressed-size budget, and reading stops once the text is long enough.

use std::io::{Cursor, Read};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::{Ctx, Extraction, Sink, detect, extract_entry, human_bytes, panic_message};

/// Entries read from one archive at most.
const MAX_ENTRIES: usize = 10_000;

/// What the reader thread sends.
enum Msg {
    Entry(String, Vec<u8>),
    /// An entry that could not be read (encrypted, corrupt, unsupported compression).
    Unreadable(String, String),
    /// Reading stopped (the size budget or the entry limit).
    Stopped(String),
    /// The archive could not be read at all.
    Failed(String),
}

/// The text of a ZIP archive found at archive depth `depth`.
pub(crate) async fn extract(data: Vec<u8>, ctx: &Ctx, depth: u32) -> Extraction {
    if depth >= ctx.limits.max_depth {
        return Extraction::Failed(format!("archive nested more than {} archives deep", ctx.limits.max_depth));
    }
    // Entries are read on the blocking pool, one ahead of the extraction; dropping the
    // receiver (done, full, or timed out) stops the reader at its next entry.
    let (tx, mut rx) = mpsc::channel::<Msg>(1);
    let budget = ctx.archive_budget.clone();
    let total = ctx.archive_budget_total();
    tokio::task::spawn_blocking(move || {
        let read = std::panic::catch_unwind(AssertUnwindSafe(|| read_entries(&data, &tx, &budget, total)));
        if let Err(panic) = read {
            let _ = tx.blocking_send(Msg::Failed(format!("ZIP reader crashed: {}", panic_message(panic.as_ref()))));
        }
    });
    let mut sink = Sink::new(ctx.limits.max_text_chars);
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Failed(reason) => return Extraction::Failed(reason),
            Msg::Stopped(reason) => {
                sink.push(&format!("[{reason}]\n"));
                break;
            }
            Msg::Unreadable(name, reason) => {
                sink.push(&format!("== {name} ==\n[could not extract: {reason}]\n\n"));
            }
            Msg::Entry(name, data) => {
                if detect::kind(Some(&name), "application/octet-stream", &data) == detect::Kind::Unsupported {
                    continue;
                }
                let body = match extract_entry(&name, &data, ctx, depth + 1).await {
                    Extraction::Ok(text) => text,
                    Extraction::Failed(reason) => format!("[could not extract: {reason}]"),
                    Extraction::Unsupported => continue,
                };
                sink.push(&format!("== {name} ==\n"));
                sink.push(body.trim_end_matches('\n'));
                sink.push("\n\n");
            }
        }
        if sink.is_full() {
            break;
        }
    }
    Extraction::Ok(sink.into_text())
}

/// Reads the archive's file entries in order and sends them, until done, stopped or nobody
/// listens.
fn read_entries(data: &[u8], tx: &mpsc::Sender<Msg>, budget: &AtomicU64, total: u64) {
    let send = |msg| tx.blocking_send(msg).is_ok();
    let mut zip = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(zip) => zip,
        Err(e) => {
            send(Msg::Failed(format!("not a valid ZIP archive: {e}")));
            return;
        }
    };
    for index in 0..zip.len() {
        if index == MAX_ENTRIES {
            send(Msg::Stopped(format!("stopped after {MAX_ENTRIES} entries")));
            return;
        }
        let name = zip
            .name_for_index(index)
            .and_then(Result::ok)
            .map_or_else(|| format!("entry {}", index + 1), |n| n.into_owned());
        let mut file = match zip.by_index(index) {
            Ok(file) => file,
            Err(e) => {
                if !send(Msg::Unreadable(name, e.to_string())) {
                    return;
                }
                continue;
            }
        };
        if file.is_dir() {
            continue;
        }
        let left = budget.load(Ordering::SeqCst);
        let mut bytes = Vec::new();
        let read = (&mut file).take(left.saturating_add(1)).read_to_end(&mut bytes);
        if bytes.len() as u64 > left {
            send(Msg::Stopped(format!("stopped: the archive expands to more than {} in all", human_bytes(total))));
            return;
        }
        budget.fetch_sub(bytes.len() as u64, Ordering::SeqCst);
        let msg = match read {
            Ok(_) => Msg::Entry(name, bytes),
            Err(e) => Msg::Unreadable(name, e.to_string()),
        };
        if !send(msg) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::office::tests::{xlsx, zip_of};
    use super::super::{Limits, extract_text};

    #[tokio::test]
    async fn entries_are_extracted_recursively() {
        let inner = zip_of(&[("inner.csv", b"x,y\n1,2\n"), ("photo.jpg", b"\xff\xd8\xff")]);
        let book = xlsx(&[("Data", &[&["Year", "2024"]])]);
        let outer = zip_of(&[
            ("folder/answer.csv", b"Question,Answer\n1,Yes\n"),
            ("nested.zip", &inner),
            ("book.xlsx", &book),
            ("broken.pdf", b"%PDF-1.4 garbage"),
            ("binary.bin", b"\0\x01\x02"),
        ]);
        let got = extract_text(Some("reply.zip"), "application/zip", &outer, &Limits::default()).await;
        let text = got.text().unwrap_or_else(|| panic!("{got:?}"));
        assert!(
            text.starts_with(
                "== folder/answer.csv ==\nQuestion,Answer\n1,Yes\n\n== nested.zip ==\n== inner.csv ==\nx,y\n1,2\n\n"
            ),
            "{text}"
        );
        assert!(text.contains("== book.xlsx ==\nSheet: Data\nYear\t2024\n\n"), "{text}");
        assert!(text.contains("== broken.pdf ==\n[could not extract: pdftotext failed"), "{text}");
        assert!(!text.contains("photo.jpg") && !text.contains("binary.bin"), "{text}");
    }

    #[tokio::test]
    async fn nesting_is_limited() {
        let mut nested = zip_of(&[("deep.txt", b"bottom")]);
        for level in 0..4 {
            nested = zip_of(&[(&format!("level{level}.zip"), &nested)]);
        }
        let got = extract_text(Some("deep.zip"), "application/zip", &nested, &Limits::default()).await;
        let text = got.text().unwrap();
        assert!(text.contains("[could not extract: archive nested more than 3 archives deep]"), "{text}");
        assert!(!text.contains("bottom"), "{text}");
        let limits = Limits { max_depth: 6, ..Limits::default() };
        let got = extract_text(Some("deep.zip"), "application/zip", &nested, &limits).await;
        assert!(got.text().unwrap().contains("== deep.txt ==\nbottom"));
    }

    #[tokio::test]
    async fn zip_bombs_stop_at_the_limits() {
        // 40 MiB of zeros deflates to about 40 KiB.
        let zeros = vec![b'0'; 40 * 1024 * 1024];
        let bomb = zip_of(&[("a.txt", &zeros), ("b.txt", &zeros), ("c.txt", &zeros)]);
        assert!(bomb.len() < 1024 * 1024);
        // The text limit: reading stops at the first entry.
        let got = extract_text(Some("bomb.zip"), "application/zip", &bomb, &Limits::default()).await;
        let text = got.text().unwrap();
        assert!(text.ends_with("\n[truncated]") && text.starts_with("== a.txt ==\n000"), "{}", &text[..40]);
        // The size budget (half the memory limit): 64 MiB here, so the second entry stops it.
        let limits = Limits { memory_bytes: 128 * 1024 * 1024, ..Limits::default() };
        let many = zip_of(&[("a.bin", &zeros), ("b.bin", &zeros), ("d.txt", b"never")]);
        let got = extract_text(Some("bomb.zip"), "application/zip", &many, &limits).await;
        let text = got.text().unwrap();
        assert!(text.starts_with("[stopped: the archive expands to more than"), "{text}");
        assert!(!text.contains("never"), "{text}");
    }

    #[tokio::test]
    async fn broken_archives_fail_cleanly() {
        let got = extract_text(Some("x.zip"), "application/zip", b"PK\x03\x04 truncated", &Limits::default()).await;
        assert!(got.error().unwrap().starts_with("not a valid ZIP archive"), "{got:?}");
        let mut bytes = zip_of(&[("a.csv", b"a,b\n"), ("b.csv", b"c,d\n")]);
        // Corrupt the first entry's compressed data but keep the directory.
        let data_start = 30
            + usize::from(u16::from_le_bytes([bytes[26], bytes[27]]))
            + usize::from(u16::from_le_bytes([bytes[28], bytes[29]]));
        bytes[data_start] ^= 0xff;
        bytes[data_start + 1] ^= 0xff;
        let got = extract_text(Some("x.zip"), "application/zip", &bytes, &Limits::default()).await;
        let text = got.text().unwrap_or_else(|| panic!("{got:?}"));
        assert!(text.starts_with("== a.csv ==\n[could not extract: "), "{text}");
        assert!(text.contains("== b.csv ==\nc,d"), "{text}");
    }
}
