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

/// A small real XLSX workbook (one sheet of inline strings), as a public body's spreadsheet
/// answer would be.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    use std::io::Write;
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let col = (b'A' + c as u8) as char;
            sheet.push_str(&format!("<c r=\"{col}{}\" t=\"inlineStr\"><is><t>{cell}</t></is></c>", r + 1));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".to_string()),
        ("xl/workbook.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Answers\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".to_string()),
        ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>".to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for (name, body) in files {
        z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}
