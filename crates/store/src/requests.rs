//! Rounds, requests, the append-only request event log, and stored messages with their
//! raw bytes.

use std::collections::HashMap;

use chrono::NaiveDate;
use foi_core::{Actor, Named, Request, RequestEvent, RequestState, Round};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Deserialize;

use crate::entity::{attachment, attachment_content, body, message, message_raw, request, request_event, round};
use crate::json::{Ts, plain_row};
use crate::{Error, Result, Store, not_found, now};

/// What a new round needs.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub slug: String,
    pub name: String,
    pub codebook_name: String,
    pub codebook: String,
    pub template_set: String,
    pub sender_name: String,
    pub sender_email: String,
    pub reply_domain: Option<String>,
    pub launch_date: Option<NaiveDate>,
}

/// A message to store with its raw bytes (and attachments) in one transaction.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub request_id: Option<i32>,
    pub direction: String,
    pub kind: String,
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    pub content_hash: String,
    pub raw: Vec<u8>,
    pub from_addr: Option<String>,
    pub to_addrs: Option<String>,
    pub subject: Option<String>,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub body_text: Option<String>,
    pub outbox_state: Option<String>,
    pub attachments: Vec<NewAttachment>,
    /// Incoming messages: what the inbox decided.
    pub class: Option<String>,
    pub class_evidence: Option<String>,
    /// How sure the rules were of `class`, 0 to 1.
    pub class_confidence: Option<f64>,
    /// A person should look at the class (the rules were unsure).
    pub needs_review: bool,
    pub exemptions: Vec<String>,
    pub bounce_address: Option<String>,
    pub bounce_permanent: Option<bool>,
    pub match_method: Option<String>,
    pub match_confidence: Option<f64>,
    pub parse_error: Option<String>,
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where it was read from (a file path, `imap:FOLDER`).
    pub source: Option<String>,
    /// Overrides the deduplication key (direction + Message-ID, or content hash): for a
    /// different message that reuses a Message-ID already held.
    pub dedup_key: Option<String>,
}

/// An attachment to store with its message.
#[derive(Debug, Clone, Default)]
pub struct NewAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
    pub extraction: String,
    pub extraction_error: Option<String>,
    pub text: Option<String>,
}

/// A message as stored (without its raw bytes; see [`Store::message_raw`]).
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub request_id: Option<i32>,
    pub direction: String,
    pub kind: String,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub raw_size: i64,
    pub from_addr: Option<String>,
    pub to_addrs: Option<String>,
    /// When it was sent (outgoing) or its Date header (incoming).
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// For outgoing messages: where the message stands in the outbox.
    pub outbox_state: Option<String>,
    pub last_error: Option<String>,
}

pub(crate) fn stored_message(m: message::Model) -> StoredMessage {
    StoredMessage {
        id: m.id,
        request_id: m.request_id,
        direction: m.direction,
        kind: m.kind,
        message_id: m.message_id,
        subject: m.subject,
        raw_size: m.raw_size,
        from_addr: m.from_addr,
        to_addrs: m.to_addrs,
        date: m.date,
        outbox_state: m.outbox_state,
        last_error: m.last_error,
    }
}

fn to_round(m: round::Model) -> Round {
    Round {
        id: m.id,
        slug: m.slug,
        name: m.name,
        codebook_name: m.codebook_name,
        codebook: m.codebook,
        template_set: m.template_set,
        sender_name: m.sender_name,
        sender_email: m.sender_email,
        reply_domain: m.reply_domain,
        launch_date: m.launch_date,
        closed_at: m.closed_at,
        revision: m.revision,
    }
}

pub(crate) fn parse_state(s: &str) -> Result<RequestState> {
    RequestState::from_name(s).ok_or_else(|| Error::Corrupt(format!("unknown request state {s}")))
}

fn exemptions(stored: Option<String>) -> Result<Vec<String>> {
    Ok(stored
        .map(|e| serde_json::from_str(&e).map_err(|e| Error::Corrupt(format!("bad exemptions list: {e}"))))
        .transpose()?
        .unwrap_or_default())
}

