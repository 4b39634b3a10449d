//! The figures of an evaluation: class agreement and a confusion matrix, answers recognised,
//! replies wrongly taken for clarification requests, exemption precision and recall, matching
//! with the token intact and lost, suggested answers' precision and recall, and how often the
//! rules are right at each level of confidence. [`Report::text`] writes them for a terminal.

use std::collections::BTreeMap;

use foi_core::{MessageClass, Named};
use serde::Serialize;

/// What foi made of one labelled reply.
#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub file: String,
    pub expected: String,
    pub class: String,
    /// The class the rules leaned to when unsure (then `class` is `unknown`).
    pub guess: Option<String>,
    pub confidence: f64,
    pub evidence: String,
    pub expected_exemptions: Vec<String>,
    pub exemptions: Vec<String>,
    /// The labelled body, and the body foi matched the reply to (token intact).
    pub body: String,
    pub matched: Option<String>,
    pub method: Option<String>,
    /// With the token lost.
    pub matched_lost: Option<String>,
    pub method_lost: Option<String>,
    /// Whether the sender's organisation domain is the labelled body's own.
    pub own_domain: bool,
    pub suggestions: Vec<Suggested>,
    pub expected_answers: BTreeMap<String, String>,
}

/// A suggested answer and whether it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    pub question: String,
    pub answer: String,
    pub evidence: String,
    /// The label's answer to the question, if it has one.
    pub expected: Option<String>,
    /// Whether the evidence is the reply's own words (found in its text, not our request's).
    pub own_words: bool,
}

/// A count out of a total.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Share {
    pub n: usize,
    pub of: usize,
}

impl Share {
    pub fn percent(&self) -> f64 {
        if self.of == 0 { 100.0 } else { 100.0 * self.n as f64 / self.of as f64 }
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}% ({}/{})", self.percent(), self.n, self.of)
    }
}

/// Precision and recall.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct PrecisionRecall {
    pub precision: Share,
    pub recall: Share,
}

/// The whole evaluation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub rules: String,
    pub replies: usize,
    /// Class agreement: the class foi gave is the label's (unknown is never right unless
    /// labelled so).
    pub agreement: Share,
    /// Per labelled class: how many foi gave that class.
    pub per_class: BTreeMap<String, Share>,
    /// (labelled, given) to count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Replies foi left `unknown` (to review) that have another label.
    pub unsure: usize,
    /// Replies given a wrong class other than unknown (a confident mistake).
    pub wrong_and_sure: usize,
    /// Answers (full or partial) given an answer class.
    pub answers_recognised: Share,
    /// Replies that ask nothing but were classed `clarification`.
    pub false_clarifications: Vec<String>,
    /// Exemptions, over every (reply, exemption) pair.
    pub exemptions: PrecisionRecall,
    /// Replies from our bodies matched to their request, token intact.
    pub matched: Share,
    /// With the token lost.
    pub matched_lost: Share,
    /// With the token lost, replies from the body's own organisation domain matched.
    pub own_domain_lost: Share,
    /// Replies matched to another body's request (both runs), or not from our bodies but
    /// matched.
    pub matched_wrongly: usize,
    /// Suggested answers on the questions the labels answer.
    pub suggestions: PrecisionRecall,
    /// Suggestions on questions the labels leave without an answer.
    pub suggestions_unlabelled: usize,
    /// Suggestions whose evidence is not the reply's own words.
    pub evidence_not_own: usize,
    /// Per confidence band ("0.90-1.00"): how many decided classes were right.
    pub calibration: BTreeMap<String, Share>,
    pub readings: Vec<Reading>,
}

/// Whether an answer a suggestion gives is the label's (numbers compared as numbers).
pub fn same_answer(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    if a == b {
        return true;
    }
    match (a.replace(',', "").parse::<f64>(), b.replace(',', "").parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() < 0.005,
        _ => false,
    }
}

fn is_answer(c: &str) -> bool {
    c == MessageClass::AnswerFull.name() || c == MessageClass::AnswerPartial.name()
}

