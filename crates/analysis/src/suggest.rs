//! Suggested answers: regex rules (a data file per codebook, such as
//! `data/codebooks/childrens-palliative-care.suggest.toml`) read a reply's text and its
//! attachments' text and propose an answer to each question, with the sentence it comes from
//! as evidence. Suggestions are stored as tags of status `suggested` by `system:suggest`,
//! apart from analysts' tags, and never counted until a person confirms them.

use std::collections::{BTreeMap, HashMap};

use foi_core::{Actor, Answer, AnswerType, BodyKind, Codebook, Question};
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
    /// A question's number at the start of a line: "4.", "Q4", "Question 4:", "4 and 5.".
    numbering: Regex,
    /// A reply's own lettering at the start of a line: "a)", "(b)", "c.".
    lettering: Regex,
    /// A short title ending in a colon or a dash: "Children's hospices:".
    title: Regex,
    /// An answer's label: "Response:", "Answer -", "A:", a bullet.
    label: Regex,
    /// "None", "Nil": no, for a yes/no question.
    none: Regex,
    /// "N/A", "Not applicable": nothing to code.
    not_applicable: Regex,
    /// "Nil", "None", "£0", "0", "no spend": zero, for a number.
    nothing: Regex,
    /// A plain figure as the whole answer.
    plain: Regex,
    /// A financial or calendar year: "2025/26", "2025-26", "2025".
    year: Regex,
    /// A year not yet complete: "to date", "so far", "year to date", "part year".
    part_year: Regex,
    /// An exemption cited: "section 43", "s.40(2)".
    exemption: Regex,
    amount: Regex,
}

