//! Classification of an incoming message: bounces (read from the report's structure and
//! headers), auto-replies (headers and subject), and the FOI reply types (acknowledgement,
//! clarification, answer, refusal with the exemptions cited, not held, review outcome) read by
//! regex rules from a data file analysts can extend (`data/inbox-rules.toml`, its format is
//! documented at the top of that file).
//!
//! The decision, in order:
//!
//! 1. **Bounce**, from structure and headers only: a delivery-status report (the
//!    `message/delivery-status` part of a `multipart/report`), an `X-Failed-Recipients` header,
//!    or a mailer-daemon/postmaster sender (or a bounce-like subject) together with a bounce-like
//!    subject or text. `permanent` means the sending server gave up: the request was not
//!    delivered and will not be without action. In a report: `Action: failed` whatever the
//!    status (a 4.4.7 "expired" after days of retries is final), else the status class; in a
//!    text: the first 5.x.x/4.x.x or 5xx/4xx code, else "will retry"-like phrases, else
//!    permanent. It is *not* sisimai's "hard bounce" (address known bad): a spam-filter
//!    rejection or a full mailbox (5.7.1, 5.2.2) is permanent here. Temporary: `Action:
//!    delayed`, 4.x.x, "will retry". The address: `Original-Recipient`, else
//!    `Final-Recipient`, `X-Failed-Recipients`, or the one the text says failed.
//! 2. **Auto-reply**: `Auto-Submitted: auto-replied`, `X-Autoreply`, `X-Autorespond`,
//!    `Precedence: auto_reply`, `X-POST-MessageClass: 9; Autoresponder`, a read or delivery
//!    receipt, or an `auto_reply` rule matching the subject ("Automatic reply:", "Out of
//!    Office"...) are strong signals. `Auto-Submitted: auto-generated`, `Precedence: bulk|junk`,
//!    `X-MS-Exchange-Inbox-Rules-Loop` and `X-Auto-Response-Suppress` are weak: they make an
//!    auto-reply only with an `auto_reply` rule matching the text ("I am out of the office").
//!    Either way an `acknowledgement` (or `bounce`) rule that matches wins: FOI case-management
//!    systems send their acknowledgements as auto-replies.
//! 3. **Text rules**, strong rules first, each tier in file order; the first rule that matches
//!    decides. When that rule's class is `refusal`, `answer_partial` or `answer_full`, the class
//!    comes from the whole message: an `answer_partial` rule matching, or something withheld
//!    (an exemption cited or a `refusal` rule matching) together with a strong answer rule,
//!    makes `answer_partial`; something withheld alone makes `refusal`; else `answer_full`.
//!    A `not_held` rule deciding while a strong answer rule matches too (some questions
//!    answered, the rest not held) makes `answer_partial`.
//!    Weak rules (envelope phrases such as "please find attached our response", the subject)
//!    decide only when no strong rule matches and never count as answer language.
//!    No rule but an exemption cited: `refusal`. Nothing at all: `unknown`.
//!
//! Exemptions are read from the text and the attachments' text ([`exemptions`]) and reported
//! for refusals, partial answers, not-held answers and review outcomes. A citation in a
//! sentence starting with "If" does not count: acknowledgements warn "if the cost exceeds the
//! limit under section 12...", and replies restate the charity's own request, which says "if
//! answering would exceed the cost limit in section 12, please contact us".

use std::sync::OnceLock;

use foi_core::{MessageClass, Named};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::own::Echo;
use crate::{Error, Result};

/// What the classifier looks at (filled from the parsed message).
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    pub subject: &'a str,
    /// The sender's address.
    pub from: &'a str,
    /// All top-level headers, decoded (name as written, value).
    pub headers: &'a [(String, String)],
    /// The top-level content type, e.g. `multipart/report; report-type=delivery-status`.
    pub content_type: &'a str,
    /// The new text of the reply (quoted previous messages folded away).
    pub text: &'a str,
    /// All attachments' extracted text, joined.
    pub attachment_text: &'a str,
    /// The text of the `message/delivery-status` part, if any.
    pub delivery_status: Option<&'a str>,
    /// How many attachments the message has (a cover note sends its answer in them).
    pub attachments: usize,
    /// What foi sent, as a reply may quote it back: set aside before the rules read the text.
    pub echo: Option<&'a Echo>,
}

impl<'a> Input<'a> {
    /// What the classifier reads of a parsed message, its attachments' text and how many it
    /// has, with what foi sent (`echo`) to set aside.
    pub fn of(p: &'a crate::parse::Parsed, attachment_text: &'a str, attachments: usize, echo: &'a Echo) -> Input<'a> {
        Input {
            subject: &p.subject,
            from: p.from.as_deref().unwrap_or(""),
            headers: &p.headers,
            content_type: &p.content_type,
            text: &p.text,
            attachment_text,
            delivery_status: p.delivery_status.as_deref(),
            attachments,
            echo: Some(echo),
        }
    }
}

/// A bounce: whether the sending server gave up, and the address that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bounce {
    pub permanent: bool,
    pub address: Option<String>,
}

/// What a message is, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub class: MessageClass,
    /// The header or sentence that decided, short.
    pub evidence: String,
    /// The id of the rule that decided (`header:...`, `report:...`, `sender:...` for the
    /// built-in structural checks; joined with `+` when two rules decided together).
    pub rule: String,
    /// Exemptions cited, e.g. `["s12", "s40"]`, sorted, without duplicates.
    pub exemptions: Vec<String>,
    pub bounce: Option<Bounce>,
    /// How sure the rules are of `class`, 0 to 1 (0 for `unknown`).
    pub confidence: f64,
    /// When the rules were unsure (the class is then `unknown`): the class they leaned to.
    pub guess: Option<MessageClass>,
    /// A person should look at the message: its class is `unknown`.
    pub needs_review: bool,
}

impl Classification {
    fn new(class: MessageClass, evidence: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            class,
            evidence: evidence.into(),
            rule: rule.into(),
            exemptions: Vec::new(),
            bounce: None,
            confidence: 0.0,
            guess: None,
            needs_review: false,
        }
    }

    fn sure(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }

    /// Nothing decided: the message is `unknown`.
    pub(crate) fn unknown() -> Self {
        Self { needs_review: true, ..Self::new(MessageClass::Unknown, "", "") }
    }
}

/// Where a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Subject,
    From,
    Text,
    Attachments,
}

impl Field {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "subject" => Some(Self::Subject),
            "from" => Some(Self::From),
            "text" => Some(Self::Text),
            "attachments" => Some(Self::Attachments),
            _ => None,
        }
    }
    fn get<'a>(self, input: &Input<'a>) -> &'a str {
        match self {
            Self::Subject => input.subject,
            Self::From => input.from,
            Self::Text => input.text,
            Self::Attachments => input.attachment_text,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    /// Below this confidence a class is not trusted: the message is `unknown`, to review.
    review_below: Option<toml::Spanned<f64>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: toml::Spanned<String>,
    class: toml::Spanned<String>,
    #[serde(rename = "where")]
    fields: Option<toml::Spanned<Vec<String>>>,
    pattern: toml::Spanned<String>,
    unless: Option<toml::Spanned<String>>,
    #[serde(default)]
    weak: bool,
    #[serde(default)]
    skip_conditional: bool,
    confidence: Option<toml::Spanned<f64>>,
    #[serde(default)]
    cites: Vec<String>,
}

#[derive(Debug)]
struct Rule {
    id: String,
    class: MessageClass,
    fields: Vec<Field>,
    pattern: Regex,
    unless: Option<Regex>,
    weak: bool,
    skip_conditional: bool,
    /// How sure a decision by this rule is (before the rest of the message is weighed).
    confidence: f64,
    /// Exemptions a match relies on though it names no section (the cost limit: `s12`).
    cites: Vec<String>,
}

/// A rule that matched: where, and the text around the match.
#[derive(Debug, Clone)]
struct Hit<'r> {
    rule: &'r Rule,
    field: Field,
    evidence: String,
}

/// The classifier: the text rules, compiled.
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<Rule>,
    /// Below this confidence a class is not trusted (the message is `unknown`, to review).
    review_below: f64,
    /// Where the rules came from (a file, or the copy built into foi).
    origin: String,
    /// The answer layout read from the text's structure (numbered answers, a question then
    /// its answer): not a rule of the file, but decided like one.
    layout: Rule,
}

/// The rules built into foi: a copy of `data/inbox-rules.toml`, used when no rules file is
/// configured.
pub const BUILTIN_RULES: &str = include_str!("../../../data/inbox-rules.toml");
/// The default of `review_below`.
pub const REVIEW_BELOW: f64 = 0.6;
/// The confidence of a strong rule's decision, unless the rule says otherwise.
const STRONG: f64 = 0.85;
/// The confidence of a weak rule's decision, unless the rule says otherwise.
const WEAK: f64 = 0.6;

/// The line (from 1) of byte offset `at` of `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

