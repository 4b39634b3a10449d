//! Suggested answers: regex rules (a data file per codebook, such as
//! `data/codebooks/childrens-palliative-care.suggest.toml`) read a reply's text and its
//! attachments' text and propose an answer to each question, with the sentence it comes from
//! as evidence. Suggestions are stored as tags of status `suggested` by `system:suggest`,
//! apart from analysts' tags, and never counted until a person confirms them.

use std::collections::{BTreeMap, HashMap};

use foi_core::{Actor, Answer, AnswerType, BodyKind, Codebook};
use foi_store::{NewTag, Store, TagFilter, TagOutcome};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::{Error, Result};

/// The rules shipped for the children's palliative care codebook.
const CHILDRENS_PALLIATIVE_CARE: &str = include_str!("../../../data/codebooks/childrens-palliative-care.suggest.toml");

/// A proposed answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub question: String,
    pub answer: Answer,
    /// The sentence the answer was read from.
    pub evidence: String,
    /// Which of the texts it came from (0 the message body, then the attachments in order).
    pub text: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    answers: RawAnswers,
    #[serde(default)]
    questions: HashMap<String, RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswers {
    not_held: Vec<String>,
    in_development: Vec<String>,
    no: Vec<String>,
    yes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    topics: Vec<String>,
}

/// The compiled rules for one codebook.
#[derive(Debug)]
pub struct Suggester {
    /// (answer, patterns) in the order they are tried.
    answers: Vec<(Answer, Vec<Regex>)>,
    topics: HashMap<String, Vec<Regex>>,
    numbering: Regex,
    amount: Regex,
}

fn compile(p: &str, origin: &str, place: &str) -> Result<Regex> {
    RegexBuilder::new(p)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| Error::Rules(format!("{origin}: {place}: bad pattern {p:?}: {e}")))
}

impl Suggester {
    /// The shipped rules for a codebook, if there are any.
    pub fn shipped(codebook_id: &str) -> Option<Result<Suggester>> {
        match codebook_id {
            "childrens-palliative-care" => Some(Suggester::from_toml(
                CHILDRENS_PALLIATIVE_CARE,
                "data/codebooks/childrens-palliative-care.suggest.toml",
            )),
            _ => None,
        }
    }

    /// Reads rules; `origin` names the file in errors. Every question id must be the
    /// codebook's (checked by [`Suggester::check`]).
    pub fn from_toml(text: &str, origin: &str) -> Result<Suggester> {
        let raw: RawRules = toml::from_str(text).map_err(|e| Error::Rules(format!("{origin}: {e}")))?;
        let list = |name: &str, ps: &[String]| -> Result<Vec<Regex>> {
            ps.iter().map(|p| compile(p, origin, &format!("answers.{name}"))).collect()
        };
        let a = &raw.answers;
        let answers = vec![
            (Answer::NotHeld, list("not_held", &a.not_held)?),
            (Answer::InDevelopment, list("in_development", &a.in_development)?),
            (Answer::No, list("no", &a.no)?),
            (Answer::Yes, list("yes", &a.yes)?),
        ];
        let mut topics = HashMap::new();
        for (id, q) in raw.questions {
            let ps = q
                .topics
                .iter()
                .map(|p| compile(p, origin, &format!("questions.{id}.topics")))
                .collect::<Result<Vec<_>>>()?;
            topics.insert(id, ps);
        }
        Ok(Suggester {
            answers,
            topics,
            numbering: Regex::new(r"(?m)^[ \t]*(?:Q(?:uestion)?\.?[ \t]*)?(\d{1,2})(?:[.):]|\t|[ \t]+-)[ \t]*")
                .expect("a fixed pattern"),
            amount: Regex::new(r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(\s?(?:m\b|million|k\b))?")
                .expect("a fixed pattern"),
        })
    }

    /// An error naming each rule whose question the codebook does not have.
    pub fn check(&self, book: &Codebook) -> Result<()> {
        let mut unknown: Vec<&str> =
            self.topics.keys().filter(|id| book.question(id).is_none()).map(String::as_str).collect();
        unknown.sort();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(Error::Rules(format!("codebook {} has no question {}", book.id, unknown.join(", "))))
        }
    }

