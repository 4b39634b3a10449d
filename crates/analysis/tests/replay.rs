//! The 2017 report replayed: 211 CCGs and 152 councils asked on 11 September 2017; 199 CCGs
//! and 126 councils answered before midnight on Monday 9 October 2017, a few more later. As of
//! that cut-off the response-rate table reads "199 (94%)" and "126 (83%)"; a later cut-off adds
//! exactly the later answers and an earlier one removes exactly those received after it. On
//! SQLite and PostgreSQL, through the real pipeline (round sent through the file transport,
//! answers ingested and matched).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use foi_analysis::rates::{response_rates, standing};
use foi_analysis::render::{Format, render};
use foi_core::{Calendar, registry};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::ingest::Item;
use foi_simulate::Launch;
use foi_store::testing::each_backend;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bodies() -> Vec<registry::BodyRow> {
    let mut csv = String::from("code,name,kind,region,foi_email\n");
    for i in 0..211 {
        csv.push_str(&format!("C{i:03},CCG {i},ccg,Region {},foi@ccg{i}.example\n", i % 7));
    }
    let councils = ["county_council", "unitary", "metropolitan_district", "london_borough"];
    for i in 0..152 {
        csv.push_str(&format!("L{i:03},Council {i},{},Region {},foi@council{i}.example\n", councils[i % 4], i % 7));
    }
    registry::read_bodies(csv.as_bytes(), None).rows
}

fn answer(to: &str, in_reply_to: &str, from: &str, at: DateTime<Utc>, n: usize) -> Vec<u8> {
    format!(
        "From: FOI team <{from}>\r\nTo: {to}\r\nSubject: RE: your request\r\nDate: {}\r\nMessage-ID: <answer-{n}@replay.example>\r\n\
         In-Reply-To: <{in_reply_to}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
         Please find below our response to your questions.\r\n\r\n1. Needs assessment\r\nYes.\r\n",
        at.format("%a, %d %b %Y %H:%M:%S +0000")
    )
    .into_bytes()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2017_figures_replayed() {
    each_backend(|store| async move {
        let rows = bodies();
        store.import_bodies(&rows, "replay", false).await.unwrap();
        let codes: Vec<String> = rows.iter().map(|b| b.body.code.clone()).collect();
        let outbox = tempfile::tempdir().unwrap();
        let launch = Launch::shipped(
            &root(),
            "cpc2017",
            "Children's palliative care 2017",
            NaiveDate::from_ymd_opt(2017, 9, 11).unwrap(),
        );
        assert_eq!(foi_simulate::launch_round(&store, &launch, &codes, outbox.path()).await.unwrap(), 363);
        let sent = foi_simulate::sent_requests(&store, "cpc2017").await.unwrap();
        // The cut-off: midnight (UK, BST) at the end of Monday 9 October 2017.
        let cutoff = utc(2017, 10, 9, 22, 59);
        // Answered in time: 199 CCGs, 126 councils, spread over four weeks; then 5 CCGs and 3
        // councils answer on 20 October.
        let ccgs: Vec<_> = sent.iter().filter(|s| s.body_name.starts_with("CCG")).collect();
        let councils: Vec<_> = sent.iter().filter(|s| s.body_name.starts_with("Council")).collect();
        let mut items = Vec::new();
        let mut when = Vec::new();
        for (list, in_time, late) in [(&ccgs, 199, 5), (&councils, 126, 3)] {
            for (i, s) in list.iter().enumerate().take(in_time + late) {
                let at = if i < in_time {
                    utc(2017, 9, 13, 10, 0) + chrono::Duration::days((i % 26) as i64)
                } else {
                    utc(2017, 10, 20, 11, 0)
                };
                let n = items.len();
                items.push(Item {
                    raw: answer(&s.reply_to, &s.message_id, &s.body_email, at, n),
                    source: format!("answer {n}"),
                    location: None,
                });
                when.push(at);
            }
        }
        let ing = Ingestor {
            store: &store,
            classifier: Classifier::builtin(),
            limits: Limits::default(),
            echo_texts: Vec::new(),
        };
        let outcomes = ing.ingest_all(items, |_| {}).await.unwrap();
        assert!(outcomes.iter().all(|o| o.matched.is_some() && o.class == "answer_full"), "{:?}", outcomes.first());

        let facts = store.round_facts("cpc2017").await.unwrap();
        let cal = Calendar::uk();
        let table = response_rates(&facts, cutoff, "Children's palliative care 2017", cal).unwrap();
        let text = render(&table, Format::Table).unwrap();
        let row = |label: &str| -> String {
            let words = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
            text.lines().find(|l| words(l).get(2).is_some_and(|w| w == label)).unwrap_or("").to_string()
        };
        assert!(row("CCG").contains("199 (94%)"), "{text}");
        assert!(row("Councils").contains("126 (83%)"), "{text}");
        let md = render(&table, Format::Markdown).unwrap();
        assert!(md.contains("| kind | CCG | 211 |") && md.contains("199 (94%)") && md.contains("126 (83%)"), "{md}");
        let csv = render(&table, Format::Csv).unwrap();
        assert!(csv.contains("kind,CCG,211,"), "{csv}");

        // Moving the cut-off: the answered count is exactly the answers received by then.
        let answered_by = |at: DateTime<Utc>| facts.iter().filter(|f| standing(f, at, cal).unwrap().answered()).count();
        for at in [utc(2017, 9, 20, 12, 0), utc(2017, 10, 1, 0, 0), cutoff, utc(2017, 10, 31, 0, 0)] {
            assert_eq!(answered_by(at), when.iter().filter(|w| **w <= at).count(), "as of {at}");
        }
        assert_eq!(answered_by(cutoff), 325);
        assert_eq!(answered_by(utc(2017, 10, 31, 0, 0)), 333);
        // The Excel workbook opens with calamine and holds the CSV's numbers.
        let monthly = foi_analysis::rates::monthly(&facts, cutoff, "Children's palliative care 2017", cal).unwrap();
        let book = foi_analysis::xlsx::workbook(&[&table, &monthly]).unwrap();
        same_numbers(&book, &csv);

        // The same data and cut-off give the same output.
        let again = response_rates(
            &store.round_facts("cpc2017").await.unwrap(),
            cutoff,
            "Children's palliative care 2017",
            cal,
        )
        .unwrap();
        assert_eq!(render(&again, Format::Csv).unwrap(), csv);
    })
    .await;
}

/// Every cell of the first sheet equals the CSV's: text as text, counts as numbers, each
/// percentage as the fraction the CSV rounds.
fn same_numbers(book: &[u8], csv: &str) {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(names.len(), 2, "one sheet per table: {names:?}");
    let sheet = wb.worksheet_range(&names[0]).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(sheet.height(), records.len());
    for (r, rec) in records.iter().enumerate() {
        let header = &records[0];
        for (c, want) in rec.iter().enumerate() {
            let got = sheet.get((r, c)).cloned().unwrap_or(Data::Empty);
            match got {
                Data::String(s) => assert_eq!(s, want, "row {r} column {c}"),
                Data::Float(f) if header.get(c).is_some_and(|h| h.ends_with(" %")) => {
                    assert_eq!(format!("{}", (f * 100.0).round()), want, "row {r} column {c}: {f}")
                }
                Data::Float(f) => assert_eq!(f, want.parse::<f64>().unwrap(), "row {r} column {c}"),
                Data::Int(i) => assert_eq!(i.to_string(), want),
                Data::Empty => assert_eq!(want, "", "row {r} column {c}"),
                other => panic!("row {r} column {c}: {other:?}"),
            }
        }
    }
}
