//! The published reports as named tables, each with the charts its HTML page draws: the
//! monthly report (`rates`, `series`) and the commissioning report (`bodies`, `shares`), as
//! `foi report`, the web UI and the demo write them, and each as one document in a format.

use chrono::{DateTime, Utc};
use foi_core::{Calendar, Codebook};
use foi_store::RequestFacts;

use crate::Result;
use crate::html::{Chart, Section};
use crate::rates::RegionBy;
use crate::render::{Format, render};

/// One table of a report, by the name `--table` picks it with.
pub type Part = (&'static str, Section);

/// The monthly report: the response-rate table (bars of answered some or all by kind and by
/// NHS England region) and the monthly series (lines).
pub fn monthly(facts: &[RequestFacts], at: DateTime<Utc>, round_name: &str, cal: &Calendar) -> Result<Vec<Part>> {
    monthly_by(facts, at, round_name, cal, RegionBy::Nhs)
}

/// [`monthly`], with the regions `by` picks (ONS regions: councils only).
pub fn monthly_by(
    facts: &[RequestFacts],
    at: DateTime<Utc>,
    round_name: &str,
    cal: &Calendar,
    by: RegionBy,
) -> Result<Vec<Part>> {
    let rates = crate::rates::response_rates_by(facts, at, round_name, cal, by)?;
    let series = crate::rates::monthly(facts, at, round_name, cal)?;
    let bars = |group: &str| Chart::Bars { label: 1, value: 4, filter: Some((0, group.to_string())) };
    Ok(vec![
        ("rates", Section { table: rates, charts: vec![bars("kind"), bars(by.group())] }),
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

/// Sections of a report as one document: HTML puts the sections with charts first (the
/// shares before the long table of bodies), Excel gives a sheet per table, CSV holds the
/// first table only, the terminal and Markdown every table in turn.
pub fn document(title: &str, sections: &[Section], format: Format) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Html => {
            let (charted, plain): (Vec<Section>, Vec<Section>) =
                sections.iter().cloned().partition(|s| !s.charts.is_empty());
            crate::html::report(title, &[charted, plain].concat()).into_bytes()
        }
        Format::Xlsx => crate::xlsx::workbook(&sections.iter().map(|s| &s.table).collect::<Vec<_>>())?,
        Format::Csv => match sections.first() {
            Some(s) => render(&s.table, Format::Csv)?.into_bytes(),
            None => Vec::new(),
        },
        _ => sections.iter().map(|s| render(&s.table, format)).collect::<Result<Vec<_>>>()?.join("\n").into_bytes(),
    })
}
