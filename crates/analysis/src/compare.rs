//! Round against round: the same yes/no questions asked years apart (CCGs in 2017, ICBs now)
//! compared body by body through the succession records. A later body is compared with the
//! earlier bodies whose area it took over (following chains such as CCG 2017 → ICB 2022 →
//! merged ICB 2026, multiplying population shares along the way), and each row says how the
//! predecessors were aggregated: how many answered yes, and what share of the area they
//! covered. Bodies that did not change (councils) are their own predecessor.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use foi_core::{AnswerType, Codebook};
use foi_store::{RequestFacts, Succession};

use crate::Result;
use crate::commissioning::{Coded, answer_cell};
use crate::rates::replies_by;
use crate::table::{Cell, Table};

/// One round's side of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub name: &'a str,
    pub facts: &'a [RequestFacts],
    pub codebook: &'a Codebook,
    /// Replies received up to this time count.
    pub at: DateTime<Utc>,
}

/// An earlier body standing behind a later one, with the share of its population (area) the
/// later body took over (1 for a whole predecessor).
#[derive(Debug, Clone, PartialEq)]
pub struct Predecessor {
    pub code: String,
    /// None when the predecessor was split between several bodies and the records give no
    /// share for the split (the 2026 board mergers: Suffolk and North East Essex went to
    /// Essex and to Norfolk and Suffolk): a part of unknown size.
    pub share: Option<f64>,
}

impl Predecessor {
    /// Whether the later body took over only part of this predecessor.
    pub fn is_partial(&self) -> bool {
        self.share.is_none_or(|s| s < 0.9995)
    }

    /// How the predecessor is listed: its code, with its share when partial.
    fn listed(&self) -> String {
        match self.share {
            Some(s) if s >= 0.9995 => self.code.clone(),
            Some(s) => format!("{} ({:.0}%)", self.code, s * 100.0),
            None => format!("{} (part)", self.code),
        }
    }
}

/// For each body code of `later`, the bodies of `earlier` whose area it took over, by
/// following succession records forward from each earlier body until a body of the later
/// round is reached. A body in both rounds is its own predecessor.
pub fn predecessors(
    earlier: &[&str],
    later: &HashSet<&str>,
    successions: &[Succession],
) -> BTreeMap<String, Vec<Predecessor>> {
    let mut next: HashMap<&str, Vec<(&str, Option<f64>)>> = HashMap::new();
    let mut seen_pairs = HashSet::new();
    for s in successions {
        if seen_pairs.insert((s.predecessor_code.as_str(), s.successor_code.as_str())) {
            next.entry(&s.predecessor_code).or_default().push((&s.successor_code, s.share));
        }
    }
    // A record without a share is a whole succession when it is the predecessor's only
    // one, and a part of unknown size when the predecessor went to several bodies.
    let step = |from: &str, given: Option<f64>| -> Option<f64> {
        given.or_else(|| (next.get(from).map_or(0, Vec::len) <= 1).then_some(1.0))
    };
    let mut out: BTreeMap<String, Vec<Predecessor>> = BTreeMap::new();
    for &e in earlier {
        // Depth-first along the chains, at most 8 steps (succession records have no cycles,
        // but a bad import must not hang the report).
        let mut stack = vec![(e, Some(1.0), 0)];
        let mut reached: BTreeMap<&str, Option<f64>> = BTreeMap::new();
        while let Some((code, share, depth)) = stack.pop() {
            if later.contains(code) {
                reached.entry(code).and_modify(|r| *r = r.zip(share).map(|(a, b)| a + b)).or_insert(share);
                continue;
            }
            if depth >= 8 {
                continue;
            }
            for &(succ, s) in next.get(code).map(Vec::as_slice).unwrap_or_default() {
                stack.push((succ, share.zip(step(code, s)).map(|(a, b)| a * b), depth + 1));
            }
        }
        for (l, share) in reached {
            out.entry(l.to_string())
                .or_default()
                .push(Predecessor { code: e.to_string(), share: share.map(|s| s.min(1.0)) });
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    out
}

/// How a set of predecessors answered one question.
#[derive(Debug, Clone, Default)]
struct Then {
    asked: u64,
    yes: u64,
    /// Answered yes, no or in development.
    answered: u64,
    replied: u64,
    /// Sums of shares: all, answering yes.
    weight: f64,
    weight_yes: f64,
    /// A predecessor asked was split without a recorded share: no weighting is possible.
    weight_unknown: bool,
    /// The answers shown, when there is one predecessor.
    only: Option<String>,
}

impl Then {
    fn summary(&self) -> String {
        match self {
            Then { asked: 0, .. } => "not asked".into(),
            Then { asked: 1, only: Some(a), .. } => a.clone(),
            Then { replied: 0, .. } => "no response".into(),
            Then { answered: 0, .. } => "no answer".into(),
            t if t.yes == t.asked => "yes (all)".into(),
            t if t.yes == 0 && t.answered == t.asked => "no (all)".into(),
            t if t.yes == 0 => "no yes".into(),
            _ => "mixed".into(),
        }
    }
}

/// The yes/no questions both codebooks ask (same id), in the later codebook's order.
fn shared_questions<'b>(earlier: &Codebook, later: &'b Codebook) -> Vec<&'b foi_core::Question> {
    later
        .questions
        .iter()
        .filter(|q| q.answer == AnswerType::YesNo)
        .filter(|q| earlier.question(&q.id).is_some_and(|e| e.answer == AnswerType::YesNo))
        .collect()
}