    /// Proposed answers for the questions a kind of body was asked, from the texts of one
    /// reply (its body first, then its attachments). Questions the rules cannot read are left
    /// out: no suggestion is better than a guess.
    pub fn suggest(&self, book: &Codebook, kind: BodyKind, texts: &[&str]) -> Vec<Suggestion> {
        let questions = book.questions_for(kind);
        let mut out = Vec::new();
        // 1. Numbered answers, from the first text that numbers them.
        for (t, text) in texts.iter().enumerate() {
            let Some(sections) = self.numbered(text, questions.len()) else { continue };
            for (n, passage) in sections {
                let q = questions[n - 1];
                if let Some((answer, evidence)) = self.read(&q.answer, &sentences(passage)) {
                    out.push(Suggestion { question: q.id.clone(), answer, evidence, text: t });
                }
            }
            return out;
        }
        // 2. Sentences about each question.
        let all: Vec<(usize, Vec<&str>)> = texts.iter().enumerate().map(|(t, s)| (t, sentences(s))).collect();
        for q in questions {
            let Some(topics) = self.topics.get(&q.id).filter(|ts| !ts.is_empty()) else { continue };
            for (t, ss) in &all {
                let about: Vec<&str> = ss.iter().copied().filter(|s| topics.iter().all(|p| p.is_match(s))).collect();
                if let Some((answer, evidence)) = self.read(&q.answer, &about) {
                    out.push(Suggestion { question: q.id.clone(), answer, evidence, text: *t });
                    break;
                }
            }
        }
        out
    }

    /// The passages after "1.", "2." ... when a text numbers its answers (at least three of
    /// them, or two or more counted from 1, or every question when fewer are asked), by
    /// question number.
    fn numbered<'t>(&self, text: &'t str, questions: usize) -> Option<Vec<(usize, &'t str)>> {
        let mut marks: Vec<(usize, usize, usize)> = Vec::new(); // (number, start of mark, end of mark)
        for c in self.numbering.captures_iter(text) {
            let (Some(whole), Some(n)) = (c.get(0), c.get(1)) else { continue };
            let Ok(n) = n.as_str().parse::<usize>() else { continue };
            let last = marks.last().map_or(0, |m| m.0);
            if n > last && n <= questions {
                marks.push((n, whole.start(), whole.end()));
            }
        }
        let from_one = marks.len() >= 2 && marks.iter().enumerate().all(|(i, m)| m.0 == i + 1);
        if marks.is_empty() || (marks.len() < questions.min(3) && !from_one) {
            return None;
        }
        let ends: Vec<usize> = marks.iter().skip(1).map(|m| m.1).chain([text.len()]).collect();
        Some(marks.iter().zip(ends).map(|(&(n, _, start), end)| (n, first_paragraph(&text[start..end]))).collect())
    }

    /// The answer a passage gives and the sentence that gives it.
    fn read(&self, kind: &AnswerType, sentences: &[&str]) -> Option<(Answer, String)> {
        for s in sentences {
            let s = s.trim();
            if s.ends_with('?') {
                continue;
            }
            match kind {
                AnswerType::YesNo => {
                    if let Some((a, _)) = self.answers.iter().find(|(_, ps)| ps.iter().any(|p| p.is_match(s))) {
                        return Some((a.clone(), evidence(s)));
                    }
                }
                AnswerType::Number => {
                    if self.answers[0].1.iter().any(|p| p.is_match(s)) {
                        return Some((Answer::NotHeld, evidence(s)));
                    }
                    if let Some(n) = self.amount(s) {
                        return Some((Answer::Number(n), evidence(s)));
                    }
                }
                // Choices and free text are for a person to read.
                AnswerType::Choice(_) | AnswerType::Text => return None,
            }
        }
        None
    }

    /// The first amount in pounds in a sentence ("£1,250", "£1.2m", "£45k").
    fn amount(&self, s: &str) -> Option<f64> {
        let c = self.amount.captures(s)?;
        let whole: f64 = c.get(1)?.as_str().replace(',', "").parse().ok()?;
        let frac: f64 = c.get(2).map_or(Ok(0.0), |f| format!("0{}", f.as_str()).parse()).ok()?;
        let scale = match c.get(3).map(|m| m.as_str().trim().to_lowercase()) {
            Some(m) if m.starts_with('m') => 1_000_000.0,
            Some(k) if k == "k" => 1_000.0,
            _ => 1.0,
        };
        Some(((whole + frac) * scale * 100.0).round() / 100.0)
    }
}

