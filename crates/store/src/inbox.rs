//! What the inbox needs from storage: finding a request from a reply's clues, where messages
//! were read from (IMAP UIDVALIDITY/UID), listing incoming messages, triage.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use foi_core::{Actor, MessageClass, Named, RequestState};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use serde::Serialize;

use crate::entity::{
    attachment, body, case_reference, mail_folder, message, message_location, request, round, sender_address,
};
use crate::requests::{
    NewMessage, StoredMessage, dedup_key, insert_message, insert_new_message, insert_new_messages, parse_state,
    stored_message,
};
use crate::{Error, Result, Store, not_found, now};

/// Counts the triage queue: incoming messages not dismissed that are matched to no request or
/// whose class a person should check.
pub(crate) const TRIAGE_QUEUE: &str = "SELECT count(*) FROM messages WHERE direction = 'incoming' AND triage_note IS NULL \
     AND (request_id IS NULL OR needs_review)";

/// What a stored attachment is, and its extracted text.
fn attachment_info(a: attachment::Model) -> (AttachmentInfo, Option<String>) {
    let info = AttachmentInfo {
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        extraction: a.extraction,
        extraction_error: a.extraction_error,
        text_chars: a.text.as_deref().map(|t| t.chars().count()).unwrap_or(0),
    };
    (info, a.text)
}

/// An incoming message as people and scripts see it (`foi messages list --json`).
#[derive(Debug, Clone, Serialize)]
pub struct IncomingMessage {
    pub id: i64,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub class: String,
    pub class_evidence: Option<String>,
    /// How sure the rules were of the class (1 when a person set it).
    pub class_confidence: Option<f64>,
    /// The class the rules gave (it differs from `class` when a person corrected it).
    pub rule_class: Option<String>,
    /// Who set the class: `inbox` (the rules) or `person:NAME`.
    pub class_set_by: Option<String>,
    /// A person should check the class: the rules were unsure.
    pub needs_review: bool,
    pub bounce: Option<BounceInfo>,
    pub exemptions: Vec<String>,
    /// The matched request's reference.
    pub request: Option<String>,
    pub match_method: Option<String>,
    pub match_confidence: Option<f64>,
    pub parse_error: Option<String>,
    pub triage_note: Option<String>,
    pub source: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
}

/// A message of a request's thread as its reader sees it: for a reply, also its class, the
/// evidence for it, its text and its attachments with their extracted text.
#[derive(Debug, Clone)]
pub struct ThreadMessage {
    pub message: StoredMessage,
    pub class: Option<String>,
    pub class_evidence: Option<String>,
    pub text: Option<String>,
    pub attachments: Vec<(AttachmentInfo, Option<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BounceInfo {
    pub permanent: bool,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub extraction: String,
    pub extraction_error: Option<String>,
    pub text_chars: usize,
}

/// Which incoming messages to list.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// The request's, by its reference.
    pub request: Option<String>,
    pub unmatched: bool,
    /// Only messages whose class a person should check (not dismissed).
    pub needs_review: bool,
    /// Only the messages of this round's requests (by slug).
    pub round: Option<String>,
    pub ids: Option<Vec<i64>>,
}

/// A class the rules gave a stored message (`Store::set_rule_class`).
#[derive(Debug, Clone, Default)]
pub struct RuleClass {
    pub class: String,
    pub evidence: String,
    pub confidence: f64,
    pub needs_review: bool,
    pub exemptions: Vec<String>,
    pub bounce_address: Option<String>,
    pub bounce_permanent: Option<bool>,
}

/// What a round's replies may quote back: its codebook (TOML) and sample request texts.
#[derive(Debug, Clone)]
pub struct RequestSample {
    pub round: String,
    pub codebook: String,
    pub texts: Vec<String>,
}

/// A request a body has open in an active round, for matching by sender.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub request_id: i32,
    pub reference: String,
    pub body_code: String,
}

/// A 64-bit fingerprint of a deduplication key (the same in every process and version: FNV-1a).
pub fn key_fingerprint(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Where a message was read on an IMAP server: folder, UIDVALIDITY, UID.
pub type Location<'a> = (&'a str, u32, u32);

/// A request to move because of an incoming message.
#[derive(Debug, Clone)]
pub struct ReplyMove {
    pub request_id: i32,
    pub to: RequestState,
    /// Exemptions the message cites (kept on the request).
    pub exemptions: Vec<String>,
    /// The incoming message.
    pub message_id: i64,
    /// The UK day the move counts on (the message's date).
    pub on: chrono::NaiveDate,
    pub why: String,
    /// Who moves it: `system:inbox` for the inbox's own reading, the person who assigned or
    /// classified the message by hand.
    pub by: Actor,
}

