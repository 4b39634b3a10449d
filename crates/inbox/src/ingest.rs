//! The ingest pipeline for one raw message: deduplicate (Message-ID, else content hash), parse,
//! read attachments' text, classify, match, store everything in one transaction, then move
//! the request as the reply implies and learn the body's case references.

use chrono::{NaiveDate, Utc};
use foi_core::{MessageClass, Named, RequestState};
use foi_store::{NewAttachment, NewMessage, Store};
use serde::Serialize;

use crate::classify::{Classification, Classifier, Input};
use crate::extract::{self, Limits};
use crate::matching::{self, Match};
use crate::{Result, parse};

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

/// A message read and judged, before it is matched and stored.
#[derive(Debug)]
pub struct Examined {
    pub parsed: parse::Parsed,
    /// Every attachment with the outcome of reading its text.
    pub attachments: Vec<NewAttachment>,
    pub classification: Classification,
}

/// Parses a raw message, reads its attachments' text (within `limits`) and classifies it.
/// Touches no store: the ingest pipeline's first half, also used to check simulated replies.
pub async fn examine(raw: &[u8], classifier: &Classifier, limits: &Limits) -> Examined {
    examine_parsed(parse::parse(raw), classifier, limits).await
}

async fn examine_parsed(p: parse::Parsed, classifier: &Classifier, limits: &Limits) -> Examined {
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
    let classification = classifier.classify(&Input {
        subject: &p.subject,
        from: p.from.as_deref().unwrap_or(""),
        headers: &p.headers,
        content_type: &p.content_type,
        text: &p.text,
        attachment_text: &attachment_text,
        delivery_status: p.delivery_status.as_deref(),
    });
    Examined { parsed: p, attachments, classification }
}

/// Ingests messages into a store.
pub struct Ingestor<'a> {
    pub store: &'a Store,
    pub classifier: &'a Classifier,
    pub limits: Limits,
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
    /// A message already held: only remember where else it was seen.
    async fn duplicate(
        &self,
        id: i64,
        p: &parse::Parsed,
        hash: &str,
        dedup_key: Option<String>,
        location: Option<(&str, u32, u32)>,
    ) -> Result<Outcome> {
        if location.is_some() {
            let dup = NewMessage {
                direction: "incoming".into(),
                message_id: p.message_id.clone(),
                content_hash: hash.to_string(),
                dedup_key,
                ..Default::default()
            };
            self.store.store_incoming(&dup, location).await?;
        }
        Ok(Outcome { id, new: false, class: String::new(), matched: None, moved_to: None, parse_error: None })
    }

    /// Ingests one raw message read from `source`; `location` is its IMAP folder,
    /// UIDVALIDITY and UID when it came from IMAP.
    pub async fn ingest(&self, raw: &[u8], source: &str, location: Option<(&str, u32, u32)>) -> Result<Outcome> {
        let hash = sha256_hex(raw);
        let p = parse::parse(raw);
        let mut dedup_key = None;
        if let Some(id) = self.store.find_incoming(p.message_id.as_deref(), &hash).await? {
            let held = self.store.message_raw(id).await?;
            if p.message_id.is_none() || body_of(&held) == body_of(raw) {
                return self.duplicate(id, &p, &hash, None, location).await;
            }
            // A different message reusing a Message-ID already held: keep it too, under its
            // Message-ID and its hash.
            let key = format!("incoming:mid:{}:sha256:{hash}", p.message_id.as_deref().unwrap_or(""));
            if let Some(id) = self.store.find_incoming_key(&key).await? {
                return self.duplicate(id, &p, &hash, Some(key), location).await;
            }
            dedup_key = Some(key);
        }
        let Examined { parsed: p, attachments, classification: c } =
            examine_parsed(p, self.classifier, &self.limits).await;
        let matched = matching::find(self.store, &p).await?;
        let msg = NewMessage {
            request_id: matched.as_ref().map(|m| m.request_id),
            direction: "incoming".into(),
            kind: "reply".into(),
            message_id: p.message_id.clone(),
            content_hash: hash,
            raw: raw.to_vec(),
            from_addr: p.from.clone(),
            to_addrs: (!p.recipients.is_empty()).then(|| p.recipients.join(", ")),
            subject: Some(p.subject.clone()),
            date: p.date,
            in_reply_to: p.thread.first().cloned(),
            references: (!p.thread.is_empty()).then(|| p.thread.join(" ")),
            body_text: Some(p.text.clone()),
            outbox_state: None,
            attachments,
            class: Some(c.class.name().to_string()),
            class_evidence: Some(c.evidence.clone()),
            exemptions: c.exemptions.clone(),
            bounce_address: c.bounce.as_ref().and_then(|b| b.address.clone()),
            bounce_permanent: c.bounce.as_ref().map(|b| b.permanent),
            match_method: matched.as_ref().map(|m| m.method.to_string()),
            match_confidence: matched.as_ref().map(|m| m.confidence),
            parse_error: p.parse_error.clone(),
            received_at: Some(Utc::now()),
            source: Some(source.to_string()),
            dedup_key,
        };
        foi_store::fault::point("ingest_before_store");
        let (id, new) = self.store.store_incoming(&msg, location).await?;
        foi_store::fault::point("ingest_after_store");
        let mut moved_to = None;
        if new && let Some(m) = &matched {
            if m.method != "case_reference" {
                for cr in matching::case_references(&p.subject).into_iter().take(2) {
                    self.store.learn_case_reference(m.request_id, &cr, Some(id)).await?;
                }
            }
            let permanent = c.bounce.as_ref().is_some_and(|b| b.permanent);
            if let Some(to) = state_for(c.class, permanent) {
                let on: NaiveDate = p.date.unwrap_or_else(Utc::now).date_naive();
                let why = format!("{} ({})", c.class.name(), c.evidence.chars().take(120).collect::<String>());
                moved_to = self.store.apply_reply(m.request_id, to, &c.exemptions, id, on, &why).await?;
            }
        }
        Ok(Outcome { id, new, class: c.class.name().to_string(), matched, moved_to, parse_error: p.parse_error })
    }
}
