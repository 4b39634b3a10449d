//! Codebooks: a round's questions (wording, the body kinds each applies to, the answer type,
//! out-of-hours pairs, analysts' guidance) read from TOML, and the coded answers analysts tag.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::{BodyKind, Named};

/// A round's questions, in the order they are asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Codebook {
    /// Stable name; the file name under `data/codebooks/` without `.toml`.
    pub id: String,
    pub title: String,
    pub version: u32,
    pub questions: Vec<Question>,
}

/// One question of a codebook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// Stable `snake_case` name, such as `ccn_out_of_hours`.
    pub id: String,
    /// Column label for tables, such as "CCN out of hours".
    pub short: String,
    /// The wording that goes in the FOI request.
    pub text: String,
    /// The kinds of body asked this question, in [`BodyKind`] order, without repeats.
    pub applies_to: Vec<BodyKind>,
    pub answer: AnswerType,
    /// For an "and out of hours and at weekends" question: the id of the service question it
    /// qualifies (an earlier yes/no question asked of at least the same kinds).
    pub pair_of: Option<String>,
    /// How analysts code the answer.
    pub guidance: Option<String>,
}

/// What sort of answer a question takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "choices", rename_all = "snake_case")]
pub enum AnswerType {
    /// Yes, no, in development, not held or unclear.
    YesNo,
    /// One of a fixed list (the spelling in the codebook is the stored one).
    Choice(Vec<String>),
    /// A number, such as an amount in pounds.
    Number,
    /// Free text.
    Text,
}

/// A coded answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "String")]
pub enum Answer {
    Yes,
    No,
    InDevelopment,
    /// The body says it does not hold the information.
    NotHeld,
    /// The reply does not let an analyst say.
    Unclear,
    Choice(String),
    Number(f64),
    Text(String),
}

/// A codebook that cannot be read, or an answer a question does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodebookError {
    /// Not TOML, or a field missing, mistyped or unknown (the message carries the location).
    #[error("codebook: {0}")]
    Toml(String),
    /// A problem with the codebook as a whole (its id, title, version, or no questions).
    #[error("codebook: {0}")]
    Invalid(String),
    #[error("line {line}: question \"{id}\": the id is already used by the question at line {first_line}")]
    DuplicateId { id: String, line: usize, first_line: usize },
    #[error("line {line}: question \"{id}\": applies_to: {message}")]
    UnknownKind { id: String, line: usize, message: String },
    #[error(
        "line {line}: question \"{id}\": unknown answer type \"{given}\" (expected one of: yes_no, choice, number, text)"
    )]
    UnknownAnswerType { id: String, line: usize, given: String },
    #[error("line {line}: question \"{id}\": pair_of \"{pair_of}\" {reason}")]
    BadPairOf { id: String, line: usize, pair_of: String, reason: String },
    /// Any other problem with one question (its id, wording, choices).
    #[error("line {line}: question \"{id}\": {message}")]
    BadQuestion { id: String, line: usize, message: String },
    /// An answer the question's type does not accept.
    #[error("answer \"{given}\" not accepted: expected {expected}")]
    BadAnswer { given: String, expected: String },
}

/// The file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodebook {
    id: String,
    title: String,
    version: u32,
    #[serde(default, rename = "question")]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: toml::Spanned<String>,
    short: String,
    text: String,
    applies_to: Vec<String>,
    answer: String,
    choices: Option<Vec<String>>,
    pair_of: Option<String>,
    guidance: Option<String>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, span: Range<usize>) -> usize {
    text.get(..span.start).map_or(1, |before| before.matches('\n').count() + 1)
}

/// A toml error as one line: "line L, column C: message".
fn toml_error(text: &str, e: &toml::de::Error) -> CodebookError {
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    let at = e.span().map(|span| {
        let before = text.get(..span.start).unwrap_or_default();
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        format!("line {}, column {column}: ", line_of(text, span))
    });
    CodebookError::Toml(format!("{}{message}", at.unwrap_or_default()))
}