/// A pattern written here (every one is exercised by the tests).
fn fixed(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|e| unreachable!("built-in pattern {p}: {e}"))
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
            numbering: fixed(
                r"(?i)^[ \t>*•-]*(?:(?:q(?:uestion)?|request|item)\.?[ \t]*(\d{1,2})|(\d{1,2}))(?:[ \t]*(?:and|&|to|-|–)[ \t]*(\d{1,2}))?(?:[ \t]*[.):][ \t]*|\t|[ \t]+[-–][ \t]*|[ \t]*$)",
            ),
            lettering: fixed(r"(?i)^[ \t>*•-]*\(?[a-m][.)][ \t]+"),
            title: fixed(r"^[ \t]*([A-Za-z][^:\n?.]{1,60}?)[ \t]*(?::|[ \t][-–][ \t]|\t)[ \t]*"),
            label: fixed(
                r"(?i)^[ \t>*•-]*(?:(?:the )?(?:council'?s?|icb'?s?|board'?s?|trust'?s?|our)?[ \t]*(?:response|answer|reply)s?|a)[ \t]*\d{0,2}[ \t]*[:.\-–][ \t]*|^[ \t]*[-–*•>][ \t]*",
            ),
            none: fixed(r"(?i)^(?:none|nil)\b"),
            not_applicable: fixed(r"(?i)^(?:n/?a|not applicable)\b"),
            nothing: fixed(r"(?i)^(?:nil|none|£?\s?0(?:\.00)?|zero|no (?:spend|expenditure|payments?))\b"),
            plain: fixed(
                r"^£?\s?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s*(?:\(?(?:in )?(?:19|20)\d\d(?:[/-]\d\d(?:\d\d)?)?\)?)?\.?$",
            ),
            year: fixed(r"\b((?:19|20)\d\d)(?:[/-]\d\d(?:\d\d)?)?\b"),
            part_year: fixed(
                r"(?i)\b(?:to date|so far|year to date|ytd|part[- ]year|provisional|forecast|projected|budget)\b",
            ),
            exemption: fixed(r"(?i)\b(?:section|s\.?)\s?(?:12|14|2[1-9]|3\d|4[0-4])\b|\bexempt"),
            amount: fixed(r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(\s?(?:m\b|million|k\b))?"),
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
    ///
    /// Where each answer is: after the question it answers, found by the reply quoting our
    /// question (in full or in part, whatever number it gives it), by a short title that
    /// names one question's topic ("Children's hospices:", "b) Strategy -"), or by our
    /// numbering ("4.", "Q4", "Question 4", "4 and 5."); a reply that lists every question
    /// first and then every answer is read by the answers' numbers. Failing all of these,
    /// the sentences about each question's topic. A reply that says it holds none of the
    /// information gives `not_held` for every question.
    pub fn suggest(&self, book: &Codebook, kind: BodyKind, texts: &[&str]) -> Vec<Suggestion> {
        let questions = book.questions_for(kind);
        let index = QuestionIndex::new(&questions);
        let mut found: Vec<Option<Suggestion>> = vec![None; questions.len()];
        // 1. Passages after each question, in every text.
        for (t, text) in texts.iter().enumerate() {
            for (qi, passage) in self.passages(text, &questions, &index) {
                if found[qi].is_some() {
                    continue;
                }
                let q = questions[qi];
                if let Some((answer, evidence)) = self.read(&q.answer, passage, &index) {
                    found[qi] = Some(Suggestion { question: q.id.clone(), answer, evidence, text: t });
                }
            }
        }
        // 2. Sentences about each question, where no passage was found for any question.
        if found.iter().all(Option::is_none) {
            let all: Vec<(usize, Vec<&str>)> = texts.iter().enumerate().map(|(t, s)| (t, sentences(s))).collect();
            for (qi, q) in questions.iter().enumerate() {
                let Some(topics) = self.topics.get(&q.id).filter(|ts| !ts.is_empty()) else { continue };
                for (t, ss) in &all {
                    let about: Vec<&str> = ss
                        .iter()
                        .copied()
                        .filter(|s| topics.iter().all(|p| p.is_match(s)) && !index.is_question(s))
                        .collect();
                    if let Some((answer, evidence)) = self.read_sentences(&q.answer, &about) {
                        found[qi] = Some(Suggestion { question: q.id.clone(), answer, evidence, text: *t });
                        break;
                    }
                }
            }
        }
        // 3. "The council does not hold any of the information you requested": every
        // question not answered otherwise is not held.
        if found.iter().filter(|f| f.is_some()).count() <= 1 {
            for (t, text) in texts.iter().enumerate() {
                if let Some(evidence) = blanket_not_held(text) {
                    for (qi, q) in questions.iter().enumerate() {
                        if found[qi].is_none() {
                            found[qi] = Some(Suggestion {
                                question: q.id.clone(),
                                answer: Answer::NotHeld,
                                evidence: evidence.clone(),
                                text: t,
                            });
                        }
                    }
                    break;
                }
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Each question's passage in `text`: (question index, what follows it up to the next
    /// question), in the text's order; a question may have several.
    fn passages<'t>(&self, text: &'t str, questions: &[&Question], index: &QuestionIndex) -> Vec<(usize, &'t str)> {
        let anchors = self.anchors(text, questions, index);
        let mut out = Vec::with_capacity(anchors.len());
        for (i, a) in anchors.iter().enumerate() {
            let end = anchors.get(i + 1).map_or(text.len(), |n| n.line_start).max(a.from);
            let passage = &text[a.from..end];
            // The last answer runs on into the letter's closing words: keep its paragraph.
            let passage = if i + 1 == anchors.len() { first_paragraph(passage) } else { passage };
            out.push((a.question, passage));
        }
        out
    }

    /// Where the reply names our questions.
    fn anchors(&self, text: &str, questions: &[&Question], index: &QuestionIndex) -> Vec<Anchor> {
        let mut out: Vec<Anchor> = Vec::new();
        let mut numbers: Vec<Anchor> = Vec::new();
        let mut at = 0;
        for raw in text.split_inclusive('\n') {
            let line_start = at;
            at += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() || line.len() > 4000 {
                continue;
            }
            // Our question quoted back: the answer starts after its last sentence on the line.
            if let Some((qi, end)) = index.quoted(line) {
                let from = line_start + end;
                match out.last_mut() {
                    // A question quoted over several lines: its answer follows the last one.
                    Some(last)
                        if last.question == qi && last.quoted && text[last.from..line_start].trim().is_empty() =>
                    {
                        last.from = from;
                    }
                    _ => out.push(Anchor { question: qi, line_start, from, quoted: true }),
                }
                continue;
            }
            // A number: "4.", "Q4", "Question 4:", "4 and 5.", "4<TAB>", a line "4".
            if let Some(c) = self.numbering.captures(line)
                && let (Some(whole), Some(n)) = (c.get(0), c.get(1).or(c.get(2)))
                && let Ok(n) = n.as_str().parse::<usize>()
                && (1..=questions.len()).contains(&n)
            {
                let rest = &line[whole.end()..];
                // The rest of the line may name another question than the number does (a
                // reply numbering its own way): the title wins when it does not fit ours.
                let titled = self.titled(rest, questions);
                let qi = match titled {
                    Some((t, _)) if t != n - 1 && !self.fits(rest, questions[n - 1]) => t,
                    _ => n - 1,
                };
                let from = line_start + whole.end() + titled.map_or(0, |(_, e)| e);
                numbers.push(Anchor { question: qi, line_start, from, quoted: false });
                if let Some(second) = c.get(3).and_then(|m| m.as_str().parse::<usize>().ok())
                    && (1..=questions.len()).contains(&second)
                    && second != n
                {
                    numbers.push(Anchor { question: second - 1, line_start, from, quoted: false });
                }
                continue;
            }
            // A short title naming one question: "Children's hospices:", "b) Strategy - No".
            let unlettered = self.lettering.find(line).map_or(line, |m| &line[m.end()..]);
            if let Some((qi, end)) = self.titled(unlettered, questions) {
                let from = line_start + (line.len() - unlettered.len()) + end;
                out.push(Anchor { question: qi, line_start, from, quoted: false });
            }
        }
        // Numbers count when the reply numbers its answers: in order, two or more.
        let mut last = 0;
        let numbered: Vec<Anchor> = numbers
            .into_iter()
            .filter(|a| {
                let n = a.question + 1;
                let keep = n + 2 >= last;
                last = last.max(n);
                keep
            })
            .collect();
        if numbered.len() >= 2 {
            out.extend(numbered);
        }
        out.sort_by_key(|a| (a.line_start, a.from));
        out
    }

    /// A short title at the start of `s` naming exactly one question ("Needs assessment:",
    /// "Children's hospices -"): its question and where the title ends.
    fn titled(&self, s: &str, questions: &[&Question]) -> Option<(usize, usize)> {
        let c = self.title.captures(s)?;
        let (title, whole) = (c.get(1)?, c.get(0)?);
        let named: Vec<usize> = questions
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                self.topics.get(&q.id).is_some_and(|ts| !ts.is_empty() && ts.iter().all(|p| p.is_match(title.as_str())))
            })
            .map(|(i, _)| i)
            .collect();
        // "CCN out of hours" names both the service and its out-of-hours question: the more
        // specific (the later, paired) one.
        match named.as_slice() {
            [one] => Some((*one, whole.end())),
            [a, b] if questions[*b].pair_of.as_deref() == Some(questions[*a].id.as_str()) => Some((*b, whole.end())),
            _ => None,
        }
    }

    /// Whether a title fits a question's topics.
    fn fits(&self, title: &str, q: &Question) -> bool {
        let title = self.title.captures(title).and_then(|c| c.get(1)).map_or(title, |m| m.as_str());
        self.topics.get(&q.id).is_some_and(|ts| !ts.is_empty() && ts.iter().all(|p| p.is_match(title)))
    }

    /// The answer a passage gives and the sentence that gives it.
    fn read(&self, kind: &AnswerType, passage: &str, index: &QuestionIndex) -> Option<(Answer, String)> {
        let ss: Vec<&str> = sentences(passage).into_iter().filter(|s| !index.is_question(s)).collect();
        if let Some(found) = self.read_sentences(kind, &ss) {
            return Some(found);
        }
        // Nothing but an exemption: withheld, which a person codes.
        let withheld = ss.iter().find(|s| self.exemption.is_match(s))?;
        Some((Answer::Unclear, evidence(withheld)))
    }

    /// The answer the first telling sentence gives.
    fn read_sentences(&self, kind: &AnswerType, sentences: &[&str]) -> Option<(Answer, String)> {
        if let AnswerType::Number = kind
            && let Some(found) = self.spend(sentences)
        {
            return Some(found);
        }
        for s in sentences {
            let s = s.trim();
            if s.ends_with('?') {
                continue;
            }
            let bare = self.label.replace(s, "");
            let bare = bare.trim();
            match kind {
                AnswerType::YesNo => {
                    if self.not_applicable.is_match(bare) {
                        return None;
                    }
                    if self.none.is_match(bare) {
                        return Some((Answer::No, evidence(s)));
                    }
                    if let Some((a, _)) = self.answers.iter().find(|(_, ps)| ps.iter().any(|p| p.is_match(bare))) {
                        return Some((a.clone(), evidence(s)));
                    }
                }
                AnswerType::Number => {
                    if self.answers[0].1.iter().any(|p| p.is_match(bare)) {
                        return Some((Answer::NotHeld, evidence(s)));
                    }
                    if self.not_applicable.is_match(bare) {
                        return None;
                    }
                    if self.nothing.is_match(bare) {
                        return Some((Answer::Number(0.0), evidence(s)));
                    }
                }
                // Choices and free text are for a person to read.
                AnswerType::Choice(_) | AnswerType::Text => return None,
            }
        }
        None
    }

    /// A spend in pounds: the most recent full year's when several years are given
    /// ("2024/25 £57,250; 2025/26 £64,100; 2026/27 to date £12,000"), else the first amount.
    fn spend(&self, sentences: &[&str]) -> Option<(Answer, String)> {
        let mut first: Option<(f64, &str)> = None;
        let mut by_year: Option<(u32, f64, &str)> = None;
        for s in sentences {
            let bare = self.label.replace(s, "");
            if self.answers[0].1.iter().any(|p| p.is_match(&bare)) && first.is_none() {
                return Some((Answer::NotHeld, evidence(s)));
            }
            for part in s.split([';', '\t']) {
                let Some(amount) = self.amount(part).or_else(|| self.plain_amount(part)) else { continue };
                first.get_or_insert((amount, s));
                let partial = self.part_year.is_match(part);
                if let Some(y) =
                    self.year.captures(part).and_then(|c| c.get(1)).and_then(|m| m.as_str().parse::<u32>().ok())
                    && !partial
                    && by_year.is_none_or(|(best, ..)| y > best)
                {
                    by_year = Some((y, amount, s));
                }
            }
        }
        let (amount, s) = match (by_year, first) {
            (Some((_, a, s)), _) => (a, s),
            (None, Some((a, s))) => (a, s),
            (None, None) => return None,
        };
        Some((Answer::Number(amount), evidence(s)))
    }

    /// A plain figure standing as the whole answer ("57250", "57,250.00", "0").
    fn plain_amount(&self, s: &str) -> Option<f64> {
        let bare = self.label.replace(s, "");
        let c = self.plain.captures(bare.trim())?;
        c.get(1)?.as_str().replace(',', "").parse().ok()
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

/// Where the reply names one of our questions.
#[derive(Debug, Clone)]
struct Anchor {
    /// The question's index among those asked.
    question: usize,
    /// Where its line starts.
    line_start: usize,
    /// Where its answer starts.
    from: usize,
    /// Found by the question's own words (not by a number or a title).
    quoted: bool,
}

/// Words per shingle when comparing a line with our questions.
const SHINGLE: usize = 3;

/// Our questions' word 3-grams, to recognise a question quoted back.
struct QuestionIndex {
    questions: Vec<std::collections::HashSet<u64>>,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn shingles(words: &[String]) -> impl Iterator<Item = u64> + '_ {
    use std::hash::{Hash, Hasher};
    words.windows(SHINGLE).map(|w| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        w.hash(&mut h);
        h.finish()
    })
}

impl QuestionIndex {
    fn new(questions: &[&Question]) -> QuestionIndex {
        QuestionIndex { questions: questions.iter().map(|q| shingles(&words(&q.text)).collect()).collect() }
    }

    /// The question a piece of text quotes (most of its 3-grams are that question's), if it
    /// is long enough to tell.
    fn quotes(&self, s: &str) -> Option<usize> {
        let w = words(s);
        if w.len() < SHINGLE + 3 {
            return None;
        }
        let grams: Vec<u64> = shingles(&w).collect();
        let (best, share) = self
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| (i, grams.iter().filter(|g| q.contains(g)).count() as f64 / grams.len() as f64))
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        (share >= 0.5).then_some(best)
    }

    /// Whether a sentence is (mostly) one of our questions.
    fn is_question(&self, s: &str) -> bool {
        self.quotes(s).is_some()
    }

    /// A line that quotes a question: the question, and where on the line its last quoted
    /// sentence ends (what follows on the line is the answer).
    fn quoted(&self, line: &str) -> Option<(usize, usize)> {
        let mut found: Option<(usize, usize)> = None;
        let mut start = 0;
        for (i, _) in line.match_indices(['?', '.', '!']).chain([(line.len(), "")]) {
            let end = (i + 1).min(line.len());
            if end <= start {
                continue;
            }
            let piece = &line[start..end];
            match (self.quotes(piece), found) {
                (Some(q), None) => found = Some((q, end)),
                (Some(q), Some((f, _))) if q == f => found = Some((q, end)),
                _ if found.is_some() => break,
                _ => {}
            }
            start = end;
        }
        found
    }
}