impl Report {
    /// Computes the figures from the readings.
    pub fn from_readings(rules: String, readings: Vec<Reading>) -> Report {
        let mut r = Report { rules, replies: readings.len(), ..Default::default() };
        let mut ex = (0, 0, 0); // true positives, given, expected
        let mut sg = (0, 0, 0);
        for x in &readings {
            let right = x.class == x.expected;
            r.agreement.of += 1;
            r.agreement.n += usize::from(right);
            let e = r.per_class.entry(x.expected.clone()).or_default();
            e.of += 1;
            e.n += usize::from(right);
            *r.confusion.entry(x.expected.clone()).or_default().entry(x.class.clone()).or_default() += 1;
            if !right && x.class == MessageClass::Unknown.name() {
                r.unsure += 1;
            }
            if !right && x.class != MessageClass::Unknown.name() {
                r.wrong_and_sure += 1;
            }
            if is_answer(&x.expected) {
                r.answers_recognised.of += 1;
                r.answers_recognised.n += usize::from(is_answer(&x.class));
            }
            if x.class == MessageClass::Clarification.name() && x.expected != MessageClass::Clarification.name() {
                r.false_clarifications.push(x.file.clone());
            }
            if x.class != MessageClass::Unknown.name() {
                let band = ((x.confidence * 10.0).floor() / 10.0).min(0.9);
                let key = format!("{band:.2}-{:.2}", band + 0.1);
                let b = r.calibration.entry(key).or_default();
                b.of += 1;
                b.n += usize::from(right);
            }
            ex.0 += x.exemptions.iter().filter(|e| x.expected_exemptions.contains(e)).count();
            ex.1 += x.exemptions.len();
            ex.2 += x.expected_exemptions.len();
            // Matching.
            if x.body.is_empty() {
                r.matched_wrongly += usize::from(x.matched.is_some()) + usize::from(x.matched_lost.is_some());
            } else {
                r.matched.of += 1;
                r.matched.n += usize::from(x.matched.as_deref() == Some(x.body.as_str()));
                r.matched_lost.of += 1;
                r.matched_lost.n += usize::from(x.matched_lost.as_deref() == Some(x.body.as_str()));
                for m in [&x.matched, &x.matched_lost] {
                    r.matched_wrongly += usize::from(m.as_deref().is_some_and(|b| b != x.body));
                }
                if x.own_domain {
                    r.own_domain_lost.of += 1;
                    r.own_domain_lost.n += usize::from(x.matched_lost.as_deref() == Some(x.body.as_str()));
                }
            }
            // Suggestions.
            for s in &x.suggestions {
                match &s.expected {
                    Some(want) => {
                        sg.1 += 1;
                        sg.0 += usize::from(same_answer(&s.answer, want));
                    }
                    None => r.suggestions_unlabelled += 1,
                }
                r.evidence_not_own += usize::from(!s.own_words);
            }
            sg.2 += x.expected_answers.len();
        }
        r.exemptions = PrecisionRecall { precision: Share { n: ex.0, of: ex.1 }, recall: Share { n: ex.0, of: ex.2 } };
        // Recall counts a labelled answer found if a suggestion for it is right.
        let found: usize = readings
            .iter()
            .map(|x| {
                x.expected_answers
                    .iter()
                    .filter(|(q, a)| x.suggestions.iter().any(|s| &s.question == *q && same_answer(&s.answer, a)))
                    .count()
            })
            .sum();
        r.suggestions =
            PrecisionRecall { precision: Share { n: sg.0, of: sg.1 }, recall: Share { n: found, of: sg.2 } };
        r.readings = readings;
        r
    }