impl Classifier {
    /// Reads a rules file. Every regex is compiled here: a bad one is an error naming the
    /// file, the line and the rule.
    pub fn from_toml(text: &str, file: &str) -> Result<Classifier> {
        let bad = |line: Option<usize>, message: String| Error::Rules { file: file.to_string(), line, message };
        let parsed: RulesFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            bad(line, e.message().trim().to_string())
        })?;
        let review_below = match parsed.review_below {
            Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                return Err(bad(
                    Some(line_of(text, v.span().start)),
                    format!("review_below {} is not between 0 and 1", v.get_ref()),
                ));
            }
            Some(v) => *v.get_ref(),
            None => REVIEW_BELOW,
        };
        let mut rules = Vec::with_capacity(parsed.rule.len());
        let mut seen = std::collections::HashMap::new();
        for spanned in parsed.rule {
            let rule_line = line_of(text, spanned.span().start);
            let raw = spanned.into_inner();
            let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));
            let id = raw.id.get_ref().trim().to_string();
            if id.is_empty() {
                return Err(bad(at(raw.id.span()), "a rule has an empty id".into()));
            }
            if let Some(first) = seen.insert(id.clone(), rule_line) {
                return Err(bad(at(raw.id.span()), format!("rule {id}: the id is used twice (first at line {first})")));
            }
            let class = MessageClass::from_name(raw.class.get_ref())
                .filter(|c| *c != MessageClass::Unknown)
                .ok_or_else(|| {
                    let names: Vec<_> =
                        MessageClass::ALL.iter().filter(|c| **c != MessageClass::Unknown).map(|c| c.name()).collect();
                    bad(
                        at(raw.class.span()),
                        format!(
                            "rule {id}: unknown class {:?} (expected one of {})",
                            raw.class.get_ref(),
                            names.join(", ")
                        ),
                    )
                })?;
            let (names, where_line) = match &raw.fields {
                Some(f) => (f.get_ref().clone(), at(f.span())),
                None => (vec!["text".to_string()], Some(rule_line)),
            };
            if names.is_empty() {
                return Err(bad(where_line, format!("rule {id}: `where` is empty")));
            }
            let mut fields = Vec::new();
            for n in &names {
                let f = Field::parse(n).ok_or_else(|| {
                    bad(
                        where_line,
                        format!(
                            "rule {id}: unknown place {n:?} in `where` (expected subject, from, text, attachments)"
                        ),
                    )
                })?;
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
            let compile = |what: &str, p: &toml::Spanned<String>| {
                regex::RegexBuilder::new(&crate::ascii_word_boundaries(p.get_ref()))
                    .size_limit(1 << 22)
                    .build()
                    .map_err(|e| {
                        let e = e.to_string();
                        let why = e.lines().last().unwrap_or("").trim().trim_start_matches("error: ");
                        bad(at(p.span()), format!("rule {id}: bad {what} regex: {why}"))
                    })
            };
            let pattern = compile("pattern", &raw.pattern)?;
            let unless = raw.unless.as_ref().map(|u| compile("unless", u)).transpose()?;
            let confidence = match &raw.confidence {
                Some(c) if !(0.0..=1.0).contains(c.get_ref()) => {
                    return Err(bad(
                        at(c.span()),
                        format!("rule {id}: confidence {} is not between 0 and 1", c.get_ref()),
                    ));
                }
                Some(c) => *c.get_ref(),
                None if raw.weak => WEAK,
                None => STRONG,
            };
            rules.push(Rule {
                id,
                class,
                fields,
                pattern,
                unless,
                weak: raw.weak,
                skip_conditional: raw.skip_conditional,
                confidence,
                cites: raw.cites.iter().map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty()).collect(),
            });
        }
        Ok(Classifier { rules, review_below, origin: file.to_string(), layout: layout_rule() })
    }

    /// Reads a rules file from disk (errors name the file and line).
    pub fn from_file(path: &std::path::Path) -> Result<Classifier> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })?;
        Classifier::from_toml(&text, &path.display().to_string())
    }

    /// The classifier of the rules built into the program (a copy of `data/inbox-rules.toml`).
    pub fn builtin() -> std::sync::Arc<Classifier> {
        static BUILTIN: OnceLock<std::sync::Arc<Classifier>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                std::sync::Arc::new(match Classifier::from_toml(BUILTIN_RULES, "(built in) data/inbox-rules.toml") {
                    Ok(c) => c,
                    // Guarded by a test; an empty classifier still classifies bounces and auto-replies.
                    Err(_) => Classifier {
                        rules: Vec::new(),
                        review_below: REVIEW_BELOW,
                        origin: "(built in)".into(),
                        layout: layout_rule(),
                    },
                })
            })
            .clone()
    }

    /// Where the rules came from: a file's path, or "(built in) ...".
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The confidence below which a class is not trusted.
    pub fn review_below(&self) -> f64 {
        self.review_below
    }

    /// How many text rules the classifier has.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Classifies one message. A class the rules are less sure of than `review_below` is
    /// given as `unknown` (with the class they leaned to as `guess`), to be reviewed.
    pub fn classify(&self, input: &Input) -> Classification {
        let mut c = self.judge(input);
        c.confidence = (c.confidence * 100.0).round() / 100.0;
        if c.class == MessageClass::Unknown {
            c.needs_review = true;
        } else if c.confidence < self.review_below {
            c.guess = Some(c.class);
            c.class = MessageClass::Unknown;
            c.needs_review = true;
        }
        c
    }

    /// The class the rules lean to, with its confidence.
    fn judge(&self, input: &Input) -> Classification {
        let report = report_type(input.content_type);
        // 1. Bounces, from structure and headers.
        let mut receipt = None;
        match bounce(input, report.as_deref()) {
            BounceCheck::Bounce(b, evidence, rule) => {
                let confidence = match rule.as_str() {
                    "report:delivery-status" => 0.97,
                    "header:x-failed-recipients" => 0.95,
                    "sender:mailer-daemon" => 0.9,
                    _ => 0.8,
                };
                return Classification {
                    bounce: Some(b),
                    ..Classification::new(MessageClass::Bounce, evidence, rule).sure(confidence)
                };
            }
            BounceCheck::Delivered(evidence) => receipt = Some((evidence, "report:delivered".to_string(), 0.95)),
            BounceCheck::No => {}
        }
        // The rules read the body's own words: our request quoted back and boilerplate set aside.
        let text = crate::own::own_words(input.text, input.echo);
        let attachment_text = crate::own::own_words(input.attachment_text, input.echo);
        let own = Input { text: &text, attachment_text: &attachment_text, ..input.clone() };
        let input = &own;
        // 2. Auto-reply signals.
        let hits = self.hits(input);
        let (strong_auto, weak_auto) = match receipt {
            Some(r) => (Some(r), None),
            None if report.as_deref() == Some("disposition-notification") => (
                Some((
                    format!("Content-Type: {}", clip(input.content_type, 120)),
                    "report:disposition-notification".into(),
                    0.95,
                )),
                None,
            ),
            None => {
                let (s, w) = auto_headers(input);
                (s.map(|(e, r)| (e, r, 0.9)), w)
            }
        };
        let subject_auto = hits.iter().find(|h| h.rule.class == MessageClass::AutoReply && h.field == Field::Subject);
        let text_auto = hits.iter().find(|h| h.rule.class == MessageClass::AutoReply);
        let auto = match (strong_auto, subject_auto, weak_auto, text_auto) {
            (Some(s), ..) => Some(s),
            (None, Some(h), ..) => Some((h.evidence.clone(), h.rule.id.clone(), h.rule.confidence.max(0.85))),
            (None, None, Some(_), Some(h)) => Some((h.evidence.clone(), h.rule.id.clone(), 0.75)),
            _ => None,
        };
        if let Some((evidence, rule, confidence)) = auto {
            let over = hits
                .iter()
                .filter(|h| matches!(h.rule.class, MessageClass::Acknowledgement | MessageClass::Bounce))
                .min_by_key(|h| h.rule.weak);
            return match over {
                Some(h) => self.decide(input, h, &hits),
                None => Classification::new(MessageClass::AutoReply, evidence, rule).sure(confidence),
            };
        }
        // 3. Text rules: strong ones first, then weak ones, each in file order. Answers laid
        // out question by question outweigh an acknowledgement's or a clarification's phrase.
        let first = hits.iter().find(|h| !h.rule.weak).or_else(|| hits.iter().find(|h| h.rule.weak));
        let layout = hits.iter().find(|h| h.rule.id == LAYOUT);
        let first = match (first, layout) {
            (Some(f), Some(l))
                if matches!(f.rule.class, MessageClass::Acknowledgement | MessageClass::Clarification)
                    && l.rule.confidence >= 0.85 =>
            {
                Some(l)
            }
            (f, _) => f,
        };
        match first {
            Some(h) => self.decide(input, h, &hits),
            None => {
                let (ex, ex_evidence) = exemptions_with_evidence(input.text, input.attachment_text);
                if ex.is_empty() {
                    Classification::unknown()
                } else {
                    Classification {
                        exemptions: ex,
                        ..Classification::new(MessageClass::Refusal, ex_evidence, "exemptions").sure(0.6)
                    }
                }
            }
        }
    }

    /// Every rule that matches, in file order, then the answer layout if the text has one.
    fn hits<'r>(&'r self, input: &Input) -> Vec<Hit<'r>> {
        let mut out = Vec::new();
        for rule in &self.rules {
            if let Some(u) = &rule.unless
                && rule.fields.iter().any(|f| u.is_match(f.get(input)))
            {
                continue;
            }
            for f in &rule.fields {
                let hay = f.get(input);
                let found = if rule.skip_conditional {
                    rule.pattern.find_iter(hay).find(|m| !conditional(hay, m.start()))
                } else {
                    rule.pattern.find(hay)
                };
                if let Some(m) = found {
                    let evidence = match f {
                        Field::Subject => format!("Subject: {}", clip(hay, 190)),
                        Field::From => format!("From: {}", clip(hay, 190)),
                        Field::Text => sentence_around(hay, m.start(), m.end()),
                        Field::Attachments => format!("attachment: {}", sentence_around(hay, m.start(), m.end())),
                    };
                    out.push(Hit { rule, field: *f, evidence });
                    break;
                }
            }
        }
        for (field, hay) in [(Field::Text, input.text), (Field::Attachments, input.attachment_text)] {
            if let Some((count, line)) = answer_layout(hay) {
                let evidence = match field {
                    Field::Attachments => format!("attachment: {}", clip(&line, 190)),
                    _ => clip(&line, 190),
                };
                // Two answers are a layout; three or more are a strong one.
                let rule = if count >= 3 { &self.layout } else { &LAYOUT_WEAKER };
                out.push(Hit { rule, field, evidence });
                break;
            }
        }
        out
    }

    /// The classification a rule's match leads to, given every rule that matched, and how
    /// sure it is: the deciding rule's confidence, more when other rules agree, less when
    /// strong rules of another kind of reply match too.
    fn decide(&self, input: &Input, hit: &Hit, hits: &[Hit]) -> Classification {
        use MessageClass as C;
        let (mut ex, ex_evidence) = exemptions_with_evidence(input.text, input.attachment_text);
        for h in hits {
            ex.extend(h.rule.cites.iter().cloned());
        }
        ex.sort();
        ex.dedup();
        let c = match hit.rule.class {
            C::Bounce => Classification {
                bounce: Some(Bounce {
                    permanent: true,
                    address: first_address(&hit.evidence).or_else(|| nonempty(input.from)),
                }),
                ..Classification::new(C::Bounce, hit.evidence.clone(), hit.rule.id.clone()).sure(hit.rule.confidence)
            },
            C::Refusal | C::AnswerPartial | C::AnswerFull => {
                let strong = |c: C| hits.iter().find(|h| h.rule.class == c && !h.rule.weak);
                let partial = strong(C::AnswerPartial);
                let providing = strong(C::AnswerFull).or(partial);
                let refusal = hits.iter().find(|h| h.rule.class == C::Refusal);
                let not_held = hits.iter().find(|h| h.rule.class == C::NotHeld && !h.rule.weak);
                let withholding = refusal
                    .map(|h| (h.evidence.clone(), h.rule.id.clone(), h.rule.confidence))
                    .or_else(|| (!ex.is_empty()).then(|| (ex_evidence.clone(), "exemptions".to_string(), 0.7)));
                let c = match (partial, withholding, providing) {
                    (Some(p), ..) => Classification::new(C::AnswerPartial, p.evidence.clone(), p.rule.id.clone())
                        .sure(p.rule.confidence),
                    (None, Some((e, r, conf)), Some(p)) => {
                        Classification::new(C::AnswerPartial, e, format!("{}+{r}", p.rule.id))
                            .sure(conf.min(p.rule.confidence))
                    }
                    (None, Some((e, r, conf)), None) => Classification::new(C::Refusal, e, r).sure(conf),
                    (None, None, Some(p)) if not_held.is_some() => {
                        let n = not_held.map_or("", |h| h.rule.id.as_str());
                        Classification::new(C::AnswerPartial, p.evidence.clone(), format!("{}+{n}", p.rule.id))
                            .sure(p.rule.confidence.min(0.8))
                    }
                    (None, None, _) => Classification::new(C::AnswerFull, hit.evidence.clone(), hit.rule.id.clone())
                        .sure(self.answer_confidence(input, hit)),
                };
                let exemptions = if c.class == C::AnswerFull { Vec::new() } else { ex };
                Classification { exemptions, ..c }
            }
            C::NotHeld if hits.iter().any(|h| h.rule.class == C::AnswerFull && !h.rule.weak) => {
                let answer = hits.iter().find(|h| h.rule.class == C::AnswerFull && !h.rule.weak);
                let (id, conf) = answer.map_or(("", STRONG), |h| (h.rule.id.as_str(), h.rule.confidence));
                Classification {
                    exemptions: ex,
                    ..Classification::new(C::AnswerPartial, hit.evidence.clone(), format!("{id}+{}", hit.rule.id))
                        .sure(conf.min(hit.rule.confidence).min(0.8))
                }
            }
            class => {
                let exemptions = if matches!(class, C::NotHeld | C::ReviewOutcome) { ex } else { Vec::new() };
                Classification {
                    exemptions,
                    ..Classification::new(class, hit.evidence.clone(), hit.rule.id.clone()).sure(hit.rule.confidence)
                }
            }
        };
        let confidence = weigh(c.class, c.confidence, hit, hits, input);
        Classification { confidence, ..c }
    }

    /// How sure an answer decided by `hit` is: a weak envelope phrase ("please find
    /// attached") is as sure as what it points at: an attachment whose text was read, or
    /// nothing.
    fn answer_confidence(&self, input: &Input, hit: &Hit) -> f64 {
        if !hit.rule.weak {
            return hit.rule.confidence;
        }
        let read = input.attachment_text.trim().len();
        match (input.attachments, read) {
            (0, _) => hit.rule.confidence,
            (_, n) if n >= 200 => hit.rule.confidence.max(0.7),
            _ => hit.rule.confidence.min(0.5),
        }
    }
}

