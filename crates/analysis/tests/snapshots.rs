//! Every table in every format on one fixed fixture (two rounds years apart, built in memory
//! so that nothing varies between runs): the response rates, the monthly series, the
//! commissioning table and its shares, agreement between two analysts and its disagreements,
//! round against round and its summary; as a terminal table, CSV, Markdown, HTML and Excel
//! (the workbook read back with calamine). Review a changed snapshot with `cargo insta review`.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use foi_analysis::html::{Chart, Section, report};
use foi_analysis::render::{Format, render};
use foi_analysis::{Table, agreement, commissioning, compare, rates};
use foi_core::{Actor, BodyKind, Calendar, Codebook, MessageClass, Regime, RequestEvent, RequestState};
use foi_store::{BodySummary, ReplyFact, RequestFacts, RequestSummary, Succession, TagFact};

fn codebook() -> Codebook {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/codebooks/childrens-palliative-care.toml");
    Codebook::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
}

fn event(on: NaiveDate, from: Option<RequestState>, to: RequestState, actor: &str) -> RequestEvent {
    RequestEvent {
        at: at(on, 9),
        on,
        from,
        to,
        actor: if actor == "inbox" { Actor::System("inbox".into()) } else { Actor::Person(actor.into()) },
        reason: None,
        message_id: None,
    }
}

/// What happened to one request: the reply's class and day, and the tags (tagger, question,
/// answer).
struct Story<'a> {
    code: &'a str,
    name: &'a str,
    kind: BodyKind,
    region: &'a str,
    regime: Regime,
    reply: Option<(MessageClass, NaiveDate)>,
    clarification: Option<(NaiveDate, NaiveDate)>,
    tags: &'a [(&'a str, &'a str, &'a str)],
}

fn facts(id: i32, sent: NaiveDate, s: &Story) -> RequestFacts {
    let body = BodySummary {
        code: s.code.into(),
        name: s.name.into(),
        kind: s.kind,
        region: Some(s.region.into()),
        nhs_region: Some(format!("NHS {}", s.region)),
        ons_region: (!s.kind.is_nhs()).then(|| format!("ONS {}", s.region)),
        regime: s.regime,
    };
    let mut events = vec![
        event(sent, None, RequestState::Queued, "officer"),
        event(sent, Some(RequestState::Queued), RequestState::Sent, "officer"),
    ];
    let mut state = RequestState::Sent;
    if let Some((asked, given)) = s.clarification {
        events.push(event(asked, Some(state), RequestState::ClarificationRequested, "inbox"));
        events.push(event(given, Some(RequestState::ClarificationRequested), RequestState::Sent, "officer"));
    }
    let mut replies = Vec::new();
    if let Some((class, on)) = s.reply {
        replies.push(ReplyFact { class, at: at(on, 10) });
        let to = match class {
            MessageClass::AnswerFull => RequestState::AnsweredFull,
            MessageClass::AnswerPartial => RequestState::AnsweredPartial,
            MessageClass::Refusal => RequestState::Refused,
            MessageClass::NotHeld => RequestState::NotHeld,
            _ => RequestState::Acknowledged,
        };
        events.push(event(on, Some(state), to, "inbox"));
        state = to;
    }
    let tagged = s.reply.map(|(_, d)| d.succ_opt().unwrap()).unwrap_or(sent);
    let tags: Vec<TagFact> = s
        .tags
        .iter()
        .map(|(tagger, q, a)| TagFact {
            question: q.to_string(),
            answer: a.to_string(),
            tagger: format!("person:{tagger}"),
            at: at(tagged, 15),
            superseded_at: None,
        })
        .collect();
    RequestFacts {
        request: RequestSummary { id, reference: format!("REF{id:03}"), state, body },
        events,
        replies,
        answers: foi_store::current_answers(&tags),
        tags,
    }
}

use MessageClass::{AnswerFull, AnswerPartial, NotHeld, Refusal};

