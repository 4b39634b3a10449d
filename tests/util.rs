//! Helpers for running the `foi` binary in a scratch folder against a test database.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The result of one `foi` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "foi failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(self.code, 0, "foi should have failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `foi ARGS` in `dir` with `database` (None: the embedded default).
pub fn foi(dir: &Path, database: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_foi"));
    cmd.current_dir(dir).args(args).env_remove("FOI_CONFIG").env_remove("FOI_DATABASE_URL");
    if let Some(db) = database {
        cmd.env("FOI_DATABASE_URL", db);
    }
    let out = cmd.output().expect("run foi");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A shipped data file.
pub fn data(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "data", name].iter().collect();
    p.display().to_string()
}

/// A working folder with a `foi.toml` that points at the repository's templates and
/// codebooks, a sender on a reserved domain, and (optionally) an SMTP server.
pub fn workspace(smtp: Option<(u16, &str)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut toml = format!(
        "templates_dir = \"{root}/templates\"\ncodebooks_dir = \"{root}/data/codebooks\"\n\
         [sender]\nname = \"Policy team, Example Charity\"\nemail = \"campaigns@charity.example\"\n"
    );
    if let Some((port, security)) = smtp {
        toml.push_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\ntimeout_seconds = 3\n"
        ));
    }
    std::fs::write(dir.path().join("foi.toml"), toml).unwrap();
    dir
}

/// Adds an `[imap]` section (the test Dovecot, the sender's mailbox, Sent folder "Sent").
pub fn with_imap(dir: &Path, imap_port: u16) {
    with_imap_user(dir, imap_port, "campaigns@charity.example");
}

/// Adds an `[imap]` section logging in as `user`.
pub fn with_imap_user(dir: &Path, imap_port: u16, user: &str) {
    std::fs::write(dir.join("imap-password"), "test\n").unwrap();
    let path = dir.join("foi.toml");
    let mut toml = std::fs::read_to_string(&path).unwrap();
    toml.push_str(&format!(
        "[imap]\nhost = \"127.0.0.1\"\nport = {imap_port}\nsecurity = \"none\"\nusername = \"{user}\"\n\
         password_file = \"imap-password\"\nsent_folder = \"Sent\"\ntimeout_seconds = 5\n"
    ));
    std::fs::write(path, toml).unwrap();
}

/// Writes a body list of `n` bodies whose addresses are `{prefix}-bNNN@shared{N % 5}.example`
/// (several bodies share each domain, as NHS bodies share nhs.net) and returns its path.
pub fn bodies_csv(dir: &Path, n: usize, prefix: &str) -> String {
    let mut csv = String::from("code,name,kind,region,foi_email\n");
    for i in 1..=n {
        let kind = if i % 2 == 0 { "icb" } else { "unitary" };
        csv.push_str(&format!("B{i:03},Test Body {i},{kind},Test Region,{prefix}-b{i:03}@shared{}.example\n", i % 5));
    }
    let path = dir.join("bodies.csv");
    std::fs::write(&path, csv).unwrap();
    path.display().to_string()
}

/// The address of test body `i`.
pub fn body_address(prefix: &str, i: usize) -> String {
    format!("{prefix}-b{i:03}@shared{}.example", i % 5)
}

/// Unfolds folded header lines, for reading headers of raw mail.
pub fn unfold(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).replace("\r\n ", " ").replace("\r\n\t", " ")
}

/// A small real XLSX workbook (one sheet, "Answers", of text cells), as a public body's
/// spreadsheet answer would be.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Answers").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}
