//! `foi tag` and `foi report monthly` end to end: tags are checked against the round's
//! codebook, a changed tag keeps its history, an import with a bad row records nothing, and
//! the monthly report counts the answers received by its cut-off.

use crate::util::{bodies_csv, foi, workspace};

#[tokio::test]
async fn tags_are_checked_kept_with_history_and_imported_all_or_nothing() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        let csv = bodies_csv(dir.path(), 4, "tg");
        foi(dir.path(), Some(&db), &["bodies", "import", &csv]).ok();
        foi(dir.path(), Some(&db), &["round", "new", "cpc", "--name", "CPC 2026", "--launch", "2026-09-01"]).ok();
        foi(dir.path(), Some(&db), &["round", "add-bodies", "cpc", "--all-current"]).ok();
        foi(dir.path(), Some(&db), &["--today", "2026-09-01", "send", "--no-pacing"]).ok();
        let status = foi(dir.path(), Some(&db), &["round", "status", "cpc", "--format", "json"]).ok().json();
        let reference = |code: &str| -> String {
            status.as_array().unwrap().iter().find(|s| s["body_code"] == code).unwrap()["reference"]
                .as_str()
                .unwrap()
                .to_string()
        };
        // B002 is an ICB (test bodies alternate unitary and ICB).
        let icb = reference("B002");
        let council = reference("B001");
        let out = foi(
            dir.path(),
            Some(&db),
            &["--user", "ana", "tag", &icb, "ccn", "yes", "--quote", "We commission a CCN team"],
        )
        .ok();
        assert!(out.stdout.contains("ccn: yes"), "{backend:?}: {}", out.stdout);
        let out = foi(dir.path(), Some(&db), &["--user", "ana", "tag", &icb, "ccn", "no"]).ok();
        assert!(out.stdout.contains("(was yes)"), "{backend:?}: {}", out.stdout);
        // Unknown question, a question not asked of councils, a bad answer: refused, naming why.
        let err = foi(dir.path(), Some(&db), &["tag", &icb, "no_such_question", "yes"]).fails().stderr;
        assert!(err.contains("no question \"no_such_question\""), "{backend:?}: {err}");
        let err = foi(dir.path(), Some(&db), &["tag", &council, "ccn", "yes"]).fails().stderr;
        assert!(err.contains("not asked of"), "{backend:?}: {err}");
        let err = foi(dir.path(), Some(&db), &["tag", &icb, "ccn", "perhaps"]).fails().stderr;
        assert!(err.contains("ccn"), "{backend:?}: {err}");

        // Import: one bad row (line 3) and nothing is recorded.
        let file = dir.path().join("tags.csv");
        std::fs::write(&file, format!("request,question,answer,note\n{icb},strategy,yes,\n{icb},strategy,maybe,\n{council},named_lead,no,checked\n"))
            .unwrap();
        let err = foi(dir.path(), Some(&db), &["tag", "import", file.to_str().unwrap()]).fails().stderr;
        assert!(err.contains("line 3") && err.contains("no tag was recorded"), "{backend:?}: {err}");
        std::fs::write(
            &file,
            format!("request,question,answer,note\n{icb},strategy,yes,\n{council},named_lead,no,checked\n"),
        )
        .unwrap();
        let out = foi(dir.path(), Some(&db), &["--user", "bob", "tag", "import", file.to_str().unwrap()]).ok();
        assert!(out.stdout.contains("2 tags: 2 added"), "{backend:?}: {}", out.stdout);

        let current = foi(dir.path(), Some(&db), &["tag", "export", "--round", "cpc"]).ok().stdout;
        assert_eq!(current.lines().count(), 4, "{backend:?}: {current}");
        assert!(current.contains(&format!("{icb},B002,ccn,no,,,person:ana,confirmed")), "{backend:?}: {current}");
        let history = foi(dir.path(), Some(&db), &["tag", "export", "--history"]).ok().stdout;
        assert_eq!(history.lines().count(), 5, "{backend:?}: the changed tag is kept: {history}");
        assert!(
            history.contains(&format!("{icb},B002,ccn,yes,We commission a CCN team,,person:ana,confirmed")),
            "{backend:?}: {history}"
        );

        // The monthly report: nothing answered yet; everyone asked.
        let csv = foi(
            dir.path(),
            Some(&db),
            &["report", "monthly", "--round", "cpc", "--as-of", "2026-09-30", "--format", "csv"],
        )
        .ok()
        .stdout;
        assert!(csv.contains("all,All bodies,4,0,0,0,0"), "{backend:?}: {csv}");
        let before =
            foi(dir.path(), Some(&db), &["report", "monthly", "--as-of", "2026-08-31", "--format", "csv"]).ok().stdout;
        assert!(before.contains("all,All bodies,0,"), "{backend:?}: nothing was sent by then: {before}");
        let md = foi(dir.path(), Some(&db), &["report", "monthly", "--as-of", "2026-10-31", "--format", "markdown"])
            .ok()
            .stdout;
        assert!(
            md.contains("## Monthly response rates: CPC 2026") && md.contains("| 2026-09-30 |"),
            "{backend:?}: {md}"
        );
        // Four weeks on, every request is overdue.
        assert!(md.contains("4 (100%)"), "{backend:?}: {md}");

        // The commissioning table: the ICB answered (moved by hand), the others did not.
        foi(
            dir.path(),
            Some(&db),
            &["--today", "2026-09-20", "request", "move", &icb, "answered_full", "--reason", "letter by post"],
        )
        .ok();
        let csv = foi(
            dir.path(),
            Some(&db),
            &["report", "commissioning", "--round", "cpc", "--as-of", "2026-09-30", "--format", "csv"],
        )
        .ok()
        .stdout;
        let row = |code: &str| csv.lines().find(|l| l.starts_with(&format!("{code},"))).unwrap_or("").to_string();
        assert!(row("B002").starts_with("B002,Test Body 2,ICB,not coded,yes,"), "{backend:?}: {csv}");
        assert!(row("B002").contains(",no,"), "{backend:?}: ccn is no: {csv}");
        assert!(row("B001").contains("no response"), "{backend:?}: {csv}");
        assert!(csv.contains("NHS bodies: share answering yes"), "{backend:?}: {csv}");
        // Double coding: bob codes ccn for the ICB too, differently from ana.
        foi(dir.path(), Some(&db), &["--user", "bob", "tag", &icb, "ccn", "yes"]).ok();
        foi(dir.path(), Some(&db), &["--user", "ana", "tag", &icb, "strategy", "yes"]).ok();
        let out = foi(dir.path(), Some(&db), &["report", "agreement", "--round", "cpc", "--format", "csv"]).ok().stdout;
        assert!(out.contains("ccn,1,0,0,") && out.contains("strategy,1,1,100,"), "{backend:?}: {out}");
        let out = foi(dir.path(), Some(&db), &["report", "agreement", "--format", "csv", "--table", "disagreements"])
            .ok()
            .stdout;
        assert!(out.contains(&format!("{icb} (B002),ccn,")), "{backend:?}: the disagreement is listed: {out}");

        // HTML with charts, self-contained.
        let html = dir.path().join("report.html");
        foi(
            dir.path(),
            Some(&db),
            &["report", "monthly", "--as-of", "2026-10-31", "--format", "html", "--output", html.to_str().unwrap()],
        )
        .ok();
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.starts_with("<!DOCTYPE html>") && page.contains("<svg") && page.contains("<polyline"),
            "{backend:?}: {page}"
        );
        assert!(!page.contains("<script") && !page.contains("http://") || page.contains("http://www.w3.org/2000/svg"));
        let page =
            foi(dir.path(), Some(&db), &["report", "commissioning", "--as-of", "2026-10-31", "--format", "html"])
                .ok()
                .stdout;
        assert!(page.contains("Share answering yes, per question") && page.contains("<rect"), "{backend:?}: {page}");

        // Excel: a file with one sheet per table; without --output it says so.
        let xlsx = dir.path().join("commissioning.xlsx");
        foi(
            dir.path(),
            Some(&db),
            &[
                "report",
                "commissioning",
                "--as-of",
                "2026-10-31",
                "--format",
                "xlsx",
                "--output",
                xlsx.to_str().unwrap(),
            ],
        )
        .ok();
        let bytes = std::fs::read(&xlsx).unwrap();
        assert!(bytes.starts_with(b"PK"), "{backend:?}: an xlsx is a zip");
        let refused = foi(dir.path(), Some(&db), &["report", "monthly", "--format", "xlsx"]).fails();
        assert!(refused.stderr.contains("--output"), "{backend:?}: {}", refused.stderr);

        // Before the answer arrived, the ICB had not responded either.
        let before =
            foi(dir.path(), Some(&db), &["report", "commissioning", "--as-of", "2026-09-10", "--format", "csv"])
                .ok()
                .stdout;
        assert!(
            before.lines().find(|l| l.starts_with("B002,")).unwrap().contains("no response"),
            "{backend:?}: {before}"
        );

        // Suggestions: an answer from the council, read by the rules, counted only once confirmed.
        let eml = dir.path().join("answer.eml");
        std::fs::write(
            &eml,
            format!(
                "From: FOI <foi@b001.example>\r\nTo: foi@charity.example\r\nSubject: RE: your request [FOI ref {council}]\r\n\
                 Date: Wed, 16 Sep 2026 10:00:00 +0000\r\nMessage-ID: <suggest-1@b001.example>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\nDear Requester\r\n\r\nPlease find our response below.\r\n\r\n\
                 1. Needs assessment\r\nYes. The JSNA has a chapter on children with life-limiting conditions.\r\n\r\n\
                 2. Strategy\r\nNo, there is no current strategy.\r\n\r\nYours sincerely\r\nFOI Team\r\n"
            ),
        )
        .unwrap();
        foi(dir.path(), Some(&db), &["inbox", "import", eml.to_str().unwrap()]).ok();
        let out = foi(dir.path(), Some(&db), &["tag", "suggest", "--round", "cpc"]).ok().stdout;
        assert!(out.contains("1 answers read: 2 suggestions (2 new"), "{backend:?}: {out}");
        let listed = foi(dir.path(), Some(&db), &["tag", "export", "--suggestions"]).ok().stdout;
        assert!(
            listed.contains(&format!("{council},B001,needs_assessment,yes,Yes.,,system:suggest,suggested")),
            "{listed}"
        );
        let not_yet = foi(dir.path(), Some(&db), &["report", "commissioning", "--format", "csv"]).ok().stdout;
        let b001 = |t: &str| t.lines().find(|l| l.starts_with("B001,")).unwrap_or("").to_string();
        assert!(b001(&not_yet).contains("B001,Test Body 1,unitary,not coded,not coded,,no,"), "{backend:?}: {not_yet}");
        // An analyst had already coded the strategy: confirming everything leaves that alone.
        foi(dir.path(), Some(&db), &["--user", "dee", "tag", &council, "strategy", "in development"]).ok();
        let out = foi(dir.path(), Some(&db), &["--user", "cy", "tag", "confirm", "--all"]).ok().stdout;
        assert!(out.contains("1 suggestions confirmed as person:cy; 1 left alone"), "{backend:?}: {out}");
        let counted = foi(dir.path(), Some(&db), &["report", "commissioning", "--format", "csv"]).ok().stdout;
        assert!(b001(&counted).contains("unitary,yes,,in development,,no,"), "{backend:?}: {}", b001(&counted));
        // Naming the question confirms it anyway (the latest confirmed tag counts).
        let out = foi(dir.path(), Some(&db), &["--user", "cy", "tag", "confirm", &council, "strategy"]).ok().stdout;
        assert!(out.contains("1 suggestions confirmed"), "{backend:?}: {out}");
        let counted = foi(dir.path(), Some(&db), &["report", "commissioning", "--format", "csv"]).ok().stdout;
        assert!(b001(&counted).contains("unitary,yes,,no,,no,"), "{backend:?}: {}", b001(&counted));
        let err = foi(dir.path(), Some(&db), &["tag", "suggest", "--rules", eml.to_str().unwrap()]).fails().stderr;
        assert!(err.contains("answer.eml"), "{backend:?}: {err}");
        guard.remove().await;
    }
}

