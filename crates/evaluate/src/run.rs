//! Running an evaluation: a labelled set through a scratch database ([`labelled`]), or a real
//! database's corrections ([`corrections`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use foi_analysis::suggest::Suggester;
use foi_core::{Codebook, MessageClass, Named, registry};
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::ingest::{Item, echo_of};
use foi_inbox::{Ingestor, Outcome};
use foi_simulate::Launch;
use foi_store::{BodyUpdate, MessageFilter, Store};
use serde::Serialize;

use crate::labels::Labelled;
use crate::report::{Reading, Report, Share, Suggested};
use crate::{Error, Result};

/// What the evaluation launches and reads with.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The shipped body lists (`icbs.csv`, `upper_tier_las.csv`) are read from here.
    pub data_dir: PathBuf,
    /// The template set the round is written from.
    pub templates: PathBuf,
    /// The codebook the round asks.
    pub codebook: PathBuf,
    pub classifier: Arc<Classifier>,
    /// Suggestion rules (default: the codebook's shipped ones).
    pub suggester: Option<PathBuf>,
}

impl Setup {
    /// The shipped lists, templates and codebook under the project folder `root`.
    pub fn shipped(root: &Path, classifier: Arc<Classifier>) -> Setup {
        Setup {
            data_dir: root.join("data"),
            templates: root.join("templates/childrens-palliative-care"),
            codebook: root.join("data/codebooks/childrens-palliative-care.toml"),
            classifier,
            suggester: None,
        }
    }
}

/// The round's name in the evaluation, as the replies quote it.
pub const ROUND_NAME: &str = "Children's palliative care 2026";
const ROUND: &str = "evaluation";
const BODY_LISTS: [&str; 2] = ["icbs.csv", "upper_tier_las.csv"];

fn launched_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, 7).unwrap_or_default()
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })
}

/// A request the evaluation sent.
#[derive(Debug, Clone)]
struct SentTo {
    reference: String,
    reply_to: String,
    message_id: String,
}

/// A scratch database with the shipped bodies and a round sent to every labelled body.
struct Scratch {
    _dir: tempfile::TempDir,
    store: Store,
    sent: HashMap<String, SentTo>,
    websites: HashMap<String, Option<String>>,
}

async fn scratch(labels: &[Labelled], setup: &Setup) -> Result<Scratch> {
    let dir =
        tempfile::tempdir().map_err(|e| Error::Io { path: "a temporary folder".into(), message: e.to_string() })?;
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("evaluation.db").display())).await?;
    let mut websites = HashMap::new();
    for list in BODY_LISTS {
        let path = setup.data_dir.join(list);
        let report = registry::read_bodies(&read(&path)?, None);
        if let Some(e) = report.errors.first() {
            return Err(Error::Setup(format!("{}: {e}", path.display())));
        }
        for r in &report.rows {
            websites.insert(r.body.code.clone(), r.body.website.clone());
        }
        store.import_bodies(&report.rows, &path.display().to_string(), false).await?;
    }
    let mut codes: Vec<String> = Vec::new();
    let mut addresses: HashMap<&str, &str> = HashMap::new();
    for l in labels.iter().filter(|l| !l.body.is_empty()) {
        if !websites.contains_key(&l.body) {
            return Err(Error::Labels(format!(
                "{}: body {} is not in the shipped lists ({})",
                l.file.display(),
                l.body,
                BODY_LISTS.join(", ")
            )));
        }
        if l.sent_to.is_empty() {
            return Err(Error::Labels(format!("{}: body {} has no sent_to address", l.file.display(), l.body)));
        }
        if let Some(first) = addresses.insert(&l.body, &l.sent_to)
            && first != l.sent_to
        {
            // One address per body: the first label's.
            addresses.insert(&l.body, first);
        }
        if !codes.contains(&l.body) {
            codes.push(l.body.clone());
        }
    }
    for (code, address) in &addresses {
        let update = BodyUpdate { foi_email: Some((*address).to_string()), ..Default::default() };
        store.update_body(code, &update, "evaluation", None).await?;
    }
    let launch = Launch {
        slug: ROUND.into(),
        name: ROUND_NAME.into(),
        templates: setup.templates.clone(),
        codebook: setup.codebook.clone(),
        sender: foi_mailer_sender(),
        on: launched_on(),
    };
    foi_simulate::launch_round(&store, &launch, &codes, &dir.path().join("outbox")).await?;
    let by_reference: HashMap<String, String> =
        store.requests(ROUND).await?.into_iter().map(|r| (r.reference, r.body.code)).collect();
    let mut sent = HashMap::new();
    for s in foi_simulate::sent_requests(&store, ROUND).await? {
        if let Some(code) = by_reference.get(&s.reference) {
            sent.insert(
                code.clone(),
                SentTo {
                    reference: s.reference.clone(),
                    reply_to: s.reply_to.clone(),
                    message_id: s.message_id.clone(),
                },
            );
        }
    }
    Ok(Scratch { _dir: dir, store, sent, websites })
}