/// A request with its body, as [`Store::requests`] reads it (one JSON array per round).
#[derive(Deserialize)]
struct RequestRow(
    i32,
    i32,
    String,
    String,
    Option<String>,
    Option<Ts>,
    Option<String>,
    i32,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Ts>,
);

impl RequestRow {
    fn into_request(self) -> Result<Request> {
        let RequestRow(
            id,
            round_id,
            reference,
            state,
            to_address,
            sent_at,
            stored_exemptions,
            chasers_sent,
            code,
            ods_code,
            gss_code,
            name,
            kind,
            region,
            website,
            foi_email,
            regime,
            valid_from,
            valid_to,
            nhs_region,
            ons_region,
            email_source,
            email_confidence,
            email_note,
            email_set_by,
            email_set_at,
        ) = self;
        let email_source = crate::bodies::address_source(
            &code,
            email_source,
            email_confidence,
            email_note,
            email_set_by,
            email_set_at.map(|t| t.0),
        )?;
        let body = foi_core::Body {
            kind: crate::bodies::body_kind(&code, &kind)?,
            regime: crate::bodies::body_regime(&code, &regime)?,
            code,
            ods_code,
            gss_code,
            name,
            region,
            nhs_region,
            ons_region,
            website,
            foi_email,
            email_source,
            valid_from,
            valid_to,
        };
        Ok(Request {
            id,
            round_id,
            body,
            reference,
            state: parse_state(&state)?,
            to_address,
            sent_at: sent_at.map(|t| t.0),
            exemptions: exemptions(stored_exemptions)?,
            chasers_sent,
        })
    }
}

plain_row!(RequestRow: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);

/// A clock event of a request, as [`Store::round_clock_events`] reads it.
#[derive(Deserialize)]
struct EventRow(i32, i64, Ts, NaiveDate, Option<String>, String, String, Option<String>, Option<i64>);

plain_row!(EventRow: 0, 1, 2, 3, 4, 5, 6, 7, 8);

pub(crate) fn to_event(m: request_event::Model) -> Result<RequestEvent> {
    Ok(RequestEvent {
        at: m.at,
        on: m.on_date,
        from: m.from_state.as_deref().map(parse_state).transpose()?,
        to: parse_state(&m.to_state)?,
        actor: Actor::from_stored(&m.actor),
        reason: m.reason,
        message_id: m.message_id,
    })
}