/// Inbox reads and writes in one transaction: one message's ingest, or a whole chunk of
/// them (one commit, one flush to disk). Matching reads through it, so it sees what the
/// chunk stored so far (a case reference learned three messages earlier). Dropped without
/// [`Batch::commit`], nothing of it is kept: the messages are ingested again next time.
/// On SQLite it holds the store's write lock until it ends.
pub struct Batch<'s> {
    txn: DatabaseTransaction,
    _writing: Option<tokio::sync::MutexGuard<'s, ()>>,
}

impl Store {
    /// Starts a batch of inbox work.
    pub async fn batch(&self) -> Result<Batch<'_>> {
        let writing = self.write_lock().await;
        Ok(Batch { txn: self.db.begin().await?, _writing: writing })
    }

    /// Remembers that `reference` (a body's case number) belongs to a request.
    pub async fn learn_case_reference(
        &self,
        request_id: i32,
        reference: &str,
        from_message: Option<i64>,
    ) -> Result<()> {
        let b = self.batch().await?;
        b.learn_case_reference(request_id, reference, from_message).await?;
        b.commit().await
    }

    /// Remembers that mail from `address` comes from the body of request `request_id` (a
    /// person assigned a reply from it): later replies from it match that body's open request.
    /// Returns whether the address was new for the body.
    pub async fn learn_sender_address(
        &self,
        address: &str,
        request_id: i32,
        from_message: Option<i64>,
        by: &Actor,
    ) -> Result<bool> {
        let b = self.batch().await?;
        let added = b.learn_sender_address(address, request_id, from_message, by).await?;
        b.commit().await?;
        Ok(added)
    }

    /// What replies may quote back from foi's requests: for every open round, its codebook
    /// (TOML) and the text of its first request to each kind of body. A few rows whatever
    /// the round's size.
    pub async fn request_samples(&self) -> Result<Vec<RequestSample>> {
        let rounds = round::Entity::find().filter(round::Column::ClosedAt.is_null()).all(&self.db).await?;
        let mut out = Vec::new();
        for r in rounds {
            let requests: Vec<(i32, i32)> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .column(request::Column::BodyId)
                .filter(request::Column::RoundId.eq(r.id))
                .order_by_asc(request::Column::Id)
                .into_tuple()
                .all(&self.db)
                .await?;
            let kinds: HashMap<i32, String> = body::Entity::find()
                .select_only()
                .column(body::Column::Id)
                .column(body::Column::Kind)
                .filter(body::Column::Id.is_in(requests.iter().map(|(_, b)| *b)))
                .into_tuple()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            let mut firsts: Vec<i32> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (id, body) in &requests {
                if seen.insert(kinds.get(body).cloned().unwrap_or_default()) {
                    firsts.push(*id);
                }
            }
            let mut texts = Vec::new();
            for id in firsts {
                let sent = message::Entity::find()
                    .filter(message::Column::RequestId.eq(id))
                    .filter(message::Column::Direction.eq("outgoing"))
                    .filter(message::Column::Kind.eq("request"))
                    .order_by_asc(message::Column::Id)
                    .one(&self.db)
                    .await?;
                if let Some(text) = sent.and_then(|m| m.body_text) {
                    texts.push(text);
                }
            }
            out.push(RequestSample { round: r.slug, codebook: r.codebook, texts });
        }
        Ok(out)
    }

    /// Remembers how far an IMAP folder has been read.
    pub async fn set_folder_state(&self, folder: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
        let b = self.batch().await?;
        b.set_folder_state(folder, uidvalidity, last_uid).await?;
        b.commit().await
    }

    /// A fingerprint of the deduplication key of every incoming message held (see
    /// [`key_fingerprint`]): 8 bytes a message, so a large import can skip looking up each
    /// message that is certainly new.
    pub async fn incoming_key_fingerprints(&self) -> Result<std::collections::HashSet<u64>> {
        let keys: Vec<String> = message::Entity::find()
            .select_only()
            .column(message::Column::DedupKey)
            .filter(message::Column::Direction.eq("incoming"))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(keys.iter().map(|k| key_fingerprint(k)).collect())
    }

    /// The remembered (UIDVALIDITY, last UID) of an IMAP folder.
    pub async fn folder_state(&self, folder: &str) -> Result<Option<(u32, u32)>> {
        Ok(mail_folder::Entity::find()
            .filter(mail_folder::Column::Folder.eq(folder))
            .one(&self.db)
            .await?
            .map(|f| (f.uidvalidity as u32, f.last_uid as u32)))
    }

    /// How many incoming messages wait in triage (no request, not dismissed).
    pub async fn triage_count(&self) -> Result<u64> {
        let row = self.db.query_one_raw(Statement::from_string(self.db.get_database_backend(), TRIAGE_QUEUE)).await?;
        let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        Ok(n.max(0) as u64)
    }

    /// Incoming messages, oldest first.
    pub async fn incoming_messages(&self, filter: &MessageFilter) -> Result<Vec<IncomingMessage>> {
        let mut cond = Condition::all().add(message::Column::Direction.eq("incoming"));
        if let Some(reference) = &filter.request {
            let id = request::Entity::find()
                .filter(request::Column::Reference.eq(reference))
                .one(&self.db)
                .await?
                .ok_or_else(|| not_found("request", reference))?
                .id;
            cond = cond.add(message::Column::RequestId.eq(id));
        }
        if filter.unmatched {
            cond = cond.add(message::Column::RequestId.is_null()).add(message::Column::TriageNote.is_null());
        }
        if filter.needs_review {
            cond = cond.add(message::Column::NeedsReview.eq(true)).add(message::Column::TriageNote.is_null());
        }
        if let Some(slug) = &filter.round {
            let round = round::Entity::find()
                .filter(round::Column::Slug.eq(slug))
                .one(&self.db)
                .await?
                .ok_or_else(|| not_found("round", slug))?;
            let ids = Query::select()
                .column(request::Column::Id)
                .from(request::Entity)
                .and_where(request::Column::RoundId.eq(round.id))
                .to_owned();
            cond = cond.add(message::Column::RequestId.in_subquery(ids));
        }
        if let Some(ids) = &filter.ids {
            cond = cond.add(message::Column::Id.is_in(ids.iter().copied()));
        }
        let msgs = message::Entity::find().filter(cond).order_by_asc(message::Column::Id).all(&self.db).await?;
        // The references of just these messages' requests.
        let mut wanted: Vec<i32> = msgs.iter().filter_map(|m| m.request_id).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut refs: HashMap<i32, String> = HashMap::new();
        for chunk in wanted.chunks(500) {
            for r in
                request::Entity::find().filter(request::Column::Id.is_in(chunk.iter().copied())).all(&self.db).await?
            {
                refs.insert(r.id, r.reference);
            }
        }
        // Their attachments, all at once.
        let ids: Vec<i64> = msgs.iter().map(|m| m.id).collect();
        let mut attachments: HashMap<i64, Vec<attachment::Model>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for a in attachment::Entity::find()
                .filter(attachment::Column::MessageId.is_in(chunk.iter().copied()))
                .order_by_asc(attachment::Column::MessageId)
                .order_by_asc(attachment::Column::Ordinal)
                .all(&self.db)
                .await?
            {
                attachments.entry(a.message_id).or_default().push(a);
            }
        }
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            let atts = attachments.remove(&m.id).unwrap_or_default();
            out.push(IncomingMessage {
                id: m.id,
                message_id: m.message_id,
                from: m.from_addr,
                subject: m.subject,
                date: m.date,
                class: m.class.unwrap_or_else(|| "unknown".into()),
                class_evidence: m.class_evidence,
                class_confidence: m.class_confidence,
                rule_class: m.rule_class,
                class_set_by: m.class_set_by,
                needs_review: m.needs_review,
                bounce: m.bounce_permanent.map(|permanent| BounceInfo { permanent, address: m.bounce_address.clone() }),
                exemptions: m.exemptions.and_then(|e| serde_json::from_str(&e).ok()).unwrap_or_default(),
                request: m.request_id.and_then(|id| refs.get(&id).cloned()),
                match_method: m.match_method,
                match_confidence: m.match_confidence,
                parse_error: m.parse_error,
                triage_note: m.triage_note,
                source: m.source,
                attachments: atts.into_iter().map(|a| attachment_info(a).0).collect(),
            });
        }
        Ok(out)
    }

    /// The thread of a request, oldest first: every message, sent or received, with the texts
    /// of the replies and their attachments. Two queries, sent at once.
    pub async fn thread(&self, reference: &str) -> Result<Vec<ThreadMessage>> {
        let request_id = || {
            Query::select()
                .column(request::Column::Id)
                .from(request::Entity)
                .and_where(request::Column::Reference.eq(reference))
                .to_owned()
        };
        let message_ids = Query::select()
            .column(message::Column::Id)
            .from(message::Entity)
            .and_where(message::Column::RequestId.in_subquery(request_id()))
            .to_owned();
        let (msgs, atts) = tokio::try_join!(
            message::Entity::find()
                .filter(message::Column::RequestId.in_subquery(request_id()))
                .order_by_asc(message::Column::Id)
                .all(&self.db),
            attachment::Entity::find()
                .filter(attachment::Column::MessageId.in_subquery(message_ids))
                .order_by_asc(attachment::Column::MessageId)
                .order_by_asc(attachment::Column::Ordinal)
                .all(&self.db),
        )?;
        let mut attachments: HashMap<i64, Vec<(AttachmentInfo, Option<String>)>> = HashMap::new();
        for a in atts {
            attachments.entry(a.message_id).or_default().push(attachment_info(a));
        }
        Ok(msgs
            .into_iter()
            .map(|mut m| {
                let incoming = m.direction == "incoming";
                ThreadMessage {
                    attachments: attachments.remove(&m.id).unwrap_or_default(),
                    class: m.class.take().filter(|_| incoming),
                    class_evidence: m.class_evidence.take().filter(|_| incoming),
                    text: m.body_text.take().filter(|_| incoming),
                    message: stored_message(m),
                }
            })
            .collect())
    }

    /// The stored text of a message and its attachments (for showing and tagging).
    pub async fn message_texts(&self, id: i64) -> Result<(Option<String>, Vec<(Option<String>, Option<String>)>)> {
        let m = message::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found("message", id))?;
        let atts = attachment::Entity::find()
            .filter(attachment::Column::MessageId.eq(id))
            .order_by_asc(attachment::Column::Ordinal)
            .all(&self.db)
            .await?;
        Ok((m.body_text, atts.into_iter().map(|a| (a.filename, a.text)).collect()))
    }

    /// Attaches a message to a request (from matching or by hand) and records how.
    pub async fn assign_message(&self, id: i64, request_id: i32, method: &str, confidence: f64) -> Result<()> {
        let b = self.batch().await?;
        b.assign_message(id, request_id, method, confidence).await?;
        b.commit().await
    }

    /// Takes a message off the triage queue with a reason.
    pub async fn dismiss_message(&self, id: i64, reason: &str) -> Result<()> {
        let _writing = self.write_lock().await;
        let m = message::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found("message", id))?;
        if m.direction != "incoming" {
            return Err(Error::Invalid(format!("message {id} is not an incoming message")));
        }
        let mut am: message::ActiveModel = m.into();
        am.triage_note = Set(Some(format!("dismissed: {reason}")));
        am.needs_review = Set(false);
        am.match_method = Set(Some("dismissed".into()));
        am.update(&self.db).await?;
        Ok(())
    }

    /// Sets a message's class from the rules again (`foi inbox reclassify`), unless a person
    /// set it: then nothing changes and the answer is false. The class the rules give becomes
    /// its `rule_class` too.
    pub async fn set_rule_class(&self, id: i64, c: &RuleClass) -> Result<bool> {
        let b = self.batch().await?;
        let set = b.set_rule_class(id, c).await?;
        b.commit().await?;
        Ok(set)
    }

    /// Sets a message's class by hand (or from the classifier), keeping who set it.
    pub async fn set_message_class(&self, id: i64, class: MessageClass, evidence: &str, by: &Actor) -> Result<()> {
        let b = self.batch().await?;
        b.set_message_class(id, class, evidence, by).await?;
        b.commit().await
    }
}