/// The id of the answer-layout pseudo-rule.
const LAYOUT: &str = "layout:answers";

/// The answer layout's rule (strong: three answers or more).
fn layout_rule() -> Rule {
    Rule {
        id: LAYOUT.into(),
        class: MessageClass::AnswerFull,
        fields: vec![Field::Text, Field::Attachments],
        pattern: Regex::new("$^").unwrap_or_else(|e| unreachable!("{e}")),
        unless: None,
        weak: false,
        skip_conditional: false,
        confidence: 0.85,
        cites: Vec::new(),
    }
}

/// Two answers laid out: an answer, but less sure.
static LAYOUT_WEAKER: std::sync::LazyLock<Rule> =
    std::sync::LazyLock::new(|| Rule { id: "layout:answers-2".into(), confidence: 0.7, ..layout_rule() });

/// A decision's confidence once the other rules that matched are weighed.
fn weigh(class: MessageClass, base: f64, hit: &Hit, hits: &[Hit], input: &Input) -> f64 {
    use MessageClass as C;
    let answerish = |c: C| matches!(c, C::AnswerFull | C::AnswerPartial | C::Refusal | C::NotHeld);
    let same = |c: C| c == class || (answerish(c) && answerish(class));
    let agreeing = hits.iter().filter(|h| !std::ptr::eq(h.rule, hit.rule) && same(h.rule.class)).count();
    let against = |c: C| hits.iter().any(|h| !h.rule.weak && h.rule.class == c);
    let mut conf = base + (0.04 * agreeing as f64).min(0.1);
    match class {
        C::Acknowledgement if [C::AnswerFull, C::AnswerPartial, C::Refusal, C::NotHeld].iter().any(|c| against(*c)) => {
            conf -= 0.25;
        }
        C::Clarification => {
            if [C::AnswerFull, C::AnswerPartial, C::Refusal].iter().any(|c| against(*c)) {
                conf -= 0.25;
            }
            // A request for clarification asks us something.
            if !asks_us(input.text) && !asks_us(input.attachment_text) {
                conf -= 0.2;
            }
        }
        C::AnswerFull | C::AnswerPartial | C::Refusal | C::NotHeld => {
            if against(C::Acknowledgement) {
                conf -= 0.1;
            }
            if against(C::Clarification) {
                conf -= 0.2;
            }
        }
        _ => {}
    }
    conf.clamp(0.05, 0.99)
}

static_re!(
    asks_re,
    r"(?i)\?|\bplease (?:could you |can you )?(?:clarify|confirm|specify|let (?:us|me) know|advise|explain|provide (?:us with )?(?:some |more |further )?(?:clarification|clarity|details?))\b|\b(?:could|can|would) you (?:please )?(?:clarify|confirm|specify|let (?:us|me) know|advise|explain|provide|narrow|refine)\b|\bwe (?:would )?(?:need|require) (?:you to|further|more|some|additional|clarification)\b|\bplease (?:can|could) you\b|\bclarity\b"
);

/// Whether a text asks us something (a question, "please clarify", "could you confirm"),
/// outside sentences that start with "If".
fn asks_us(text: &str) -> bool {
    asks_re().find_iter(text).any(|m| !conditional(text, m.start()))
}

static_re!(
    numbered_answer_re,
    r"(?i)^(?:(?:q(?:uestion)?\s*)?\d{1,2}(?:\s*(?:and|&|to|-|–)\s*\d{1,2})?\s*[.):\-–]?|\(?[a-m][.)])\s*(?:[^\n?]+?\s?[-–:]\s*)?(?:(?:answer|response|reply|a)\s*[:\-–.]?\s*)?(?:yes\b|no\b|nil\b|none\b|n/?a\b|not applicable\b|not held\b|in development\b|£\s?\d|0\b|\d[\d,]*(?:\.\d+)?\s*(?:$|[.;,(]))"
);
static_re!(
    numbered_heading_re,
    r"(?i)^(?:q(?:uestion)?\s*)?\d{1,2}(?:\s*(?:and|&|to|-|–)\s*\d{1,2})?\s*[.):\-–]?\s+[^\n?]{2,70}$|^(?:q(?:uestion)?\s*)\d{1,2}\s*[.):\-–]?$"
);
static_re!(
    labelled_answer_re,
    r"(?i)^(?:(?:answer|response|reply|our response|(?:council|icb|board|trust)(?:'s)? response)\s*\d{0,2}\s*[:\-–.]|a\s*\d{0,2}\s*[:\-–])\s*\S"
);
static_re!(
    answer_start_re,
    r"(?i)^(?:a\s*[:\-–]|answer|response|yes\b|no\b|nil\b|none\b|n/?a\b|not (?:held|applicable|known)\b|£|\d[\d,]*(?:\.\d+)?(?:\s|$)|the (?:council|icb|board|authority|trust|organisation|organization|ccg|department)\b|(?:nhs|we|our|this (?:information|is)|there (?:is|are|was|were)|please see|see (?:the )?(?:attached|link|below))\b)"
);
static_re!(
    table_answer_re,
    r"(?i)^[^\n]*[|\t][ \t]*(?:yes|no|nil|none|n/?a|not held|£?\s?\d[\d,]*(?:\.\d+)?%?)[ \t.]*(?:[|\t][ \t]*)?$"
);
// A line that is no answer, wherever it stands: it withholds (an exemption, the cost limit,
// not held, unable to) or speaks of the request's handling.
static_re!(
    withholds_re,
    r"(?i)\b(?:exceed|exempt|refus|withh|cost limit|appropriate limit|section \d|s\.\s?\d|(?:do|does|did) not hold|not held|unable to|cannot|can ?not|clarif|not (?:prepared|able|obliged) to|being (?:handled|dealt with|considered|processed)|thank you)"
);
static_re!(
    reference_line_re,
    r"(?i)^(?:our|your|my) ref(?:erence)?\b|^(?:yours|kind regards|regards|best wishes|many thanks)\b"
);

/// Whether a line right after one of our questions says something of the body's own: a
/// sentence of four words or more, not a heading, a sign-off or a reference line.
fn says_something(line: &str) -> bool {
    line.split_whitespace().count() >= 4
        && !line.ends_with(':')
        && !reference_line_re().is_match(line)
        && !conditional_start_re().is_match(line)
}

static_re!(list_number_re, r"^\d{1,2}[.)]$");
static_re!(numbered_prefix_re, r"(?i)^(?:q(?:uestion)?\s*)?\d{1,2}\s*[.):\-–]\s+");
static_re!(
    asking_re,
    r"(?i)^\s*(?:how|what|which|whether|does|do|did|is|are|was|were|has|have|can|could|would|will|please|when|where|who|why|if|provide|list|confirm|state|give|name|details? of)\b"
);
static_re!(
    answer_heading_re,
    r"(?i)^(?:response|decision|answer|reply|our response|outcome|information provided)[ \t]*[:.]?$"
);
static_re!(
    bare_answer_re,
    r"(?i)^(?:yes|no|nil|none|n/?a|not held|not applicable|£\s?[\d,]+(?:\.\d+)?|\d[\d,]*(?:\.\d+)?)\.?$"
);

/// How many answers a text lays out question by question ("1. Yes", "Q4 - No", "Answer: £0",
/// the body's words right after one of our questions quoted back, bare "Yes"/"No"/figures
/// as a table's cells), and the first of them; None for fewer than two.
fn answer_layout(text: &str) -> Option<(usize, String)> {
    let mut count = 0;
    let mut bare = 0;
    let mut first = None;
    let mut after_question = false;
    let mut after_heading = false;
    let mut withheld = 0;
    for line in text.lines().take(5000) {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if l == crate::own::QUESTION {
            after_question = true;
            continue;
        }
        if crate::own::is_marker(l) {
            after_question = false;
            continue;
        }
        let bare_line = l.trim_start_matches(['-', '–', '*', '•', ' ', '\t']);
        if answer_heading_re().is_match(bare_line) {
            after_heading = true;
            after_question = true;
            continue;
        }
        let numbered_statement =
            numbered_prefix_re().find(bare_line).map(|m| &bare_line[m.end()..]).is_some_and(|rest| {
                says_something(rest)
                    && !rest.trim_end().ends_with('?')
                    && !asking_re().is_match(rest)
                    && !["http", "www.", "mailto:", "@"].iter().any(|link| rest.contains(link))
            });
        if withholds_re().is_match(bare_line) && (numbered_prefix_re().is_match(bare_line) || after_question) {
            // An outcome laid out per question too: the answers beside it are a layout.
            withheld += 1;
        }
        let answer = !withholds_re().is_match(bare_line)
            && (numbered_answer_re().is_match(l)
                || labelled_answer_re().is_match(l)
                || table_answer_re().is_match(l)
                || numbered_statement
                || (after_question && (answer_start_re().is_match(bare_line) || says_something(bare_line))));
        if answer && after_heading {
            // An answer under an explicit "Response" heading counts as two: the heading says it.
            count += 1;
        }
        if answer {
            count += 1;
            first.get_or_insert_with(|| l.to_string());
            after_question = false;
            after_heading = false;
        } else if bare_answer_re().is_match(bare_line) && !list_number_re().is_match(bare_line) {
            bare += 1;
            first.get_or_insert_with(|| l.to_string());
            after_question = false;
        } else {
            // "1. Needs assessment" (a question's short title), or a disclosure log's
            // "Response" heading, is followed by its answer.
            after_heading = false;
            after_question = numbered_heading_re().is_match(l);
        }
    }
    let mut total = count + if bare >= 2 { bare } else { 0 };
    if total == 1 && withheld >= 1 {
        total = 2;
    }
    (total >= 2).then(|| (total, first.unwrap_or_default()))
}

fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------------------------
// Small text helpers.

use crate::re;

