//! `foi bodies`: the registry, on SQLite and PostgreSQL.

use foi_store::testing::each_backend_url;

use crate::util::{data, foi};

#[tokio::test]
async fn shipped_lists_import_with_no_flags_and_a_second_import_changes_nothing() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        for (file, n) in [("icbs.csv", 48), ("upper_tier_las.csv", 153), ("ccgs_2017.csv", 207)] {
            let first = foi(dir.path(), Some(&url), &["bodies", "import", &data(file), "--json"]).ok().json();
            assert_eq!(first["added"].as_array().unwrap().len(), n, "{backend:?} {file}");
            let second = foi(dir.path(), Some(&url), &["bodies", "import", &data(file), "--json"]).ok().json();
            assert_eq!(second["added"].as_array().unwrap().len(), 0, "{backend:?} {file}");
            assert_eq!(second["updated"].as_array().unwrap().len(), 0, "{backend:?} {file}");
            assert_eq!(second["unchanged"], n, "{backend:?} {file}");
        }
        for file in ["ccg2017_to_icb2022.csv", "ccg_mergers_2017_2021.csv", "icb2022_successors_2026.csv"] {
            foi(dir.path(), Some(&url), &["bodies", "import-succession", &data(file)]).ok();
        }
        let all = foi(dir.path(), Some(&url), &["bodies", "list", "--format", "json"]).ok().json();
        assert_eq!(all.as_array().unwrap().len(), 48 + 153 + 207);
        // On 5 December 2026: the 36 boards of April 2026 and the 153 councils.
        let current =
            foi(dir.path(), Some(&url), &["--today", "2026-12-05", "bodies", "list", "--current", "--format", "json"])
                .ok()
                .json();
        let count = |kind: &str| current.as_array().unwrap().iter().filter(|b| b["kind"] == kind).count();
        assert_eq!(count("icb"), 36, "{backend:?}");
        assert_eq!(current.as_array().unwrap().len() - count("icb"), 153, "{backend:?}");
        assert_eq!(count("ccg"), 0);
        let essex = current.as_array().unwrap().iter().find(|b| b["code"] == "D7T5G").unwrap();
        assert_eq!((essex["nhs_region"].as_str(), essex["ons_region"].as_str()), (Some("East of England"), None));
        let hartlepool = current.as_array().unwrap().iter().find(|b| b["code"] == "E06000001").unwrap();
        assert_eq!(hartlepool["nhs_region"], "North East and Yorkshire");
        assert_eq!(hartlepool["ons_region"], "North East");
        // On a day of 2025, the 42 boards of July 2022.
        let then = foi(
            dir.path(),
            Some(&url),
            &["--today", "2025-12-05", "bodies", "list", "--current", "--kind", "icb", "--format", "json"],
        )
        .ok()
        .json();
        assert_eq!(then.as_array().unwrap().len(), 42);
        let missing = foi(
            dir.path(),
            Some(&url),
            &["bodies", "list", "--on", "2026-11-23", "--missing-email", "--format", "csv"],
        )
        .ok();
        let with_address = current.as_array().unwrap().iter().filter(|b| !b["foi_email"].is_null()).count();
        assert_eq!(with_address, 7, "4 current boards and 3 councils have an address in the shipped lists");
        assert_eq!(missing.stdout.lines().count(), 1 + 189 - 7, "header plus the current bodies without an address");
        // The addresses found on the bodies' own pages: an update file (no kind column).
        let found =
            foi(dir.path(), Some(&url), &["bodies", "import", &data("foi_emails_found.csv"), "--json"]).ok().json();
        assert_eq!(found["mode"], "updates", "{found}");
        assert_eq!(found["added"].as_array().unwrap().len(), 0);
        let missing = foi(
            dir.path(),
            Some(&url),
            &["bodies", "list", "--on", "2026-11-23", "--missing-email", "--format", "csv"],
        )
        .ok();
        assert_eq!(missing.stdout.lines().count(), 1 + 160, "{backend:?}: {}", missing.stdout);
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "01Y", "--json"]).ok().json();
        assert_eq!(show["replaced_by"].as_array().unwrap().len(), 2);
        db.remove().await;
    }
}

#[tokio::test]
async fn a_bad_file_is_rejected_whole_with_every_error_on_its_line() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        foi(dir.path(), Some(&url), &["bodies", "import", &data("icbs.csv")]).ok();
        let before = foi(dir.path(), Some(&url), &["bodies", "list", "--format", "json"]).ok().stdout;
        // A good new row, then a duplicated code, a bad email and an unknown kind.
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "code,name,kind,foi_email\n\
             ZZ1,New Body,other,foi@new.example\n\
             QHG,Duplicate of QHG,icb,\n\
             QHG,Again,icb,\n\
             ZZ2,Bad Email,unitary,foi-at-example\n\
             ZZ3,Parish,parish council,\n",
        )
        .unwrap();
        let run = foi(dir.path(), Some(&url), &["bodies", "import", bad.to_str().unwrap()]).fails();
        let errors: Vec<&str> = run.stderr.lines().collect();
        let f = bad.display();
        assert_eq!(
            errors,
            vec![
                format!("{f}:4: duplicate code QHG (first on line 3)"),
                format!("{f}:5: malformed email address \"foi-at-example\""),
                format!(
                    "{f}:6: unknown body kind \"parish council\" (expected one of: icb, ccg, county_council, unitary, metropolitan_district, london_borough, other)"
                ),
                format!("error: {f}: 3 errors; nothing was imported"),
            ],
            "{backend:?}"
        );
        let after = foi(dir.path(), Some(&url), &["bodies", "list", "--format", "json"]).ok().stdout;
        assert_eq!(before, after, "{backend:?}: the registry is unchanged");
        db.remove().await;
    }
}

