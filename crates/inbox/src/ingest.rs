//! The ingest pipeline: parse each raw message, read its attachments' text and classify it
//! (on every core, a window of messages ahead), then, in order, deduplicate it (Message-ID,
//! else content hash), match it, store it with its raw bytes, move its request as the reply
//! implies and learn the body's case references. Messages are written in batches, one
//! transaction each, committed whenever the next message is not ready yet or 200 are done.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use foi_core::{MessageClass, Named, RequestState};
use foi_store::{Batch, InboxReads, Location, NewAttachment, NewMessage, ReplyMove, Store};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::classify::{Classification, Classifier, Input};
use crate::extract::{self, Limits};
use crate::matching::{self, Match};
use crate::own::Echo;
use crate::{Error, Result, parse};

/// What happened to one message.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: i64,
    /// False when the message was already held (nothing was added).
    pub new: bool,
    pub class: String,
    pub matched: Option<Match>,
    /// The request's new state, when the reply moved it.
    pub moved_to: Option<RequestState>,
    pub parse_error: Option<String>,
}

/// The request state a reply of this class leads to, if any.
pub fn state_for(class: MessageClass, permanent_bounce: bool) -> Option<RequestState> {
    use RequestState::*;
    Some(match class {
        MessageClass::Bounce if permanent_bounce => DeliveryFailed,
        MessageClass::Acknowledgement => Acknowledged,
        MessageClass::Clarification => ClarificationRequested,
        MessageClass::AnswerFull => AnsweredFull,
        MessageClass::AnswerPartial => AnsweredPartial,
        MessageClass::Refusal => Refused,
        MessageClass::NotHeld => NotHeld,
        MessageClass::ReviewOutcome => InternalReviewAnswered,
        _ => return None,
    })
}

/// The address a bounce says failed (None for anything else).
fn bounce_address(c: &Classification) -> Option<&str> {
    if c.class != MessageClass::Bounce {
        return None;
    }
    c.bounce.as_ref().and_then(|b| b.address.as_deref())
}

/// A message read and judged, before it is matched and stored.
#[derive(Debug)]
pub struct Examined {
    pub parsed: parse::Parsed,
    /// Every attachment with the outcome of reading its text.
    pub attachments: Vec<NewAttachment>,
    pub classification: Classification,
}

/// Parses a raw message, reads its attachments' text (within `limits`) and classifies it
/// (setting aside what `echo` holds of foi's requests, as replies quote them back). Touches
/// no store: the ingest pipeline's first half, also used to check simulated replies.
pub async fn examine(raw: &[u8], classifier: &Classifier, echo: &Echo, limits: &Limits) -> Examined {
    examine_parsed(parse::parse(raw), classifier, echo, limits).await
}

/// [`examine`] for a message already parsed.
async fn examine_parsed(p: parse::Parsed, classifier: &Classifier, echo: &Echo, limits: &Limits) -> Examined {
    let mut attachments = Vec::with_capacity(p.attachments.len());
    let mut attachment_text = String::new();
    for a in &p.attachments {
        let e = if limits.read_attachments {
            extract::extract_text(a.filename.as_deref(), &a.content_type, &a.bytes, limits).await
        } else {
            extract::Extraction::Unsupported
        };
        if let Some(t) = e.text() {
            attachment_text.push_str(t);
            attachment_text.push('\n');
        }
        attachments.push(NewAttachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            sha256: sha256_hex(&a.bytes),
            content: a.bytes.clone(),
            extraction: e.status().to_string(),
            extraction_error: e.error().map(|m| format!("could not extract: {m}")),
            text: e.text().map(str::to_string),
        });
    }
    let classification = classifier.classify(&Input::of(&p, &attachment_text, p.attachments.len(), echo));
    Examined { parsed: p, attachments, classification }
}

/// One message to ingest: its raw bytes, a label for reports (file, `imap:FOLDER`) and, when
/// it came from IMAP, its folder, UIDVALIDITY and UID.
#[derive(Debug, Clone)]
pub struct Item {
    pub raw: Vec<u8>,
    pub source: String,
    pub location: Option<(String, u32, u32)>,
}

/// Messages read ahead of the one being stored.
const WINDOW: usize = 32;
/// Most messages in one transaction.
const BATCH: usize = 200;
/// After this many messages an import counts as large (see `Store::incoming_key_fingerprints`).
const LARGE: usize = 100;
/// How long a batch waits for the next message before it is committed.
const PATIENCE: std::time::Duration = std::time::Duration::from_millis(50);