fn earlier() -> Vec<RequestFacts> {
    let sent = day(2017, 9, 11);
    let stories = [
        Story {
            code: "C01",
            name: "CCG One",
            kind: BodyKind::Ccg,
            region: "North",
            regime: Regime::Foia,
            reply: Some((AnswerFull, day(2017, 9, 25))),
            clarification: None,
            tags: &[("ana", "ccn", "yes"), ("ana", "ccn_out_of_hours", "yes"), ("ana", "strategy", "yes")],
        },
        Story {
            code: "C02",
            name: "CCG Two",
            kind: BodyKind::Ccg,
            region: "North",
            regime: Regime::Foia,
            reply: Some((AnswerPartial, day(2017, 10, 20))),
            clarification: Some((day(2017, 9, 20), day(2017, 9, 27))),
            tags: &[("ana", "ccn", "yes"), ("ana", "ccn_out_of_hours", "no"), ("ana", "strategy", "no")],
        },
        Story {
            code: "C03",
            name: "CCG Three",
            kind: BodyKind::Ccg,
            region: "South",
            regime: Regime::Foia,
            reply: Some((Refusal, day(2017, 10, 2))),
            clarification: None,
            tags: &[],
        },
        Story {
            code: "C04",
            name: "CCG Four",
            kind: BodyKind::Ccg,
            region: "South",
            regime: Regime::Foia,
            reply: None,
            clarification: None,
            tags: &[],
        },
        Story {
            code: "U01",
            name: "Council One",
            kind: BodyKind::Unitary,
            region: "North",
            regime: Regime::Foia,
            reply: Some((AnswerFull, day(2017, 10, 5))),
            clarification: None,
            tags: &[("ana", "short_breaks", "no"), ("ana", "strategy", "in_development")],
        },
        Story {
            code: "U02",
            name: "Council Two",
            kind: BodyKind::CountyCouncil,
            region: "South",
            regime: Regime::Foia,
            reply: Some((NotHeld, day(2017, 9, 29))),
            clarification: None,
            tags: &[],
        },
    ];
    stories.iter().enumerate().map(|(i, s)| facts(i as i32 + 1, sent, s)).collect()
}

fn later() -> Vec<RequestFacts> {
    let sent = day(2026, 9, 1);
    let stories = [
        Story {
            code: "I01",
            name: "ICB One",
            kind: BodyKind::Icb,
            region: "North",
            regime: Regime::Foia,
            reply: Some((AnswerFull, day(2026, 9, 22))),
            clarification: None,
            tags: &[
                ("ana", "ccn", "yes"),
                ("ana", "ccn_out_of_hours", "no"),
                ("ana", "strategy", "yes"),
                ("bob", "ccn", "yes"),
                ("bob", "ccn_out_of_hours", "yes"),
                ("bob", "strategy", "yes"),
            ],
        },
        Story {
            code: "I02",
            name: "ICB Two",
            kind: BodyKind::Icb,
            region: "South",
            regime: Regime::Foia,
            reply: Some((AnswerPartial, day(2026, 10, 14))),
            clarification: None,
            tags: &[
                ("ana", "ccn", "no"),
                ("ana", "childrens_hospice_spend", "250000"),
                ("bob", "ccn", "no"),
                ("bob", "childrens_hospice_spend", "250000"),
            ],
        },
        Story {
            code: "U01",
            name: "Council One",
            kind: BodyKind::Unitary,
            region: "North",
            regime: Regime::Foia,
            reply: Some((AnswerFull, day(2026, 9, 15))),
            clarification: None,
            tags: &[("ana", "short_breaks", "yes"), ("bob", "short_breaks", "yes"), ("ana", "strategy", "no")],
        },
        Story {
            code: "U02",
            name: "Council Two",
            kind: BodyKind::CountyCouncil,
            region: "South",
            regime: Regime::Foia,
            reply: None,
            clarification: None,
            tags: &[],
        },
    ];
    stories.iter().enumerate().map(|(i, s)| facts(i as i32 + 11, sent, s)).collect()
}

fn successions() -> Vec<Succession> {
    [("C01", "I01", 1.0), ("C02", "I01", 0.6), ("C02", "I02", 0.4), ("C03", "I02", 1.0), ("C04", "I02", 1.0)]
        .into_iter()
        .map(|(p, s, share)| Succession {
            predecessor_code: p.into(),
            predecessor_name: None,
            successor_code: s.into(),
            successor_name: None,
            effective_date: day(2022, 7, 1),
            share: Some(share),
            basis: None,
            notes: None,
        })
        .collect()
}

/// Every table, by name, with the charts its HTML form draws.
fn tables() -> Vec<(&'static str, Table, Vec<Chart>)> {
    let cal = Calendar::uk();
    let book = codebook();
    let (then, now) = (earlier(), later());
    let cut = at(day(2026, 10, 31), 23);
    let then_cut = at(day(2017, 10, 9), 23);
    let rates = rates::response_rates(&now, cut, "CPC 2026", cal).unwrap();
    let rates_ons = rates::response_rates_by(&now, cut, "CPC 2026", cal, rates::RegionBy::Ons).unwrap();
    let series = rates::monthly(&now, cut, "CPC 2026", cal).unwrap();
    let bodies = commissioning::commissioning(&now, &book, cut, "CPC 2026").unwrap();
    let shares = commissioning::shares(&bodies);
    let (agree, disagree) = agreement::agreement_tables(&now, &book, "person:ana", "person:bob");
    let (cmp, cmp_summary) = compare::compare(
        compare::Side { name: "CPC 2017", facts: &then, codebook: &book, at: then_cut },
        compare::Side { name: "CPC 2026", facts: &now, codebook: &book, at: cut },
        &successions(),
    )
    .unwrap();
    let bars = |group: &str| Chart::Bars { label: 1, value: 4, filter: Some((0, group.to_string())) };
    vec![
        ("rates", rates, vec![bars("kind"), bars("NHS region")]),
        ("rates_ons", rates_ons, vec![bars("kind"), bars("ONS region")]),
        ("series", series, vec![Chart::Lines { x: 0, series: 1, value: 4 }]),
        ("commissioning", bodies, vec![]),
        ("shares", shares, vec![Chart::Bars { label: 0, value: 2, filter: None }]),
        ("agreement", agree, vec![]),
        ("disagreements", disagree, vec![]),
        ("compare", cmp, vec![]),
        ("compare_summary", cmp_summary, vec![Chart::Bars { label: 0, value: 3, filter: None }]),
    ]
}