/// At most `max` characters of `s` with whitespace collapsed, "…" when cut.
fn clip(s: &str, max: usize) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        collapsed
    } else {
        let mut out: String = collapsed.chars().take(max).collect();
        out.push('…');
        out
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

const LOOK: usize = 400;

/// Where the sentence holding `start` begins: after ". ", "! ", "? " or a blank line (at most
/// 400 bytes back).
fn sentence_start(s: &str, start: usize) -> usize {
    let lo = floor_char(s, start.saturating_sub(LOOK));
    let before = &s[lo..start];
    let b = before.as_bytes();
    for i in (0..b.len()).rev() {
        let c = b[i];
        let next_ws = b.get(i + 1).is_some_and(|n| n.is_ascii_whitespace());
        if (matches!(c, b'.' | b'!' | b'?') && next_ws && !abbreviation(&before[..i]))
            || (c == b'\n' && before[..i].trim_end_matches([' ', '\t', '\r']).ends_with('\n'))
        {
            return lo + i + 1;
        }
    }
    lo
}

static_re!(conditional_start_re, r"(?i)^(?:if|where|should|unless|in the event|in case|once|when)[\s,]");

/// Whether the sentence holding `start` is a condition ("If answering would exceed the cost
/// limit in section 12, please contact us"), as in the text of a request a reply restates.
fn conditional(s: &str, start: usize) -> bool {
    let head = s[sentence_start(s, start)..start].trim_start_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_digit() || matches!(c, '.' | ')' | '(' | '-' | '*' | '•' | '"' | '\'')
    });
    conditional_start_re().is_match(head)
}

static_re!(
    tentative_re,
    r"(?i)\b(?:whether|may (?:be|apply|engage|need)|might|could (?:be|apply)|consider(?:ing)? (?:if|whether|the application)|likely to apply|if (?:any|an|the)|original(?:ly)?|previous(?:ly)?|earlier|initial(?:ly)?|you (?:complained|said|argued|asked|told)|should not have been|no longer appl(?:y|ies)|wrongly|(?:is|are) an? (?:qualified|absolute) exemptions?)\b"
);
static_re!(
    reaffirmed_re,
    r"(?i)\b(?:(?:is|are|was|were|be) (?:therefore |still |now )?(?:upheld|maintained|confirmed)|continues? to (?:apply|be engaged)|still appl(?:y|ies)|(?:decided|decide|agree|agreed) to (?:uphold|maintain)|uphold(?:ing)? the (?:original )?(?:decision|refusal|exemption))\b"
);

/// Whether the sentence holding a citation does not rely on the exemption: it only weighs it
/// ("we are considering whether section 43 applies", "may be exempt") or recalls it ("the
/// original response withheld it under section 43(2)", "section 40(2) should not have been
/// applied").
fn tentative(s: &str, start: usize, end: usize) -> bool {
    let from = sentence_start(s, start);
    let to = s[end..].find(['.', '\n']).map_or(s.len(), |i| end + i);
    let sentence = &s[from..to];
    tentative_re().is_match(sentence) && !reaffirmed_re().is_match(sentence)
}

/// The sentence (or paragraph line) around `start..end` of `s`, whitespace collapsed, about
/// 200 characters at most, the match always inside.
fn sentence_around(s: &str, start: usize, end: usize) -> String {
    const MAX: usize = 200;
    let from = sentence_start(s, start);
    let hi = floor_char(s, end.saturating_add(LOOK));
    let after = &s[end..hi];
    let mut to = hi;
    let a = after.as_bytes();
    for i in 0..a.len() {
        let c = a[i];
        let next_ws = a.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if matches!(c, b'.' | b'!' | b'?') && next_ws && !abbreviation(&after[..i]) {
            to = end + i + 1;
            break;
        }
        if c == b'\n' && after[i + 1..].trim_start_matches([' ', '\t', '\r']).starts_with('\n') {
            to = end + i;
            break;
        }
    }
    let sentence = clip(&s[from..to], usize::MAX);
    if sentence.chars().count() <= MAX {
        return sentence;
    }
    // Too long: a window that starts a little before the match.
    let head = clip(&s[from..start], usize::MAX);
    let skip = head.chars().count().saturating_sub(60);
    let window: String = sentence.chars().skip(skip).take(MAX).collect();
    let mut out = String::new();
    if skip > 0 {
        out.push('…');
    }
    out.push_str(window.trim());
    if skip + MAX < sentence.chars().count() {
        out.push('…');
    }
    out
}

/// Whether the text before a full stop ends with an abbreviation ("s.", "e.g.", "No.").
fn abbreviation(before: &str) -> bool {
    let word = before.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let w = word.to_ascii_lowercase();
    matches!(
        w.as_str(),
        "s" | "ss" | "e.g" | "i.e" | "no" | "ref" | "sec" | "mr" | "mrs" | "ms" | "dr" | "etc" | "st" | "tel"
    ) || (w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()))
}

static_re!(
    address_re,
    r"(?i)[a-z0-9._%+\-=/!#$&'*?^`{|}~]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+"
);

fn first_address(s: &str) -> Option<String> {
    address_re().find(s).map(|m| clean_address(m.as_str()))
}

fn clean_address(s: &str) -> String {
    s.trim()
        .trim_start_matches(['<', '"', '\'', '(', '['])
        .trim_end_matches(['>', '"', '\'', ')', ']', '.', ',', ';'])
        .to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Exemptions.

/// The FOIA/FOISA sections that are exemptions (or the s.12 cost limit and s.14 vexatious):
/// 12, 14 and 21 to 44. FOIA s.25 is supplementary, but FOISA s.25 (otherwise accessible) is an
/// exemption, so it is kept. Procedural sections (1, 8, 10, 11, 16, 17, 50...) are ignored:
/// every response cites them.
fn is_exemption_section(n: u32) -> bool {
    n == 12 || n == 14 || (21..=44).contains(&n)
}

static_re!(
    section_anchor_re,
    r"(?i)\b(?:sections?|sects?\.?|secs?\.?|ss\.?|s\.|s)\s?(\d{1,3})\b((?:\s?\(\s?[0-9a-z]{1,4}\s?\))*)"
);
static_re!(
    section_more_re,
    r"(?i)^\s*(?:,|;|/|&|\band/or\b|\band\b|\bor\b|,\s*and\b|,\s*or\b)\s*(?:(?:sections?|sects?\.?|secs?\.?|ss\.?|s\.|s)\s?)?(\d{1,3})\b((?:\s?\(\s?[0-9a-z]{1,4}\s?\))*)"
);
static_re!(postcode_tail_re, r"(?i)^\s?\d[a-z]{2}\b");
static_re!(
    eir_re,
    r"(?i)\b(?:regulations?|regs?\.?|reg\.)\s?(12\s?\(\s?[45]\s?\)\s?\(\s?[a-g]\s?\)|13\b)((?:\s*(?:,|and|&|or)\s*(?:regulations?\s?)?(?:12\s?\(\s?[45]\s?\)\s?\(\s?[a-g]\s?\)|13\b))*)"
);
static_re!(eir_item_re, r"(?i)12\s?\(\s?([45])\s?\)\s?\(\s?([a-g])\s?\)|13");

/// The exemptions cited in `text`: FOIA/FOISA sections as `sNN` ("section 40(2)", "s.40",
/// "s40", "sections 40 and 43", "section 12 of FOISA"), and EIR exceptions as `r12(4)(b)`,
/// `r13`. Sorted, without duplicates.
pub fn exemptions(text: &str) -> Vec<String> {
    exemptions_with_evidence(text, "").0
}

/// The exemptions of the text and the attachments, and the sentence of the first citation.
fn exemptions_with_evidence(text: &str, attachments: &str) -> (Vec<String>, String) {
    let mut out = std::collections::BTreeSet::new();
    let mut evidence = String::new();
    for (hay, prefix) in [(text, ""), (attachments, "attachment: ")] {
        for (start, end, found) in cited(hay) {
            if evidence.is_empty() {
                evidence = format!("{prefix}{}", sentence_around(hay, start, end));
            }
            out.extend(found);
        }
    }
    (out.into_iter().collect(), evidence)
}

/// Each citation in `hay`: its span and the exemptions it names.
fn cited(hay: &str) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    for caps in section_anchor_re().captures_iter(hay) {
        let Some(whole) = caps.get(0) else { continue };
        let keyword = whole.as_str().split(|c: char| c.is_ascii_digit()).next().unwrap_or("").trim();
        // "S12 4AB" is a Sheffield postcode, not a section.
        if keyword.eq_ignore_ascii_case("s") && postcode_tail_re().is_match(&hay[whole.end()..]) {
            continue;
        }
        let mut found = Vec::new();
        let mut push = |n: &str| {
            if let Ok(n) = n.parse::<u32>()
                && is_exemption_section(n)
            {
                found.push(format!("s{n}"));
            }
        };
        push(&caps[1]);
        let mut end = whole.end();
        while let Some(more) = section_more_re().captures(&hay[end..]) {
            let Some(m) = more.get(0) else { break };
            push(&more[1]);
            end += m.end();
        }
        if !found.is_empty() && !conditional(hay, whole.start()) && !tentative(hay, whole.start(), end) {
            out.push((whole.start(), end, found));
        }
    }
    for caps in eir_re().captures_iter(hay) {
        let Some(whole) = caps.get(0) else { continue };
        let found = eir_item_re()
            .captures_iter(whole.as_str())
            .map(|c| match (c.get(1), c.get(2)) {
                (Some(a), Some(b)) => format!("r12({})({})", a.as_str(), b.as_str().to_ascii_lowercase()),
                _ => "r13".to_string(),
            })
            .collect();
        if !conditional(hay, whole.start()) {
            out.push((whole.start(), whole.end(), found));
        }
    }
    out.sort_by_key(|c| c.0);
    out
}

// ---------------------------------------------------------------------------------------------
// Headers and reports.

fn header<'a>(input: &Input<'a>, name: &str) -> Option<&'a str> {
    input.headers.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