/// A message being read on another core: its bytes (shared with the reading task) and the
/// task.
struct Reading {
    raw: Arc<Vec<u8>>,
    source: String,
    location: Option<(String, u32, u32)>,
    task: JoinHandle<Result<Read>>,
}

/// What the reading task found.
enum Read {
    /// Held already (as message `id`, under `dedup_key` when that is not the usual one).
    Held { id: i64, message_id: Option<String>, hash: String, dedup_key: Option<String> },
    /// Not held (as far as the store shows outside the batch).
    New { hash: String, examined: Box<Examined>, dedup_key: Option<String>, matched: Option<Match> },
}

/// Ingests messages into a store.
pub struct Ingestor<'a> {
    pub store: &'a Store,
    pub classifier: Arc<Classifier>,
    pub limits: Limits,
    /// Texts replies may quote back besides the requests the store's open rounds sent (an
    /// evaluation's requests, say): set aside like them.
    pub echo_texts: Vec<String>,
}

/// What replies may quote back of the requests of the store's open rounds: the sample
/// requests' texts and the codebooks' question texts.
pub async fn echo_of(store: &Store) -> Result<Echo> {
    let mut echo = Echo::default();
    for sample in store.request_samples().await? {
        for t in &sample.texts {
            echo.add(t);
        }
        if let Ok(book) = foi_core::Codebook::from_toml(&sample.codebook) {
            for q in &book.questions {
                echo.add(&q.text);
            }
        }
    }
    Ok(echo)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The part of a message after its header: the same message fetched over IMAP or read from an
/// exported file may differ only in trace headers a server added.
fn body_of(raw: &[u8]) -> &[u8] {
    let raw = parse::without_mbox_line(raw);
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| &raw[i + 4..])
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| &raw[i + 2..]))
        .unwrap_or(raw)
}