/// Whether `s` is a `snake_case` id: a lowercase letter, then lowercase letters, digits and single underscores.
fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// The kinds a name in `applies_to` stands for: "nhs", "councils", or one kind.
fn kinds_named(name: &str) -> Result<Vec<BodyKind>, String> {
    match crate::normalise_name(name).as_str() {
        "nhs" => Ok(BodyKind::ALL.iter().copied().filter(|k| k.is_nhs()).collect()),
        "councils" => Ok(BodyKind::ALL.iter().copied().filter(|k| !k.is_nhs()).collect()),
        _ => name.parse::<BodyKind>().map(|k| vec![k]).map_err(|_| {
            let kinds: Vec<&str> = BodyKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown body kind \"{name}\" (expected nhs, councils or one of: {})", kinds.join(", "))
        }),
    }
}

impl Codebook {
    /// Reads and validates a codebook: ids unique and `snake_case`; wording, short label and
    /// `applies_to` not empty; known body kinds and answer types; `choices` given (non-empty,
    /// without repeats) exactly when the answer is a choice; `pair_of` naming an earlier yes/no
    /// question asked of every kind this one is. Errors name the question and its line.
    pub fn from_toml(text: &str) -> Result<Codebook, CodebookError> {
        let raw: RawCodebook = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if !is_codebook_id(&raw.id) {
            return Err(CodebookError::Invalid(format!(
                "id \"{}\" must be lowercase letters, digits and hyphens (the file name without .toml)",
                raw.id
            )));
        }
        if raw.title.trim().is_empty() {
            return Err(CodebookError::Invalid("title is empty".into()));
        }
        if raw.version == 0 {
            return Err(CodebookError::Invalid("version must be 1 or more".into()));
        }
        if raw.questions.is_empty() {
            return Err(CodebookError::Invalid("no questions (add [[question]] tables)".into()));
        }
        let mut questions: Vec<Question> = Vec::with_capacity(raw.questions.len());
        let mut lines: HashMap<String, usize> = HashMap::new();
        for rq in raw.questions {
            let line = line_of(text, rq.id.span());
            let id = rq.id.into_inner();
            let bad = |message: &str| CodebookError::BadQuestion { id: id.clone(), line, message: message.into() };
            if !is_snake_case(&id) {
                return Err(bad("the id must be snake_case (lowercase letters, digits and underscores)"));
            }
            if let Some(&first_line) = lines.get(&id) {
                return Err(CodebookError::DuplicateId { id, line, first_line });
            }
            if rq.short.trim().is_empty() {
                return Err(bad("short is empty"));
            }
            if rq.text.trim().is_empty() {
                return Err(bad("text is empty"));
            }
            let mut applies_to = Vec::new();
            for name in &rq.applies_to {
                applies_to.extend(kinds_named(name).map_err(|message| CodebookError::UnknownKind {
                    id: id.clone(),
                    line,
                    message,
                })?);
            }
            applies_to.sort();
            applies_to.dedup();
            if applies_to.is_empty() {
                return Err(bad("applies_to is empty"));
            }
            let answer = match (rq.answer.as_str(), rq.choices) {
                ("choice", Some(choices)) => {
                    if choices.is_empty() {
                        return Err(bad("choices is empty"));
                    }
                    let mut seen: Vec<String> = Vec::new();
                    for c in &choices {
                        let key = c.trim().to_lowercase();
                        if key.is_empty() {
                            return Err(bad("a choice is empty"));
                        }
                        if seen.contains(&key) {
                            return Err(bad(&format!("choice \"{c}\" is listed twice")));
                        }
                        seen.push(key);
                    }
                    AnswerType::Choice(choices.into_iter().map(|c| c.trim().to_string()).collect())
                }
                ("choice", None) => return Err(bad("answer = \"choice\" needs choices = [...]")),
                ("yes_no" | "number" | "text", Some(_)) => {
                    return Err(bad(&format!(
                        "choices is only allowed with answer = \"choice\", not \"{}\"",
                        rq.answer
                    )));
                }
                ("yes_no", None) => AnswerType::YesNo,
                ("number", None) => AnswerType::Number,
                ("text", None) => AnswerType::Text,
                (other, _) => return Err(CodebookError::UnknownAnswerType { id, line, given: other.into() }),
            };
            if let Some(pair_of) = &rq.pair_of {
                let bad_pair = |reason: &str| CodebookError::BadPairOf {
                    id: id.clone(),
                    line,
                    pair_of: pair_of.clone(),
                    reason: reason.into(),
                };
                if *pair_of == id {
                    return Err(bad_pair("names the question itself"));
                }
                let Some(base) = questions.iter().find(|q| q.id == *pair_of) else {
                    return Err(bad_pair("is not an earlier question"));
                };
                if base.answer != AnswerType::YesNo {
                    return Err(bad_pair("is not a yes_no question"));
                }
                if let Some(missing) = applies_to.iter().find(|k| !base.applies_to.contains(k)) {
                    return Err(bad_pair(&format!(
                        "does not apply to {missing}, which this question applies to (a pair's service question must be asked of every kind the pair is)"
                    )));
                }
            }
            let guidance = rq.guidance.map(|g| g.trim().to_string()).filter(|g| !g.is_empty());
            lines.insert(id.clone(), line);
            questions.push(Question {
                id,
                short: rq.short.trim().to_string(),
                text: rq.text.trim().to_string(),
                applies_to,
                answer,
                pair_of: rq.pair_of,
                guidance,
            });
        }
        Ok(Codebook { id: raw.id, title: raw.title.trim().to_string(), version: raw.version, questions })
    }