    /// The figures for a terminal, with the mistakes listed (`all`: every reading).
    pub fn text(&self, all: bool) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "{} replies, rules {}", self.replies, self.rules);
        let _ = writeln!(o);
        let _ = writeln!(o, "class agreement            {}", self.agreement);
        let _ = writeln!(o, "answers recognised         {}", self.answers_recognised);
        let _ = writeln!(o, "left unknown (to review)   {}", self.unsure);
        let _ = writeln!(o, "wrong class, not unknown   {}", self.wrong_and_sure);
        let _ = writeln!(
            o,
            "asks nothing, classed clarification  {}{}",
            self.false_clarifications.len(),
            if self.false_clarifications.is_empty() {
                String::new()
            } else {
                format!(": {}", self.false_clarifications.join(", "))
            }
        );
        let _ = writeln!(
            o,
            "exemptions                 precision {}, recall {}",
            self.exemptions.precision, self.exemptions.recall
        );
        let _ = writeln!(o, "matched, token intact      {}", self.matched);
        let _ = writeln!(o, "matched, token lost        {}", self.matched_lost);
        let _ = writeln!(o, "  from the body's own domain  {}", self.own_domain_lost);
        let _ = writeln!(o, "matched to the wrong request  {}", self.matched_wrongly);
        let _ = writeln!(
            o,
            "suggestions (answered questions)  precision {}, recall {}",
            self.suggestions.precision, self.suggestions.recall
        );
        let _ = writeln!(
            o,
            "  on questions the labels leave open {}; evidence not the reply's own words {}",
            self.suggestions_unlabelled, self.evidence_not_own
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "per class (labelled -> given the same class)");
        for (c, s) in &self.per_class {
            let _ = writeln!(o, "  {c:<16} {s}");
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "confusion (rows: labelled; columns: given)");
        let mut cols: Vec<&str> = MessageClass::ALL.iter().map(|c| c.name()).collect();
        cols.retain(|c| self.confusion.values().any(|row| row.contains_key(*c)));
        let short = |c: &str| -> String { c.split('_').map(|w| &w[..w.len().min(4)]).collect::<Vec<_>>().join("_") };
        let _ = write!(o, "  {:<16}", "");
        for c in &cols {
            let _ = write!(o, "{:>10}", short(c));
        }
        let _ = writeln!(o);
        for (label, row) in &self.confusion {
            let _ = write!(o, "  {label:<16}");
            for c in &cols {
                let n = row.get(*c).copied().unwrap_or(0);
                let _ = write!(o, "{:>10}", if n == 0 { ".".to_string() } else { n.to_string() });
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "confidence of the classes given (right / given)");
        for (band, s) in self.calibration.iter().rev() {
            let _ = writeln!(o, "  {band}  {s}");
        }
        let mistakes: Vec<&Reading> = self
            .readings
            .iter()
            .filter(|x| {
                all || x.class != x.expected
                    || x.exemptions != x.expected_exemptions
                    || (!x.body.is_empty() && x.matched.as_deref() != Some(x.body.as_str()))
                    || (x.body.is_empty() && x.matched.is_some())
                    || x.suggestions.iter().any(|s| s.expected.as_ref().is_some_and(|e| !same_answer(&s.answer, e)))
            })
            .collect();
        if !mistakes.is_empty() {
            let _ = writeln!(o);
            let _ = writeln!(o, "{}", if all { "every reply" } else { "replies read differently from their labels" });
        }
        for x in mistakes {
            let _ = writeln!(
                o,
                "  {}: labelled {}, given {}{} ({:.2}) {}",
                x.file,
                x.expected,
                x.class,
                x.guess.as_deref().map(|g| format!(" (perhaps {g})")).unwrap_or_default(),
                x.confidence,
                x.evidence.chars().take(120).collect::<String>()
            );
            if x.exemptions != x.expected_exemptions {
                let _ = writeln!(o, "      exemptions {:?}, labelled {:?}", x.exemptions, x.expected_exemptions);
            }
            if !x.body.is_empty() && x.matched.as_deref() != Some(x.body.as_str()) {
                let _ = writeln!(o, "      matched {:?} ({:?}), labelled {}", x.matched, x.method, x.body);
            }
            if x.body.is_empty() && x.matched.is_some() {
                let _ =
                    writeln!(o, "      matched {:?} ({:?}), labelled as from none of our bodies", x.matched, x.method);
            }
            for s in &x.suggestions {
                if let Some(e) = &s.expected
                    && !same_answer(&s.answer, e)
                {
                    let _ = writeln!(o, "      {}: suggested {}, labelled {e}: {}", s.question, s.answer, s.evidence);
                }
            }
        }
        o
    }
}