impl Ingestor<'_> {
    /// Ingests one raw message read from `source`; `location` is its IMAP folder,
    /// UIDVALIDITY and UID when it came from IMAP.
    pub async fn ingest(&self, raw: &[u8], source: &str, location: Option<(&str, u32, u32)>) -> Result<Outcome> {
        let item = Item {
            raw: raw.to_vec(),
            source: source.to_string(),
            location: location.map(|(f, v, u)| (f.to_string(), v, u)),
        };
        let mut out = self.ingest_all(vec![item], |_| {}).await?;
        out.pop().ok_or_else(|| Error::Invalid("the ingest of one message gave no outcome".into()))
    }

    /// Ingests messages in order, reading ahead on every core and writing in batches; calls
    /// `each` with every outcome as its batch is committed. On an error, what was committed
    /// stays and the rest is left for the next run (ingestion is idempotent).
    pub async fn ingest_all<I>(&self, items: I, mut each: impl FnMut(&Outcome)) -> Result<Vec<Outcome>>
    where
        I: IntoIterator<Item = Item>,
    {
        let mut items = items.into_iter();
        let mut echo = echo_of(self.store).await?;
        for t in &self.echo_texts {
            echo.add(t);
        }
        let echo = Arc::new(echo);
        let mut reading: VecDeque<Reading> = VecDeque::with_capacity(WINDOW);
        let mut outcomes = Vec::new();
        let mut batch: Option<Batch<'_>> = None;
        let mut pending = Pending::default();
        let mut in_batch = 0;
        let mut recent = Recent::default();
        // A large import loads the fingerprints of the messages held once, instead of
        // looking each message up.
        let mut started = 0;
        let mut known: Option<Arc<HashSet<u64>>> = None;
        loop {
            while reading.len() < WINDOW {
                if started == LARGE && known.is_none() {
                    known = Some(Arc::new(self.store.incoming_key_fingerprints().await?));
                }
                let Some(item) = items.next() else { break };
                reading.push_back(self.start_reading(item, known.as_ref(), &echo));
                started += 1;
            }
            let Some(mut next) = reading.pop_front() else { break };
            // Do not hold the transaction open while waiting long for the next message (a slow
            // extraction): a short wait keeps the batch going, a longer one ends it.
            let mut done = None;
            if batch.is_some() && !next.task.is_finished() {
                done = tokio::time::timeout(PATIENCE, &mut next.task).await.ok();
            }
            if batch.is_some() && (in_batch >= BATCH || (done.is_none() && !next.task.is_finished())) {
                if let Some(b) = batch.take() {
                    pending.finish(b, &mut outcomes).await?;
                }
                outcomes[outcomes.len() - in_batch..].iter().for_each(&mut each);
                in_batch = 0;
            }
            let read = match done {
                Some(d) => d,
                None => (&mut next.task).await,
            };
            let read = match read {
                Ok(read) => read?,
                // Reading never panics on input; if it ever did, keep the message as unreadable.
                Err(e) => Read::New {
                    hash: sha256_hex(&next.raw),
                    examined: Box::new(unreadable(&next.raw, &e.to_string())),
                    dedup_key: None,
                    matched: None,
                },
            };
            let raw = Arc::try_unwrap(next.raw).unwrap_or_else(|shared| (*shared).clone());
            let b = match batch.take() {
                Some(b) => b,
                None => self.store.batch().await?,
            };
            let outcome = match read {
                Read::Held { id, message_id, hash, dedup_key } => {
                    let at = next.location.as_ref().map(|(f, v, u)| (f.as_str(), *v, *u));
                    self.duplicate(&b, id, message_id, &hash, dedup_key, at).await?
                }
                Read::New { hash, examined, dedup_key, matched } => {
                    // What is still to be written must be in the database before a lookup
                    // that may need it: a possible duplicate of a message of this batch, or
                    // a match by a case reference this batch learned.
                    let usual = foi_store::dedup_key("incoming", examined.parsed.message_id.as_deref(), &hash);
                    if recent.contains(&usual) || (matched.is_none() && pending.teaches_case_references()) {
                        pending.write(&b, &mut outcomes).await?;
                    }
                    let new = NewRead { raw, hash, examined: *examined, dedup_key, matched };
                    match self.prepare_one(&b, &mut recent, new, &next.source, next.location).await? {
                        Prepared::Held(outcome) => outcome,
                        Prepared::New(mut message, outcome) => {
                            message.outcome = outcomes.len();
                            pending.add(*message);
                            outcome
                        }
                    }
                }
            };
            if pending.bytes > PENDING_BYTES {
                pending.write(&b, &mut outcomes).await?;
            }
            batch = Some(b);
            outcomes.push(outcome);
            in_batch += 1;
        }
        if let Some(b) = batch.take() {
            pending.finish(b, &mut outcomes).await?;
            outcomes[outcomes.len() - in_batch..].iter().for_each(&mut each);
        }
        Ok(outcomes)
    }

    fn start_reading(&self, item: Item, known: Option<&Arc<HashSet<u64>>>, echo: &Arc<Echo>) -> Reading {
        let raw = Arc::new(item.raw);
        let shared = Arc::clone(&raw);
        let (store, classifier, limits) = (self.store.clone(), Arc::clone(&self.classifier), self.limits);
        let (known, echo) = (known.cloned(), Arc::clone(echo));
        let task =
            tokio::spawn(async move { read(&store, known.as_deref(), &shared, &classifier, &echo, &limits).await });
        Reading { raw, source: item.source, location: item.location, task }
    }

    /// A message already held: only remember where else it was seen.
    async fn duplicate(
        &self,
        b: &Batch<'_>,
        id: i64,
        message_id: Option<String>,
        hash: &str,
        dedup_key: Option<String>,
        location: Option<(&str, u32, u32)>,
    ) -> Result<Outcome> {
        if location.is_some() {
            let dup = NewMessage {
                direction: "incoming".into(),
                message_id,
                content_hash: hash.to_string(),
                dedup_key,
                ..Default::default()
            };
            b.store_incoming(&dup, location).await?;
        }
        Ok(Outcome { id, new: false, class: String::new(), matched: None, moved_to: None, parse_error: None })
    }

    /// Deduplicates (against what this batch stored), matches (if reading ahead could not)
    /// and prepares one new message for the batch's next write.
    async fn prepare_one(
        &self,
        b: &Batch<'_>,
        recent: &mut Recent,
        new: NewRead,
        source: &str,
        location: Option<(String, u32, u32)>,
    ) -> Result<Prepared> {
        let NewRead { raw, hash, examined, dedup_key, matched } = new;
        let Examined { parsed: p, attachments, classification: c } = examined;
        // Read ahead, it was not held; a message stored since then may be the same one.
        let usual = foi_store::dedup_key("incoming", p.message_id.as_deref(), &hash);
        let dedup_key = if recent.contains(&usual) {
            match held(b, p.message_id.as_deref(), &hash, &raw).await? {
                Held::Yes { id, dedup_key } => {
                    let at = location.as_ref().map(|(f, v, u)| (f.as_str(), *v, *u));
                    return Ok(Prepared::Held(self.duplicate(b, id, p.message_id, &hash, dedup_key, at).await?));
                }
                Held::No { dedup_key: in_batch } => in_batch.or(dedup_key),
            }
        } else {
            dedup_key
        };
        recent.add(usual);
        let matched = match matched {
            Some(m) => Some(m),
            None => matching::find_by_body(b, &p, bounce_address(&c)).await?,
        };
        let mut learn = Vec::new();
        let mut reply = None;
        if let Some(m) = &matched {
            if m.method != "case_reference" && c.class != MessageClass::Bounce {
                learn =
                    matching::case_references(&p.subject).into_iter().take(2).map(|cr| (m.request_id, cr)).collect();
            }
            let permanent = c.bounce.as_ref().is_some_and(|b| b.permanent);
            if let Some(to) = state_for(c.class, permanent) {
                let on: NaiveDate = p.date.unwrap_or_else(Utc::now).date_naive();
                let why = format!("{} ({})", c.class.name(), c.evidence.chars().take(120).collect::<String>());
                reply = Some(ReplyMove {
                    request_id: m.request_id,
                    to,
                    exemptions: c.exemptions.clone(),
                    message_id: 0,
                    on,
                    why,
                    by: foi_core::Actor::System("inbox".into()),
                });
            }
        }
        let message = NewMessage {
            request_id: matched.as_ref().map(|m| m.request_id),
            direction: "incoming".into(),
            kind: "reply".into(),
            message_id: p.message_id.clone(),
            content_hash: hash,
            raw,
            from_addr: p.from,
            to_addrs: (!p.recipients.is_empty()).then(|| p.recipients.join(", ")),
            subject: Some(p.subject),
            date: p.date,
            in_reply_to: p.thread.first().cloned(),
            references: (!p.thread.is_empty()).then(|| p.thread.join(" ")),
            body_text: Some(p.text),
            outbox_state: None,
            attachments,
            class: Some(c.class.name().to_string()),
            class_evidence: Some(match c.guess {
                Some(g) => format!("unsure: perhaps {} ({:.2}): {}", g.name(), c.confidence, c.evidence),
                None => c.evidence,
            }),
            class_confidence: Some(c.confidence),
            needs_review: c.needs_review,
            exemptions: c.exemptions,
            bounce_address: c.bounce.as_ref().and_then(|b| b.address.clone()),
            bounce_permanent: c.bounce.as_ref().map(|b| b.permanent),
            match_method: matched.as_ref().map(|m| m.method.to_string()),
            match_confidence: matched.as_ref().map(|m| m.confidence),
            parse_error: p.parse_error.clone(),
            received_at: Some(Utc::now()),
            source: Some(source.to_string()),
            dedup_key,
        };
        let outcome = Outcome {
            id: 0,
            new: true,
            class: c.class.name().to_string(),
            matched,
            moved_to: None,
            parse_error: p.parse_error,
        };
        Ok(Prepared::New(Box::new(PendingMessage { outcome: 0, message, location, learn, reply }), outcome))
    }
}