/// Round against round: 2017 CCGs against the ICBs that succeeded them (one of the CCGs
/// split between two ICBs), councils against themselves.
#[tokio::test]
async fn rounds_years_apart_are_compared_through_the_succession_records() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        let bodies = dir.path().join("bodies.csv");
        std::fs::write(
            &bodies,
            "code,name,kind,region,foi_email,valid_from,valid_to\n\
             C1,CCG One,ccg,North,foi@c1.example,,2022-06-30\n\
             C2,CCG Two,ccg,North,foi@c2.example,,2022-06-30\n\
             C3,CCG Three,ccg,North,foi@c3.example,,2022-06-30\n\
             I1,ICB One,icb,North,foi@i1.example,2022-07-01,\n\
             I2,ICB Two,icb,North,foi@i2.example,2022-07-01,\n\
             U1,Council One,unitary,North,foi@u1.example,,\n",
        )
        .unwrap();
        let succession = dir.path().join("succession.csv");
        std::fs::write(
            &succession,
            "predecessor_code,successor_code,share,effective_date\nC1,I1,1,2022-07-01\nC2,I1,0.75,2022-07-01\n\
             C2,I2,0.25,2022-07-01\nC3,I2,1,2022-07-01\n",
        )
        .unwrap();
        let run = |args: &[&str]| foi(dir.path(), Some(&db), args).ok();
        run(&["bodies", "import", bodies.to_str().unwrap()]);
        run(&["bodies", "import-succession", succession.to_str().unwrap()]);
        let mut refs = std::collections::HashMap::new();
        for (slug, on) in [("cpc2017", "2017-09-11"), ("cpc2026", "2026-09-01")] {
            run(&["round", "new", slug, "--name", slug, "--launch", on]);
            run(&["round", "add-bodies", slug, "--all-current"]);
            run(&["--today", on, "send", "--round", slug, "--no-pacing"]);
            let status = foi(dir.path(), Some(&db), &["round", "status", slug, "--format", "json"]).ok().json();
            for s in status.as_array().unwrap() {
                refs.insert(
                    format!("{slug}/{}", s["body_code"].as_str().unwrap()),
                    s["reference"].as_str().unwrap().to_string(),
                );
            }
        }
        assert_eq!(refs.len(), 4 + 3, "{backend:?}: {refs:?}");
        // Answers: then C1 yes, C2 yes, C3 no, U1 no; now I1 no, I2 yes, U1 yes.
        for (key, day, ccn) in [
            ("cpc2017/C1", "2017-09-20", "yes"),
            ("cpc2017/C2", "2017-09-20", "yes"),
            ("cpc2017/C3", "2017-09-20", "no"),
            ("cpc2026/I1", "2026-09-20", "no"),
            ("cpc2026/I2", "2026-09-20", "yes"),
        ] {
            let r = &refs[key];
            run(&["--today", day, "request", "move", r, "answered_full", "--reason", "letter"]);
            run(&["--user", "ana", "tag", r, "ccn", ccn]);
        }
        for (key, day, breaks) in [("cpc2017/U1", "2017-09-20", "no"), ("cpc2026/U1", "2026-09-20", "yes")] {
            let r = &refs[key];
            run(&["--today", day, "request", "move", r, "answered_full", "--reason", "letter"]);
            run(&["--user", "ana", "tag", r, "short_breaks", breaks]);
        }
        let out = run(&["report", "compare", "--round", "cpc2026", "--as-of", "2026-11-01", "--format", "csv"]).stdout;
        let row = |body: &str, q: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!("{body},")) && l.contains(&format!(",{q},")))
                .unwrap_or("")
                .to_string()
        };
        let ccn = "Community children's nursing";
        // I1 took all of C1 (yes) and three quarters of C2 (yes).
        assert!(
            row("I1", ccn).contains(",no,yes (all),2,100,100.0,\"C1, C2 (75%)\",\"2 predecessors, 1 in part\""),
            "{out}"
        );
        // I2 took a quarter of C2 (yes) and all of C3 (no): 1 of 2, 20% of the area.
        assert!(row("I2", ccn).contains(",yes,mixed,1,50,20.0,\"C2 (25%), C3\","), "{backend:?}: {out}");
        assert!(row("U1", "Short breaks").contains(",yes,no,0,0,0.0,U1,the same body"), "{backend:?}: {out}");
        // A question a council was not asked is not listed for it.
        assert_eq!(row("U1", ccn), "", "{backend:?}");
        let summary =
            run(&["report", "compare", "--as-of", "2026-11-01", "--format", "csv", "--table", "summary"]).stdout;
        assert!(summary.contains(&format!("{ccn},NHS bodies,2,67,1,50")), "{backend:?}: {summary}");
        // With no earlier round there is nothing to compare.
        let err = foi(dir.path(), Some(&db), &["report", "compare", "--round", "cpc2017"]).fails().stderr;
        assert!(err.contains("no round before cpc2017"), "{backend:?}: {err}");
        guard.remove().await;
    }
}

