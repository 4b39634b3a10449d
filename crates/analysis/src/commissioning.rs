//! The commissioning table: one row per body, one column per question of the round's
//! codebook, each cell the body's coded answer (yes / no / in development / not held /
//! unclear, a number or text), "no response" when no answer had arrived by the cut-off and
//! "not coded" when it had but nobody has tagged it yet; then, per body kind group, the share
//! answering yes among the bodies that answered the question (yes, no or in development).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use foi_core::{AnswerType, Codebook};
use foi_store::RequestFacts;

use crate::Result;
use crate::rates::{Standing, replies_by};
use crate::table::{Cell, Table};

/// The current answer to a question: the latest confirmed tag still standing (any tagger).
pub fn current_answer<'f>(f: &'f RequestFacts, question: &str) -> Option<&'f str> {
    f.answers.get(question).map(|a| &**a)
}

/// What a body's reply says to one question, as of a cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coded<'f> {
    NoResponse,
    Refused,
    /// A not-held letter, and nobody coded the question otherwise.
    NotHeld,
    /// An answer arrived but nobody has coded this question yet.
    NotCoded,
    /// The coded answer as stored (`yes`, `no`, `in_development`, a number...).
    Answer(&'f str),
}

impl Coded<'_> {
    /// As the tables show it: "no response", "refused", "not held", "not coded", "in development".
    pub fn shown(&self) -> String {
        match self {
            Coded::NoResponse => "no response".into(),
            Coded::Refused => "refused".into(),
            Coded::NotHeld => "not held".into(),
            Coded::NotCoded => "not coded".into(),
            Coded::Answer(a) => a.replace('_', " "),
        }
    }
}

/// A request's answer to a question given where it stood at the cut-off.
pub fn answer_cell<'f>(f: &'f RequestFacts, s: &Standing, question: &str) -> Coded<'f> {
    let current = current_answer(f, question);
    if !s.replied {
        Coded::NoResponse
    } else if s.refused {
        Coded::Refused
    } else if s.not_held && current.is_none() {
        Coded::NotHeld
    } else {
        current.map_or(Coded::NotCoded, Coded::Answer)
    }
}

/// The commissioning table of a round as of `at`.
pub fn commissioning(
    facts: &[RequestFacts],
    codebook: &Codebook,
    at: DateTime<Utc>,
    round_name: &str,
) -> Result<Table> {
    let questions = &codebook.questions;
    let mut columns = vec!["body".to_string(), "name".to_string(), "kind".to_string()];
    columns.extend(questions.iter().map(|q| q.short.clone()));
    let mut rows = Vec::new();
    // Per group (NHS bodies, councils) and question: (answered yes, answered).
    let mut shares: BTreeMap<&'static str, Vec<(u64, u64)>> = BTreeMap::new();
    for f in facts {
        let body = &f.request.body;
        let s = replies_by(f, at);
        if !s.sent {
            continue;
        }
        let group = if body.kind.is_nhs() { "NHS bodies" } else { "Councils" };
        let counts = shares.entry(group).or_insert_with(|| vec![(0, 0); questions.len()]);
        let mut row =
            vec![Cell::Text(body.code.clone()), Cell::Text(body.name.clone()), Cell::Text(body.kind.label().into())];
        for (i, q) in questions.iter().enumerate() {
            if !q.applies_to.contains(&body.kind) {
                row.push(Cell::Empty);
                continue;
            }
            let cell = answer_cell(f, &s, &q.id);
            if q.answer == AnswerType::YesNo
                && let Coded::Answer(a @ ("yes" | "no" | "in_development")) = cell
            {
                counts[i].1 += 1;
                counts[i].0 += u64::from(a == "yes");
            }
            row.push(Cell::Text(cell.shown()));
        }
        rows.push(row);
    }
    for (group, counts) in shares {
        let mut row = vec![Cell::Text(String::new()), Cell::Text(format!("{group}: share answering yes")), Cell::Empty];
        for (i, q) in questions.iter().enumerate() {
            let (yes, answered) = counts[i];
            row.push(if q.answer == AnswerType::YesNo && answered > 0 {
                Cell::CountOf { n: yes, of: answered }
            } else {
                Cell::Empty
            });
        }
        rows.push(row);
    }
    Ok(Table {
        title: format!("Commissioning: {round_name}"),
        caption: format!(
            "Coded answers of replies received up to {} (UTC). Shares are of the bodies that answered the question yes, no or in development.",
            at.format("%Y-%m-%d %H:%M")
        ),
        columns,
        rows,
    })
}

/// The share answering yes per question and group, one row each (for charts): question,
/// group, share.
pub fn shares(t: &Table) -> Table {
    let mut rows = Vec::new();
    for r in t.rows.iter().filter(|r| r.get(1).is_some_and(|c| c.text().ends_with("share answering yes"))) {
        let group = r[1].text().trim_end_matches(": share answering yes").to_string();
        for (i, c) in r.iter().enumerate().skip(3) {
            if let Cell::CountOf { .. } = c {
                rows.push(vec![
                    Cell::Text(format!("{} ({group})", t.columns[i])),
                    Cell::Text(group.clone()),
                    c.clone(),
                ]);
            }
        }
    }
    Table {
        title: "Share answering yes, per question".into(),
        caption: "Among the bodies that answered the question yes, no or in development.".into(),
        columns: vec!["question".into(), "group".into(), "yes".into()],
        rows,
    }
}