static_re!(report_type_re, r#"(?i)report-type\s*=\s*"?([a-z\-]+)"#);

/// For a `multipart/report`, its report type (lowercase).
fn report_type(content_type: &str) -> Option<String> {
    let ct = content_type.trim().to_ascii_lowercase();
    if !ct.starts_with("multipart/report") {
        return None;
    }
    Some(report_type_re().captures(&ct).map(|c| c[1].to_string()).unwrap_or_default())
}

/// Strong and weak auto-reply header signals: (evidence, rule id).
type Signal = (String, String);

fn auto_headers(input: &Input) -> (Option<Signal>, Option<Signal>) {
    let mut strong = None;
    let mut weak = None;
    let sig = |name: &str, v: &str, rule: &str| (format!("{name}: {}", clip(v, 120)), rule.to_string());
    for (k, v) in input.headers {
        let name = k.trim().to_ascii_lowercase();
        let value = v.trim().to_ascii_lowercase();
        let (is_strong, is_weak) = match name.as_str() {
            "auto-submitted" => (value.starts_with("auto-replied"), !value.is_empty() && !value.starts_with("no")),
            "x-autoreply" | "x-autorespond" | "x-autoresponse" | "x-autoresponder" => {
                (!matches!(value.as_str(), "no" | "false" | "0"), false)
            }
            "precedence" => (value == "auto_reply", matches!(value.as_str(), "bulk" | "junk")),
            "x-post-messageclass" => (value.contains("autoresponder"), false),
            "x-ms-exchange-inbox-rules-loop" => (false, true),
            "x-auto-response-suppress" => (false, true),
            _ => (false, false),
        };
        if is_strong && strong.is_none() {
            strong = Some(sig(k.trim(), v, &format!("header:{name}")));
        } else if is_weak && weak.is_none() {
            weak = Some(sig(k.trim(), v, &format!("header:{name}")));
        }
    }
    (strong, weak)
}

// ---------------------------------------------------------------------------------------------
// Bounces.

enum BounceCheck {
    Bounce(Bounce, String, String),
    /// A delivery report that reports success (delivered, relayed, expanded).
    Delivered(String),
    No,
}

#[derive(Debug, Default)]
struct DsnRecipient {
    original: Option<String>,
    final_: Option<String>,
    action: Option<String>,
    status: Option<String>,
    diagnostic: Option<String>,
}

/// The per-recipient blocks of a `message/delivery-status` body.
fn parse_dsn(s: &str) -> Vec<DsnRecipient> {
    let mut out = Vec::new();
    let mut cur = DsnRecipient::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut Vec<DsnRecipient>, cur: &mut DsnRecipient| {
        for (k, v) in fields.drain(..) {
            let v = v.trim().to_string();
            let addr = || {
                let a = v.split_once(';').map_or(v.as_str(), |(_, a)| a);
                first_address(a).or_else(|| nonempty(a).map(|a| clean_address(&a)))
            };
            match k.as_str() {
                "original-recipient" => cur.original = addr(),
                "final-recipient" => cur.final_ = addr(),
                "action" => cur.action = Some(v.to_ascii_lowercase()),
                "status" => cur.status = Some(v.split_whitespace().next().unwrap_or("").to_string()),
                "diagnostic-code" => cur.diagnostic = Some(v),
                _ => {}
            }
        }
        let c = std::mem::take(cur);
        if c.original.is_some() || c.final_.is_some() || c.action.is_some() || c.status.is_some() {
            out.push(c);
        }
    };
    for line in s.lines() {
        if line.trim().is_empty() {
            flush(&mut fields, &mut out, &mut cur);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k.is_empty() || k.contains(' ') {
                continue;
            }
            // A new Final-Recipient in the same block starts another recipient.
            if (k == "final-recipient" && fields.iter().any(|(f, _)| f == "final-recipient"))
                || (k == "original-recipient" && fields.iter().any(|(f, _)| f == "original-recipient"))
            {
                flush(&mut fields, &mut out, &mut cur);
            }
            fields.push((k, v.to_string()));
        }
    }
    flush(&mut fields, &mut out, &mut cur);
    out
}

static_re!(
    daemon_re,
    r"(?i)^(?:mailer[-_]?daemon|postmaster|mail[-_]?delivery(?:[-_]?(?:system|subsystem))?|microsoftexchange[0-9a-f]*|no[-_]?reply[-_]?bounce|bounces?|mdaemon|mailerdaemon)@"
);
static_re!(
    bounce_subject_re,
    r"(?i)undeliverable|undelivered|delivery status notification \((?:failure|delay)\)|delivery (?:has )?failed|delivery failure|mail delivery fail|failed delivery|delivery notification: delivery has failed|returned mail|return(?:ed)? to sender|failure notice|non recapitabile|unzustellbar|nicht zustellbar|non remis|onbestelbaar|no se puede entregar|delivery delayed|delayed mail|delivery (?:is )?delayed|warning: could not send|could not send message|message not delivered|not delivered:|mail system error|email bounce|bounce notification|unable to deliver|undeliverable message|delivery problem"
);
static_re!(
    bounce_text_re,
    r"(?i)did not reach (?:the following|some or all|the intended)|could not be reached|could(?: not|n'?t) be delivered|was(?: not|n'?t) delivered|has not (?:yet )?been delivered|delivery (?:to the following recipients? )?(?:has )?failed|delivery has failed|permanent (?:error|failure)|the following (?:address(?:\(?es\)?)?|recipients?)(?:\(s\))? (?:had permanent fatal errors|failed)|undeliverable|user unknown|unknown user|no such (?:user|recipient|mailbox)|mailbox (?:unavailable|not found|is full|full)|recipient address rejected|failure reasons|not listed in|your message (?:was|has been) (?:rejected|bounced|returned)|returned to sender|unable to deliver|host or domain name not found|delivery status notification|message (?:was )?rejected|will (?:continue to )?(?:retry|try|attempt)"
);
static_re!(reply_prefix_re, r"(?i)^\s*(?:re|aw|sv|fw|fwd|wg|tr|rv)\s*:");
static_re!(
    original_part_re,
    r"(?im)^[ \t>]*(?:-{2,}|_{2,}|={2,})?\s*(?:original message follows|this is a copy of the message|returned message|below this line is a copy of the message|original message|undelivered message|a copy of the original message)"
);
static_re!(status_code_re, r"(?m)(?:^|[\s(\[#:;'<])([245])\.([0-7])\.(\d{1,3})(?:$|[\s)\];,.>'])");
static_re!(smtp_code_re, r"(?m)(?:^|[\s:'(<\[])([45][0-5]\d)[ -](?:#?[245]\.\d|[A-Za-z<])");
static_re!(
    temporary_re,
    r"(?i)will (?:continue to )?(?:retry|try again|try|attempt)|has not yet been delivered|(?:delivery|message) (?:is |has been )?delayed|temporar(?:y|ily) (?:failure|error|problem|unavailable|rejected|deferred)|delivery status notification \(delay\)|still being retried|is being retried|not been able to deliver .* yet"
);
/// Phrases that introduce the failed address in a bounce's text, most telling first.
fn failed_address_res() -> &'static [Regex] {
    static R: OnceLock<Vec<Regex>> = OnceLock::new();
    const ADDR: &str =
        r"[^@<]{0,60}?<?([a-z0-9._%+\-=]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+)";
    R.get_or_init(|| {
        [
            r"(?i)(?:following (?:address|recipient)|failed recipient|original-recipient|final-recipient|target (?:mail )?address)",
            r"(?i)(?:(?:could )?not (?:be )?delivered to|delivery (?:has )?failed to|delivery to|recipient address rejected|user unknown|unknown user|no such user)",
            r"(?i)(?:recipient|addressee)",
        ]
        .iter()
        .map(|p| re(&format!("{p}{ADDR}")))
        .collect()
    })
}

fn bounce(input: &Input, report: Option<&str>) -> BounceCheck {
    let is_dsn_report = report == Some("delivery-status");
    // A delivery-status part, wherever it sits.
    if let Some(ds) = input.delivery_status {
        let recipients = parse_dsn(ds);
        let failed = recipients.iter().find(|r| r.action.as_deref().is_some_and(|a| a.starts_with("failed")));
        let delayed = recipients.iter().find(|r| r.action.as_deref().is_some_and(|a| a.starts_with("delayed")));
        let by_status = recipients
            .iter()
            .find(|r| r.action.is_none() && r.status.as_deref().is_some_and(|s| s.starts_with(['4', '5'])));
        let chosen = failed
            .map(|r| (r, true))
            .or_else(|| delayed.map(|r| (r, false)))
            .or_else(|| by_status.map(|r| (r, r.status.as_deref().is_some_and(|s| s.starts_with('5')))));
        if let Some((r, permanent)) = chosen {
            let mut evidence = String::new();
            if let Some(a) = &r.action {
                evidence.push_str(&format!("Action: {a}; "));
            }
            if let Some(s) = &r.status {
                evidence.push_str(&format!("Status: {s}; "));
            }
            if let Some(d) = &r.diagnostic {
                evidence.push_str(&format!("Diagnostic-Code: {d}"));
            }
            let address = r.original.clone().or_else(|| r.final_.clone());
            return BounceCheck::Bounce(
                Bounce { permanent, address },
                clip(evidence.trim_end_matches([';', ' ']), 200),
                "report:delivery-status".into(),
            );
        }
        if !recipients.is_empty()
            && recipients.iter().all(|r| {
                r.action
                    .as_deref()
                    .is_some_and(|a| ["delivered", "relayed", "expanded"].iter().any(|x| a.starts_with(x)))
                    || r.status.as_deref().is_some_and(|s| s.starts_with('2'))
            })
        {
            let r = &recipients[0];
            let what = r.action.clone().or_else(|| r.status.clone()).unwrap_or_default();
            return BounceCheck::Delivered(format!("delivery report: {what}"));
        }
    }
    let from = input.from.trim().to_ascii_lowercase();
    let from = from.trim_start_matches('<');
    let daemon = daemon_re().is_match(from);
    let replying = reply_prefix_re().is_match(input.subject);
    let subject_bounce = !replying && bounce_subject_re().is_match(input.subject);
    let (head, _) = split_original(input.text);
    let text_bounce = bounce_text_re().find(head);
    let failed_header = header(input, "X-Failed-Recipients").filter(|v| !v.trim().is_empty());

    let rule = if is_dsn_report {
        "report:delivery-status"
    } else if failed_header.is_some() {
        "header:x-failed-recipients"
    } else if daemon && (subject_bounce || text_bounce.is_some()) {
        "sender:mailer-daemon"
    } else if subject_bounce && text_bounce.is_some() {
        "subject:bounce"
    } else {
        return BounceCheck::No;
    };
    let (permanent, code_evidence) = permanence(head);
    let address = failed_header
        .and_then(first_address)
        .or_else(|| failed_address_res().iter().find_map(|r| r.captures(head)).map(|c| clean_address(&c[1])))
        .or_else(|| {
            address_re()
                .find_iter(head)
                .map(|m| clean_address(m.as_str()))
                .find(|a| *a != from && !daemon_re().is_match(a))
        });
    let evidence = match (rule, failed_header, code_evidence, text_bounce) {
        ("header:x-failed-recipients", Some(v), ..) => format!("X-Failed-Recipients: {}", clip(v, 150)),
        (_, _, Some(line), _) => line,
        (_, _, None, Some(m)) => sentence_around(head, m.start(), m.end()),
        _ => format!("Subject: {}", clip(input.subject, 190)),
    };
    BounceCheck::Bounce(Bounce { permanent, address }, evidence, rule.into())
}

/// The report's own text, before the returned original message.
fn split_original(text: &str) -> (&str, &str) {
    match original_part_re().find(text) {
        Some(m) if m.start() > 0 => text.split_at(m.start()),
        _ => (text, ""),
    }
}