/// The shipped registry across two reorganisations: a round of 2017 to five CCGs, a round of
/// 2025 to the 42 boards of July 2022 and a round of 2026 to the 36 boards of April 2026.
/// `report compare` follows CCG 2017 -> ICB 2022 -> ICB 2026 and marks the boards of 2022
/// that were split between several boards of 2026 (no shares are recorded for the split).
#[tokio::test]
async fn a_2022_structure_round_is_compared_with_the_boards_of_2026() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        let run = |args: &[&str]| foi(dir.path(), Some(&db), args).ok();
        for list in ["icbs.csv", "ccgs_2017.csv"] {
            run(&["bodies", "import", &crate::util::data(list)]);
        }
        for list in ["ccg2017_to_icb2022.csv", "ccg_mergers_2017_2021.csv", "icb2022_successors_2026.csv"] {
            run(&["bodies", "import-succession", &crate::util::data(list)]);
        }
        // Example addresses for every board and the five CCGs: an address-only file.
        let boards = foi(dir.path(), Some(&db), &["bodies", "list", "--kind", "icb", "--format", "json"]).ok().json();
        let mut csv = String::from("code,foi_email\n");
        for b in boards.as_array().unwrap() {
            let code = b["code"].as_str().unwrap();
            csv.push_str(&format!("{code},foi@{}.bodies.example\n", code.to_ascii_lowercase()));
        }
        let ccgs = ["06L", "06T", "07K", "10C", "10G"];
        for c in ccgs {
            csv.push_str(&format!("{c},foi@{}.bodies.example\n", c.to_ascii_lowercase()));
        }
        let file = dir.path().join("addresses.csv");
        std::fs::write(&file, csv).unwrap();
        run(&["bodies", "import", file.to_str().unwrap()]);
        let rounds = [("cpc2017", "2017-09-11"), ("cpc2025", "2025-09-01"), ("cpc2026", "2026-09-01")];
        for (slug, on) in rounds {
            run(&["round", "new", slug, "--name", slug, "--launch", on]);
            if slug == "cpc2017" {
                run(&["round", "add-bodies", slug, "--code", &ccgs.join(",")]);
            } else {
                run(&["round", "add-bodies", slug, "--kind", "icb"]);
            }
            run(&["--today", on, "send", "--round", slug, "--no-pacing"]);
        }
        let count = |slug: &str| {
            foi(dir.path(), Some(&db), &["round", "status", slug, "--format", "json"])
                .ok()
                .json()
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!((count("cpc2017"), count("cpc2025"), count("cpc2026")), (5, 42, 36), "{backend:?}");
        let compare = |with: &str| {
            run(&[
                "report",
                "compare",
                "--round",
                "cpc2026",
                "--with",
                with,
                "--as-of",
                "2026-11-01",
                "--format",
                "csv",
            ])
            .stdout
        };
        let ccn = "Community children's nursing";
        let row = |out: &str, body: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!("{body},")) && l.contains(&format!(",{ccn},")))
                .unwrap_or("")
                .to_string()
        };
        let out = compare("cpc2025");
        // Essex took all of Mid and South Essex and parts of two boards.
        assert!(
            row(&out, "D7T5G").ends_with(",\"QH8, QJG (part), QM7 (part)\",\"3 predecessors, 2 in part\""),
            "{out}"
        );
        // Norfolk and Suffolk: all of Norfolk and Waveney, part of Suffolk and North East Essex.
        assert!(
            row(&out, "T6Y0W").ends_with(",\"QJG (part), QMM\",\"2 predecessors, 1 in part\""),
            "{backend:?}: {out}"
        );
        // Hampshire and the Isle of Wight, an existing board, took in part of Frimley.
        assert!(row(&out, "QRL").ends_with(",\"QNQ (part), QRL\",\"2 predecessors, 1 in part\""), "{backend:?}: {out}");
        // Surrey and Sussex: Sussex and Surrey Heartlands whole, part of Frimley.
        assert!(
            row(&out, "S9B9J").ends_with(",\"QNQ (part), QNX, QXU\",\"3 predecessors, 1 in part\""),
            "{backend:?}: {out}"
        );
        // North West and North Central London: two whole boards.
        assert!(row(&out, "Z9B2Z").ends_with(",\"QMJ, QRV\",2 whole predecessors"), "{backend:?}: {out}");
        // A board that did not change is its own predecessor.
        assert!(row(&out, "QHM").ends_with(",QHM,the same body"), "{backend:?}: {out}");
        // Against 2017: the chain runs through the boards of 2022. The records say which boards
        // of 2022 were split, not which CCG areas went where, so each CCG of a split board is a
        // part of unknown size of every board that took a share.
        let out = compare("cpc2017");
        let suffolk = ",\"06L (part), 06T (part), 07K (part)\",\"3 predecessors, 3 in part\"";
        assert!(row(&out, "D7T5G").ends_with(suffolk), "{backend:?}: {out}");
        assert!(row(&out, "T6Y0W").ends_with(suffolk), "{backend:?}: {out}");
        let frimley = ",\"10C (part), 10G (part)\",\"2 predecessors, 2 in part\"";
        for board in ["QRL", "S0E4D", "S9B9J"] {
            assert!(row(&out, board).ends_with(frimley), "{backend:?}: {board}: {out}");
        }
        // Boards none of the five CCGs lay behind.
        assert!(row(&out, "QHM").ends_with(",,no predecessor in the earlier round"), "{backend:?}: {out}");
        guard.remove().await;
    }
}

