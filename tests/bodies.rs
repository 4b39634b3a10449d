//! `foi bodies`: the registry, on SQLite and PostgreSQL.

use foi_store::testing::each_backend_url;

use crate::util::{data, foi};

#[tokio::test]
async fn shipped_lists_import_with_no_flags_and_a_second_import_changes_nothing() {
    for (backend, url, db) in each_backend_url().await {
        let dir = tempfile::tempdir().unwrap();
        for (file, n) in [("icbs.csv", 42), ("upper_tier_las.csv", 153), ("ccgs_2017.csv", 207)] {
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
        assert_eq!(all.as_array().unwrap().len(), 402);
        let missing = foi(
            dir.path(),
            Some(&url),
            &["bodies", "list", "--on", "2026-11-23", "--missing-email", "--format", "csv"],
        )
        .ok();
        assert_eq!(missing.stdout.lines().count(), 1 + 195 - 9, "header plus the current bodies without an address");
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
        let new = dir.path().join("new.csv");
        std::fs::write(&new, "code,name,region\nS1Y5D,NHS Central East ICB,East of England\n").unwrap();
        foi(dir.path(), Some(&url), &["bodies", "import", new.to_str().unwrap()]).fails();
        foi(dir.path(), Some(&url), &["bodies", "import", new.to_str().unwrap(), "--kind", "icb"]).ok();
        foi(dir.path(), Some(&url), &["bodies", "succeed", "QHG", "QUE", "--by", "S1Y5D", "--on", "2026-04-01"]).ok();
        let show = foi(dir.path(), Some(&url), &["bodies", "show", "QHG", "--json"]).ok().json();
        assert_eq!(show["body"]["valid_to"], "2026-03-31", "{backend:?}");
        assert_eq!(show["body"]["foi_email"], "foi@blmk.example", "{backend:?}");
        let current =
            foi(dir.path(), Some(&url), &["bodies", "list", "--on", "2026-11-23", "--kind", "icb", "--format", "json"])
                .ok()
                .json();
        assert_eq!(current.as_array().unwrap().len(), 42 - 2 + 1, "{backend:?}");
        db.remove().await;
    }
}

#[test]
fn the_default_database_is_created_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    foi(dir.path(), None, &["bodies", "import", &data("icbs.csv")]).ok();
    assert!(dir.path().join("foi.db").exists());
    let list = foi(dir.path(), None, &["bodies", "list", "--kind", "icb", "--format", "json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 42);
}
