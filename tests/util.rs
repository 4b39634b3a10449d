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