/// Most bytes of messages waiting to be written in a batch.
const PENDING_BYTES: usize = 32 << 20;

/// What `prepare_one` made of a message.
enum Prepared {
    /// Held already (found in this batch).
    Held(Outcome),
    /// To be written; its outcome's id and move are filled in when it is.
    New(Box<PendingMessage>, Outcome),
}

/// A new message waiting to be written with the rest of its batch.
struct PendingMessage {
    /// The index of its outcome.
    outcome: usize,
    message: NewMessage,
    location: Option<(String, u32, u32)>,
    /// Case references to learn for its request.
    learn: Vec<(i32, String)>,
    /// How its request moves (the message id is filled in when written).
    reply: Option<ReplyMove>,
}

/// The batch's messages not yet written, and its request moves (written last, in order).
#[derive(Default)]
struct Pending {
    messages: Vec<PendingMessage>,
    bytes: usize,
    moves: Vec<(usize, ReplyMove)>,
}

impl Pending {
    fn add(&mut self, m: PendingMessage) {
        self.bytes += m.message.raw.len() + m.message.attachments.iter().map(|a| a.content.len()).sum::<usize>();
        self.messages.push(m);
    }

    fn teaches_case_references(&self) -> bool {
        self.messages.iter().any(|m| !m.learn.is_empty())
    }

