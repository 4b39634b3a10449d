//! Tables as text: a terminal table, CSV (counts and percentages in columns of their own)
//! and Markdown.

use crate::table::{Cell, Table};
use crate::{Error, Result};

/// The formats a table is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Markdown,
    /// A self-contained HTML page (see [`crate::html`] for charts).
    Html,
    /// An Excel workbook (see [`crate::xlsx`]); not text, so [`render`] refuses it.
    Xlsx,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "text" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "xlsx" | "excel" => Ok(Format::Xlsx),
            other => {
                Err(Error::Render(format!("unknown format \"{other}\" (expected table, csv, markdown, html or xlsx)")))
            }
        }
    }
}

/// A table in a text format.
pub fn render(t: &Table, format: Format) -> Result<String> {
    match format {
        Format::Table => Ok(terminal(t)),
        Format::Csv => csv(t),
        Format::Markdown => Ok(markdown(t)),
        Format::Html => {
            Ok(crate::html::report(&t.title, &[crate::html::Section { table: t.clone(), charts: Vec::new() }]))
        }
        Format::Xlsx => Err(Error::Render("an Excel workbook is not text: use xlsx::workbook".into())),
    }
}

fn terminal(t: &Table) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY).set_header(t.columns.clone());
    for row in &t.rows {
        table.add_row(row.iter().map(Cell::text).collect::<Vec<_>>());
    }
    format!("{}\n{}\n{}\n", t.title, table, t.caption)
}

fn markdown(t: &Table) -> String {
    let mut out = format!("## {}\n\n{}\n\n| {} |\n|", t.title, t.caption, t.columns.join(" | "));
    for c in &t.rows.first().cloned().unwrap_or_default() {
        out.push_str(if matches!(c, Cell::Text(_) | Cell::Empty) { "---|" } else { "---:|" });
    }
    if t.rows.is_empty() {
        out.push_str(&"---|".repeat(t.columns.len()));
    }
    out.push('\n');
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| c.text().replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

fn csv(t: &Table) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // A column holding counts of a whole ("199 (94%)") gets a percentage column beside it.
    let with_percent: Vec<bool> =
        (0..t.columns.len()).map(|i| t.rows.iter().any(|r| matches!(r.get(i), Some(Cell::CountOf { .. })))).collect();
    let mut header = Vec::new();
    for (c, pct) in t.columns.iter().zip(&with_percent) {
        header.push(c.clone());
        if *pct {
            header.push(format!("{c} %"));
        }
    }
    let bad = |e: csv::Error| Error::Render(format!("CSV: {e}"));
    w.write_record(&header).map_err(bad)?;
    for row in &t.rows {
        let mut rec = Vec::new();
        for (i, c) in row.iter().enumerate() {
            match c {
                Cell::CountOf { n, of } => {
                    rec.push(n.to_string());
                    rec.push(Cell::percent(*n, *of).map(|p| p.to_string()).unwrap_or_default());
                    continue;
                }
                Cell::Share(s) => rec.push(format!("{:.1}", s * 100.0)),
                other => rec.push(other.text()),
            }
            if with_percent.get(i).copied().unwrap_or(false) {
                rec.push(String::new());
            }
        }
        w.write_record(&rec).map_err(bad)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Render(format!("CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Render(format!("CSV: {e}")))
}