impl Batch<'_> {
    /// [`Store::learn_sender_address`], in this batch.
    pub async fn learn_sender_address(
        &self,
        address: &str,
        request_id: i32,
        from_message: Option<i64>,
        by: &Actor,
    ) -> Result<bool> {
        let address = address.trim().to_ascii_lowercase();
        if !address.contains('@') {
            return Ok(false);
        }
        let r = request::Entity::find_by_id(request_id)
            .one(&self.txn)
            .await?
            .ok_or_else(|| not_found("request", request_id))?;
        let row = sender_address::ActiveModel {
            address: Set(address),
            body_id: Set(r.body_id),
            learned_from: Set(from_message),
            learned_by: Set(by.to_stored()),
            created_at: Set(now()),
            ..Default::default()
        };
        let added = sender_address::Entity::insert(row)
            .on_conflict_do_nothing_on([sender_address::Column::Address, sender_address::Column::BodyId])
            .exec_without_returning(&self.txn)
            .await?;
        Ok(matches!(added, sea_orm::TryInsertResult::Inserted(n) if n > 0))
    }

    /// [`Store::assign_message`], in this batch.
    pub async fn assign_message(&self, id: i64, request_id: i32, method: &str, confidence: f64) -> Result<()> {
        let m = message::Entity::find_by_id(id).one(&self.txn).await?.ok_or_else(|| not_found("message", id))?;
        let mut am: message::ActiveModel = m.into();
        am.request_id = Set(Some(request_id));
        am.match_method = Set(Some(method.to_string()));
        am.match_confidence = Set(Some(confidence));
        am.triage_note = Set(None);
        am.update(&self.txn).await?;
        Ok(())
    }

    /// [`Store::set_rule_class`], in this batch.
    pub async fn set_rule_class(&self, id: i64, c: &RuleClass) -> Result<bool> {
        let m = message::Entity::find_by_id(id).one(&self.txn).await?.ok_or_else(|| not_found("message", id))?;
        if m.class_set_by.as_deref().is_some_and(|b| Actor::from_stored(b).is_person()) {
            return Ok(false);
        }
        let mut am: message::ActiveModel = m.into();
        am.class = Set(Some(c.class.clone()));
        am.rule_class = Set(Some(c.class.clone()));
        am.class_evidence = Set(Some(c.evidence.clone()));
        am.class_confidence = Set(Some(c.confidence));
        am.class_set_by = Set(Some("inbox".into()));
        am.needs_review = Set(c.needs_review);
        am.exemptions =
            Set((!c.exemptions.is_empty()).then(|| serde_json::to_string(&c.exemptions).unwrap_or_default()));
        am.bounce_address = Set(c.bounce_address.clone());
        am.bounce_permanent = Set(c.bounce_permanent);
        am.update(&self.txn).await?;
        Ok(true)
    }

    /// [`Store::set_message_class`], in this batch.
    pub async fn set_message_class(&self, id: i64, class: MessageClass, evidence: &str, by: &Actor) -> Result<()> {
        let m = message::Entity::find_by_id(id).one(&self.txn).await?.ok_or_else(|| not_found("message", id))?;
        let mut am: message::ActiveModel = m.into();
        am.class = Set(Some(class.name().to_string()));
        am.class_evidence = Set(Some(evidence.to_string()));
        am.class_set_by = Set(Some(by.to_stored()));
        if by.is_person() {
            am.class_confidence = Set(Some(1.0));
            am.needs_review = Set(false);
        }
        am.update(&self.txn).await?;
        Ok(())
    }

    /// Keeps everything the batch did.
    pub async fn commit(self) -> Result<()> {
        Ok(self.txn.commit().await?)
    }

    /// Remembers that `reference` (a body's case number) belongs to a request.
    pub async fn learn_case_reference(
        &self,
        request_id: i32,
        reference: &str,
        from_message: Option<i64>,
    ) -> Result<()> {
        let row = case_reference::ActiveModel {
            request_id: Set(request_id),
            reference: Set(reference.to_string()),
            learned_from: Set(from_message),
            created_at: Set(now()),
            ..Default::default()
        };
        // Known already: nothing to do (the pair is unique).
        case_reference::Entity::insert(row)
            .on_conflict_do_nothing_on([case_reference::Column::Reference, case_reference::Column::RequestId])
            .exec(&self.txn)
            .await?;
        Ok(())
    }

    /// Stores a new incoming message with its bytes and attachments (and IMAP location): the
    /// caller looked in this batch and found nothing held under its deduplication key.
    pub async fn store_new_incoming(&self, m: &NewMessage, location: Option<(&str, u32, u32)>) -> Result<i64> {
        let key =
            m.dedup_key.clone().unwrap_or_else(|| dedup_key(&m.direction, m.message_id.as_deref(), &m.content_hash));
        let id = insert_new_message(&self.txn, m, key).await?;
        self.remember_location(id, location).await?;
        Ok(id)
    }

    /// Stores new incoming messages (none held under its deduplication key: the caller looked
    /// in this batch) with their bytes, attachments and IMAP locations, in a few multi-row
    /// statements. Returns their ids, in order.
    pub async fn store_new_incoming_many(&self, items: &[(&NewMessage, Option<Location<'_>>)]) -> Result<Vec<i64>> {
        let keyed: Vec<(&NewMessage, String)> = items
            .iter()
            .map(|(m, _)| {
                (
                    *m,
                    m.dedup_key
                        .clone()
                        .unwrap_or_else(|| dedup_key(&m.direction, m.message_id.as_deref(), &m.content_hash)),
                )
            })
            .collect();
        let ids = insert_new_messages(&self.txn, &keyed).await?;
        for ((_, location), id) in items.iter().zip(&ids) {
            self.remember_location(*id, *location).await?;
        }
        Ok(ids)
    }

    /// Remembers case references (request, the body's case number, the message it was read
    /// from), in one statement; pairs already known are left alone.
    pub async fn learn_case_references(&self, refs: &[(i32, String, Option<i64>)]) -> Result<()> {
        if refs.is_empty() {
            return Ok(());
        }
        let rows = refs.iter().map(|(request_id, reference, from)| case_reference::ActiveModel {
            request_id: Set(*request_id),
            reference: Set(reference.clone()),
            learned_from: Set(*from),
            created_at: Set(now()),
            ..Default::default()
        });
        case_reference::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([case_reference::Column::Reference, case_reference::Column::RequestId])
            .exec(&self.txn)
            .await?;
        Ok(())
    }

    /// Stores an incoming message with its bytes, attachments and IMAP location; a message
    /// already held only gains the location. Returns (id, new).
    pub async fn store_incoming(&self, m: &NewMessage, location: Option<(&str, u32, u32)>) -> Result<(i64, bool)> {
        let (id, new) = insert_message(&self.txn, m).await?;
        self.remember_location(id, location).await?;
        Ok((id, new))
    }

    async fn remember_location(&self, id: i64, location: Option<(&str, u32, u32)>) -> Result<()> {
        let txn = &self.txn;
        if let Some((folder, uidvalidity, uid)) = location {
            let exists = message_location::Entity::find()
                .filter(message_location::Column::Folder.eq(folder))
                .filter(message_location::Column::Uidvalidity.eq(i64::from(uidvalidity)))
                .filter(message_location::Column::Uid.eq(i64::from(uid)))
                .one(txn)
                .await?;
            if exists.is_none() {
                message_location::ActiveModel {
                    message_id: Set(id),
                    folder: Set(folder.to_string()),
                    uidvalidity: Set(i64::from(uidvalidity)),
                    uid: Set(i64::from(uid)),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
            }
        }
        Ok(())
    }

    /// Remembers how far an IMAP folder has been read.
    pub async fn set_folder_state(&self, folder: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
        let existing =
            mail_folder::Entity::find().filter(mail_folder::Column::Folder.eq(folder)).one(&self.txn).await?;
        match existing {
            Some(f) => {
                let mut am: mail_folder::ActiveModel = f.into();
                am.uidvalidity = Set(i64::from(uidvalidity));
                am.last_uid = Set(i64::from(last_uid));
                am.updated_at = Set(now());
                am.update(&self.txn).await?;
            }
            None => {
                mail_folder::ActiveModel {
                    folder: Set(folder.to_string()),
                    uidvalidity: Set(i64::from(uidvalidity)),
                    last_uid: Set(i64::from(last_uid)),
                    updated_at: Set(now()),
                    ..Default::default()
                }
                .insert(&self.txn)
                .await?;
            }
        }
        Ok(())
    }

    /// Moves requests as incoming messages imply, in order, where the lifecycle allows it
    /// (an acknowledgement after the answer moves nothing); records exemptions on a refusal.
    /// Reads every request's state in one query and writes each event; returns, for each
    /// move, the new state if the request moved.
    pub async fn apply_replies(&self, moves: &[ReplyMove]) -> Result<Vec<Option<RequestState>>> {
        if moves.is_empty() {
            return Ok(Vec::new());
        }
        let moves: Vec<crate::transition::Move> = moves
            .iter()
            .map(|m| {
                let mut mv = crate::transition::Move::new(m.request_id, m.to, &m.by, Some(&m.why), m.on);
                mv.message_id = Some(m.message_id);
                mv.exemptions = (!m.exemptions.is_empty()).then(|| m.exemptions.clone());
                mv
            })
            .collect();
        crate::transition::apply(&self.txn, &moves, crate::transition::Refused::Skip).await
    }
}

/// The reads matching and deduplication make, the same through the store's pool (from any
/// task, in parallel with a batch being written) or inside a batch (seeing what it wrote).
#[allow(async_fn_in_trait)]
pub trait InboxReads {
    /// The raw bytes of a message.
    async fn message_raw(&self, id: i64) -> Result<Vec<u8>>;
    /// The request an outgoing message with one of these Message-IDs belongs to.
    async fn request_by_sent_message_id(&self, ids: &[String]) -> Result<Option<(i32, String)>>;
    /// The request with this reference, if any.
    async fn request_id_by_reference(&self, reference: &str) -> Result<Option<i32>>;
    /// The kind of the body a request (by reference) went to (`icb`, `unitary`...).
    async fn body_kind_of_request(&self, reference: &str) -> Result<Option<String>>;
    /// References starting with `prefix` (for a truncated token).
    async fn references_starting(&self, prefix: &str) -> Result<Vec<String>>;
    /// Requests that learned this case reference (a body's own reference number).
    async fn requests_by_case_reference(&self, reference: &str) -> Result<Vec<String>>;
    /// Open requests (sent, awaiting the body) in open rounds of bodies whose FOI address or
    /// website has this domain.
    async fn open_requests_for_domain(&self, domain: &str) -> Result<Vec<OpenRequest>>;
    /// Open requests of the bodies known by this address: their FOI address, or an address
    /// learned from a reply a person assigned.
    async fn open_requests_for_sender(&self, address: &str) -> Result<Vec<OpenRequest>>;
    /// The incoming message held under a deduplication key.
    async fn find_incoming_key(&self, key: &str) -> Result<Option<i64>>;
    /// An incoming message already held with this Message-ID or content hash.
    async fn find_incoming(&self, message_id: Option<&str>, content_hash: &str) -> Result<Option<i64>>;
}

macro_rules! inbox_reads {
    ($t:ty, $conn:ident) => {
        impl InboxReads for $t {
            async fn message_raw(&self, id: i64) -> Result<Vec<u8>> {
                reads::message_raw(&self.$conn, id).await
            }
            async fn request_by_sent_message_id(&self, ids: &[String]) -> Result<Option<(i32, String)>> {
                reads::request_by_sent_message_id(&self.$conn, ids).await
            }
            async fn request_id_by_reference(&self, reference: &str) -> Result<Option<i32>> {
                reads::request_id_by_reference(&self.$conn, reference).await
            }
            async fn body_kind_of_request(&self, reference: &str) -> Result<Option<String>> {
                reads::body_kind_of_request(&self.$conn, reference).await
            }
            async fn references_starting(&self, prefix: &str) -> Result<Vec<String>> {
                reads::references_starting(&self.$conn, prefix).await
            }
            async fn requests_by_case_reference(&self, reference: &str) -> Result<Vec<String>> {
                reads::requests_by_case_reference(&self.$conn, reference).await
            }
            async fn open_requests_for_domain(&self, domain: &str) -> Result<Vec<OpenRequest>> {
                reads::open_requests_for_domain(&self.$conn, domain).await
            }
            async fn open_requests_for_sender(&self, address: &str) -> Result<Vec<OpenRequest>> {
                reads::open_requests_for_sender(&self.$conn, address).await
            }
            async fn find_incoming_key(&self, key: &str) -> Result<Option<i64>> {
                reads::find_incoming_key(&self.$conn, key).await
            }
            async fn find_incoming(&self, message_id: Option<&str>, content_hash: &str) -> Result<Option<i64>> {
                reads::find_incoming(&self.$conn, message_id, content_hash).await
            }
        }
    };
}

inbox_reads!(Store, db);
inbox_reads!(Batch<'_>, txn);

mod reads {
    use super::*;

    /// The raw bytes of a message.
    pub(crate) async fn message_raw<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<u8>> {
        crate::requests::message_raw_on(c, id).await
    }

    /// The request an outgoing message with one of these Message-IDs belongs to.
    pub(crate) async fn request_by_sent_message_id<C: ConnectionTrait>(
        c: &C,
        ids: &[String],
    ) -> Result<Option<(i32, String)>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let sent = Query::select()
            .column(message::Column::RequestId)
            .from(message::Entity)
            .and_where(message::Column::Direction.eq("outgoing"))
            .and_where(message::Column::MessageId.is_in(ids.iter().cloned()))
            .and_where(message::Column::RequestId.is_not_null())
            .to_owned();
        let r = request::Entity::find().filter(request::Column::Id.in_subquery(sent)).one(c).await?;
        Ok(r.map(|r| (r.id, r.reference)))
    }

    /// The request with this reference, if any.
    pub(crate) async fn request_id_by_reference<C: ConnectionTrait>(c: &C, reference: &str) -> Result<Option<i32>> {
        Ok(request::Entity::find().filter(request::Column::Reference.eq(reference)).one(c).await?.map(|r| r.id))
    }

    /// The kind of the body a request (by reference) went to.
    pub(crate) async fn body_kind_of_request<C: ConnectionTrait>(c: &C, reference: &str) -> Result<Option<String>> {
        let Some(r) = request::Entity::find().filter(request::Column::Reference.eq(reference)).one(c).await? else {
            return Ok(None);
        };
        Ok(body::Entity::find_by_id(r.body_id).one(c).await?.map(|b| b.kind))
    }

    /// References starting with `prefix` (for a truncated token).
    pub(crate) async fn references_starting<C: ConnectionTrait>(c: &C, prefix: &str) -> Result<Vec<String>> {
        Ok(request::Entity::find()
            .filter(request::Column::Reference.starts_with(prefix))
            .limit(3)
            .all(c)
            .await?
            .into_iter()
            .map(|r| r.reference)
            .collect())
    }

    /// Requests that learned this case reference (a body's own reference number).
    pub(crate) async fn requests_by_case_reference<C: ConnectionTrait>(c: &C, reference: &str) -> Result<Vec<String>> {
        let rows =
            case_reference::Entity::find().filter(case_reference::Column::Reference.eq(reference)).all(c).await?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(r) = request::Entity::find_by_id(row.request_id).one(c).await? {
                out.push(r.reference);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Open requests (sent, awaiting the body) in open rounds of bodies whose FOI address or
    /// website has this domain.
    pub(crate) async fn open_requests_for_domain<C: ConnectionTrait>(c: &C, domain: &str) -> Result<Vec<OpenRequest>> {
        let domain = domain.to_ascii_lowercase();
        let bodies: Vec<body::Model> = body::Entity::find().all(c).await?;
        let matching: HashMap<i32, String> = bodies
            .into_iter()
            .filter(|b| {
                let by_email = b.foi_email.as_deref().and_then(foi_core::domain::organisation);
                let by_site = b.website.as_deref().and_then(foi_core::domain::of_website);
                by_email.as_deref() == Some(domain.as_str()) || by_site.as_deref() == Some(domain.as_str())
            })
            .map(|b| (b.id, b.code))
            .collect();
        open_requests_of(c, matching).await
    }

    /// The open requests of the bodies whose FOI address is `address`, or whose replies a
    /// person has assigned from it before.
    pub(crate) async fn open_requests_for_sender<C: ConnectionTrait>(c: &C, address: &str) -> Result<Vec<OpenRequest>> {
        let address = address.trim().to_ascii_lowercase();
        if address.is_empty() {
            return Ok(Vec::new());
        }
        let learned: Vec<i32> = sender_address::Entity::find()
            .filter(sender_address::Column::Address.eq(&address))
            .all(c)
            .await?
            .into_iter()
            .map(|a| a.body_id)
            .collect();
        let bodies: Vec<body::Model> = body::Entity::find().all(c).await?;
        let matching = bodies
            .into_iter()
            .filter(|b| {
                learned.contains(&b.id)
                    || b.foi_email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(&address))
            })
            .map(|b| (b.id, b.code))
            .collect();
        open_requests_of(c, matching).await
    }

    /// The requests of these bodies (id to code) that were sent in a round still open and
    /// are not withdrawn.
    async fn open_requests_of<C: ConnectionTrait>(c: &C, bodies: HashMap<i32, String>) -> Result<Vec<OpenRequest>> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let open_rounds: Vec<i32> = round::Entity::find()
            .filter(round::Column::ClosedAt.is_null())
            .all(c)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let reqs = request::Entity::find()
            .filter(request::Column::BodyId.is_in(bodies.keys().copied()))
            .filter(request::Column::RoundId.is_in(open_rounds))
            .order_by_asc(request::Column::Id)
            .all(c)
            .await?;
        Ok(reqs
            .into_iter()
            .filter(|r| parse_state(&r.state).is_ok_and(|s| s.was_sent() && s != RequestState::Withdrawn))
            .map(|r| OpenRequest {
                request_id: r.id,
                reference: r.reference,
                body_code: bodies.get(&r.body_id).cloned().unwrap_or_default(),
            })
            .collect())
    }

    /// The incoming message held under a deduplication key.
    pub(crate) async fn find_incoming_key<C: ConnectionTrait>(c: &C, key: &str) -> Result<Option<i64>> {
        Ok(message::Entity::find().filter(message::Column::DedupKey.eq(key)).one(c).await?.map(|m| m.id))
    }

    /// An incoming message already held with this Message-ID or content hash.
    pub(crate) async fn find_incoming<C: ConnectionTrait>(
        c: &C,
        message_id: Option<&str>,
        content_hash: &str,
    ) -> Result<Option<i64>> {
        find_incoming_key(c, &dedup_key("incoming", message_id, content_hash)).await
    }
}
