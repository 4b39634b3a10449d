//! `foi calendar`.

use crate::util::foi;

#[test]
fn due_prints_the_documented_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = foi(dir.path(), None, &["calendar", "due", "2025-04-01", "--json"]).ok();
    assert_eq!(
        run.json(),
        serde_json::json!({"received": "2025-04-01", "regime": "foia", "due": "2025-05-01", "very_overdue": "2025-06-02", "holidays_computed": false})
    );
    let run = foi(dir.path(), None, &["calendar", "due", "2025-04-01", "--regime", "foisa", "--json"]).ok();
    assert_eq!(run.json()["due"], "2025-04-30");
    // No database is needed (or created) for calendar arithmetic.
    assert!(!dir.path().join("foi.db").exists());
}

/// Past the data's last year (2028) the holidays come from the statutory rules, with a
/// warning; before its first year (2012) a date is still an error.
#[test]
fn dates_past_the_data_are_computed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Thu 20 Dec 2029: Christmas, Boxing Day, New Year's Day and the Scottish 2 January
    // (the FOI Act skips a bank holiday anywhere in the UK) -> Wed 23 Jan 2030.
    let run = foi(dir.path(), None, &["calendar", "due", "2029-12-20", "--json"]).ok();
    assert_eq!(run.json()["due"], "2030-01-23");
    assert_eq!(run.json()["holidays_computed"], true);
    assert!(run.stderr.starts_with("warning: the bank holiday data ends in 2028"), "{}", run.stderr);
    // Thu 10 Apr 2031: Good Friday, Easter Monday and the early May holiday -> Tue 13 May;
    // under FOISA Easter Monday is a working day -> Mon 12 May.
    let run = foi(dir.path(), None, &["calendar", "due", "2031-04-10", "--json"]).ok();
    assert_eq!(run.json()["due"], "2031-05-13");
    assert!(run.stderr.contains("the holidays of 2031 are computed from the statutory rules"), "{}", run.stderr);
    let run = foi(dir.path(), None, &["calendar", "due", "2031-04-10", "--regime", "foisa", "--json"]).ok();
    assert_eq!(run.json()["due"], "2031-05-12");
    // Inside the data: no warning.
    let run = foi(dir.path(), None, &["calendar", "due", "2026-12-05"]).ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let run = foi(dir.path(), None, &["calendar", "due", "2011-03-01"]).fails();
    assert!(run.stderr.contains("no bank holiday data for 2011"), "{}", run.stderr);
    let run = foi(dir.path(), None, &["calendar", "due", "2025-03-01", "--regime", "eir"]).fails();
    assert!(run.stderr.contains("unknown regime"), "{}", run.stderr);
}

/// The holidays are read at run time: `holidays_file` in foi.toml (or
/// `data/uk_bank_holidays.csv` in the working folder) replaces the built-in copy, so an
/// updated GOV.UK list (a new one-off holiday) changes the deadlines without a new build.
#[test]
fn an_updated_holiday_file_is_read_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(crate::util::data("uk_bank_holidays.csv")).unwrap();
    // A made-up one-off holiday on Friday 7 May 2027, in every division.
    let mut updated = shipped.clone();
    for division in ["england-and-wales", "scotland", "northern-ireland"] {
        updated.push_str(&format!("2027-05-07,{division},Example one-off holiday\n"));
    }
    std::fs::write(dir.path().join("holidays.csv"), &updated).unwrap();
    // Mon 12 Apr 2027: due Tue 11 May (early May Monday 3 May skipped) with the shipped
    // list; a day later with the one-off holiday.
    let shipped_due = foi(dir.path(), None, &["calendar", "due", "2027-04-12", "--json"]).ok().json();
    assert_eq!(shipped_due["due"], "2027-05-11");
    std::fs::write(dir.path().join("foi.toml"), "holidays_file = \"holidays.csv\"\n").unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .current_dir(dir.path())
        .args(["calendar", "due", "2027-04-12", "--json"])
        .env_remove("FOI_DATABASE_URL")
        .env_remove("FOI_CONFIG")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["due"], "2027-05-12");
    let holidays = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .current_dir(dir.path())
        .args(["calendar", "holidays", "2027"])
        .env_remove("FOI_CONFIG")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&holidays.stdout).contains("Example one-off holiday"));
    // A broken file is an error naming the file and the line, not a silent fallback.
    std::fs::write(dir.path().join("holidays.csv"), "date,division,title\n2027-13-01,scotland,Bad\n").unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .current_dir(dir.path())
        .args(["calendar", "due", "2027-04-12"])
        .env_remove("FOI_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && err.contains("holidays.csv: line 2 of the bank holiday data"), "{err}");
}

#[test]
fn working_days_between() {
    let dir = tempfile::tempdir().unwrap();
    // Thu 17 Apr to Tue 22 Apr 2025: Good Friday and Easter Monday skipped, 22 Apr counts.
    let run = foi(dir.path(), None, &["calendar", "between", "2025-04-17", "2025-04-22"]).ok();
    assert_eq!(run.stdout.trim(), "1");
}