fn foi_mailer_sender() -> foi_simulate::Sender {
    foi_simulate::Sender {
        name: "Charity FOI".into(),
        email: "foi@charity.example".into(),
        reply_local: "foi".into(),
        reply_domain: "charity.example".into(),
    }
}

/// A labelled reply's bytes with its placeholders filled in (`lost`: as if the reply had
/// lost foi's token: none in the subject or text, the plain address, no threading headers).
pub fn fill(raw: &[u8], sent: Option<(&str, &str, &str)>, lost: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    // Only placeholders are touched; a reply that is not valid UTF-8 keeps its bytes.
    if !text.contains("{{") {
        return raw.to_vec();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if lost && line.contains("{{MSGID}}") {
            let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
            if matches!(name.as_str(), "in-reply-to" | "references") {
                continue;
            }
        }
        let filled = match (sent, lost) {
            (Some((reference, reply_to, message_id)), false) => {
                line.replace("{{REF}}", reference).replace("{{REPLY_TO}}", reply_to).replace("{{MSGID}}", message_id)
            }
            _ => line
                .replace(" [FOI ref {{REF}}]", "")
                .replace("[FOI ref {{REF}}]", "")
                .replace("{{REF}}", "")
                .replace("{{REPLY_TO}}", "foi@charity.example")
                .replace("{{MSGID}}", "lost.reference@charity.example"),
        };
        out.push_str(&filled);
    }
    if String::from_utf8(raw.to_vec()).is_err() {
        // Lossy decoding changed bytes: fill the raw bytes instead.
        return fill_bytes(raw, sent, lost);
    }
    out.into_bytes()
}