/// What [`suggest_round`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuggestRun {
    /// Answers read.
    pub answers: usize,
    /// Suggestions made (one per request and question: a later answer's wins).
    pub suggestions: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// Reads every answer a round (or one request of it) has received and records the
/// suggestions, tagged by `system:suggest`. Running it again changes only what changed.
pub async fn suggest_round(
    store: &Store,
    round: &str,
    reference: Option<&str>,
    book: &Codebook,
    rules: &Suggester,
) -> Result<SuggestRun> {
    let answers = store.answer_texts(round, reference).await?;
    let mut latest: BTreeMap<(String, String), NewTag> = BTreeMap::new();
    for a in &answers {
        let texts: Vec<&str> = a.texts.iter().map(String::as_str).collect();
        for s in rules.suggest(book, a.kind, &texts) {
            let tag = NewTag {
                reference: a.reference.clone(),
                question: s.question.clone(),
                answer: s.answer.as_stored(),
                quote: Some(s.evidence),
                note: None,
                tagger: Actor::System("suggest".into()),
                suggested: true,
                source: "suggestion".into(),
                message_id: Some(a.message),
            };
            latest.insert((a.reference.clone(), s.question), tag);
        }
    }
    let tags: Vec<NewTag> = latest.into_values().collect();
    let outcomes = store.set_tags(&tags).await?;
    let mut run = SuggestRun { answers: answers.len(), suggestions: tags.len(), ..Default::default() };
    for o in outcomes {
        match o {
            TagOutcome::Added => run.added += 1,
            TagOutcome::Changed { .. } => run.changed += 1,
            TagOutcome::Unchanged => run.unchanged += 1,
        }
    }
    Ok(run)
}

/// What [`confirm`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirmed {
    pub confirmed: usize,
    /// Suggestions left alone because a person had already coded the question.
    pub already_coded: usize,
}

/// A person confirms suggestions: each becomes that person's tag, with the suggestion's
/// evidence as its quote. Without `questions`, every suggestion of the round (or of one
/// request) whose question nobody has coded yet; naming questions confirms those whatever
/// was coded before (the person's earlier answer is kept in the history).
pub async fn confirm(
    store: &Store,
    round: &str,
    reference: Option<&str>,
    questions: &[String],
    by: &Actor,
) -> Result<Confirmed> {
    let filter = TagFilter {
        round: Some(round.to_string()),
        reference: reference.map(str::to_string),
        suggestions: true,
        ..Default::default()
    };
    let tags = store.tags(&filter).await?;
    let coded: std::collections::HashSet<(&str, &str)> =
        tags.iter().filter(|t| t.status == "confirmed").map(|t| (t.reference.as_str(), t.question.as_str())).collect();
    let mut out = Confirmed::default();
    let mut new = Vec::new();
    for t in tags.iter().filter(|t| t.status == "suggested") {
        if !questions.is_empty() && !questions.contains(&t.question) {
            continue;
        }
        if questions.is_empty() && coded.contains(&(t.reference.as_str(), t.question.as_str())) {
            out.already_coded += 1;
            continue;
        }
        new.push(NewTag {
            reference: t.reference.clone(),
            question: t.question.clone(),
            answer: t.answer.clone(),
            quote: t.quote.clone(),
            note: None,
            tagger: by.clone(),
            suggested: false,
            source: "suggestion".into(),
            message_id: t.message_id,
        });
    }
    out.confirmed = new.len();
    store.set_tags(&new).await?;
    Ok(out)
}