#[tokio::test]
async fn set_and_succeed() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        foi(dir.path(), Some(&url), &["bodies", "import", &data("icbs.csv")]).ok();
        foi(dir.path(), Some(&url), &["bodies", "set", "QHG", "--email", "foi@blmk.example"]).ok();
        let run = foi(dir.path(), Some(&url), &["bodies", "set", "QHG", "--email", "no at sign"]).fails();
        assert!(run.stderr.contains("malformed email address"), "{backend:?}: {}", run.stderr);
        // A body the registry does not hold, in a file without a kind: refused, naming the line.
        let new = dir.path().join("new.csv");
        std::fs::write(&new, "code,name,region\nZZ1Y5,NHS Future ICB,East of England\n").unwrap();
        let run = foi(dir.path(), Some(&url), &["bodies", "import", new.to_str().unwrap()]).fails();
        assert!(run.stderr.contains(":2: no body has code ZZ1Y5"), "{backend:?}: {}", run.stderr);
        foi(dir.path(), Some(&url), &["bodies", "import", new.to_str().unwrap(), "--kind", "icb"]).ok();
        foi(dir.path(), Some(&url), &["bodies", "succeed", "QOX", "QUY", "--by", "ZZ1Y5", "--on", "2027-04-01"]).ok();
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "QOX", "--json"]).ok().json();
        assert_eq!(show["body"]["valid_to"], "2027-03-31", "{backend:?}");
        let current =
            foi(dir.path(), Some(&url), &["bodies", "list", "--on", "2027-11-23", "--kind", "icb", "--format", "json"])
                .ok()
                .json();
        assert_eq!(current.as_array().unwrap().len(), 36 - 2 + 1, "{backend:?}");
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "QHG", "--json"]).ok().json();
        assert_eq!(show["body"]["foi_email"], "foi@blmk.example", "{backend:?}");
        db.remove().await;
    }
}

#[test]
fn the_default_database_is_created_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    foi(dir.path(), None, &["bodies", "import", &data("icbs.csv")]).ok();
    assert!(dir.path().join("foi.db").exists());
    let list = foi(dir.path(), None, &["bodies", "list", "--kind", "icb", "--format", "json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 48);
}

/// `code,foi_email` sets those addresses and nothing else; `bodies show` prints where an
/// address came from, how sure its source is, and who recorded it.
#[tokio::test]
async fn an_address_file_sets_addresses_and_show_prints_their_source() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        foi(dir.path(), Some(&url), &["bodies", "import", &data("upper_tier_las.csv")]).ok();
        foi(dir.path(), Some(&url), &["bodies", "import", &data("icbs.csv")]).ok();
        let before = foi(dir.path(), Some(&url), &["bodies", "list", "--format", "json"]).ok().json();
        let file = dir.path().join("addresses.csv");
        std::fs::write(&file, "code,foi_email\nE06000001,foi@hartlepool.example\nE06000002,\n").unwrap();
        let run = foi(dir.path(), Some(&url), &["--user", "ann", "bodies", "import", file.to_str().unwrap()]).ok();
        assert!(run.stdout.contains("updated 1, 1 unchanged"), "{backend:?}: {}", run.stdout);
        let after = foi(dir.path(), Some(&url), &["bodies", "list", "--format", "json"]).ok().json();
        // Every other field of every body is as it was.
        let strip = |v: &serde_json::Value| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    let mut b = b.clone();
                    if b["code"] == "E06000001" {
                        b["foi_email"] = serde_json::Value::Null;
                        b["email_source"] = serde_json::Value::Null;
                    }
                    b
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&before), strip(&after), "{backend:?}");
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "E06000001"]).ok().stdout;
        assert!(show.contains("FOI email    foi@hartlepool.example"), "{show}");
        assert!(show.contains(&format!("source     import {}", file.display())), "{show}");
        assert!(show.contains("confidence (not given)") && show.contains("set by     ann on "), "{show}");
        // The shipped list of found addresses carries each page and confidence.
        foi(dir.path(), Some(&url), &["bodies", "import", &data("foi_emails_found.csv")]).ok();
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "E10000016"]).ok().stdout;
        assert!(show.contains("FOI email    freedomofinformation@kent.gov.uk"), "{show}");
        assert!(show.contains("source     https://www.kent.gov.uk/"), "{show}");
        assert!(show.contains("confidence high"), "{show}");
        let json = foi(dir.path(), Some(&url), &["bodies", "show", "E10000016", "--json"]).ok().json();
        assert_eq!(json["body"]["email_source"]["confidence"], "high");
        // An edit gives its page and confidence.
        foi(
            dir.path(),
            Some(&url),
            &[
                "bodies",
                "set",
                "E06000002",
                "--email",
                "foi@mbro.example",
                "--source",
                "https://mbro.example/foi",
                "--confidence",
                "medium",
            ],
        )
        .ok();
        let json = foi(dir.path(), Some(&url), &["bodies", "show", "E06000002", "--json"]).ok().json();
        assert_eq!(json["body"]["email_source"]["source"], "https://mbro.example/foi");
        assert_eq!(json["body"]["email_source"]["confidence"], "medium");
        let bad = foi(dir.path(), Some(&url), &["bodies", "set", "E06000002", "--confidence", "certain"]).fails();
        assert!(bad.stderr.contains("unknown confidence"), "{}", bad.stderr);
        db.remove().await;
    }
}
