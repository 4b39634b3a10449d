//! `foi.toml`: settings and secrets.

use crate::util::foi;

#[test]
fn passwords_come_from_the_environment_or_a_file_and_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("imap-password"), "imap-secret-value\n").unwrap();
    std::fs::write(
        dir.path().join("foi.toml"),
        "[sender]\nname = \"Campaigns\"\nemail = \"campaigns@charity.example\"\nreply_domain = \"charity.example\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = 2525\nusername = \"campaigns\"\npassword_env = \"FOI_TEST_SMTP_PASSWORD\"\n\
         [imap]\nhost = \"127.0.0.1\"\npassword_file = \"imap-password\"\nfolders = [\"INBOX\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .current_dir(dir.path())
        .args(["config", "show"])
        .env("FOI_TEST_SMTP_PASSWORD", "smtp-secret-value")
        .env_remove("FOI_DATABASE_URL")
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("password=from $FOI_TEST_SMTP_PASSWORD"), "{all}");
    assert!(all.contains("password=from a file"), "{all}");
    assert!(!all.contains("smtp-secret-value") && !all.contains("imap-secret-value"), "{all}");

    // An unset variable is a clear error naming it.
    let run = foi(dir.path(), None, &["config", "show"]).fails();
    assert!(
        run.stderr.contains("[smtp] password_env: environment variable FOI_TEST_SMTP_PASSWORD is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_password_written_into_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("foi.toml"), "[smtp]\nhost = \"mail.example\"\npassword = \"hunter2\"\n").unwrap();
    let run = foi(dir.path(), None, &["config", "show"]).fails();
    assert!(run.stderr.contains("[smtp] password: put the password in an environment variable"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

#[test]
fn a_bad_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("foi.toml"), "[smtp]\nhots = \"x\"\n").unwrap();
    let run = foi(dir.path(), None, &["config", "show"]).fails();
    assert!(run.stderr.starts_with("error: foi.toml: "), "{}", run.stderr);
    assert!(run.stderr.contains("hots"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "one clear line: {}", run.stderr);
}
