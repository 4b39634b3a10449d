//! Build script of the `foi` binary: records the commit it was built from, so that
//! `foi --version` says `foi 0.1.0 (commit abc1234)` (with `-modified` when the working tree
//! had changes), or `(commit unknown)` when built outside a git checkout.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).filter(|c| !c.is_empty());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let described = match commit {
        Some(c) if dirty => format!("{c}-modified"),
        Some(c) => c,
        None => "unknown".into(),
    };
    println!("cargo:rustc-env=FOI_COMMIT={described}");
    // Rebuild when the checked-out commit moves (the files git keeps HEAD and refs in). Not
    // on every change to the index: `-modified` says what the tree was at the last build.
    for path in [".git/HEAD"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        let refpath = format!(".git/{r}");
        if std::path::Path::new(&refpath).exists() {
            println!("cargo:rerun-if-changed={refpath}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
