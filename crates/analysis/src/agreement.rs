//! Agreement between two analysts who coded the same requests: per question, the share of
//! requests they gave the same answer (percent agreement) and Cohen's kappa (agreement beyond
//! what chance would give), and the disagreements left to resolve.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Two coders' answers to one question across requests: `(request, answer by A, answer by B)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub question: String,
    /// Requests both coded.
    pub both: usize,
    pub agreed: usize,
    /// Share agreed, 0 to 1.
    pub percent: f64,
    /// Cohen's kappa; None when it is undefined (chance agreement is total).
    pub kappa: Option<f64>,
    /// `(request, answer by A, answer by B)` where they differ.
    pub disagreements: Vec<(String, String, String)>,
}

/// Percent agreement and Cohen's kappa over `pairs` of answers to one question.
pub fn agreement(question: &str, pairs: &[(String, String, String)]) -> Agreement {
    let n = pairs.len();
    let agreed = pairs.iter().filter(|(_, a, b)| a == b).count();
    let disagreements: Vec<(String, String, String)> = pairs.iter().filter(|(_, a, b)| a != b).cloned().collect();
    let categories: BTreeSet<&str> = pairs.iter().flat_map(|(_, a, b)| [a.as_str(), b.as_str()]).collect();
    let mut by_a: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_b: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, a, b) in pairs {
        *by_a.entry(a).or_default() += 1;
        *by_b.entry(b).or_default() += 1;
    }
    let (po, kappa) = if n == 0 {
        (0.0, None)
    } else {
        let po = agreed as f64 / n as f64;
        let pe: f64 = categories
            .iter()
            .map(|c| {
                (by_a.get(c).copied().unwrap_or(0) as f64 / n as f64)
                    * (by_b.get(c).copied().unwrap_or(0) as f64 / n as f64)
            })
            .sum();
        (po, (pe < 1.0).then(|| (po - pe) / (1.0 - pe)))
    };
    Agreement { question: question.to_string(), both: n, agreed, percent: po, kappa, disagreements }
}

/// The current answer of one coder to one question of a request.
fn answer_of<'f>(f: &'f foi_store::RequestFacts, question: &str, coder: &str) -> Option<&'f str> {
    f.tags
        .iter()
        .filter(|t| t.question == question && t.tagger == coder && t.superseded_at.is_none())
        .max_by_key(|t| t.at)
        .map(|t| t.answer.as_str())
}

/// The coders of a round, most tags first (`person:ana`...).
pub fn coders(facts: &[foi_store::RequestFacts]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in facts.iter().flat_map(|f| &f.tags).filter(|t| t.superseded_at.is_none()) {
        *counts.entry(t.tagger.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|(c, _)| c.to_string()).collect()
}

/// Agreement per question between coders `a` and `b` over the requests both coded, and the
/// disagreements to resolve.
pub fn agreement_tables(
    facts: &[foi_store::RequestFacts],
    codebook: &foi_core::Codebook,
    a: &str,
    b: &str,
) -> (crate::Table, crate::Table) {
    use crate::table::{Cell, Table};
    let mut rows = Vec::new();
    let mut disagreements = Vec::new();
    for q in &codebook.questions {
        let pairs: Vec<(String, String, String)> = facts
            .iter()
            .filter_map(|f| {
                let (x, y) = (answer_of(f, &q.id, a)?, answer_of(f, &q.id, b)?);
                Some((format!("{} ({})", f.request.reference, f.request.body.code), x.to_string(), y.to_string()))
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let r = agreement(&q.id, &pairs);
        rows.push(vec![
            Cell::Text(q.id.clone()),
            Cell::Count(r.both as u64),
            Cell::CountOf { n: r.agreed as u64, of: r.both as u64 },
            r.kappa.map_or(Cell::Empty, |k| Cell::Number { value: k, decimals: 2 }),
        ]);
        for (request, x, y) in r.disagreements {
            disagreements.push(vec![Cell::Text(request), Cell::Text(q.id.clone()), Cell::Text(x), Cell::Text(y)]);
        }
    }
    let who = |c: &str| c.trim_start_matches("person:").to_string();
    (
        Table {
            title: format!("Agreement between {} and {}", who(a), who(b)),
            caption: "Per question, over the requests both coded: percent agreement and Cohen's kappa.".into(),
            columns: vec!["question".into(), "both coded".into(), "agreed".into(), "kappa".into()],
            rows,
        },
        Table {
            title: "Disagreements to resolve".into(),
            caption: "Re-tag the request to settle each one.".into(),
            columns: vec!["request".into(), "question".into(), who(a), who(b)],
            rows: disagreements,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String, String)> {
        v.iter().enumerate().map(|(i, (a, b))| (format!("R{i}"), a.to_string(), b.to_string())).collect()
    }

    /// Worked by hand: 50 requests, A and B say yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    /// po = 35/50 = 0.70; A yes 25/50, B yes 30/50: pe = 0.5*0.6 + 0.5*0.4 = 0.50;
    /// kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40.
    #[test]
    fn kappa_matches_a_hand_worked_example() {
        let mut v = Vec::new();
        v.extend(std::iter::repeat_n(("yes", "yes"), 20));
        v.extend(std::iter::repeat_n(("yes", "no"), 5));
        v.extend(std::iter::repeat_n(("no", "yes"), 10));
        v.extend(std::iter::repeat_n(("no", "no"), 15));
        let a = agreement("ccn", &pairs(&v));
        assert_eq!((a.both, a.agreed), (50, 35));
        assert!((a.percent - 0.70).abs() < 1e-12);
        assert!((a.kappa.unwrap() - 0.40).abs() < 1e-12, "{:?}", a.kappa);
        assert_eq!(a.disagreements.len(), 15);
    }

    /// Three categories, worked by hand: counts (A rows, B columns) yes/no/not_held:
    /// [[10, 2, 0], [1, 6, 1], [0, 1, 4]]: n = 25, po = 20/25 = 0.80;
    /// A margins 12, 8, 5; B margins 11, 9, 5: pe = (132 + 72 + 25) / 625 = 0.3664;
    /// kappa = (0.80 - 0.3664) / 0.6336 = 0.684343...
    #[test]
    fn kappa_with_three_answers() {
        let mut v = Vec::new();
        for (a, b, k) in [
            ("yes", "yes", 10),
            ("yes", "no", 2),
            ("no", "yes", 1),
            ("no", "no", 6),
            ("no", "not_held", 1),
            ("not_held", "no", 1),
            ("not_held", "not_held", 4),
        ] {
            v.extend(std::iter::repeat_n((a, b), k));
        }
        let a = agreement("strategy", &pairs(&v));
        assert!((a.percent - 0.80).abs() < 1e-12);
        assert!((a.kappa.unwrap() - (0.80 - 0.3664) / 0.6336).abs() < 1e-12);
    }

    #[test]
    fn total_agreement_on_one_answer_has_no_kappa() {
        let a = agreement("q", &pairs(&[("yes", "yes"), ("yes", "yes")]));
        assert_eq!(a.percent, 1.0);
        assert_eq!(a.kappa, None);
        let empty = agreement("q", &[]);
        assert_eq!((empty.both, empty.kappa), (0, None));
    }
}
