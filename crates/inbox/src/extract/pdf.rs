//! PDF text through poppler's `pdftotext -layout -enc UTF-8 - -`, run as a child process: the
//! PDF on its stdin, the text from its stdout, killed at the deadline, started under an
//! address-space limit (`prlimit --as`, or `ulimit -v` in sh where prlimit is missing).

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{Ctx, Extraction, human_bytes};

const PDFTOTEXT: &str = "pdftotext";
const PDFTOTEXT_ARGS: &[&str] = &["-layout", "-enc", "UTF-8", "-", "-"];

/// Whether PDF text can be read here: poppler's `pdftotext` is on the PATH. Without it PDF
/// attachments are kept byte for byte but their text says why it is missing.
pub fn pdf_text_available() -> bool {
    find_program(PDFTOTEXT).is_some()
}

/// The text of a PDF.
pub(crate) async fn extract(pdf: &[u8], ctx: &Ctx) -> Extraction {
    match run(PDFTOTEXT, PDFTOTEXT_ARGS, pdf, ctx).await {
        // pdftotext ends each page with a form feed.
        Ok(text) => Extraction::Ok(text.replace('\u{c}', "\n")),
        Err(reason) => Extraction::Failed(reason),
    }
}

/// Runs `program args` with `input` on stdin under the extraction's limits; its stdout as text
/// (at most enough bytes for `max_text_chars` + 1 characters; the rest is not read).
async fn run(program: &str, args: &[&str], input: &[u8], ctx: &Ctx) -> Result<String, String> {
    let Some(exe) = find_program(program) else {
        return Err(not_installed(program));
    };
    let mut cmd = limited_command(&exe, args, ctx.limits.memory_bytes);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_installed(program)),
        Err(e) => return Err(format!("could not start {program}: {e}")),
    };
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let cap = (ctx.limits.max_text_chars as u64).saturating_add(2).saturating_mul(4);
    let work = async move {
        let write = async {
            if let Some(mut stdin) = stdin {
                // The program may stop reading early (a broken PDF): not an error here.
                let _ = stdin.write_all(input).await;
                let _ = stdin.shutdown().await;
            }
        };
        let read_out = async {
            let mut out = Vec::new();
            if let Some(stdout) = stdout {
                // Past the cap, stdout is closed: the program stops on a broken pipe.
                let _ = stdout.take(cap).read_to_end(&mut out).await;
            }
            out
        };
        let read_err = drain(stderr, 16 * 1024);
        let ((), out, err) = tokio::join!(write, read_out, read_err);
        let status = child.wait().await;
        (out, err, status)
    };
    let (out, err, status) = match tokio::time::timeout_at(ctx.deadline, work).await {
        Ok(done) => done,
        // Dropping `work` drops the child, which kills it (kill_on_drop).
        Err(_) => return Err(ctx.timed_out(program)),
    };
    let full = out.len() as u64 >= cap;
    match status {
        Err(e) => Err(format!("{program} failed: {e}")),
        Ok(status) if status.success() || full => Ok(String::from_utf8_lossy(&out).into_owned()),
        Ok(status) => Err(failure(program, status, &err, ctx.limits.memory_bytes)),
    }
}

fn not_installed(program: &str) -> String {
    if program == PDFTOTEXT {
        "pdftotext is not installed (poppler-utils)".to_string()
    } else {
        format!("{program} is not installed")
    }
}

/// Why the program failed, from its exit status and the first telling line of its stderr.
fn failure(program: &str, status: ExitStatus, stderr: &[u8], memory_bytes: u64) -> String {
    use std::os::unix::process::ExitStatusExt;
    let stderr = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let telling = lines
        .iter()
        .find(|l| l.contains("Error") || l.contains("error"))
        .or(lines.first())
        .map(|l| l.chars().take(300).collect::<String>());
    if let Some(signal) = status.signal() {
        let why = match signal {
            6 | 9 => format!(" (it may have run out of memory: the limit is {})", human_bytes(memory_bytes)),
            11 => " (it crashed)".to_string(),
            _ => String::new(),
        };
        let said = telling.map(|l| format!("; it said: {l}")).unwrap_or_default();
        return format!("{program} was killed by signal {signal}{why}{said}");
    }
    match telling {
        Some(line) => format!("{program} failed: {line}"),
        None => format!("{program} failed with exit code {}", status.code().unwrap_or(-1)),
    }
}

/// Reads a pipe to its end (so the child never blocks on it), keeping the first `keep` bytes.
async fn drain(pipe: Option<impl AsyncRead + Unpin>, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else { return kept };
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = keep.saturating_sub(kept.len()).min(n);
        kept.extend_from_slice(&buf[..room]);
    }
    kept
}