    /// The questions asked of a kind of body, in file order.
    pub fn questions_for(&self, kind: BodyKind) -> Vec<&Question> {
        self.questions.iter().filter(|q| q.applies_to.contains(&kind)).collect()
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// An answer to `question` from a body of `kind`, checked and in its stored form ("Yes" →
    /// `yes`, "£1,200" → `1200`): the question must be this codebook's and asked of that kind.
    pub fn stored_answer(&self, kind: BodyKind, question: &str, answer: &str) -> Result<String, CodebookError> {
        let q = self
            .question(question)
            .ok_or_else(|| CodebookError::Invalid(format!("{} has no question {question:?}", self.id)))?;
        if !q.applies_to.contains(&kind) {
            return Err(CodebookError::Invalid(format!("question {question} is not asked of a {}", kind.label())));
        }
        let parsed =
            q.answer.parse_answer(answer).map_err(|e| CodebookError::Invalid(format!("question {question}: {e}")))?;
        Ok(parsed.as_stored())
    }
}

/// Whether `s` is a codebook id: lowercase letters and digits in hyphen-separated words.
fn is_codebook_id(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// The answers every yes/no question accepts, as stored.
const YES_NO: &[&str] = &["yes", "no", "in_development", "not_held", "unclear"];

impl AnswerType {
    /// Reads an answer as an analyst types it. Yes/no questions take yes, no, in development,
    /// not held or unclear (any case; spaces, hyphens or underscores; also y and n). Choice
    /// questions take one of their choices in any case (stored in the codebook's spelling),
    /// and number questions a finite number (commas between thousands allowed); both also take
    /// not held and unclear. Text questions take any text that is not blank. An error names the
    /// values accepted.
    pub fn parse_answer(&self, s: &str) -> Result<Answer, CodebookError> {
        let given = s.trim();
        let bad = |expected: String| CodebookError::BadAnswer { given: s.to_string(), expected };
        let norm = crate::normalise_name(given);
        let not_answered = || match norm.as_str() {
            "not_held" => Some(Answer::NotHeld),
            "unclear" => Some(Answer::Unclear),
            _ => None,
        };
        match self {
            AnswerType::YesNo => match norm.as_str() {
                "yes" | "y" => Ok(Answer::Yes),
                "no" | "n" => Ok(Answer::No),
                "in_development" => Ok(Answer::InDevelopment),
                _ => not_answered().ok_or_else(|| bad(format!("one of: {}", YES_NO.join(", ")))),
            },
            AnswerType::Choice(choices) => choices
                .iter()
                .find(|c| c.to_lowercase() == given.to_lowercase() || crate::normalise_name(c) == norm)
                .map(|c| Answer::Choice(c.clone()))
                .or_else(not_answered)
                .ok_or_else(|| bad(format!("one of: {}, not_held, unclear", choices.join(", ")))),
            AnswerType::Number => parse_number(given)
                .map(Answer::Number)
                .or_else(not_answered)
                .ok_or_else(|| bad("a number (such as 3 or 1,250.50), not_held or unclear".into())),
            AnswerType::Text if given.is_empty() => Err(bad("some text".into())),
            AnswerType::Text => Ok(Answer::Text(given.to_string())),
        }
    }
}

/// A finite decimal number, optionally with commas between groups of three digits.
fn parse_number(s: &str) -> Option<f64> {
    let plain = if s.contains(',') {
        let int_part = s.split('.').next().unwrap_or_default();
        let digits = int_part.trim_start_matches(['-', '+']);
        let mut groups = digits.split(',');
        let first = groups.next().unwrap_or_default();
        let grouped = (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3);
        if !grouped || s.matches('.').count() > 1 {
            return None;
        }
        s.replace(',', "")
    } else {
        s.to_string()
    };
    let valid_chars = plain.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    let n: f64 = plain.parse().ok().filter(|_| valid_chars && plain.chars().any(|c| c.is_ascii_digit()))?;
    n.is_finite().then_some(n)
}

impl Answer {
    /// The answer as stored and exported: "yes", "no", "in_development", "not_held", "unclear",
    /// the choice, the number (shortest form: "3", "3.5") or the text.
    pub fn as_stored(&self) -> String {
        match self {
            Answer::Yes => "yes".into(),
            Answer::No => "no".into(),
            Answer::InDevelopment => "in_development".into(),
            Answer::NotHeld => "not_held".into(),
            Answer::Unclear => "unclear".into(),
            Answer::Choice(c) => c.clone(),
            Answer::Number(n) => n.to_string(),
            Answer::Text(t) => t.clone(),
        }
    }
}

impl From<Answer> for String {
    fn from(a: Answer) -> String {
        a.as_stored()
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_stored())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../data/codebooks/childrens-palliative-care.toml");
    const SET: &str = include_str!("../../../templates/childrens-palliative-care/set.toml");
    /// Every template of the shipped set, by file name.
    const TEMPLATES: &[(&str, &str)] = &[
        ("request-nhs.txt.hbs", include_str!("../../../templates/childrens-palliative-care/request-nhs.txt.hbs")),
        (
            "request-council.txt.hbs",
            include_str!("../../../templates/childrens-palliative-care/request-council.txt.hbs"),
        ),
        ("request.html.hbs", include_str!("../../../templates/childrens-palliative-care/request.html.hbs")),
        ("chaser.txt.hbs", include_str!("../../../templates/childrens-palliative-care/chaser.txt.hbs")),
        (
            "internal-review.txt.hbs",
            include_str!("../../../templates/childrens-palliative-care/internal-review.txt.hbs"),
        ),
        ("clarification.txt.hbs", include_str!("../../../templates/childrens-palliative-care/clarification.txt.hbs")),
    ];

    fn shipped() -> Codebook {
        Codebook::from_toml(SHIPPED).unwrap()
    }

    fn ids(qs: &[&Question]) -> Vec<String> {
        qs.iter().map(|q| q.id.clone()).collect()
    }

    /// A small valid codebook with `extra` appended as further question tables.
    fn with(extra: &str) -> Result<Codebook, CodebookError> {
        Codebook::from_toml(&format!(
            "id = \"t\"\ntitle = \"T\"\nversion = 1\n\n[[question]]\nid = \"ccn\"\nshort = \"CCN\"\n\
             text = \"Do you commission CCN?\"\napplies_to = [\"nhs\"]\nanswer = \"yes_no\"\n{extra}"
        ))
    }

    #[test]
    fn the_shipped_codebook_reads() {
        let cb = shipped();
        assert_eq!(cb.id, "childrens-palliative-care");
        assert_eq!(cb.version, 1);
        assert_eq!(cb.questions.len(), 18);
        for kind in [BodyKind::Icb, BodyKind::Ccg] {
            assert_eq!(cb.questions_for(kind).len(), 18, "{kind}");
        }
        let council = [
            "needs_assessment",
            "strategy",
            "named_lead",
            "childrens_hospice",
            "childrens_hospice_spend",
            "short_breaks",
            "bereavement_support",
            "transition",
        ];
        for kind in [
            BodyKind::CountyCouncil,
            BodyKind::Unitary,
            BodyKind::MetropolitanDistrict,
            BodyKind::LondonBorough,
            BodyKind::Other,
        ] {
            assert_eq!(ids(&cb.questions_for(kind)), council, "{kind}");
        }
        for q in &cb.questions {
            assert!(q.text.ends_with('?') || q.text.ends_with('.'), "{}: {}", q.id, q.text);
            assert!(!q.text.contains('\n'), "{}: the wording is one paragraph", q.id);
        }
        assert_eq!(cb.question("ccn").unwrap().short, "Community children's nursing");
        assert_eq!(cb.question("childrens_hospice_spend").unwrap().answer, AnswerType::Number);
        assert!(cb.question("nope").is_none());
    }

    #[test]
    fn the_shipped_pairs_follow_their_service_question() {
        let cb = shipped();
        let pairs: Vec<(&str, &str)> =
            cb.questions.iter().filter_map(|q| Some((q.id.as_str(), q.pair_of.as_deref()?))).collect();
        assert_eq!(
            pairs,
            [
                ("ccn_out_of_hours", "ccn"),
                ("community_paediatrics_out_of_hours", "community_paediatrics"),
                ("equipment_out_of_hours", "equipment"),
            ]
        );
        // Each pair comes straight after its service question, so the request numbers them together.
        for (i, q) in cb.questions.iter().enumerate() {
            if let Some(base) = &q.pair_of {
                assert_eq!(&cb.questions[i - 1].id, base, "{}", q.id);
                assert_eq!(cb.questions[i - 1].applies_to, q.applies_to, "{}", q.id);
                assert_eq!(q.answer, AnswerType::YesNo);
            }
        }
    }

    #[test]
    fn applies_to_groups_and_kinds() {
        let cb = with("[[question]]\nid = \"sb\"\nshort = \"SB\"\ntext = \"Short breaks?\"\napplies_to = [\"councils\", \"ICB\", \"county council\"]\nanswer = \"yes_no\"\n").unwrap();
        use BodyKind::*;
        assert_eq!(cb.question("ccn").unwrap().applies_to, [Icb, Ccg]);
        assert_eq!(
            cb.question("sb").unwrap().applies_to,
            [Icb, CountyCouncil, Unitary, MetropolitanDistrict, LondonBorough, Other]
        );
        assert_eq!(ids(&cb.questions_for(Ccg)), ["ccn"]);
        assert_eq!(ids(&cb.questions_for(Icb)), ["ccn", "sb"]);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = with(
            "[[question]]\nid = \"ccn\"\nshort = \"X\"\ntext = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"text\"\n",
        )
        .unwrap_err();
        assert_eq!(err, CodebookError::DuplicateId { id: "ccn".into(), line: 12, first_line: 6 });
        assert_eq!(err.to_string(), "line 12: question \"ccn\": the id is already used by the question at line 6");
    }

    #[test]
    fn bad_pair_of_is_refused() {
        let q = |pair_of: &str, applies: &str| {
            format!(
                "[[question]]\nid = \"ooh\"\nshort = \"OOH\"\ntext = \"Out of hours?\"\napplies_to = [{applies}]\n\
                 answer = \"yes_no\"\npair_of = \"{pair_of}\"\n"
            )
        };
        assert_eq!(with(&q("ccn", "\"icb\"")).unwrap().question("ooh").unwrap().pair_of.as_deref(), Some("ccn"));
        let err = with(&q("nursing", "\"nhs\"")).unwrap_err();
        assert!(
            matches!(&err, CodebookError::BadPairOf { id, line: 12, pair_of, .. } if id == "ooh" && pair_of == "nursing")
        );
        assert_eq!(err.to_string(), "line 12: question \"ooh\": pair_of \"nursing\" is not an earlier question");
        let err = with(&q("ccn", "\"nhs\", \"unitary\"")).unwrap_err().to_string();
        assert!(err.contains("does not apply to unitary"), "{err}");
        let err = with(&q("ooh", "\"nhs\"")).unwrap_err().to_string();
        assert!(err.contains("names the question itself"), "{err}");
        // A later question is not an earlier one.
        let later = "[[question]]\nid = \"ooh\"\nshort = \"OOH\"\ntext = \"Out of hours?\"\napplies_to = [\"nhs\"]\nanswer = \"yes_no\"\npair_of = \"svc\"\n\
                     [[question]]\nid = \"svc\"\nshort = \"S\"\ntext = \"Service?\"\napplies_to = [\"nhs\"]\nanswer = \"yes_no\"\n";
        assert!(with(later).unwrap_err().to_string().contains("is not an earlier question"));
        let number = "[[question]]\nid = \"spend\"\nshort = \"S\"\ntext = \"Spend?\"\napplies_to = [\"nhs\"]\nanswer = \"number\"\n";
        let err = with(&format!("{number}{}", q("spend", "\"nhs\""))).unwrap_err().to_string();
        assert!(err.contains("pair_of \"spend\" is not a yes_no question"), "{err}");
    }

    #[test]
    fn unknown_kinds_and_answer_types_are_refused() {
        let err = with(
            "[[question]]\nid = \"x\"\nshort = \"X\"\ntext = \"X?\"\napplies_to = [\"parish\"]\nanswer = \"yes_no\"\n",
        )
        .unwrap_err();
        assert!(matches!(&err, CodebookError::UnknownKind { id, line: 12, .. } if id == "x"), "{err:?}");
        let msg = err.to_string();
        assert!(msg.starts_with("line 12: question \"x\": applies_to: unknown body kind \"parish\""), "{msg}");
        assert!(msg.contains("nhs, councils or one of: icb, ccg, county_council"), "{msg}");

        let err = with(
            "[[question]]\nid = \"x\"\nshort = \"X\"\ntext = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"boolean\"\n",
        )
        .unwrap_err();
        assert_eq!(err, CodebookError::UnknownAnswerType { id: "x".into(), line: 12, given: "boolean".into() });
        assert!(
            err.to_string().contains("unknown answer type \"boolean\" (expected one of: yes_no, choice, number, text)")
        );
    }

    #[test]
    fn other_mistakes_are_refused_with_the_question_and_line() {
        let q = |body: &str| format!("[[question]]\nid = \"x\"\nshort = \"X\"\n{body}");
        for (body, wanted) in [
            ("text = \"  \"\napplies_to = [\"nhs\"]\nanswer = \"text\"\n", "line 12: question \"x\": text is empty"),
            ("text = \"X?\"\napplies_to = []\nanswer = \"text\"\n", "applies_to is empty"),
            ("text = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"choice\"\n", "needs choices = [...]"),
            ("text = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"choice\"\nchoices = []\n", "choices is empty"),
            (
                "text = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"choice\"\nchoices = [\"A\", \"a\"]\n",
                "\"a\" is listed twice",
            ),
            ("text = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"yes_no\"\nchoices = [\"A\"]\n", "only allowed with"),
        ] {
            let err = with(&q(body)).unwrap_err().to_string();
            assert!(err.contains(wanted), "{err}");
        }
        let err = with(
            "[[question]]\nid = \"Bad Id\"\nshort = \"X\"\ntext = \"X?\"\napplies_to = [\"nhs\"]\nanswer = \"text\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("question \"Bad Id\": the id must be snake_case"), "{err}");
        // Unknown or missing fields are toml errors, which carry the location.
        let err =
            with("[[question]]\nid = \"x\"\nshort = \"X\"\ntext = \"X?\"\napplies = [\"nhs\"]\nanswer = \"text\"\n")
                .unwrap_err()
                .to_string();
        assert_eq!(
            err,
            "codebook: line 15, column 1: unknown field `applies`, expected one of `id`, `short`, `text`, \
             `applies_to`, `answer`, `choices`, `pair_of`, `guidance`"
        );
        let err = Codebook::from_toml("id = \"t\"\ntitle = \"T\"\nversion = \"one\"\n").unwrap_err().to_string();
        assert!(err.starts_with("codebook: line 3, column 11: "), "{err}");
        let err = Codebook::from_toml("id = \"t\"\ntitle = \"T\"\n").unwrap_err().to_string();
        assert!(err.starts_with("codebook: ") && err.contains("missing field `version`"), "{err}");
        let err = Codebook::from_toml("id = \"t\"\ntitle = \"T\"\nversion = 1\n").unwrap_err().to_string();
        assert_eq!(err, "codebook: no questions (add [[question]] tables)");
        let err = Codebook::from_toml("id = \"T t\"\ntitle = \"T\"\nversion = 1\n").unwrap_err().to_string();
        assert!(err.starts_with("codebook: id \"T t\" must be"), "{err}");
    }

    #[test]
    fn yes_no_answers() {
        let t = AnswerType::YesNo;
        for (s, a) in [
            ("Yes", Answer::Yes),
            (" y ", Answer::Yes),
            ("NO", Answer::No),
            ("in development", Answer::InDevelopment),
            ("in-development", Answer::InDevelopment),
            ("not held", Answer::NotHeld),
            ("Not_Held", Answer::NotHeld),
            ("unclear", Answer::Unclear),
        ] {
            assert_eq!(t.parse_answer(s).unwrap(), a, "{s}");
        }
        let err = t.parse_answer("maybe").unwrap_err();
        assert_eq!(
            err.to_string(),
            "answer \"maybe\" not accepted: expected one of: yes, no, in_development, not_held, unclear"
        );
        assert!(t.parse_answer("").is_err());
    }

    #[test]
    fn choice_number_and_text_answers() {
        let t = AnswerType::Choice(vec!["Block contract".into(), "Grant".into()]);
        assert_eq!(t.parse_answer("block CONTRACT").unwrap(), Answer::Choice("Block contract".into()));
        assert_eq!(t.parse_answer("block_contract").unwrap(), Answer::Choice("Block contract".into()));
        assert_eq!(t.parse_answer("not held").unwrap(), Answer::NotHeld);
        let err = t.parse_answer("loan").unwrap_err().to_string();
        assert_eq!(err, "answer \"loan\" not accepted: expected one of: Block contract, Grant, not_held, unclear");

        let n = AnswerType::Number;
        assert_eq!(n.parse_answer("3.5").unwrap(), Answer::Number(3.5));
        assert_eq!(n.parse_answer(" 150000 ").unwrap(), Answer::Number(150_000.0));
        assert_eq!(n.parse_answer("1,250.50").unwrap(), Answer::Number(1250.5));
        assert_eq!(n.parse_answer("unclear").unwrap(), Answer::Unclear);
        for bad in ["", "three", "1,25", "NaN", "inf", "£3", "1.2.3", "e"] {
            let err = n.parse_answer(bad).unwrap_err().to_string();
            assert!(err.contains("expected a number"), "{bad}: {err}");
        }

        let x = AnswerType::Text;
        assert_eq!(
            x.parse_answer(" Head of children's commissioning ").unwrap(),
            Answer::Text("Head of children's commissioning".into())
        );
        assert_eq!(x.parse_answer("not held").unwrap(), Answer::Text("not held".into()));
        assert!(x.parse_answer(" ").unwrap_err().to_string().contains("expected some text"));
    }

    #[test]
    fn answers_as_stored() {
        for (a, s) in [
            (Answer::Yes, "yes"),
            (Answer::No, "no"),
            (Answer::InDevelopment, "in_development"),
            (Answer::NotHeld, "not_held"),
            (Answer::Unclear, "unclear"),
            (Answer::Choice("Grant".into()), "Grant"),
            (Answer::Number(3.0), "3"),
            (Answer::Number(3.5), "3.5"),
            (Answer::Number(150_000.0), "150000"),
            (Answer::Text("x y".into()), "x y"),
        ] {
            assert_eq!(a.as_stored(), s);
            assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!(s));
        }
        // Stored answers read back as the same answer.
        let cb = shipped();
        for q in &cb.questions {
            for s in ["yes", "no", "in_development", "not_held", "unclear"] {
                if q.answer == AnswerType::YesNo {
                    assert_eq!(q.answer.parse_answer(s).unwrap().as_stored(), s);
                }
            }
        }
        let json = serde_json::to_value(cb.question("ccn_out_of_hours").unwrap()).unwrap();
        assert_eq!(json["applies_to"], serde_json::json!(["icb", "ccg"]));
        assert_eq!(json["answer"], serde_json::json!({"type": "yes_no"}));
        assert_eq!(json["pair_of"], "ccn");
    }