/// A workbook's cells as text, one line per row, cells separated by " | ".
fn xlsx_cells(book: &[u8]) -> String {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let mut out = String::new();
    for name in wb.sheet_names().to_vec() {
        out.push_str(&format!("sheet {name:?}\n"));
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:?}")).collect();
            out.push_str(&cells.join(" | "));
            out.push('\n');
        }
    }
    out
}

#[test]
fn every_table_in_every_format() {
    for (name, table, charts) in tables() {
        assert!(!table.rows.is_empty(), "{name} has rows");
        for (format, suffix) in [(Format::Table, "table"), (Format::Csv, "csv"), (Format::Markdown, "markdown")] {
            insta::assert_snapshot!(format!("{name}.{suffix}"), render(&table, format).unwrap());
        }
        let page = report("CPC 2026", &[Section { table: table.clone(), charts }]);
        insta::assert_snapshot!(format!("{name}.html"), page);
        let book = foi_analysis::xlsx::workbook(&[&table]).unwrap();
        insta::assert_snapshot!(format!("{name}.xlsx"), xlsx_cells(&book));
    }
}

#[test]
fn the_same_data_and_cut_off_give_the_same_output() {
    let a: Vec<String> = tables().iter().map(|(_, t, _)| render(t, Format::Csv).unwrap()).collect();
    let b: Vec<String> = tables().iter().map(|(_, t, _)| render(t, Format::Csv).unwrap()).collect();
    assert_eq!(a, b);
}

/// Two bodies asked on the same day, neither answering: the one under FOISA is overdue a
/// working day before the one under the FOI Act, because Easter Monday is not a Scottish
/// bank holiday; and a reply after St Patrick's Day took one more working day in Scotland.
#[test]
fn each_body_is_timed_by_its_own_statute() {
    let cal = Calendar::uk();
    let story = |code, kind, regime, reply| Story {
        code,
        name: code,
        kind,
        region: "North",
        regime,
        reply,
        clarification: None,
        tags: &[],
    };
    // Thu 5 March 2026: due Tue 7 April under FOIA (St Patrick's Day, Good Friday and
    // Easter Monday skipped), Thu 2 April under FOISA.
    let sent = day(2026, 3, 5);
    let facts = vec![
        facts(1, sent, &story("E1", BodyKind::Icb, Regime::Foia, None)),
        facts(2, sent, &story("S1", BodyKind::Unitary, Regime::Foisa, None)),
        facts(3, sent, &story("E2", BodyKind::Icb, Regime::Foia, Some((AnswerFull, day(2026, 3, 18))))),
        facts(4, sent, &story("S2", BodyKind::Unitary, Regime::Foisa, Some((AnswerFull, day(2026, 3, 18))))),
    ];
    // Easter Monday, 6 April: a working day in Scotland only.
    let table = rates::response_rates(&facts, at(day(2026, 4, 6), 23), "regimes", cal).unwrap();
    let row = |label: &str| {
        let r = table.rows.iter().find(|r| r[1] == foi_analysis::table::Cell::Text(label.into())).unwrap();
        (format!("{:?}", r[10]), format!("{:?}", r[11]))
    };
    let (icb_overdue, icb_days) = row("ICB");
    let (council_overdue, council_days) = row("unitary");
    assert_eq!(icb_overdue, "CountOf { n: 0, of: 2 }", "FOIA: not due until 7 April");
    assert_eq!(council_overdue, "CountOf { n: 1, of: 2 }", "FOISA: due 2 April, overdue on Easter Monday");
    // Working days to the answer on 18 March: 8 under FOIA (17 March skipped), 9 under FOISA.
    assert_eq!(icb_days, "Number { value: 8.0, decimals: 1 }");
    assert_eq!(council_days, "Number { value: 9.0, decimals: 1 }");
    assert!(table.caption.contains("2 under FOISA"), "{}", table.caption);
}
