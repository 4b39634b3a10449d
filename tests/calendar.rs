//! `foi calendar`.

use crate::util::foi;

#[test]
fn due_prints_the_documented_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = foi(dir.path(), None, &["calendar", "due", "2025-04-01", "--json"]).ok();
    assert_eq!(
        run.json(),
        serde_json::json!({"received": "2025-04-01", "regime": "foia", "due": "2025-05-01", "very_overdue": "2025-06-02"})
    );
    let run = foi(dir.path(), None, &["calendar", "due", "2025-04-01", "--regime", "foisa", "--json"]).ok();
    assert_eq!(run.json()["due"], "2025-04-30");
    // No database is needed (or created) for calendar arithmetic.
    assert!(!dir.path().join("foi.db").exists());
}

#[test]
fn dates_outside_the_data_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = foi(dir.path(), None, &["calendar", "due", "2029-03-01"]).fails();
    assert_eq!(run.stderr.trim(), "error: no bank holiday data for 2029: the calendar covers 2012 to 2028");
    let run = foi(dir.path(), None, &["calendar", "due", "2025-03-01", "--regime", "eir"]).fails();
    assert!(run.stderr.contains("unknown regime"), "{}", run.stderr);
}

#[test]
fn working_days_between() {
    let dir = tempfile::tempdir().unwrap();
    // Thu 17 Apr to Tue 22 Apr 2025: Good Friday and Easter Monday skipped, 22 Apr counts.
    let run = foi(dir.path(), None, &["calendar", "between", "2025-04-17", "2025-04-22"]).ok();
    assert_eq!(run.stdout.trim(), "1");
}