/// The response-rate table times each request by its body's own statute: of two bodies asked
/// on Thursday 5 March 2026, the one under FOISA is due on 2 April and overdue on Easter
/// Monday (a working day in Scotland), the one under the FOI Act not until 7 April.
#[tokio::test]
async fn the_response_rate_table_uses_each_bodys_regime() {
    for (backend, db, guard) in foi_store::testing::each_backend_url().await {
        let dir = workspace(None);
        let bodies = dir.path().join("bodies.csv");
        std::fs::write(
            &bodies,
            "code,name,kind,foi_email,regime\nE1,English Council,unitary,foi@e1.example,foia\n\
             S1,Scottish Board,icb,foi@s1.example,foisa\n",
        )
        .unwrap();
        let run = |args: &[&str]| foi(dir.path(), Some(&db), args).ok();
        run(&["bodies", "import", bodies.to_str().unwrap()]);
        run(&["round", "new", "r", "--name", "Regimes", "--launch", "2026-03-05"]);
        run(&["round", "add-bodies", "r", "--all-current"]);
        run(&["--today", "2026-03-05", "send", "--no-pacing"]);
        let csv = |as_of: &str| run(&["report", "monthly", "--as-of", as_of, "--format", "csv"]).stdout;
        // overdue is the 17th column (count), after group, bodies, asked and seven count/% pairs.
        let overdue = |out: &str, label: &str| -> String {
            let line =
                out.lines().find(|l| l.starts_with(&format!("kind,{label},"))).unwrap_or_else(|| panic!("{out}"));
            line.split(',').nth(17).unwrap().to_string()
        };
        let on_2_april = csv("2026-04-02");
        assert_eq!(
            (overdue(&on_2_april, "ICB"), overdue(&on_2_april, "unitary")),
            ("0".into(), "0".into()),
            "{on_2_april}"
        );
        let easter_monday = csv("2026-04-06");
        assert_eq!(
            overdue(&easter_monday, "ICB"),
            "1",
            "{backend:?}: FOISA: overdue on Easter Monday\n{easter_monday}"
        );
        assert_eq!(overdue(&easter_monday, "unitary"), "0", "{backend:?}: FOIA: due 7 April\n{easter_monday}");
        let md =
            run(&["report", "monthly", "--as-of", "2026-04-06", "--format", "markdown", "--table", "rates"]).stdout;
        assert!(md.contains("1 under FOISA, the rest under the FOI Act"), "{backend:?}: {md}");
        let on_8_april = csv("2026-04-08");
        assert_eq!(
            (overdue(&on_8_april, "ICB"), overdue(&on_8_april, "unitary")),
            ("1".into(), "1".into()),
            "{on_8_april}"
        );
        guard.remove().await;
    }
}
