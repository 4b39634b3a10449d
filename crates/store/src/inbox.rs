//! What the inbox needs from storage: finding a request from a reply's clues, where messages
//! were read from (IMAP UIDVALIDITY/UID), listing incoming messages, triage.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use foi_core::{Actor, MessageClass, Named, RequestState};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::entity::{attachment, body, case_reference, mail_folder, message, message_location, request, round};
use crate::requests::{NewMessage, append_event, insert_message, parse_state};
use crate::{Error, Result, Store, not_found, now};

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
    pub request: Option<String>,
    pub unmatched: bool,
    pub ids: Option<Vec<i64>>,
}

/// A request a body has open in an active round, for matching by sender.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub request_id: i32,
    pub reference: String,
    pub body_code: String,
}

impl Store {
    /// The request an outgoing message with one of these Message-IDs belongs to.
    pub async fn request_by_sent_message_id(&self, ids: &[String]) -> Result<Option<(i32, String)>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let m = message::Entity::find()
            .filter(message::Column::Direction.eq("outgoing"))
            .filter(message::Column::MessageId.is_in(ids.iter().cloned()))
            .filter(message::Column::RequestId.is_not_null())
            .one(&self.db)
            .await?;
        match m.and_then(|m| m.request_id) {
            None => Ok(None),
            Some(id) => {
                let r = request::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found("request", id))?;
                Ok(Some((r.id, r.reference)))
            }
        }
    }

    /// The request with this reference, if any.
    pub async fn request_id_by_reference(&self, reference: &str) -> Result<Option<i32>> {
        Ok(request::Entity::find().filter(request::Column::Reference.eq(reference)).one(&self.db).await?.map(|r| r.id))
    }

    /// References starting with `prefix` (for a truncated token).
    pub async fn references_starting(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(request::Entity::find()
            .filter(request::Column::Reference.starts_with(prefix))
            .limit(3)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.reference)
            .collect())
    }

    /// Requests that learned this case reference (a body's own reference number).
    pub async fn requests_by_case_reference(&self, reference: &str) -> Result<Vec<String>> {
        let rows = case_reference::Entity::find()
            .filter(case_reference::Column::Reference.eq(reference))
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for c in rows {
            if let Some(r) = request::Entity::find_by_id(c.request_id).one(&self.db).await? {
                out.push(r.reference);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Remembers that `reference` (a body's case number) belongs to a request.
    pub async fn learn_case_reference(
        &self,
        request_id: i32,
        reference: &str,
        from_message: Option<i64>,
    ) -> Result<()> {
        let _writing = self.write_lock().await;
        let exists = case_reference::Entity::find()
            .filter(case_reference::Column::Reference.eq(reference))
            .filter(case_reference::Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?;
        if exists.is_none() {
            case_reference::ActiveModel {
                request_id: Set(request_id),
                reference: Set(reference.to_string()),
                learned_from: Set(from_message),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&self.db)
            .await?;
        }
        Ok(())
    }

    /// Open requests (sent, awaiting the body) in open rounds of bodies whose FOI address or
    /// website has this domain.
    pub async fn open_requests_for_domain(&self, domain: &str) -> Result<Vec<OpenRequest>> {
        let domain = domain.to_ascii_lowercase();
        let bodies: Vec<body::Model> = body::Entity::find().all(&self.db).await?;
        let matching: HashMap<i32, String> = bodies
            .into_iter()
            .filter(|b| {
                let email_domain =
                    b.foi_email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
                let web_domain = b.website.as_deref().map(|w| {
                    w.trim_start_matches("https://")
                        .trim_start_matches("http://")
                        .trim_start_matches("www.")
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase()
                });
                email_domain.as_deref() == Some(domain.as_str())
                    || web_domain.is_some_and(|w| !w.is_empty() && (domain == w || domain.ends_with(&format!(".{w}"))))
            })
            .map(|b| (b.id, b.code))
            .collect();
        if matching.is_empty() {
            return Ok(Vec::new());
        }
        let open_rounds: Vec<i32> = round::Entity::find()
            .filter(round::Column::ClosedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let reqs = request::Entity::find()
            .filter(request::Column::BodyId.is_in(matching.keys().copied()))
            .filter(request::Column::RoundId.is_in(open_rounds))
            .all(&self.db)
            .await?;
        Ok(reqs
            .into_iter()
            .filter(|r| parse_state(&r.state).is_ok_and(|s| s.was_sent() && s != RequestState::Withdrawn))
            .map(|r| OpenRequest {
                request_id: r.id,
                reference: r.reference,
                body_code: matching.get(&r.body_id).cloned().unwrap_or_default(),
            })
            .collect())
    }

    /// The incoming message held under a deduplication key.
    pub async fn find_incoming_key(&self, key: &str) -> Result<Option<i64>> {
        Ok(message::Entity::find().filter(message::Column::DedupKey.eq(key)).one(&self.db).await?.map(|m| m.id))
    }

    /// An incoming message already held with this Message-ID or content hash.
    pub async fn find_incoming(&self, message_id: Option<&str>, content_hash: &str) -> Result<Option<i64>> {
        let key = match message_id {
            Some(id) => format!("incoming:mid:{id}"),
            None => format!("incoming:sha256:{content_hash}"),
        };
        Ok(message::Entity::find().filter(message::Column::DedupKey.eq(key)).one(&self.db).await?.map(|m| m.id))
    }

    /// Stores an incoming message with its bytes, attachments and IMAP location in one
    /// transaction; a message already held only gains the location. Returns (id, new).
    pub async fn store_incoming(&self, m: &NewMessage, location: Option<(&str, u32, u32)>) -> Result<(i64, bool)> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let (id, new) = insert_message(&txn, m).await?;
        if let Some((folder, uidvalidity, uid)) = location {
            let exists = message_location::Entity::find()
                .filter(message_location::Column::Folder.eq(folder))
                .filter(message_location::Column::Uidvalidity.eq(i64::from(uidvalidity)))
                .filter(message_location::Column::Uid.eq(i64::from(uid)))
                .one(&txn)
                .await?;
            if exists.is_none() {
                message_location::ActiveModel {
                    message_id: Set(id),
                    folder: Set(folder.to_string()),
                    uidvalidity: Set(i64::from(uidvalidity)),
                    uid: Set(i64::from(uid)),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        Ok((id, new))
    }

    /// The remembered (UIDVALIDITY, last UID) of an IMAP folder.
    pub async fn folder_state(&self, folder: &str) -> Result<Option<(u32, u32)>> {
        Ok(mail_folder::Entity::find()
            .filter(mail_folder::Column::Folder.eq(folder))
            .one(&self.db)
            .await?
            .map(|f| (f.uidvalidity as u32, f.last_uid as u32)))
    }

    /// Remembers how far an IMAP folder has been read.
    pub async fn set_folder_state(&self, folder: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
        let _writing = self.write_lock().await;
        let existing = mail_folder::Entity::find().filter(mail_folder::Column::Folder.eq(folder)).one(&self.db).await?;
        match existing {
            Some(f) => {
                let mut am: mail_folder::ActiveModel = f.into();
                am.uidvalidity = Set(i64::from(uidvalidity));
                am.last_uid = Set(i64::from(last_uid));
                am.updated_at = Set(now());
                am.update(&self.db).await?;
            }
            None => {
                mail_folder::ActiveModel {
                    folder: Set(folder.to_string()),
                    uidvalidity: Set(i64::from(uidvalidity)),
                    last_uid: Set(i64::from(last_uid)),
                    updated_at: Set(now()),
                    ..Default::default()
                }
                .insert(&self.db)
                .await?;
            }
        }
        Ok(())
    }

    /// Incoming messages, oldest first.
    pub async fn incoming_messages(&self, filter: &MessageFilter) -> Result<Vec<IncomingMessage>> {
        let mut cond = Condition::all().add(message::Column::Direction.eq("incoming"));
        if let Some(reference) = &filter.request {
            let id = self.request_id_by_reference(reference).await?.ok_or_else(|| not_found("request", reference))?;
            cond = cond.add(message::Column::RequestId.eq(id));
        }
        if filter.unmatched {
            cond = cond.add(message::Column::RequestId.is_null()).add(message::Column::TriageNote.is_null());
        }
        if let Some(ids) = &filter.ids {
            cond = cond.add(message::Column::Id.is_in(ids.iter().copied()));
        }
        let msgs = message::Entity::find().filter(cond).order_by_asc(message::Column::Id).all(&self.db).await?;
        let refs: HashMap<i32, String> =
            request::Entity::find().all(&self.db).await?.into_iter().map(|r| (r.id, r.reference)).collect();
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            let atts = attachment::Entity::find()
                .filter(attachment::Column::MessageId.eq(m.id))
                .order_by_asc(attachment::Column::Ordinal)
                .all(&self.db)
                .await?;
            out.push(IncomingMessage {
                id: m.id,
                message_id: m.message_id,
                from: m.from_addr,
                subject: m.subject,
                date: m.date,
                class: m.class.unwrap_or_else(|| "unknown".into()),
                class_evidence: m.class_evidence,
                bounce: m.bounce_permanent.map(|permanent| BounceInfo { permanent, address: m.bounce_address.clone() }),
                exemptions: m.exemptions.and_then(|e| serde_json::from_str(&e).ok()).unwrap_or_default(),
                request: m.request_id.and_then(|id| refs.get(&id).cloned()),
                match_method: m.match_method,
                match_confidence: m.match_confidence,
                parse_error: m.parse_error,
                triage_note: m.triage_note,
                source: m.source,
                attachments: atts
                    .into_iter()
                    .map(|a| AttachmentInfo {
                        filename: a.filename,
                        content_type: a.content_type,
                        size: a.size,
                        extraction: a.extraction,
                        extraction_error: a.extraction_error,
                        text_chars: a.text.map(|t| t.chars().count()).unwrap_or(0),
                    })
                    .collect(),
            });
        }
        Ok(out)
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
        let _writing = self.write_lock().await;
        let m = message::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found("message", id))?;
        let mut am: message::ActiveModel = m.into();
        am.request_id = Set(Some(request_id));
        am.match_method = Set(Some(method.to_string()));
        am.match_confidence = Set(Some(confidence));
        am.triage_note = Set(None);
        am.update(&self.db).await?;
        Ok(())
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
        am.match_method = Set(Some("dismissed".into()));
        am.update(&self.db).await?;
        Ok(())
    }

    /// Sets a message's class by hand (or from the classifier), keeping who set it.
    pub async fn set_message_class(&self, id: i64, class: MessageClass, evidence: &str, by: &Actor) -> Result<()> {
        let _writing = self.write_lock().await;
        let m = message::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| not_found("message", id))?;
        let mut am: message::ActiveModel = m.into();
        am.class = Set(Some(class.name().to_string()));
        am.class_evidence = Set(Some(evidence.to_string()));
        am.class_set_by = Set(Some(by.to_stored()));
        am.update(&self.db).await?;
        Ok(())
    }

    /// Moves a request as an incoming message implies, if the lifecycle allows it; records
    /// exemptions on a refusal. Returns the new state if it moved.
    pub async fn apply_reply(
        &self,
        request_id: i32,
        to: RequestState,
        exemptions: &[String],
        message_id: i64,
        on: chrono::NaiveDate,
        why: &str,
    ) -> Result<Option<RequestState>> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let r =
            request::Entity::find_by_id(request_id).one(&txn).await?.ok_or_else(|| not_found("request", request_id))?;
        let from = parse_state(&r.state)?;
        if from == to || !from.can_move_to(to) {
            return Ok(None);
        }
        let mut am: request::ActiveModel = r.into();
        am.state = Set(to.name().to_string());
        if !exemptions.is_empty() {
            am.exemptions = Set(Some(serde_json::to_string(exemptions).unwrap_or_default()));
        }
        am.updated_at = Set(now());
        am.update(&txn).await?;
        append_event(&txn, request_id, Some(from), to, &Actor::System("inbox".into()), Some(why), on, Some(message_id))
            .await?;
        txn.commit().await?;
        Ok(Some(to))
    }
}