/// The command, under an address-space limit of `memory_bytes`.
fn limited_command(exe: &Path, args: &[&str], memory_bytes: u64) -> Command {
    let prlimit = Path::new("/usr/bin/prlimit");
    if prlimit.exists() {
        let mut cmd = Command::new(prlimit);
        cmd.arg(format!("--as={memory_bytes}")).arg(exe).args(args);
        cmd
    } else {
        // $0 is the program's name for messages; "$@" the program and its arguments.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -v {} && exec \"$@\"", memory_bytes / 1024))
            .arg("extractor")
            .arg(exe)
            .args(args);
        cmd
    }
}

/// The program's path: searched in PATH, or as given when it contains a slash.
fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{Limits, extract_text};
    use super::*;

    const DEFINITIONS_PDF: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates/childrens-palliative-care/definitions.pdf");

    fn definitions() -> Vec<u8> {
        std::fs::read(DEFINITIONS_PDF).unwrap()
    }

    #[tokio::test]
    async fn a_real_pdf_gives_its_text() {
        let got = extract_text(Some("definitions.pdf"), "application/pdf", &definitions(), &Limits::default()).await;
        let text = got.text().unwrap_or_else(|| panic!("{got:?}"));
        assert!(text.contains("Definitions used in the questions"), "{text}");
        assert!(text.contains("Life-limiting conditions"), "{text}");
        assert!(!text.contains('\u{c}'));
        // Sent as application/octet-stream without a name: found by its %PDF header.
        let got = extract_text(None, "application/octet-stream", &definitions(), &Limits::default()).await;
        assert!(got.text().unwrap().contains("Life-limiting conditions"));
    }

    #[tokio::test]
    async fn a_corrupt_pdf_fails_with_pdftotexts_reason() {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        let mut x: u32 = 12345;
        for _ in 0..4000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            bytes.push((x >> 16) as u8);
        }
        let got = extract_text(Some("broken.pdf"), "application/pdf", &bytes, &Limits::default()).await;
        let reason = got.error().unwrap_or_else(|| panic!("{got:?}"));
        assert!(reason.starts_with("pdftotext failed: "), "{reason}");
        assert!(reason.contains("Error"), "{reason}");
        // Declared as a PDF but not one at all.
        let got = extract_text(Some("x.pdf"), "application/pdf", b"hello", &Limits::default()).await;
        assert!(got.error().unwrap().starts_with("pdftotext failed"), "{got:?}");
        // Truncated half way.
        let half = definitions()[..definitions().len() / 2].to_vec();
        let got = extract_text(Some("half.pdf"), "application/pdf", &half, &Limits::default()).await;
        assert_ne!(got.status(), "unsupported");
    }

    #[tokio::test]
    async fn a_slow_pdf_times_out() {
        let limits = Limits { timeout: Duration::from_millis(1), ..Limits::default() };
        let got = extract_text(Some("definitions.pdf"), "application/pdf", &definitions(), &limits).await;
        assert!(got.error().unwrap_or_else(|| panic!("{got:?}")).contains("timed out after 1 ms"), "{got:?}");
    }

    #[tokio::test]
    async fn a_hanging_extractor_is_killed_at_the_deadline() {
        let ctx = Ctx::new(Limits { timeout: Duration::from_millis(300), ..Limits::default() });
        let started = std::time::Instant::now();
        let got = run("sleep", &["30"], b"", &ctx).await;
        assert_eq!(got, Err("sleep timed out after 300 ms".to_string()));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn missing_crashing_and_memory_starved_extractors() {
        let ctx = Ctx::new(Limits::default());
        let got = run("no-such-extractor-here", &[], b"", &ctx).await;
        assert_eq!(got, Err("no-such-extractor-here is not installed".to_string()));
        assert_eq!(not_installed(PDFTOTEXT), "pdftotext is not installed (poppler-utils)");
        let got =
            run("sh", &["-c", "echo 'Syntax Warning: x' >&2; echo 'Syntax Error: bad xref' >&2; exit 3"], b"", &ctx)
                .await;
        assert_eq!(got, Err("sh failed: Syntax Error: bad xref".to_string()));
        let got = run("sh", &["-c", "kill -SEGV $$"], b"", &ctx).await;
        assert_eq!(got, Err("sh was killed by signal 11 (it crashed)".to_string()));
        // Under a 16 MiB address space pdftotext cannot even start: a failure, not a hang.
        let ctx = Ctx::new(Limits { memory_bytes: 16 * 1024 * 1024, ..Limits::default() });
        let got = run(PDFTOTEXT, PDFTOTEXT_ARGS, &definitions(), &ctx).await;
        assert!(got.is_err(), "{got:?}");
    }

    #[tokio::test]
    async fn output_past_the_limit_is_cut() {
        let limits = Limits { max_text_chars: 30, ..Limits::default() };
        let got = extract_text(Some("definitions.pdf"), "application/pdf", &definitions(), &limits).await;
        let text = got.text().unwrap();
        assert!(text.ends_with("\n[truncated]"), "{text}");
        assert_eq!(text.chars().count(), 30 + "\n[truncated]".len());
    }
}