/// The key a message is held under unless told otherwise: its direction and Message-ID,
/// or, without one, its content hash.
pub fn dedup_key(direction: &str, message_id: Option<&str>, content_hash: &str) -> String {
    match message_id {
        Some(id) => format!("{direction}:mid:{id}"),
        None => format!("{direction}:sha256:{content_hash}"),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_event<C: ConnectionTrait>(
    db: &C,
    request_id: i32,
    from: Option<RequestState>,
    to: RequestState,
    actor: &Actor,
    reason: Option<&str>,
    on: NaiveDate,
    message_id: Option<i64>,
) -> Result<()> {
    request_event::ActiveModel {
        request_id: Set(request_id),
        at: Set(now()),
        on_date: Set(on),
        from_state: Set(from.map(|s| s.name().to_string())),
        to_state: Set(to.name().to_string()),
        actor: Set(actor.to_stored()),
        reason: Set(reason.map(str::to_string)),
        message_id: Set(message_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Inserts a message with its raw bytes and attachments inside the caller's transaction,
/// unless it is already held (then returns its id and `false`).
/// Text as every backend can store it: PostgreSQL's text cannot hold NUL characters, which
/// broken mail carries. (Raw bytes are stored untouched.)
fn clean(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| if s.contains('\0') { s.replace('\0', "") } else { s.clone() })
}

/// The `messages` row of a new message held under `key`.
fn message_row(m: &NewMessage, key: String) -> message::ActiveModel {
    message::ActiveModel {
        request_id: Set(m.request_id),
        direction: Set(m.direction.clone()),
        kind: Set(m.kind.clone()),
        dedup_key: Set(key),
        message_id: Set(clean(&m.message_id)),
        content_hash: Set(m.content_hash.clone()),
        raw_size: Set(m.raw.len() as i64),
        from_addr: Set(clean(&m.from_addr)),
        to_addrs: Set(clean(&m.to_addrs)),
        subject: Set(clean(&m.subject)),
        date: Set(m.date),
        in_reply_to: Set(clean(&m.in_reply_to)),
        references: Set(clean(&m.references)),
        body_text: Set(clean(&m.body_text)),
        outbox_state: Set(m.outbox_state.clone()),
        class: Set(m.class.clone()),
        class_evidence: Set(clean(&m.class_evidence)),
        class_set_by: Set(m.class.as_ref().map(|_| "inbox".to_string())),
        rule_class: Set(m.class.clone()),
        class_confidence: Set(m.class_confidence),
        needs_review: Set(m.needs_review),
        exemptions: Set((!m.exemptions.is_empty()).then(|| serde_json::to_string(&m.exemptions).unwrap_or_default())),
        bounce_address: Set(clean(&m.bounce_address)),
        bounce_permanent: Set(m.bounce_permanent),
        match_method: Set(m.match_method.clone()),
        match_confidence: Set(m.match_confidence),
        parse_error: Set(clean(&m.parse_error)),
        received_at: Set(m.received_at),
        source: Set(clean(&m.source)),
        attempts: Set(0),
        created_at: Set(now()),
        ..Default::default()
    }
}

/// A row of an attachment of message `id`.
fn attachment_row(id: i64, ordinal: usize, a: &NewAttachment) -> attachment::ActiveModel {
    attachment::ActiveModel {
        message_id: Set(id),
        ordinal: Set(ordinal as i32),
        parent_id: Set(None),
        filename: Set(clean(&a.filename)),
        content_type: Set(a.content_type.clone()),
        size: Set(a.content.len() as i64),
        sha256: Set(a.sha256.clone()),
        extraction: Set(a.extraction.clone()),
        extraction_error: Set(clean(&a.extraction_error)),
        text: Set(clean(&a.text)),
        ..Default::default()
    }
}

/// Most bytes of blobs in one multi-row insert.
const BLOB_BYTES_PER_INSERT: usize = 16 << 20;

/// Splits rows into runs whose blobs add up to at most [`BLOB_BYTES_PER_INSERT`] (a run holds
/// at least one row) and at most 100 rows.
fn runs<T>(rows: Vec<(usize, T)>) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut bytes = 0;
    for (size, row) in rows {
        match out.last_mut() {
            Some(run) if bytes + size <= BLOB_BYTES_PER_INSERT && run.len() < 100 => {
                bytes += size;
                run.push(row);
            }
            _ => {
                bytes = size;
                out.push(vec![row]);
            }
        }
    }
    out
}

/// Inserts new messages (none held under its key: the caller checked in this transaction),
/// with raw bytes and attachments, in a few multi-row statements. Returns their ids, in order.
pub(crate) async fn insert_new_messages<C: ConnectionTrait>(
    txn: &C,
    items: &[(&NewMessage, String)],
) -> Result<Vec<i64>> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Alias, Query};
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    // Messages, 100 rows a statement; ids come back with their (unique) keys.
    let mut ids_by_key: HashMap<String, i64> = HashMap::with_capacity(items.len());
    for chunk in items.chunks(100) {
        let mut insert = message::Entity::insert_many(chunk.iter().map(|(m, key)| message_row(m, key.clone())));
        insert.query().returning(Query::returning().columns([Alias::new("id"), Alias::new("dedup_key")]));
        for row in txn.query_all_raw(insert.build(backend)).await? {
            let id: i64 = row.try_get("", "id")?;
            let key: String = row.try_get("", "dedup_key")?;
            ids_by_key.insert(key, id);
        }
    }
    let ids: Vec<i64> = items
        .iter()
        .map(|(_, key)| ids_by_key.get(key).copied().ok_or_else(|| not_found("new message", key.as_str())))
        .collect::<Result<_>>()?;
    let raws = items
        .iter()
        .zip(&ids)
        .map(|((m, _), id)| (m.raw.len(), message_raw::ActiveModel { message_id: Set(*id), raw: Set(m.raw.clone()) }))
        .collect();
    for run in runs(raws) {
        message_raw::Entity::insert_many(run).exec(txn).await?;
    }
    let attachments: Vec<(i64, usize, &NewAttachment)> = items
        .iter()
        .zip(&ids)
        .flat_map(|((m, _), id)| m.attachments.iter().enumerate().map(move |(i, a)| (*id, i, a)))
        .collect();
    for chunk in attachments.chunks(100) {
        let mut insert = attachment::Entity::insert_many(chunk.iter().map(|(id, i, a)| attachment_row(*id, *i, a)));
        insert.query().returning(Query::returning().columns([
            Alias::new("id"),
            Alias::new("message_id"),
            Alias::new("ordinal"),
        ]));
        let mut att_ids: HashMap<(i64, i32), i64> = HashMap::new();
        for row in txn.query_all_raw(insert.build(backend)).await? {
            let id: i64 = row.try_get("", "id")?;
            let message: i64 = row.try_get("", "message_id")?;
            let ordinal: i32 = row.try_get("", "ordinal")?;
            att_ids.insert((message, ordinal), id);
        }
        let contents = chunk
            .iter()
            .map(|(id, i, a)| {
                let att = att_ids.get(&(*id, *i as i32)).copied().ok_or_else(|| not_found("new attachment", *id))?;
                Ok((
                    a.content.len(),
                    attachment_content::ActiveModel { attachment_id: Set(att), content: Set(a.content.clone()) },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        for run in runs(contents) {
            attachment_content::Entity::insert_many(run).exec(txn).await?;
        }
    }
    Ok(ids)
}

/// A message's raw bytes, through any connection.
pub(crate) async fn message_raw_on<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<u8>> {
    Ok(message_raw::Entity::find_by_id(id).one(c).await?.ok_or_else(|| not_found("message", id))?.raw)
}

pub(crate) async fn insert_message<C: ConnectionTrait>(txn: &C, m: &NewMessage) -> Result<(i64, bool)> {
    let key = m.dedup_key.clone().unwrap_or_else(|| dedup_key(&m.direction, m.message_id.as_deref(), &m.content_hash));
    if let Some(existing) = message::Entity::find().filter(message::Column::DedupKey.eq(&key)).one(txn).await? {
        return Ok((existing.id, false));
    }
    Ok((insert_new_message(txn, m, key).await?, true))
}

/// Inserts a message the caller knows is not held under `key` (checked in the same
/// transaction), with its raw bytes and attachments. Returns its id.
pub(crate) async fn insert_new_message<C: ConnectionTrait>(txn: &C, m: &NewMessage, key: String) -> Result<i64> {
    let row = message_row(m, key);
    let id = message::Entity::insert(row).exec(txn).await?.last_insert_id;
    message_raw::Entity::insert(message_raw::ActiveModel { message_id: Set(id), raw: Set(m.raw.clone()) })
        .exec(txn)
        .await?;
    for (i, a) in m.attachments.iter().enumerate() {
        let att = attachment_row(id, i, a);
        let att_id = attachment::Entity::insert(att).exec(txn).await?.last_insert_id;
        attachment_content::Entity::insert(attachment_content::ActiveModel {
            attachment_id: Set(att_id),
            content: Set(a.content.clone()),
        })
        .exec(txn)
        .await?;
    }
    Ok(id)
}

impl Store {
    pub async fn create_round(&self, new: &NewRound) -> Result<Round> {
        if round::Entity::find().filter(round::Column::Slug.eq(&new.slug)).one(&self.db).await?.is_some() {
            return Err(Error::Invalid(format!("a round called {} already exists", new.slug)));
        }
        let m = round::ActiveModel {
            slug: Set(new.slug.clone()),
            name: Set(new.name.clone()),
            codebook_name: Set(new.codebook_name.clone()),
            codebook: Set(new.codebook.clone()),
            template_set: Set(new.template_set.clone()),
            sender_name: Set(new.sender_name.clone()),
            sender_email: Set(new.sender_email.clone()),
            reply_domain: Set(new.reply_domain.clone()),
            launch_date: Set(new.launch_date),
            closed_at: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(to_round(m))
    }

    pub async fn round(&self, slug: &str) -> Result<Round> {
        round::Entity::find()
            .filter(round::Column::Slug.eq(slug))
            .one(&self.db)
            .await?
            .map(to_round)
            .ok_or_else(|| not_found("round", slug))
    }

    pub async fn rounds(&self) -> Result<Vec<Round>> {
        Ok(round::Entity::find()
            .order_by_asc(round::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_round)
            .collect())
    }

    /// Adds a draft request for each (body code, reference) not yet in the round; returns
    /// how many were added. Bodies already in the round are left as they are.
    pub async fn add_requests(&self, round_slug: &str, items: &[(String, String)], actor: &Actor) -> Result<usize> {
        let round = self.round(round_slug).await?;
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let bodies: HashMap<String, i32> =
            body::Entity::find().all(&txn).await?.into_iter().map(|b| (b.code, b.id)).collect();
        let present: std::collections::HashSet<i32> = request::Entity::find()
            .filter(request::Column::RoundId.eq(round.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.body_id)
            .collect();
        let today = now().date_naive();
        let mut added = 0;
        for (code, reference) in items {
            let body_id = *bodies.get(code).ok_or_else(|| not_found("body", code))?;
            if present.contains(&body_id) {
                continue;
            }
            let r = request::ActiveModel {
                round_id: Set(round.id),
                body_id: Set(body_id),
                reference: Set(reference.clone()),
                state: Set(RequestState::Draft.name().to_string()),
                to_address: Set(None),
                sent_at: Set(None),
                exemptions: Set(None),
                chasers_sent: Set(0),
                created_at: Set(now()),
                updated_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            append_event(&txn, r.id, None, RequestState::Draft, actor, Some("added to the round"), today, None).await?;
            added += 1;
        }
        txn.commit().await?;
        Ok(added)
    }

    /// The requests of a round, ordered by body name.
    pub async fn requests(&self, round_slug: &str) -> Result<Vec<Request>> {
        let mut out =
            self.requests_where("JOIN rounds o ON o.id = r.round_id", "o.slug = $1", round_slug.into()).await?;
        if out.is_empty() {
            self.round(round_slug).await?; // none, or no such round
        }
        out.sort_by(|a, b| a.body.name.cmp(&b.body.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One request by its reference token.
    pub async fn request(&self, reference: &str) -> Result<Request> {
        self.requests_where("", "r.reference = $1", reference.into())
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| not_found("request", reference))
    }

    /// The requests, with their bodies, that `condition` (on `r` and what `join` brings,
    /// with `$1`) picks.
    async fn requests_where(&self, join: &str, condition: &str, param: sea_orm::Value) -> Result<Vec<Request>> {
        let rows: Vec<RequestRow> = self
            .page_rows(
                "r.id, r.round_id, r.reference, r.state, r.to_address, r.sent_at, r.exemptions, r.chasers_sent, \
                 b.code, b.ods_code, b.gss_code, b.name, b.kind, b.region, b.website, b.foi_email, b.regime, \
                 b.valid_from, b.valid_to, b.nhs_region, b.ons_region, b.foi_email_source, \
                 b.foi_email_confidence, b.foi_email_note, b.foi_email_set_by, b.foi_email_set_at",
                &format!("FROM requests r JOIN bodies b ON b.id = r.body_id {join} WHERE {condition}"),
                vec![param],
                "requests",
            )
            .await?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// Moves a request to `to`, checking the lifecycle, and appends the event in the same
    /// transaction. `on` is the UK day the move counts on for the statutory clock.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_request(
        &self,
        request_id: i32,
        to: RequestState,
        actor: &Actor,
        reason: Option<&str>,
        on: NaiveDate,
        message_id: Option<i64>,
    ) -> Result<()> {
        if actor.is_person() && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(Error::Invalid("a reason is required when a person changes a request's state".into()));
        }
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let mut m = crate::transition::Move::new(request_id, to, actor, reason, on);
        m.message_id = message_id;
        crate::transition::apply(&txn, &[m], crate::transition::Refused::ByHand).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The event log of a request, oldest first.
    pub async fn request_events(&self, request_id: i32) -> Result<Vec<RequestEvent>> {
        request_event::Entity::find()
            .filter(request_event::Column::RequestId.eq(request_id))
            .order_by_asc(request_event::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_event)
            .collect()
    }

    /// The events that set the statutory clocks of every request of a round (sending,
    /// clarification requested and provided, internal review requested), by request id, each
    /// oldest first: one query, for pages that show a whole round's deadlines.
    pub async fn round_clock_events(
        &self,
        round_slug: &str,
    ) -> Result<std::collections::HashMap<i32, Vec<RequestEvent>>> {
        let clock = foi_core::round::CLOCK_STATES.map(|s| format!("'{}'", s.name())).join(", ");
        let mut rows: Vec<EventRow> = self
            .page_rows(
                "e.request_id, e.id, e.at, e.on_date, e.from_state, e.to_state, e.actor, e.reason, e.message_id",
                &format!(
                    "FROM rounds o JOIN requests r ON r.round_id = o.id JOIN request_events e ON e.request_id = r.id \
                     WHERE o.slug = $1 AND e.to_state IN ({clock})"
                ),
                vec![round_slug.into()],
                "the clock events of a round",
            )
            .await?;
        if rows.is_empty() {
            self.round(round_slug).await?; // none, or no such round
        }
        rows.sort_by_key(|e| e.1);
        let mut out: std::collections::HashMap<i32, Vec<RequestEvent>> = std::collections::HashMap::new();
        for EventRow(request_id, _, at, on, from, to, actor, reason, message_id) in rows {
            out.entry(request_id).or_default().push(RequestEvent {
                at: at.0,
                on,
                from: from.as_deref().map(parse_state).transpose()?,
                to: parse_state(&to)?,
                actor: Actor::from_stored(&actor),
                reason,
                message_id,
            });
        }
        Ok(out)
    }

    /// The round with this id.
    pub async fn round_by_id(&self, id: i32) -> Result<Round> {
        round::Entity::find_by_id(id).one(&self.db).await?.map(to_round).ok_or_else(|| not_found("round", id))
    }

    /// Stores a message, its raw bytes and its attachments in one transaction. A message
    /// already held (same direction and Message-ID, or same bytes when it has none) is not
    /// stored again: returns its id and `false`.
    pub async fn store_message(&self, m: &NewMessage) -> Result<(i64, bool)> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let out = insert_message(&txn, m).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// The raw bytes of a stored message, exactly as sent or received.
    pub async fn message_raw(&self, id: i64) -> Result<Vec<u8>> {
        message_raw_on(&self.db, id).await
    }

    /// Messages of a request, oldest first.
    pub async fn messages_of_request(&self, request_id: i32) -> Result<Vec<StoredMessage>> {
        Ok(message::Entity::find()
            .filter(message::Column::RequestId.eq(request_id))
            .order_by_asc(message::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(stored_message)
            .collect())
    }

    /// The stored bytes of each attachment of a message, in order.
    pub async fn attachment_contents(&self, message_id: i64) -> Result<Vec<Vec<u8>>> {
        let atts = attachment::Entity::find()
            .filter(attachment::Column::MessageId.eq(message_id))
            .order_by_asc(attachment::Column::Ordinal)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(atts.len());
        for a in atts {
            out.push(
                attachment_content::Entity::find_by_id(a.id)
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| Error::Corrupt(format!("attachment {} has no content", a.id)))?
                    .content,
            );
        }
        Ok(out)
    }
}