    #[test]
    fn the_request_templates_list_the_codebook_questions() {
        for (name, text) in TEMPLATES.iter().filter(|(n, _)| n.starts_with("request")) {
            assert!(text.contains("{{#each questions}}"), "{name} must list the questions from the codebook");
            assert!(text.contains("{{/each}}"), "{name}");
        }
        let set: toml::Table = toml::from_str(SET).unwrap();
        assert_eq!(set["codebook"].as_str(), Some(shipped().id.as_str()));
    }

    /// Templates render in strict mode, so each may use only the fields the mailer provides
    /// (templates/README.md lists them).
    #[test]
    fn the_templates_use_only_context_fields() {
        let common = [
            "body.name",
            "body.code",
            "body.kind",
            "body.kind_label",
            "body.region",
            "round.name",
            "round.slug",
            "sender.name",
            "sender.email",
            "reference",
            "reply_to",
            "date",
        ];
        let follow_up = [
            "original.sent_date",
            "original.subject",
            "original.due_date",
            "original.working_days_overdue",
            "chaser_number",
        ];
        let in_questions = ["number", "id", "text", "pair_of"];
        let tag = regex::Regex::new(r"\{\{(\{?)\s*([#/]?)([^}]*?)\s*\}?\}\}").unwrap();
        for (name, text) in TEMPLATES {
            let mut allowed: Vec<&str> = common.to_vec();
            if !name.starts_with("request") {
                allowed.extend(follow_up);
            }
            match *name {
                "clarification.txt.hbs" => allowed.push("clarification_text"),
                "internal-review.txt.hbs" => allowed.push("review_reason"),
                _ => {}
            }
            let mut in_each = false;
            assert!(tag.captures_iter(text).count() >= 5, "{name}: the tag pattern finds the fields");
            for cap in tag.captures_iter(text) {
                let (triple, sigil, expr) = (&cap[1], &cap[2], cap[3].trim());
                assert!(triple.is_empty(), "{name}: no triple-stash needed: {{{{{{{expr}}}}}}}");
                match (sigil, expr) {
                    ("#", "each questions") => in_each = true,
                    ("/", "each") => in_each = false,
                    ("", e) if in_each => assert!(in_questions.contains(&e), "{name}: {{{{{e}}}}} inside each"),
                    ("", e) => assert!(allowed.contains(&e), "{name}: {{{{{e}}}}} is not in the context"),
                    (s, e) => panic!("{name}: unexpected block {{{{{s}{e}}}}}"),
                }
            }
            assert!(!in_each, "{name}: unclosed each");
        }
    }
}
