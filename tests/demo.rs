//! The README's demo command, run as the README gives it (with this build's `foi` for the
//! one `cargo install` puts on the PATH): it must finish and leave what it says it leaves.

use std::path::Path;
use std::process::Command;

use calamine::{DataType, Reader};

/// The first command of the README's "Two commands" section: the demo.
fn readme_demo_command() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split("## Two commands").nth(1).expect("README has a \"Two commands\" section");
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    let line = block.lines().find(|l| !l.trim().is_empty()).unwrap().trim().to_string();
    // `cargo install --path . --locked && foi demo ...`: this build's foi stands for the
    // installed one.
    let rest = line
        .strip_prefix("cargo install --path . --locked && foi ")
        .unwrap_or_else(|| panic!("the README's first command does not install foi and run it: {line}"));
    rest.split_whitespace().map(str::to_string).collect()
}

/// The day the demo runs on in these tests, so that no test depends on the day it runs: the
/// 36 boards of April 2026 and the 153 councils are current then.
const TODAY: &str = "2026-12-05";

/// The bodies the demo's round goes to on [`TODAY`]: 36 boards and 153 councils.
const BODIES: usize = 36 + 153;

fn run_demo(cwd: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = readme_demo_command();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--today".to_string(), TODAY.to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_foi"))
        .current_dir(cwd)
        .args(&args)
        .env_remove("FOI_CONFIG")
        .env_remove("FOI_DATABASE_URL")
        .env_remove("FOI_TODAY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut rows = vec![r.headers().unwrap().iter().map(str::to_string).collect()];
    rows.extend(r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()));
    rows
}

#[test]
fn the_readme_demo_runs_a_whole_round_and_writes_its_reports() {
    assert_eq!(readme_demo_command()[0], "demo", "the README opens with the demo");
    let cwd = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_demo(cwd.path(), &[]);
    assert_eq!(code, 0, "the demo failed:\n{stdout}\n{stderr}");
    let dir = cwd.path().join("foi-demo");

    // The narrative and the tables on screen.
    for said in [
        "189 requests",
        "36 ICBs",
        "sent through the file transport",
        "the officer chased the",
        "demo-analyst confirmed them",
        "Response rates: Children's palliative care (demo)",
        "answered some or all",
        "Commissioning: Children's palliative care (demo) (the first 12 of 189 bodies",
        "NHS bodies: share answering yes",
    ] {
        assert!(stdout.contains(said), "the demo did not say {said:?}:\n{stdout}");
    }

    // Sent through the file transport only, each to a reserved example domain.
    let emls: Vec<_> = std::fs::read_dir(dir.join("outbox")).unwrap().map(|e| e.unwrap().path()).collect();
    let (mut requests, mut chasers) = (0, 0);
    for p in &emls {
        let raw = std::fs::read_to_string(p).unwrap();
        let to = raw.lines().find(|l| l.starts_with("To:")).unwrap_or_else(|| panic!("{} has no To", p.display()));
        assert!(to.trim_end().ends_with(".bodies.example>") || to.trim_end().ends_with(".bodies.example"), "{to}");
        if raw.lines().any(|l| l.starts_with("Subject: Re: ")) {
            chasers += 1;
        } else {
            requests += 1;
        }
    }
    assert_eq!(requests, BODIES, "{requests} requests, {chasers} chasers in the outbox");
    assert!(chasers > 0, "the overdue were chased");
    let replies = std::fs::read_dir(dir.join("maildir/new")).unwrap().count();
    assert!(replies > BODIES, "{replies} simulated replies");

    // The response-rate CSV counts the 189 bodies asked, and the replies the narrative gave.
    let reports = dir.join("reports");
    let rates = csv_rows(&reports.join("response-rates.csv"));
    let all = rates.iter().find(|r| r.first().is_some_and(|c| c == "all")).expect("an all-bodies row");
    assert_eq!(all[2], BODIES.to_string(), "{all:?}");
    let answered: u64 = all[5].parse().unwrap();
    assert!((100..BODIES as u64).contains(&answered), "{all:?}");

    // The commissioning CSV: a row per body and coded answers from the confirmed suggestions.
    let bodies = csv_rows(&reports.join("commissioning.csv"));
    assert_eq!(bodies.len(), 1 + BODIES + 2, "a header, a row per body, a share row per group");
    let yes = bodies.iter().flatten().filter(|c| *c == "yes").count();
    assert!(yes > 100, "{yes} yes answers");
    assert!(bodies.iter().flatten().any(|c| c == "no response"));

    // The workbook holds the same tables, and the HTML report draws its charts inline.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(reports.join("report.xlsx")).unwrap();
    assert_eq!(book.sheet_names().len(), 4, "{:?}", book.sheet_names());
    let first = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&first).unwrap();
    let asked: Vec<f64> =
        sheet.rows().filter(|r| r.first().is_some_and(|c| *c == "all")).filter_map(|r| r[2].as_f64()).collect();
    assert_eq!(asked, vec![BODIES as f64]);
    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    assert!(html.contains("<svg"), "the report draws its charts");
    assert!(!html.contains("<script"), "the report runs no script");
    for f in ["monthly-series.csv", "commissioning-shares.csv"] {
        assert!(csv_rows(&reports.join(f)).len() > 1, "{f}");
    }

    // The folder is foi's to explore: its foi.toml points at the demo's database, and the
    // command the demo prints works as printed (in a shell with no foi on its PATH).
    let printed = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("cd ") && l.ends_with(" round status demo"))
        .unwrap_or_else(|| panic!("the demo prints no command to explore with:\n{stdout}"));
    let out = Command::new("sh")
        .args(["-c", printed])
        .current_dir(cwd.path())
        .env("PATH", "/usr/bin:/bin")
        .env_remove("FOI_DATABASE_URL")
        .env_remove("FOI_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).matches("2026-").count() > BODIES);

    // The same seed and day give the same tables; a second run replaces the first.
    let before = std::fs::read(reports.join("commissioning.csv")).unwrap();
    let (code, stdout, stderr) = run_demo(cwd.path(), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(std::fs::read(reports.join("commissioning.csv")).unwrap(), before);
}

#[test]
fn the_demo_leaves_a_folder_it_did_not_make_alone() {
    let cwd = tempfile::tempdir().unwrap();
    let mine = cwd.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let (code, _, stderr) = run_demo(cwd.path(), &["--dir", "mine"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("not an earlier demo's folder"), "{stderr}");
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep me");
}