    /// Writes the waiting messages and the case references they teach into the batch.
    async fn write(&mut self, b: &Batch<'_>, outcomes: &mut [Outcome]) -> Result<()> {
        if self.messages.is_empty() {
            return Ok(());
        }
        foi_store::fault::point("ingest_before_store");
        let items: Vec<(&NewMessage, Option<Location<'_>>)> = self
            .messages
            .iter()
            .map(|m| (&m.message, m.location.as_ref().map(|(f, v, u)| (f.as_str(), *v, *u))))
            .collect();
        let ids = b.store_new_incoming_many(&items).await?;
        foi_store::fault::point("ingest_after_store");
        let mut learn = Vec::new();
        for (m, id) in self.messages.drain(..).zip(ids) {
            outcomes[m.outcome].id = id;
            learn.extend(m.learn.into_iter().map(|(request, cr)| (request, cr, Some(id))));
            if let Some(mut r) = m.reply {
                r.message_id = id;
                self.moves.push((m.outcome, r));
            }
        }
        b.learn_case_references(&learn).await?;
        self.bytes = 0;
        Ok(())
    }

    /// Ends a batch: writes what waits, moves the requests (in order), commits.
    async fn finish(&mut self, b: Batch<'_>, outcomes: &mut [Outcome]) -> Result<()> {
        self.write(&b, outcomes).await?;
        let list: Vec<ReplyMove> = self.moves.iter().map(|(_, m)| m.clone()).collect();
        let moved = b.apply_replies(&list).await?;
        for ((i, _), to) in self.moves.drain(..).zip(moved) {
            outcomes[i].moved_to = to;
        }
        Ok(b.commit().await?)
    }
}

/// A message read ahead and not held.
struct NewRead {
    raw: Vec<u8>,
    hash: String,
    examined: Examined,
    dedup_key: Option<String>,
    matched: Option<Match>,
}

/// Reads one message ahead of the batch: deduplicates it against what the store holds,
/// parses it, reads its attachments' text, classifies it and matches it by foi's own
/// reference where it can.
///
/// `known` holds the fingerprints of the keys of every message held when the import started:
/// a message whose key is not among them is new (or stored since, which the batch checks).
async fn read(
    store: &Store,
    known: Option<&HashSet<u64>>,
    raw: &[u8],
    classifier: &Classifier,
    echo: &Echo,
    limits: &Limits,
) -> Result<Read> {
    let hash = sha256_hex(raw);
    let p = parse::parse(raw);
    let usual = foi_store::dedup_key("incoming", p.message_id.as_deref(), &hash);
    let dedup_key = if known.is_some_and(|k| !k.contains(&foi_store::key_fingerprint(&usual))) {
        None
    } else {
        match held(store, p.message_id.as_deref(), &hash, raw).await? {
            Held::Yes { id, dedup_key } => return Ok(Read::Held { id, message_id: p.message_id, hash, dedup_key }),
            Held::No { dedup_key } => dedup_key,
        }
    };
    let examined = examine_parsed(p, classifier, echo, limits).await;
    let matched = matching::find_by_reference(store, &examined.parsed).await?;
    Ok(Read::New { hash, examined: Box::new(examined), dedup_key, matched })
}

/// The usual keys of the messages stored most recently: those a message read ahead may not
/// have seen (it was read before they were committed). Bounded, whatever the mailbox size.
#[derive(Default)]
struct Recent {
    keys: std::collections::HashSet<String>,
    order: VecDeque<String>,
}

impl Recent {
    /// Comfortably more than a batch and the read-ahead window.
    const KEEP: usize = 2 * (BATCH + WINDOW);

    fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    fn add(&mut self, key: String) {
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
        }
        while self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }
}

/// Whether a message is held already.
enum Held {
    /// As message `id`, under `dedup_key` when that is not the usual one.
    Yes { id: i64, dedup_key: Option<String> },
    /// Not held; to be stored under `dedup_key` when that is not the usual one.
    No { dedup_key: Option<String> },
}

/// Looks a message up by Message-ID (or, without one, by content hash). A different message
/// reusing a Message-ID already held is kept too, under its Message-ID and its hash.
async fn held<R: InboxReads>(r: &R, message_id: Option<&str>, hash: &str, raw: &[u8]) -> Result<Held> {
    let Some(id) = r.find_incoming(message_id, hash).await? else { return Ok(Held::No { dedup_key: None }) };
    let held = r.message_raw(id).await?;
    if message_id.is_none() || body_of(&held) == body_of(raw) {
        return Ok(Held::Yes { id, dedup_key: None });
    }
    let key = format!("incoming:mid:{}:sha256:{hash}", message_id.unwrap_or(""));
    Ok(match r.find_incoming_key(&key).await? {
        Some(id) => Held::Yes { id, dedup_key: Some(key) },
        None => Held::No { dedup_key: Some(key) },
    })
}

/// What is kept of a message whose reading failed outright: its bytes, listed as unreadable.
fn unreadable(raw: &[u8], why: &str) -> Examined {
    let parsed = parse::Parsed {
        parse_error: Some(format!("the message could not be read: {why}")),
        ..parse::fallback(parse::without_mbox_line(raw))
    };
    Examined { parsed, attachments: Vec::new(), classification: Classification::unknown() }
}
