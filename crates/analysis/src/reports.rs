//! The published reports as named tables, each with the charts its HTML page draws: the
//! monthly report (`rates`, `series`) and the commissioning report (`bodies`, `shares`), as
//! `foi report` and the demo write them.

use chrono::{DateTime, Utc};
use foi_core::{Calendar, Codebook};
use foi_store::RequestFacts;

use crate::Result;
use crate::html::{Chart, Section};

/// One table of a report, by the name `--table` picks it with.
pub type Part = (&'static str, Section);

/// The monthly report: the response-rate table (bars of answered some or all by kind and by
/// region) and the monthly series (lines).
pub fn monthly(facts: &[RequestFacts], at: DateTime<Utc>, round_name: &str, cal: &Calendar) -> Result<Vec<Part>> {
    let rates = crate::rates::response_rates(facts, at, round_name, cal)?;
    let series = crate::rates::monthly(facts, at, round_name, cal)?;
    let bars = |group: &str| Chart::Bars { label: 1, value: 4, filter: Some((0, group.to_string())) };
    Ok(vec![
        ("rates", Section { table: rates, charts: vec![bars("kind"), bars("region")] }),
        ("series", Section { table: series, charts: vec![Chart::Lines { x: 0, series: 1, value: 4 }] }),
    ])
}

/// The commissioning report: a row per body and the share answering yes per question (bars).
pub fn commissioning(
    facts: &[RequestFacts],
    book: &Codebook,
    at: DateTime<Utc>,
    round_name: &str,
) -> Result<Vec<Part>> {
    let table = crate::commissioning::commissioning(facts, book, at, round_name)?;
    let shares = crate::commissioning::shares(&table);
    Ok(vec![
        ("bodies", Section { table, charts: vec![] }),
        ("shares", Section { table: shares, charts: vec![Chart::Bars { label: 0, value: 2, filter: None }] }),
    ])
}
