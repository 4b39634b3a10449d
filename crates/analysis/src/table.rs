//! A table as the reports produce it: a title, named columns and typed cells, so that every
//! format (terminal, CSV, Markdown) shows the same numbers its own way.

use serde::Serialize;

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// `n` of `of`: shown as "199 (94%)"; CSV gives the count and the percentage apart.
    CountOf {
        n: u64,
        of: u64,
    },
    /// A number with `decimals` places (days, pounds).
    Number {
        value: f64,
        decimals: usize,
    },
    /// A share from 0 to 1, shown as a whole percentage.
    Share(f64),
    Empty,
}

impl Cell {
    /// The percentage of `n` in `of`, rounded half up to a whole number.
    pub fn percent(n: u64, of: u64) -> Option<u64> {
        (of > 0).then(|| (n * 200 + of) / (2 * of))
    }

    /// As text: "199 (94%)", "12.5", "67%", "".
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::CountOf { n, of } => match Cell::percent(*n, *of) {
                Some(p) => format!("{n} ({p}%)"),
                None => n.to_string(),
            },
            Cell::Number { value, decimals } => format!("{value:.decimals$}"),
            Cell::Share(s) => format!("{:.0}%", s * 100.0),
            Cell::Empty => String::new(),
        }
    }
}

/// A titled table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub title: String,
    /// What it counts and as of when, for a caption.
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}