/// The two tables: per later body and question, its answer now beside its predecessors'
/// then; and per question and group, the share answering yes then and now.
pub fn compare(earlier: Side, later: Side, successions: &[Succession]) -> Result<(Table, Table)> {
    let questions = shared_questions(earlier.codebook, later.codebook);
    let later_codes: HashSet<&str> = later.facts.iter().map(|f| f.request.body.code.as_str()).collect();
    let earlier_codes: Vec<&str> = earlier.facts.iter().map(|f| f.request.body.code.as_str()).collect();
    let preds = predecessors(&earlier_codes, &later_codes, successions);
    let mut before: HashMap<&str, (&RequestFacts, crate::rates::Standing)> = HashMap::new();
    for f in earlier.facts {
        let s = replies_by(f, earlier.at);
        if s.sent {
            before.insert(&f.request.body.code, (f, s));
        }
    }
    let group = |nhs: bool| if nhs { "NHS bodies" } else { "Councils" };
    // Per (question, group): (yes then, answered then), (yes now, answered now).
    let mut totals: BTreeMap<(usize, &'static str), [(u64, u64); 2]> = BTreeMap::new();
    for (f, s) in before.values() {
        for (i, q) in questions.iter().enumerate() {
            if earlier.codebook.question(&q.id).is_some_and(|e| e.applies_to.contains(&f.request.body.kind))
                && let Coded::Answer(a @ ("yes" | "no" | "in_development")) = answer_cell(f, s, &q.id)
            {
                let t = totals.entry((i, group(f.request.body.kind.is_nhs()))).or_default();
                t[0].1 += 1;
                t[0].0 += u64::from(a == "yes");
            }
        }
    }
    let mut rows = Vec::new();
    for f in later.facts {
        let s = replies_by(f, later.at);
        if !s.sent {
            continue;
        }
        let body = &f.request.body;
        let mine = preds.get(&body.code).map(Vec::as_slice).unwrap_or_default();
        let listed: Vec<String> = mine.iter().map(Predecessor::listed).collect();
        let whole = mine.iter().filter(|p| !p.is_partial()).count();
        let how = match (mine.len(), whole) {
            (0, _) => "no predecessor in the earlier round".to_string(),
            (1, 1) if mine[0].code == body.code => "the same body".to_string(),
            (n, w) if n == w => format!("{n} whole predecessor{}", if n == 1 { "" } else { "s" }),
            (1, _) => "1 predecessor, in part".to_string(),
            (n, w) => format!("{n} predecessors, {} in part", n - w),
        };
        for (i, q) in questions.iter().enumerate() {
            if !q.applies_to.contains(&body.kind) {
                continue;
            }
            let now = answer_cell(f, &s, &q.id);
            if let Coded::Answer(a @ ("yes" | "no" | "in_development")) = now {
                let t = totals.entry((i, group(body.kind.is_nhs()))).or_default();
                t[1].1 += 1;
                t[1].0 += u64::from(a == "yes");
            }
            let mut then = Then::default();
            for p in mine {
                let Some((pf, ps)) = before.get(p.code.as_str()) else { continue };
                let asked =
                    earlier.codebook.question(&q.id).is_some_and(|e| e.applies_to.contains(&pf.request.body.kind));
                if !asked {
                    continue;
                }
                let c = answer_cell(pf, ps, &q.id);
                then.asked += 1;
                match p.share {
                    Some(share) => then.weight += share,
                    None => then.weight_unknown = true,
                }
                then.replied += u64::from(c != Coded::NoResponse);
                if let Coded::Answer(a @ ("yes" | "no" | "in_development")) = c {
                    then.answered += 1;
                    if a == "yes" {
                        then.yes += 1;
                        then.weight_yes += p.share.unwrap_or(0.0);
                    }
                }
                then.only = Some(c.shown());
            }
            rows.push(vec![
                Cell::Text(body.code.clone()),
                Cell::Text(body.name.clone()),
                Cell::Text(q.short.clone()),
                Cell::Text(now.shown()),
                Cell::Text(then.summary()),
                if then.asked > 0 { Cell::CountOf { n: then.yes, of: then.asked } } else { Cell::Empty },
                if then.weight > 0.0 && !then.weight_unknown {
                    Cell::Share(then.weight_yes / then.weight)
                } else {
                    Cell::Empty
                },
                Cell::Text(listed.join(", ")),
                Cell::Text(how.clone()),
            ]);
        }
    }
    let body_table = Table {
        title: format!("{} against {}", later.name, earlier.name),
        caption: format!(
            "Each body's coded answer now (replies up to {} UTC) beside its predecessors' then (replies up to {} UTC), \
             through the succession records. \"then yes\" counts the predecessors asked the question that answered yes; \
             \"then yes, share of area\" weights each predecessor by the part of its population the body took over \
             (a whole predecessor counts as one: the records hold no populations); a predecessor split between \
             several bodies with no recorded share is listed \"(part)\" and leaves that cell blank.",
            later.at.format("%Y-%m-%d %H:%M"),
            earlier.at.format("%Y-%m-%d %H:%M"),
        ),
        columns: [
            "body",
            "name",
            "question",
            "now",
            "then",
            "then yes",
            "then yes, share of area",
            "predecessors",
            "aggregated",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    };
    let summary = Table {
        title: format!("Share answering yes: {} and {}", earlier.name, later.name),
        caption: "Among the bodies that answered the question yes, no or in development, in each round.".into(),
        columns: vec!["question".into(), "group".into(), earlier.name.to_string(), later.name.to_string()],
        rows: totals
            .into_iter()
            .map(|((i, g), [then, now])| {
                let cell = |(n, of): (u64, u64)| if of > 0 { Cell::CountOf { n, of } } else { Cell::Empty };
                vec![Cell::Text(questions[i].short.clone()), Cell::Text(g.into()), cell(then), cell(now)]
            })
            .collect(),
    };
    Ok((body_table, summary))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::NaiveDate;
    use foi_store::Succession;

    use super::{Predecessor, predecessors};

    fn succ(from: &str, to: &str, share: Option<f64>) -> Succession {
        Succession {
            predecessor_code: from.into(),
            predecessor_name: None,
            successor_code: to.into(),
            successor_name: None,
            effective_date: NaiveDate::from_ymd_opt(2022, 7, 1).unwrap(),
            share,
            basis: None,
            notes: None,
        }
    }

    #[test]
    fn chains_and_splits_are_followed() {
        let records = vec![
            succ("00C", "QHM", Some(1.0)),
            succ("00D", "QHM", None),
            succ("01Y", "QOP", Some(0.8705)),
            succ("01Y", "QJ2", Some(0.1295)),
            // A 2026 merger of QJ2 into a new board.
            succ("QJ2", "NEW1", None),
            // A loop from a bad import ends.
            succ("LOOP", "LOOP2", None),
            succ("LOOP2", "LOOP", None),
        ];
        let later: HashSet<&str> = ["QHM", "QOP", "NEW1", "E10000001"].into_iter().collect();
        let p = predecessors(&["00C", "00D", "01Y", "E10000001", "LOOP", "GONE"], &later, &records);
        let of = |c: &str| p.get(c).cloned().unwrap_or_default();
        let pred = |code: &str, share: Option<f64>| Predecessor { code: code.into(), share };
        assert_eq!(of("QHM"), vec![pred("00C", Some(1.0)), pred("00D", Some(1.0))]);
        assert_eq!(of("QOP"), vec![pred("01Y", Some(0.8705))]);
        assert_eq!(of("NEW1"), vec![pred("01Y", Some(0.1295))]);
        assert_eq!(of("E10000001"), vec![pred("E10000001", Some(1.0))]);
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn a_split_without_shares_is_a_part_of_unknown_size() {
        // The 2026 records: Suffolk and North East Essex went to two boards, Mid and South
        // Essex wholly to one; no shares are recorded.
        let records = vec![
            succ("QJG", "D7T5G", None),
            succ("QJG", "T6Y0W", None),
            succ("QH8", "D7T5G", None),
            succ("QMM", "T6Y0W", None),
            // A CCG of 2017 behind a split board: its part is unknown too.
            succ("06L", "QJG", Some(1.0)),
        ];
        let later: HashSet<&str> = ["D7T5G", "T6Y0W"].into_iter().collect();
        let p = predecessors(&["QJG", "QH8", "QMM", "06L"], &later, &records);
        let essex = &p["D7T5G"];
        assert_eq!(
            essex.iter().map(|p| (p.code.as_str(), p.share)).collect::<Vec<_>>(),
            [("06L", None), ("QH8", Some(1.0)), ("QJG", None)]
        );
        assert!(essex[2].is_partial() && !essex[1].is_partial());
        assert_eq!(essex[2].listed(), "QJG (part)");
        assert_eq!(p["T6Y0W"].iter().filter(|p| p.is_partial()).count(), 2);
    }
}