/// A sentence saying the body holds none of the requested information.
fn blanket_not_held(text: &str) -> Option<String> {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        fixed(
            r"(?i)\b(?:do(?:es)? not|did not|would not (?:routinely |normally )?) hold (?:any |the )?(?:recorded )?(?:information|data|details)\b[^.\n]{0,80}?\b(?:you (?:have )?(?:requested|asked for)|requested|relevant to (?:your|this) request|within the scope|covered by your request|for (?:any of )?(?:your|these|the) questions)|\bholds? no (?:recorded )?information\b[^.\n]{0,60}\b(?:request|requested|questions)|\bwould not (?:routinely |normally )?hold (?:this|the|that|any) information\b",
        )
    });
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let m = r.find(&flat)?;
    let from = flat[..m.start()].rfind(". ").map_or(0, |i| i + 2);
    let to = flat[m.end()..].find(". ").map_or(flat.len(), |i| m.end() + i + 1);
    Some(evidence(&flat[from..to]))
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

    fn council() -> BodyKind {
        BodyKind::CountyCouncil
    }

    fn answers(text: &str, kind: BodyKind) -> Vec<(String, String)> {
        rules().suggest(&book(), kind, &[text]).into_iter().map(|s| (s.question, s.answer.as_stored())).collect()
    }

    fn get<'a>(got: &'a [(String, String)], q: &str) -> Option<&'a str> {
        got.iter().find(|(id, _)| id == q).map(|(_, a)| a.as_str())
    }

    #[test]
    fn our_questions_quoted_back_place_the_answers_whatever_the_numbers() {
        let book = book();
        let qs = book.questions_for(council());
        // The reply numbers our questions its own way (Q10..Q17) and quotes them.
        let mut text = String::from("Our response to each of your questions is below.\n\n");
        for (i, q) in qs.iter().enumerate() {
            text.push_str(&format!("Q{}. {}\n", i + 10, q.text));
            text.push_str(match q.id.as_str() {
                "childrens_hospice" => "Response: No, the council does not fund a children's hospice.\n\n",
                "childrens_hospice_spend" => "Response: Nil\n\n",
                "strategy" => "Response: This is in development and due in 2027.\n\n",
                _ => "Response: Yes.\n\n",
            });
        }
        let got = answers(&text, council());
        assert_eq!(get(&got, "childrens_hospice"), Some("no"), "{got:?}");
        assert_eq!(get(&got, "childrens_hospice_spend"), Some("0"), "{got:?}");
        assert_eq!(get(&got, "strategy"), Some("in_development"), "{got:?}");
        assert_eq!(get(&got, "transition"), Some("yes"), "{got:?}");
        assert_eq!(got.len(), qs.len(), "{got:?}");
    }

    #[test]
    fn all_questions_then_all_answers_are_read_by_the_answers_numbers() {
        let book = book();
        let qs = book.questions_for(council());
        let mut text = String::from("You asked:\n\n");
        for (i, q) in qs.iter().enumerate() {
            text.push_str(&format!("{}. {}\n\n", i + 1, q.text));
        }
        text.push_str(
            "Our answers:\n\n1. Yes\n2. No\n3. No\n4. Yes - Acorns\n5. £1,250,000 in 2025/26\n6. Yes\n7. N/A\n8. Yes\n",
        );
        let got = answers(&text, council());
        assert_eq!(get(&got, "needs_assessment"), Some("yes"), "{got:?}");
        assert_eq!(get(&got, "named_lead"), Some("no"), "{got:?}");
        assert_eq!(get(&got, "childrens_hospice_spend"), Some("1250000"), "{got:?}");
        assert_eq!(get(&got, "bereavement_support"), None, "N/A is not coded: {got:?}");
    }

    #[test]
    fn titles_letters_tables_and_bare_values() {
        let text = "a) Needs assessment: Yes.\nb) Strategy - None\nc) Children's hospices\tNo\nd) Short breaks: Yes\n";
        let got = answers(text, council());
        assert_eq!(get(&got, "needs_assessment"), Some("yes"), "{got:?}");
        assert_eq!(get(&got, "strategy"), Some("no"), "None is no: {got:?}");
        assert_eq!(get(&got, "childrens_hospice"), Some("no"), "{got:?}");
        assert_eq!(get(&got, "short_breaks"), Some("yes"), "{got:?}");
        // A table of question numbers and bare answers.
        let got = answers("1\tYes\n2\tNo\n3\tNot held\n4\tNo\n5\t0\n", council());
        assert_eq!(get(&got, "named_lead"), Some("not_held"), "{got:?}");
        assert_eq!(get(&got, "childrens_hospice_spend"), Some("0"), "{got:?}");
    }

    #[test]
    fn the_latest_full_year_of_several() {
        let text = "5. Spend on children's hospices:\n2023/24 £51,000; 2024/25 £57,250; 2025/26 £64,100; 2026/27 to date £23,100\n6. Yes\n";
        let got = answers(text, council());
        assert_eq!(get(&got, "childrens_hospice_spend"), Some("64100"), "{got:?}");
    }

    #[test]
    fn withheld_answers_and_blanket_not_held() {
        let text = "4. Yes - Acorns Children's Hospice.\n5. This figure is exempt under section 43(2) (commercial interests).\n6. Yes\n";
        let got = answers(text, council());
        assert_eq!(get(&got, "childrens_hospice_spend"), Some("unclear"), "withheld: {got:?}");
        let got = answers(
            "Dear Sir\n\nThe council does not hold any information relevant to your request: these services are commissioned by the ICB.\n",
            council(),
        );
        assert_eq!(got.len(), book().questions_for(council()).len(), "{got:?}");
        assert!(got.iter().all(|(_, a)| a == "not_held"), "{got:?}");
    }

    #[test]
    fn suggest_never_panics() {
        let s = rules();
        let book = book();
        const PIECES: &[&str] = &[
            "1. ",
            "Q4 ",
            "a) ",
            "\n",
            "\t",
            "Yes",
            "No",
            "£",
            "1,234",
            "2025/26 ",
            "to date ",
            "N/A",
            "Nil",
            ": ",
            " - ",
            "Has your organisation ",
            "children's hospice",
            "section 43",
            "é",
            "😀",
            "? ",
            ". ",
            "Response: ",
            "\n\n",
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let mut text = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 50) {
                text.push_str(PIECES[((x >> (k % 32)) % PIECES.len() as u64) as usize]);
            }
            for kind in [BodyKind::Icb, council()] {
                let _ = s.suggest(&book, kind, &[&text, &text]);
            }
        }
    }
}