/// Whether a bounce's text says the failure is permanent, and the line with its status code.
fn permanence(text: &str) -> (bool, Option<String>) {
    let line_of = |at: usize| {
        let s = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let e = text[at..].find('\n').map_or(text.len(), |i| at + i);
        clip(&text[s..e], 200)
    };
    let code = status_code_re()
        .captures_iter(text)
        .find(|c| &c[1] != "2")
        .map(|c| (c.get(1).map_or(0, |m| m.start()), &c[1] == "5"))
        .or_else(|| smtp_code_re().captures(text).map(|c| (c.get(1).map_or(0, |m| m.start()), c[1].starts_with('5'))));
    if let Some((at, five)) = code {
        return (five, Some(line_of(at)));
    }
    (!temporary_re().is_match(text), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageClass as C;

    fn input<'a>(subject: &'a str, text: &'a str) -> Input<'a> {
        Input { subject, from: "foi@council.example", text, ..Input::default() }
    }

    /// Classifies with the built-in rules and checks the class; returns the classification.
    #[track_caller]
    fn check(input: &Input, expected: C) -> Classification {
        let c = Classifier::builtin().classify(input);
        assert_eq!(c.class, expected, "got {c:#?}\nfor subject {:?}\ntext {:?}", input.subject, input.text);
        c
    }

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn classify_builtin_rules_file_is_valid() {
        let c = Classifier::from_toml(BUILTIN_RULES, "data/inbox-rules.toml");
        let c = match c {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert!(c.rule_count() >= 20);
        assert_eq!(Classifier::builtin().rule_count(), c.rule_count());
        // Every class the rules produce is reachable from the file.
        for class in [
            C::AutoReply,
            C::Acknowledgement,
            C::Clarification,
            C::AnswerFull,
            C::AnswerPartial,
            C::Refusal,
            C::NotHeld,
            C::ReviewOutcome,
        ] {
            assert!(c.rules.iter().any(|r| r.class == class), "no rule for {class}");
        }
    }

    #[test]
    fn classify_bad_regex_names_rule_and_file() {
        let toml = r#"
[[rule]]
id = "good"
class = "refusal"
pattern = "(?i)section 12"

[[rule]]
id = "broken-one"
class = "not_held"
where = ["text", "attachments"]
pattern = "(?i)we do not (hold"
"#;
        let err = Classifier::from_toml(toml, "rules/custom.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("rules/custom.toml"), "{err}");
        assert!(err.contains("broken-one"), "{err}");
        assert!(matches!(Classifier::from_toml(toml, "f"), Err(Error::Rules { .. })));
    }

    #[test]
    fn classify_rules_file_errors() {
        let bad = |toml: &str| Classifier::from_toml(toml, "x.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(bad("[[rule]]\nid = \"a\"\nclass = \"answered\"\npattern = \"x\"").contains("unknown class"));
        assert!(bad("[[rule]]\nid = \"a\"\nclass = \"refusal\"\nwhere = [\"body\"]\npattern = \"x\"").contains("body"));
        assert!(
            bad("[[rule]]\nid = \"a\"\nclass = \"refusal\"\npattern = \"x\"\nunless = \"(\"")
                .contains("rule a: bad unless")
        );
        assert!(
            bad("[[rule]]\nid = \"a\"\nclass = \"refusal\"\npattern = \"x\"\n[[rule]]\nid = \"a\"\nclass = \"refusal\"\npattern = \"y\"")
                .contains("twice")
        );
        assert!(bad("[[rule]]\nid = \"a\"\nclass = \"refusal\"\npatern = \"x\"").contains("x.toml"));
        // A user's file with one rule works.
        let c = Classifier::from_toml(
            "[[rule]]\nid = \"mine\"\nclass = \"not_held\"\npattern = \"(?i)nicht vorhanden\"",
            "x.toml",
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        let r = c.classify(&input("AW: Anfrage", "Die Informationen sind nicht vorhanden."));
        assert_eq!((r.class, r.rule.as_str()), (C::NotHeld, "mine"));
    }

    // ------------------------------------------------------------------ acknowledgements

    #[test]
    fn classify_acknowledgement_from_case_management_system() {
        let h = headers(&[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]);
        let text = "Dear Sir/Madam,\n\nThank you for your request for information which was received on 3 March 2026. \
Your request is being handled under the Freedom of Information Act 2000 and we will respond within 20 working days, \
by 31 March 2026.\n\nYour reference number is FOI-2026-01234. Please quote this in any correspondence.\n\n\
Information Governance Team\nNHS Example Integrated Care Board\n\nThis is an automatically generated email. Please do not reply.";
        let c = check(
            &Input { headers: &h, ..input("Acknowledgement: Freedom of Information request FOI-2026-01234", text) },
            C::Acknowledgement,
        );
        assert!(c.evidence.contains("20 working days"), "{}", c.evidence);
        assert!(c.exemptions.is_empty());
    }

    #[test]
    fn classify_acknowledgement_human() {
        check(
            &input(
                "RE: Freedom of Information request - children's palliative care",
                "Good morning,\n\nI acknowledge receipt of your email and confirm that your request has been logged under \
reference 25/0412. We aim to respond by 14 April.\n\nKind regards\nJane\nFOI Officer",
            ),
            C::Acknowledgement,
        );
    }

    #[test]
    fn classify_acknowledgement_with_cost_warning_cites_nothing() {
        let c = check(
            &input(
                "Your FOI request",
                "Thank you for your request. We will respond promptly and in any event within 20 working days. If we \
estimate that complying would exceed the appropriate limit under section 12 we will let you know.",
            ),
            C::Acknowledgement,
        );
        assert!(c.exemptions.is_empty());
    }

    // ------------------------------------------------------------------ auto-replies

    #[test]
    fn classify_out_of_office_subject() {
        let c = check(
            &input(
                "Automatic reply: Freedom of Information request - palliative care",
                "Thank you for your email. I am out of the office until Monday 14 April with no access to email. \
For urgent matters please contact foi@council.example.",
            ),
            C::AutoReply,
        );
        assert!(c.evidence.starts_with("Subject: Automatic reply"), "{}", c.evidence);
    }

    #[test]
    fn classify_out_of_office_header_only() {
        let h = headers(&[("Auto-Submitted", "auto-replied (vacation)")]);
        let c = check(
            &Input {
                headers: &h,
                ..input(
                    "Re: FOI request",
                    "I am currently on annual leave, returning on 22 April. I will reply on my return.",
                )
            },
            C::AutoReply,
        );
        assert_eq!(c.rule, "header:auto-submitted");
        assert_eq!(c.evidence, "Auto-Submitted: auto-replied (vacation)");
    }

    #[test]
    fn classify_out_of_office_text_with_weak_header() {
        let h = headers(&[("X-MS-Exchange-Inbox-Rules-Loop", "jane.smith@council.example")]);
        check(
            &Input {
                headers: &h,
                ..input(
                    "FOI request - hospice funding",
                    "I am out of the office on annual leave and will return on 2 May. Your email will not be forwarded.",
                )
            },
            C::AutoReply,
        );
        // The same text without any header is still an out-of-office (a weak rule).
        check(&input("FOI request", "Hello, I am on annual leave until Tuesday 6 May."), C::AutoReply);
    }

    #[test]
    fn classify_auto_submitted_no_is_not_auto_reply() {
        let h = headers(&[("Auto-Submitted", "no")]);
        check(&Input { headers: &h, ..input("Re: FOI", "Thanks, noted.") }, C::Unknown);
    }

    #[test]
    fn classify_read_receipt_is_auto_reply() {
        check(
            &Input {
                content_type: "multipart/report; report-type=disposition-notification; boundary=\"x\"",
                ..input("Read: Freedom of Information request", "Your message was read on 3 March 2026.")
            },
            C::AutoReply,
        );
    }

    // ------------------------------------------------------------------ clarification

    #[test]
    fn classify_clarification() {
        let c = check(
            &input(
                "RE: FOI 1234 - children's palliative care",
                "Dear Ms Patel,\n\nThank you for your request received on 4 March. Before we can process your request, \
we need you to clarify what you mean by \"palliative care funding\": do you mean grants to hospices or all \
commissioned services? Under section 1(3) of the Freedom of Information Act we are not obliged to comply with your \
request until we receive this clarification, and the 20 working day period will begin again on receipt.",
            ),
            C::Clarification,
        );
        assert!(c.exemptions.is_empty());
    }

    #[test]
    fn classify_clarification_could_you() {
        check(
            &input(
                "RE: Information request",
                "Hi, could you clarify which financial years you would like figures for? Many thanks.",
            ),
            C::Clarification,
        );
    }

    // ------------------------------------------------------------------ refusals

    #[test]
    fn classify_section_12_refusal() {
        let c = check(
            &input(
                "FOI 25/301 response",
                "Dear Requester,\n\nWe estimate that the cost of complying with your request would exceed the appropriate \
limit of £450 set out in the Freedom of Information and Data Protection (Appropriate Limit and Fees) Regulations \
2004. We are therefore refusing your request under section 12 of the Act. Under section 16 we are obliged to provide \
advice and assistance: you may wish to refine your request by narrowing the time period.",
            ),
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s12"]);
    }

    #[test]
    fn classify_refusal_in_pdf_letter() {
        let c = check(
            &Input {
                attachment_text: "Freedom of Information Act 2000 – Refusal Notice\n\nThe information you have requested \
is exempt under section 43(2) (commercial interests) and section 41 (information provided in confidence). We have \
considered the public interest test and concluded that it favours withholding the information.",
                ..input("FOI response", "Please find attached our response to your Freedom of Information request.")
            },
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s41", "s43"]);
        assert!(c.evidence.starts_with("attachment: "), "{}", c.evidence);
    }

    #[test]
    fn classify_vexatious_refusal() {
        let c = check(
            &input(
                "Your request",
                "The Council considers this request to be vexatious and is refusing it under s.14(1) FOIA.",
            ),
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s14"]);
    }

    #[test]
    fn classify_neither_confirm_nor_deny() {
        check(
            &input(
                "FOI",
                "In accordance with section 40(5) the Trust can neither confirm nor deny whether it holds the information.",
            ),
            C::Refusal,
        );
    }

    #[test]
    fn classify_foisa_refusal() {
        let c = check(
            &input(
                "Your information request",
                "Under section 12 of FOISA we are not required to comply with your request because the cost would exceed £600.",
            ),
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s12"]);
    }

    // ------------------------------------------------------------------ partial answers

    #[test]
    fn classify_section_40_partial_answer() {
        let c = check(
            &input(
                "FOI 2026/118 - response",
                "Dear Requester,\n\nThe answers to your questions are as follows.\n\n1. The ICB spent £1.2m on children's \
palliative care in 2024/25.\n2. Three hospices hold contracts.\n3. The names of the individual clinicians are \
withheld under section 40(2) of the Act, as disclosure would breach the data protection principles.",
            ),
            C::AnswerPartial,
        );
        assert_eq!(c.exemptions, ["s40"]);
        assert!(c.evidence.contains("40(2)"), "{}", c.evidence);
    }

    #[test]
    fn classify_partial_some_information() {
        let c = check(
            &input(
                "FOI response",
                "We hold some of the information you requested. Please find it attached. The remainder is exempt under \
sections 22 and 43 of the FOI Act.",
            ),
            C::AnswerPartial,
        );
        assert_eq!(c.exemptions, ["s22", "s43"]);
    }

    // ------------------------------------------------------------------ not held, review, answers

    #[test]
    fn classify_not_held() {
        let c = check(
            &input(
                "RE: FOI request 4471",
                "Dear Sir\n\nI can confirm that NHS Example ICB does not hold this information. Children's hospice \
services in our area are commissioned by NHS England, who may be able to help: england.contactus@nhs.example.",
            ),
            C::NotHeld,
        );
        assert!(c.evidence.contains("does not hold"), "{}", c.evidence);
    }

    #[test]
    fn classify_not_held_in_letter() {
        check(
            &Input {
                attachment_text: "Response\n\nThe information you have requested is not held by the Council.",
                ..input("FOI/2026/77", "Please see the attached letter.")
            },
            C::NotHeld,
        );
    }

    #[test]
    fn classify_refusal_with_review_boilerplate() {
        let c = check(
            &input(
                "FOI 2026/311",
                "Dear Requester,\n\nThe information you requested is exempt under section 43(2) of the Act and is \
withheld.\n\nIf you are dissatisfied, you may ask for an internal review. We will respond to internal review requests \
within 20 working days.",
            ),
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s43"]);
    }

    #[test]
    fn classify_some_questions_not_held_is_partial() {
        let c = check(
            &input(
                "FOI response",
                "The answers to your questions are as follows.\n\n1. £410,000.\n2. Two.\n3. We do not hold this \
information; it is held by NHS England.",
            ),
            C::AnswerPartial,
        );
        assert_eq!(c.rule, "answer-given+not-held");
        assert!(c.evidence.contains("do not hold"), "{}", c.evidence);
    }

    #[test]
    fn classify_labelled_answers_with_redaction_in_letter() {
        let c = check(
            &Input {
                attachment_text: "Question 1: How much did the ICB spend on hospice care?\nAnswer: £1,204,000\n\n\
Question 2: Who signed the contracts?\nAnswer: The names of staff below director level are exempt under section 40(2).",
                ..input("FOI 2026/12 response", "Please find attached our response.")
            },
            C::AnswerPartial,
        );
        assert_eq!(c.exemptions, ["s40"]);
    }

    /// Replies often restate the request, whose own text speaks of the cost limit, not holding
    /// information and 20 working days: none of that may count.
    const RESTATED_REQUEST: &str = "Thank you for your request dated 3 March 2026, in which you asked:\n\n\
\"Please provide the information held by Example Council in answer to the questions below.\n\
1. Does the council commission short breaks for children with life-limiting conditions?\n\
2. How much did it spend on them in 2024/25?\n\n\
Where a question asks for a yes or no answer, please start the answer with yes or no. If Example Council does\n\
not hold the information for a question, please say so for that question and answer the others.\n\n\
If any part of this request is unclear, or if answering it in full would exceed the cost limit in section 12 of the \
Act, please contact us as soon as possible so that we can clarify or narrow it, in line with your duty under section \
16 to provide advice and assistance. If you withhold any information, please tell us which exemption you rely on and \
why (section 17). We look forward to your reply promptly and in any event within 20 working days of receipt, as \
section 10 of the Act requires.\"\n\n";

    #[test]
    fn classify_restated_request_does_not_count() {
        let text = format!("Dear Ms Patel,\n\n{RESTATED_REQUEST}Our response is as follows:\n1. Yes.\n2. £120,000.\n");
        let c = check(&input("FOI 2026/55", &text), C::AnswerFull);
        assert!(c.exemptions.is_empty(), "{:?}", c.exemptions);
        let text =
            format!("{RESTATED_REQUEST}Our response is as follows:\n1. Yes.\n2. Withheld under section 43(2).\n");
        let c = check(&input("FOI 2026/55", &text), C::AnswerPartial);
        assert_eq!(c.exemptions, ["s43"]);
        let text = format!("{RESTATED_REQUEST}We do not hold this information.");
        check(&input("FOI 2026/55", &text), C::NotHeld);
    }

    #[test]
    fn classify_review_outcome() {
        let c = check(
            &input(
                "Internal review - FOI 2025/901",
                "Dear Ms Patel,\n\nI have now completed the internal review of the handling of your request. Having \
considered the application of section 43(2), I have decided to uphold the original decision to withhold the \
contract values.",
            ),
            C::ReviewOutcome,
        );
        assert_eq!(c.exemptions, ["s43"]);
    }

    #[test]
    fn classify_review_acknowledgement_is_not_outcome() {
        check(
            &input(
                "Internal review request",
                "We acknowledge receipt of your request for an internal review. We aim to respond within 20 working days.",
            ),
            C::Acknowledgement,
        );
    }

    #[test]
    fn classify_full_answer_pointing_to_pdf() {
        let c = check(
            &Input {
                attachment_text: "1. £2,345,000\n2. Yes\n3. 14 children were supported in 2024/25.",
                ..input(
                    "FOI 2026/0042 Response",
                    "Dear Requester,\n\nPlease find attached our response to your Freedom of Information request.\n\n\
Yours faithfully\nInformation Governance",
                )
            },
            C::AnswerFull,
        );
        assert!(c.exemptions.is_empty());
    }

    #[test]
    fn classify_full_answer_inline() {
        check(
            &input(
                "RE: Freedom of Information request",
                "Dear Ms Patel,\n\nIn response to your request, the answers to your questions are below.\n\nQ1: Yes, \
the Council funds short breaks for children with life-limiting conditions.\nQ2: £340,000 in 2024/25.",
            ),
            C::AnswerFull,
        );
    }

    #[test]
    fn classify_unknown() {
        check(&input("Re: lunch", "See you at one."), C::Unknown);
        check(&input("", ""), C::Unknown);
    }

    // ------------------------------------------------------------------ bounces

    #[test]
    fn classify_postfix_bounce_with_delivery_status() {
        let ds = "Reporting-MTA: dns; mail.charity.example\nX-Postfix-Queue-ID: 4B1C2\nArrival-Date: Tue, 3 Mar 2026 \
09:00:01 +0000\n\nFinal-Recipient: rfc822; foi@council.example\nOriginal-Recipient: rfc822;FOI@Council.example\n\
Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.council.example\nDiagnostic-Code: smtp; 550 5.1.1 \
<foi@council.example>: Recipient address rejected: User unknown in virtual mailbox table\n";
        let c = check(
            &Input {
                from: "mailer-daemon@mail.charity.example",
                content_type: "multipart/report; report-type=delivery-status; boundary=\"ABC\"",
                delivery_status: Some(ds),
                ..input(
                    "Undelivered Mail Returned to Sender",
                    "This is the mail system at host mail.charity.example.\n\nI'm sorry to have to inform you that your \
message could not be delivered to one or more recipients.",
                )
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: true, address: Some("foi@council.example".into()) }));
        assert!(c.evidence.contains("5.1.1"), "{}", c.evidence);
        assert_eq!(c.rule, "report:delivery-status");
    }

    #[test]
    fn classify_exchange_ndr_550_5_1_1() {
        let text = "Delivery has failed to these recipients or groups:\n\nfoi.requests@trust.nhs.example\nThe e-mail \
address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message.\n\n\
Diagnostic information for administrators:\n\nGenerating server: EXCH01.trust.nhs.example\n\n\
foi.requests@trust.nhs.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nOriginal message headers:\n\n\
Received: from mail.charity.example";
        let c = check(
            &Input {
                from: "postmaster@trust.nhs.example",
                ..input("Undeliverable: Freedom of Information request - palliative care [FOI-7Q3K]", text)
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: true, address: Some("foi.requests@trust.nhs.example".into()) }));
        assert!(c.evidence.contains("550 5.1.1"), "{}", c.evidence);
    }

    #[test]
    fn classify_delayed_dsn_4_4_7() {
        let ds = "Reporting-MTA: dns;EXCH02.council.example\nReceived-From-MTA: dns;mail.charity.example\n\n\
Final-Recipient: rfc822;foi@council.example\nAction: delayed\nStatus: 4.4.7\nWill-Retry-Until: Thu, 5 Mar 2026 09:00:00 +0000\n\
X-Display-Name: FOI\n";
        let c = check(
            &Input {
                from: "postmaster@council.example",
                content_type: "multipart/report; report-type=delivery-status; boundary=\"x\"",
                delivery_status: Some(ds),
                ..input(
                    "Delivery delayed:Freedom of Information request",
                    "Delivery is delayed to these recipients or groups: FOI",
                )
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: false, address: Some("foi@council.example".into()) }));
    }

    #[test]
    fn classify_exim_failed_recipients() {
        let h = headers(&[("X-Failed-Recipients", "info@hospice.example"), ("Auto-Submitted", "auto-replied")]);
        let c = check(
            &Input {
                headers: &h,
                from: "mailer-daemon@mx.charity.example",
                ..input(
                    "Mail delivery failed: returning message to sender",
                    "This message was created automatically by mail delivery software.\n\nA message that you sent could \
not be delivered to one or more of its recipients. This is a permanent error. The following address(es) failed:\n\n  \
info@hospice.example\n    host mx.hospice.example [192.0.2.7]\n    SMTP error from remote mail server after RCPT \
TO:<info@hospice.example>:\n    550 No such user here",
                )
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: true, address: Some("info@hospice.example".into()) }));
        assert_eq!(c.rule, "header:x-failed-recipients");
    }

    #[test]
    fn classify_exim_delay_warning_is_temporary() {
        let c = check(
            &Input {
                from: "mailer-daemon@mx.charity.example",
                ..input(
                    "Warning: message 1vXyZ-000abc-12 delayed 24 hours",
                    "This message was created automatically by mail delivery software.\nA message that you sent has not \
yet been delivered to one or more of its recipients after more than 24 hours on the queue.\n\n  foi@slow.example\n    \
Delay reason: SMTP error from remote mail server after RCPT TO:<foi@slow.example>:\n    451 4.7.1 Greylisted, try \
again later\n\nNo action is required on your part. Delivery attempts will continue for some time.",
                )
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: false, address: Some("foi@slow.example".into()) }));
    }

    #[test]
    fn classify_delivery_receipt_is_not_bounce() {
        let ds = "Reporting-MTA: dns;mx.council.example\n\nFinal-Recipient: rfc822;foi@council.example\nAction: delivered\nStatus: 2.0.0\n";
        check(
            &Input {
                from: "postmaster@council.example",
                content_type: "multipart/report; report-type=delivery-status",
                delivery_status: Some(ds),
                ..input(
                    "Delivered: Freedom of Information request",
                    "Your message has been delivered to the following recipients: FOI",
                )
            },
            C::AutoReply,
        );
    }

    #[test]
    fn classify_mailbox_no_longer_in_use_is_bounce() {
        let h = headers(&[("Auto-Submitted", "auto-replied")]);
        let c = check(
            &Input {
                headers: &h,
                from: "noreply@oldccg.nhs.example",
                ..input(
                    "Automatic reply: FOI request",
                    "This mailbox (foi@oldccg.nhs.example) is no longer in use. Please send Freedom of Information \
requests to foi@newicb.nhs.example.",
                )
            },
            C::Bounce,
        );
        assert_eq!(c.bounce, Some(Bounce { permanent: true, address: Some("foi@oldccg.nhs.example".into()) }));
    }

    #[test]
    fn classify_human_reply_about_delivery_is_not_bounce() {
        check(
            &input(
                "Re: Undeliverable: FOI request",
                "Sorry, our mailbox was full last week and your email could not be delivered. Please find attached our response.",
            ),
            C::AnswerFull,
        );
    }

    // ------------------------------------------------------------------ exemptions

    #[test]
    fn classify_exemptions_extraction() {
        let cases: &[(&str, &[&str])] = &[
            ("refused under section 12", &["s12"]),
            ("exempt by virtue of s.40(2)", &["s40"]),
            ("we rely on s12 and s 14", &["s12", "s14"]),
            ("S.43(2) applies", &["s43"]),
            ("sections 40 and 43 of the Act", &["s40", "s43"]),
            ("sections 40(2), 41 and 43(2) apply", &["s40", "s41", "s43"]),
            ("under sections 21, 22 & 44", &["s21", "s22", "s44"]),
            ("section 12 of FOISA", &["s12"]),
            ("section 38 of FOISA (personal information)", &["s38"]),
            ("s.21(1) and s.31(1)(a)", &["s21", "s31"]),
            ("under section 1(1)(a) we confirm; section 10 time limit; section 16 advice; section 17 notice", &[]),
            ("We will respond within 20 working days as required by section 10.", &[]),
            ("Our office is at 1 High Street, Sheffield S12 4AB", &[]),
            ("section 106 agreements", &[]),
            ("regulation 12(4)(b) and 12(5)(e) of the EIR", &["r12(4)(b)", "r12(5)(e)"]),
            ("withheld under regulation 13", &["r13"]),
            ("section 40(2) and section 40(3A)", &["s40"]),
            ("Section 36(2)(b)(i)", &["s36"]),
            ("the exemption at s.30 and s 31", &["s30", "s31"]),
        ];
        for (text, expected) in cases {
            assert_eq!(exemptions(text), *expected, "for {text:?}");
        }
    }

    #[test]
    fn classify_evidence_is_short_sentence() {
        let long = format!("{} we do not hold this information {}", "word ".repeat(100), "more ".repeat(100));
        let c = check(&input("x", &long), C::NotHeld);
        assert!(c.evidence.chars().count() <= 202, "{}", c.evidence.len());
        assert!(c.evidence.contains("we do not hold"));
        let s = "First sentence here. Second one: we do not hold it. Third.";
        assert_eq!(check(&input("x", s), C::NotHeld).evidence, "Second one: we do not hold it.");
    }

    #[test]
    fn classify_odd_inputs_do_not_panic() {
        let h = headers(&[("Auto-Submitted", ""), ("X-Failed-Recipients", "  "), ("", "x"), ("Précédence", "bulk")]);
        let texts = [
            "",
            ".",
            "If",
            "if section 12",
            "s.",
            "é. é! é? ",
            "\n\n.\n",
            "section 12(",
            "regulation 12(4)(",
            "…section 40…",
        ];
        for t in texts {
            for ds in [None, Some(""), Some(":\n \n:"), Some("Action: failed\nStatus: x")] {
                let c = Classifier::builtin().classify(&Input {
                    subject: t,
                    from: t,
                    headers: &h,
                    content_type: "multipart/report; report-type=delivery-status",
                    text: t,
                    attachment_text: t,
                    delivery_status: ds,
                    ..Input::default()
                });
                assert_eq!(c.class, C::Bounce, "{t:?} {ds:?}");
            }
            let _ = Classifier::builtin().classify(&input(t, t));
            let _ = exemptions(t);
        }
    }

    #[test]
    fn classify_conditional_sentences() {
        assert!(conditional("Hello. If the cost exceeds the limit", 20));
        assert!(conditional("1. If it would exceed section 12", 25));
        assert!(!conditional("We refuse. The cost, if counted, exceeds", 30));
        assert!(exemptions("If answering would exceed the cost limit in section 12, please tell us.").is_empty());
        assert_eq!(exemptions("We are refusing under section 12. If you disagree, ask for a review."), ["s12"]);
    }

    #[test]
    fn classify_dsn_parsing() {
        let ds = "Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; a@x.example\nAction: delivered\nStatus: 2.0.0\n\n\
Final-Recipient: rfc822;\n b@y.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n";
        let r = parse_dsn(ds);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].final_.as_deref(), Some("b@y.example"));
        assert_eq!(r[1].status.as_deref(), Some("5.2.2"));
    }

    #[test]
    fn classify_serializes() {
        let c = Classification {
            bounce: Some(Bounce { permanent: true, address: None }),
            ..Classification::new(C::Bounce, "Status: 5.1.1", "report:delivery-status")
        };
        let j = serde_json::to_value(&c).unwrap_or_default();
        assert_eq!(j["class"], "bounce");
        assert_eq!(j["bounce"]["permanent"], true);
    }

    // ------------------------------------------------------------------ confidence, own words

    #[test]
    fn classify_unsure_is_unknown_to_review_with_its_guess() {
        let toml = "review_below = 0.7\n[[rule]]\nid = \"maybe\"\nclass = \"not_held\"\nweak = true\npattern = \"(?i)not sure we hold\"\n";
        let c = Classifier::from_toml(toml, "x.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.review_below(), 0.7);
        let r = c.classify(&input("Re: your request", "We are not sure we hold this."));
        assert_eq!((r.class, r.guess, r.needs_review), (C::Unknown, Some(C::NotHeld), true));
        assert_eq!(r.confidence, 0.6);
        assert_eq!(r.rule, "maybe");
        // Sure enough: the class stands and nothing needs review.
        let r = Classifier::builtin().classify(&input("FOI", "The council does not hold this information."));
        assert_eq!((r.class, r.needs_review, r.guess), (C::NotHeld, false, None));
        assert!(r.confidence >= 0.8, "{r:?}");
        // Nothing at all: unknown, to review.
        let r = Classifier::builtin().classify(&input("Hello", "Lorem ipsum dolor sit amet."));
        assert_eq!((r.class, r.needs_review), (C::Unknown, true));
    }

    #[test]
    fn classify_rules_errors_name_the_line() {
        let toml = "review_below = 0.6\n\n[[rule]]\nid = \"good\"\nclass = \"refusal\"\npattern = \"(?i)section 12\"\n\n[[rule]]\nid = \"broken\"\nclass = \"not_held\"\npattern = \"(?i)we do not (hold\"\n";
        let err = Classifier::from_toml(toml, "rules/custom.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("rules/custom.toml:11: rule broken: bad pattern regex"), "{err}");
        let err = Classifier::from_toml("[[rule]]\nid = \"a\"\nclass = \"answered\"\npattern = \"x\"\n", "f.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("f.toml:3: rule a: unknown class"), "{err}");
        let err =
            Classifier::from_toml("review_below = 2.0\n", "f.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("f.toml:1: review_below 2"), "{err}");
        let err = Classifier::from_toml(
            "[[rule]]\nid = \"a\"\nclass = \"refusal\"\n\n[[rule]]\nid = \"a\"\nclass = \"refusal\"\npattern = \"y\"\n",
            "f.toml",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.starts_with("f.toml:1:") && err.contains("pattern"), "{err}");
        // A file on disk: the path and line.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "[[rule]]\nid = \"a\"\nclass = \"refusal\"\npattern = \"(\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let err = Classifier::from_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(&format!("{}:4: rule a", path.display())), "{err}");
        let err =
            Classifier::from_file(&dir.path().join("missing.toml")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("missing.toml"), "{err}");
    }

    const OUR_REQUEST: &str = "Freedom of Information request: Children's palliative care 2026\n\n\
3. Does your organisation have a named person (for example a commissioner) with lead responsibility for \
palliative care for children and young people? If yes, please give their job title.\n\n\
If any part of this request is unclear, or if answering it in full would exceed the cost limit in section 12 \
of the Act, please contact us as soon as possible so that we can clarify or narrow it. If you withhold any \
information, please tell us which exemption you rely on and why (section 17). Please specify which financial \
year your figures cover.";

    #[test]
    fn classify_reads_the_body_s_own_words_not_our_request() {
        let echo = Echo::from_texts([OUR_REQUEST]);
        let text = "Thank you for your request, which we received on 8 September 2026 and have logged under \
reference FOI-26-0123. We will respond within 20 working days.\n\nYour request:\n\n\
3. Does your organisation have a named person (for example a commissioner) with lead responsibility for \
palliative care for children and young people? If yes, please give their job title.\n\
If any part of this request is unclear, or if answering it in full would exceed the cost limit in section 12 \
of the Act, please contact us as soon as possible so that we can clarify or narrow it. Please specify which \
financial year your figures cover.";
        let c = Classifier::builtin().classify(&Input { echo: Some(&echo), ..input("FOI-26-0123", text) });
        assert_eq!(c.class, C::Acknowledgement, "{c:?}");
        assert!(c.exemptions.is_empty(), "{c:?}");
        // Without knowing our request, its phrases would be read as the body's.
        let c = Classifier::builtin().classify(&input("FOI-26-0123", text));
        assert_eq!(c.class, C::Clarification, "{c:?}");
    }

    #[test]
    fn classify_a_clarification_asks_us_something() {
        let c = check(
            &input(
                "FOI 26-2391 request for clarification",
                "Before we can progress your request, could you tell us whether you want figures for the \
financial year 2025/26 or the calendar year 2025? We have put your request on hold until we hear from you.",
            ),
            C::Clarification,
        );
        assert!(c.confidence >= 0.8, "{c:?}");
        // A promise to ask, if ever, is not a request for clarification.
        check(
            &input(
                "Acknowledgement FOI 26-1",
                "Thank you for your request, received on 7 September 2026. We will send you a response by 5 October \
2026. If we need you to clarify any part of your request we will contact you.",
            ),
            C::Acknowledgement,
        );
    }

    #[test]
    fn classify_cost_limit_cites_s12_and_weighed_exemptions_do_not_count() {
        let c = check(
            &input(
                "FOI 1",
                "Locating this information would take longer than 18 hours, so we are refusing your request.",
            ),
            C::Refusal,
        );
        assert_eq!(c.exemptions, ["s12"]);
        let c = check(
            &input(
                "FOI 2",
                "Thank you for your request, received on 7 September 2026. We are considering whether section 43(2) \
applies to part of it and need more time to consider the public interest, so we are extending the deadline under \
section 10(3) to 2 November 2026.",
            ),
            C::Acknowledgement,
        );
        assert!(c.exemptions.is_empty(), "{c:?}");
    }

    #[test]
    fn classify_web_form_only_replies_are_bounces_despite_auto_reply_headers() {
        let h = headers(&[("Auto-Submitted", "auto-replied")]);
        let c = check(
            &Input {
                headers: &h,
                ..input(
                    "Automatic reply: Freedom of Information request",
                    "This mailbox is not used to receive Freedom of Information requests and your email has not been \
logged as a request. Please resubmit your request using the online form on our website.",
                )
            },
            C::Bounce,
        );
        assert!(c.bounce.as_ref().is_some_and(|b| b.permanent), "{c:?}");
        // An acknowledgement that merely suggests the form next time is an acknowledgement.
        check(
            &input(
                "FOI/3178",
                "Thank you for your request which has been assigned reference FOI/3178. We aim to respond within the \
statutory timescale of 20 working days. Did you make your request via our online form? If not, why not use it in future.",
            ),
            C::Acknowledgement,
        );
    }

    #[test]
    fn classify_answers_by_their_layout_and_cover_notes() {
        let c = check(
            &input(
                "FOI 9",
                "Please see the council's response below.\n\n1. No\n2. No\n3. Yes - Head of SEND\n4. Nil\n",
            ),
            C::AnswerFull,
        );
        assert!(c.confidence >= 0.8, "{c:?}");
        // A cover note is as sure as the attachment it points at.
        let note = Input { attachments: 1, ..input("FOI 10", "A reply is attached.") };
        let c = Classifier::builtin().classify(&note);
        assert_eq!((c.class, c.guess), (C::Unknown, Some(C::AnswerFull)), "unread attachment: {c:?}");
        let letter =
            "Dear Sir\n\n1. Needs assessment\nYes. The JSNA has a chapter.\n2. Strategy\nNo.\n3. Named lead\nYes.\n";
        let c = Classifier::builtin().classify(&Input { attachment_text: letter, ..note });
        assert_eq!(c.class, C::AnswerFull, "{c:?}");
    }
}