/// [`fill`] on bytes that are not UTF-8: replaces the placeholders byte for byte.
fn fill_bytes(raw: &[u8], sent: Option<(&str, &str, &str)>, lost: bool) -> Vec<u8> {
    let pairs: Vec<(&[u8], Vec<u8>)> = match (sent, lost) {
        (Some((r, t, m)), false) => vec![
            (b"{{REF}}", r.as_bytes().to_vec()),
            (b"{{REPLY_TO}}", t.as_bytes().to_vec()),
            (b"{{MSGID}}", m.as_bytes().to_vec()),
        ],
        _ => vec![
            (b"{{REF}}", Vec::new()),
            (b"{{REPLY_TO}}", b"foi@charity.example".to_vec()),
            (b"{{MSGID}}", b"lost.reference@charity.example".to_vec()),
        ],
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    'outer: while i < raw.len() {
        for (from, to) in &pairs {
            if raw[i..].starts_with(from) {
                out.extend_from_slice(to);
                i += from.len();
                continue 'outer;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Ingests the labelled replies into a scratch database; the outcomes in label order.
async fn ingest(labels: &[Labelled], s: &Scratch, setup: &Setup, lost: bool) -> Result<Vec<Outcome>> {
    let mut items = Vec::with_capacity(labels.len());
    for l in labels {
        let raw = read(&l.file)?;
        let sent = s.sent.get(&l.body).map(|t| (t.reference.as_str(), t.reply_to.as_str(), t.message_id.as_str()));
        items.push(Item { raw: fill(&raw, sent, lost), source: l.file.display().to_string(), location: None });
    }
    let ing = Ingestor {
        store: &s.store,
        classifier: Arc::clone(&setup.classifier),
        limits: Limits::default(),
        echo_texts: labels.iter().filter_map(|l| l.request.clone()).collect(),
    };
    Ok(ing.ingest_all(items, |_| {}).await?)
}

/// Reads the labelled replies as foi would, with the token intact and then lost, and
/// compares what it made of them with the labels.
pub async fn labelled(labels: &[Labelled], setup: &Setup) -> Result<Report> {
    let book_text = String::from_utf8_lossy(&read(&setup.codebook)?).into_owned();
    let book =
        Codebook::from_toml(&book_text).map_err(|e| Error::Setup(format!("{}: {e}", setup.codebook.display())))?;
    let suggester = match &setup.suggester {
        Some(p) => Suggester::from_toml(&String::from_utf8_lossy(&read(p)?), &p.display().to_string())?,
        None => Suggester::shipped(&book.id)
            .ok_or_else(|| Error::Setup(format!("codebook {} has no shipped suggestion rules", book.id)))??,
    };
    suggester.check(&book)?;

    let intact = scratch(labels, setup).await?;
    let outcomes = ingest(labels, &intact, setup, false).await?;
    let echo = echo_of(&intact.store).await?;
    let kinds: HashMap<String, foi_core::BodyKind> =
        intact.store.requests(ROUND).await?.into_iter().map(|r| (r.body.code, r.body.kind)).collect();
    let body_of_reference: HashMap<String, String> =
        intact.sent.iter().map(|(code, s)| (s.reference.clone(), code.clone())).collect();

    let lost = scratch(labels, setup).await?;
    let lost_outcomes = ingest(labels, &lost, setup, true).await?;
    let lost_body_of_reference: HashMap<String, String> =
        lost.sent.iter().map(|(code, s)| (s.reference.clone(), code.clone())).collect();

    let mut readings = Vec::with_capacity(labels.len());
    for ((l, o), lo) in labels.iter().zip(&outcomes).zip(&lost_outcomes) {
        let m = message(&intact.store, o.id).await?;
        let lm = message(&lost.store, lo.id).await?;
        let (class, guess) = split_evidence(&m);
        let from = m.from.clone().unwrap_or_default();
        let own_domain = !l.body.is_empty() && {
            let sender = foi_core::domain::organisation(&from);
            let body_domains = [
                foi_core::domain::organisation(&l.sent_to),
                intact.websites.get(&l.body).cloned().flatten().as_deref().and_then(foi_core::domain::of_website),
            ];
            sender.is_some() && body_domains.contains(&sender)
        };
        let mut suggestions = Vec::new();
        let wants_answers = matches!(
            l.class,
            MessageClass::AnswerFull
                | MessageClass::AnswerPartial
                | MessageClass::NotHeld
                | MessageClass::ReviewOutcome
        ) || !l.answers.is_empty();
        if wants_answers && let Some(kind) = kinds.get(&l.body) {
            let (text, attachments) = intact.store.message_texts(o.id).await?;
            let mut texts: Vec<String> = vec![text.unwrap_or_default()];
            texts.extend(attachments.into_iter().filter_map(|(_, t)| t));
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let all = normalise(&texts.join("\n"));
            for s in suggester.suggest(&book, *kind, &refs) {
                let evidence = s.evidence.trim_end_matches('…').to_string();
                let own_words = all.contains(&normalise(&evidence)) && !echo.is_echo(&evidence);
                suggestions.push(Suggested {
                    expected: l.answers.get(&s.question).cloned(),
                    question: s.question,
                    answer: s.answer.as_stored(),
                    evidence: s.evidence,
                    own_words,
                });
            }
        }
        readings.push(Reading {
            file: relative(&l.file),
            expected: l.class.name().to_string(),
            class,
            guess,
            confidence: m.class_confidence.unwrap_or(0.0),
            evidence: m.class_evidence.clone().unwrap_or_default(),
            expected_exemptions: l.exemptions.clone(),
            exemptions: m.exemptions.clone(),
            body: l.body.clone(),
            matched: m.request.as_ref().and_then(|r| body_of_reference.get(r).cloned()),
            method: m.match_method.clone(),
            matched_lost: lm.request.as_ref().and_then(|r| lost_body_of_reference.get(r).cloned()),
            method_lost: lm.match_method.clone(),
            own_domain,
            suggestions,
            expected_answers: l.answers.clone(),
        });
    }
    Ok(Report::from_readings(setup.classifier.origin().to_string(), readings))
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A file's path from the current folder when it is under it.
fn relative(p: &Path) -> String {
    let here = std::env::current_dir().unwrap_or_default();
    p.strip_prefix(&here).unwrap_or(p).display().to_string()
}

async fn message(store: &Store, id: i64) -> Result<foi_store::IncomingMessage> {
    let found = store.incoming_messages(&MessageFilter { ids: Some(vec![id]), ..Default::default() }).await?;
    found.into_iter().next().ok_or_else(|| Error::Setup(format!("message {id} was not stored")))
}

/// The class given, and the class the rules leaned to when they were unsure (read from the
/// evidence the inbox wrote: "unsure: perhaps CLASS (0.55): ...").
fn split_evidence(m: &foi_store::IncomingMessage) -> (String, Option<String>) {
    let guess = m
        .class_evidence
        .as_deref()
        .and_then(|e| e.strip_prefix("unsure: perhaps "))
        .and_then(|e| e.split_whitespace().next())
        .map(str::to_string);
    (m.class.clone(), guess)
}

/// What people corrected on a real database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Corrections {
    /// Messages whose class a person set, by whether the rules had given the same class.
    pub classes: Share,
    /// (the rules' class, the person's class) to count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Messages the rules left unknown that a person then classed.
    pub reviewed: usize,
    /// Messages matched by a person (nothing matched them).
    pub matched_by_hand: usize,
    /// Suggested answers a person coded, by whether the person gave the same answer.
    pub suggestions: Share,
}

/// Compares what the rules said with what people set, on a round (or every round).
pub async fn corrections(store: &Store, round: Option<&str>) -> Result<Corrections> {
    let filter = MessageFilter { round: round.map(str::to_string), ..Default::default() };
    let mut out = Corrections::default();
    for m in store.incoming_messages(&filter).await? {
        if m.match_method.as_deref() == Some("manual") {
            out.matched_by_hand += 1;
        }
        let by_person = m.class_set_by.as_deref().is_some_and(|b| foi_core::Actor::from_stored(b).is_person());
        let Some(rule) = m.rule_class.clone().filter(|_| by_person) else { continue };
        if rule == MessageClass::Unknown.name() {
            out.reviewed += 1;
        }
        out.classes.of += 1;
        out.classes.n += usize::from(rule == m.class);
        *out.confusion.entry(rule).or_default().entry(m.class.clone()).or_default() += 1;
    }
    let rounds: Vec<String> = match round {
        Some(r) => vec![r.to_string()],
        None => store.rounds().await?.into_iter().map(|r| r.slug).collect(),
    };
    for r in rounds {
        let tags =
            store.tags(&foi_store::TagFilter { round: Some(r), suggestions: true, ..Default::default() }).await?;
        let suggested: HashMap<(&str, &str), &str> = tags
            .iter()
            .filter(|t| t.status == "suggested")
            .map(|t| ((t.reference.as_str(), t.question.as_str()), t.answer.as_str()))
            .collect();
        for t in tags.iter().filter(|t| t.status == "confirmed" && t.tagger.starts_with("person:")) {
            if let Some(s) = suggested.get(&(t.reference.as_str(), t.question.as_str())) {
                out.suggestions.of += 1;
                out.suggestions.n += usize::from(crate::report::same_answer(s, &t.answer));
            }
        }
    }
    Ok(out)
}

impl Corrections {
    /// The figures for a terminal.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "classes people set: the rules had said the same  {}", self.classes);
        let _ = writeln!(o, "  of them left unknown by the rules, to review    {}", self.reviewed);
        let _ = writeln!(o, "replies matched by hand (matching found nothing)  {}", self.matched_by_hand);
        let _ = writeln!(o, "suggested answers people coded: same answer      {}", self.suggestions);
        if !self.confusion.is_empty() {
            let _ = writeln!(o, "\nthe rules' class -> the class people set");
            for (rule, row) in &self.confusion {
                for (person, n) in row {
                    let mark = if rule == person { "" } else { "  <- corrected" };
                    let _ = writeln!(o, "  {rule:<16} -> {person:<16} {n}{mark}");
                }
            }
        }
        o
    }
}
