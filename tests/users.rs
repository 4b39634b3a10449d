//! `foi users`: who may sign in to the web UI. Passwords come from a file or stdin, are
//! stored only as argon2 hashes and never printed.

use std::io::Write;
use std::process::{Command, Stdio};

use foi_store::testing::each_backend_url;

use crate::util::foi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_added_listed_disabled_and_given_new_passwords() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "first-password\n").unwrap();
        let d = Some(url.as_str());
        let p = pw.to_str().unwrap();
        foi(
            dir.path(),
            d,
            &["users", "add", "ana", "--role", "analyst", "--display-name", "Ana", "--password-file", p],
        )
        .ok();
        let err = foi(dir.path(), d, &["users", "add", "ana", "--role", "viewer", "--password-file", p]).fails().stderr;
        assert!(err.contains("already exists"), "{backend:?}: {err}");
        let err = foi(dir.path(), d, &["users", "add", "bob", "--role", "boss", "--password-file", p]).fails().stderr;
        assert!(err.contains("unknown role"), "{err}");
        std::fs::write(&pw, "short\n").unwrap();
        let err = foi(dir.path(), d, &["users", "add", "bob", "--role", "viewer", "--password-file", p]).fails().stderr;
        assert!(err.contains("at least 8"), "{err}");

        // From standard input, as a person types it.
        let mut child = Command::new(env!("CARGO_BIN_EXE_foi"))
            .current_dir(dir.path())
            .args(["users", "add", "olu", "--role", "officer"])
            .env("FOI_DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"typed-password\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains("typed-password"), "{all}");

        let list = foi(dir.path(), d, &["users", "list"]).ok().stdout;
        assert!(
            list.contains("ana") && list.contains("analyst") && list.contains("olu") && list.contains("officer"),
            "{list}"
        );
        foi(dir.path(), d, &["users", "disable", "ana"]).ok();
        assert!(foi(dir.path(), d, &["users", "list"]).ok().stdout.contains("(disabled)"));
        std::fs::write(&pw, "second-password\n").unwrap();
        foi(dir.path(), d, &["users", "passwd", "ana", "--password-file", p]).ok();
        let store = foi_store::Store::connect(&url).await.unwrap();
        let (_, hash) = store.user_with_hash("ana").await.unwrap();
        assert!(
            foi_web::verify_password("second-password", &hash) && !foi_web::verify_password("first-password", &hash)
        );
        assert!(hash.starts_with("$argon2id$"));
        store.close().await.unwrap();
        db.remove().await;
    }
}