/// The sentences of a text: split at line ends and after `.`, `!` or `?` followed by a
/// space, tabs taken as line ends (spreadsheet cells).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.split(['\n', '\t']) {
        let mut start = 0;
        let b = line.as_bytes();
        for i in 0..b.len() {
            if matches!(b[i], b'.' | b'!' | b'?') && b.get(i + 1) == Some(&b' ') {
                out.push(&line[start..=i]);
                start = i + 1;
            }
        }
        out.push(&line[start..]);
    }
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// An answer's paragraph: up to the first blank line, or the second when the first is only
/// the question's title (so the letter's closing notes are not read as the last answer).
fn first_paragraph(passage: &str) -> &str {
    let mut ends = Vec::new();
    let mut content_lines = 0;
    let mut blank = true;
    let mut at = 0;
    for line in passage.split_inclusive('\n') {
        let empty = line.trim().is_empty();
        if empty && !blank {
            ends.push((at, content_lines));
        }
        if !empty {
            content_lines += 1;
        }
        blank = empty;
        at += line.len();
    }
    match ends.as_slice() {
        [(end, lines), ..] if *lines > 1 => &passage[..*end],
        [_, (end, _), ..] => &passage[..*end],
        _ => passage,
    }
}

/// A sentence as evidence: at most 400 characters.
fn evidence(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.char_indices().nth(400) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use foi_core::{Answer, BodyKind, Codebook};

    use super::Suggester;

    fn book() -> Codebook {
        Codebook::from_toml(include_str!("../../../data/codebooks/childrens-palliative-care.toml")).unwrap()
    }

    fn rules() -> Suggester {
        let s = Suggester::shipped("childrens-palliative-care").unwrap().unwrap();
        s.check(&book()).unwrap();
        s
    }

    #[test]
    fn numbered_answers_are_read_per_question() {
        let book = book();
        let text = "Dear Requester\n\nPlease find our response below.\n\n1. Needs assessment\nYes. The JSNA has a chapter on this.\n\n2. Strategy\nNo, there is no separate strategy.\n\n3. Named lead\nThe ICB does not hold this information.\n\n4. Children's hospice\nThis is in development: we are reviewing it.\n\n5. Hospice spend\nThe ICB spent £123,456 in 2025/26.\n\n6. Short breaks\nPlease see our local offer.\n";
        let got = rules().suggest(&book, BodyKind::Icb, &[text]);
        let find = |q: &str| got.iter().find(|s| s.question == q).map(|s| (s.answer.clone(), s.evidence.clone()));
        assert_eq!(find("needs_assessment"), Some((Answer::Yes, "Yes.".into())));
        assert_eq!(find("strategy").unwrap().0, Answer::No);
        assert_eq!(find("named_lead").unwrap().0, Answer::NotHeld);
        assert_eq!(find("childrens_hospice").unwrap().0, Answer::InDevelopment);
        assert_eq!(find("childrens_hospice_spend").unwrap().0, Answer::Number(123456.0));
        assert_eq!(find("short_breaks"), None, "no guess where the reply says nothing clear");
    }

    #[test]
    fn unnumbered_replies_are_read_by_topic() {
        let book = book();
        let text = "Thank you for your request. We commission a community children's nursing service which \
                    operates 24 hours a day, 7 days a week. Bereavement support is not currently commissioned by \
                    the ICB. Does the ICB have a strategy?";
        let got = rules().suggest(&book, BodyKind::Icb, &["Please see attached.", text]);
        let find = |q: &str| got.iter().find(|s| s.question == q).map(|s| (s.answer.clone(), s.text));
        assert_eq!(find("ccn"), Some((Answer::Yes, 1)));
        assert_eq!(find("ccn_out_of_hours"), Some((Answer::Yes, 1)));
        assert_eq!(find("bereavement_support"), Some((Answer::No, 1)));
        assert_eq!(find("strategy"), None, "a question repeated back is not an answer");
    }

    #[test]
    fn amounts_in_pounds() {
        let s = rules();
        assert_eq!(s.amount("spent £1,250.50 last year"), Some(1250.5));
        assert_eq!(s.amount("about £1.2m"), Some(1_200_000.0));
        assert_eq!(s.amount("£45k"), Some(45_000.0));
        assert_eq!(s.amount("no amount"), None);
    }

    #[test]
    fn a_bad_pattern_names_its_place() {
        let err =
            Suggester::from_toml("[answers]\nnot_held = ['(']\nin_development = []\nno = []\nyes = []\n", "x.toml")
                .unwrap_err()
                .to_string();
        assert!(err.contains("x.toml") && err.contains("answers.not_held"), "{err}");
    }
}
