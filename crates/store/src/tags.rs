//! Tags: the coded answers analysts give a request's questions (and the suggestions foi
//! proposes), with their whole history: a changed tag supersedes the old one, which is kept
//! with the time it stopped counting.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use foi_core::{Actor, BodyKind, MessageClass, Named};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;

use crate::entity::{attachment, body, message, request, round, tag};
use crate::{Error, Result, Store, now};

/// A tag to record.
#[derive(Debug, Clone)]
pub struct NewTag {
    /// The request's reference.
    pub reference: String,
    pub question: String,
    /// The answer in its stored form (`yes`, `no`, `in_development`, a number, text...).
    pub answer: String,
    pub quote: Option<String>,
    pub note: Option<String>,
    pub tagger: Actor,
    /// A suggestion is shown to analysts but never counted until a person confirms it.
    pub suggested: bool,
    /// Where it came from: `manual`, `import`, `suggestion`, `web`.
    pub source: String,
    /// The message the quote comes from.
    pub message_id: Option<i64>,
}

/// A tag as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tag {
    pub id: i64,
    pub reference: String,
    pub body_code: String,
    pub question: String,
    pub answer: String,
    pub quote: Option<String>,
    pub note: Option<String>,
    pub tagger: String,
    /// `confirmed` or `suggested`.
    pub status: String,
    pub source: String,
    pub message_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// When a later tag by the same tagger replaced it; None while it counts.
    pub superseded_at: Option<DateTime<Utc>>,
}

/// What recording a tag did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum TagOutcome {
    Added,
    /// The tagger's earlier answer was replaced (and kept in the history).
    Changed {
        from: String,
    },
    /// The same answer, quote and note were already recorded.
    Unchanged,
}

/// Which tags to list.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    pub round: Option<String>,
    pub reference: Option<String>,
    /// Also the superseded ones (the history).
    pub history: bool,
    /// Also suggestions.
    pub suggestions: bool,
    /// As they stood at this time (tags made later are left out; tags superseded later count).
    pub as_of: Option<DateTime<Utc>>,
}

/// An answer received for a request, with the texts an analyst (or the suggestion rules)
/// reads: the message's own text, then each attachment's extracted text.
#[derive(Debug, Clone)]
pub struct AnswerText {
    /// The message's id in foi.
    pub message: i64,
    pub reference: String,
    pub kind: BodyKind,
    pub at: DateTime<Utc>,
    pub texts: Vec<String>,
}

/// The update that recomputes `requests.coded` (for the rows a `WHERE` appended to it picks):
/// each question's latest confirmed tag still standing, of any analyst, as a JSON object
/// from question id to answer. Migration 3 ran its own frozen copy of this rule when it added
/// the column; a change to the rule here needs a migration of its own to recompute the
/// existing rows.
pub(crate) fn recode_sql(backend: DbBackend) -> String {
    let object = match backend {
        DbBackend::Postgres => "json_object_agg(t.question, t.answer)::text",
        _ => "json_group_object(t.question, t.answer)",
    };
    format!(
        "UPDATE requests SET coded = (SELECT {object} FROM tags t WHERE t.request_id = requests.id \
         AND t.status = 'confirmed' AND t.superseded_at IS NULL AND NOT EXISTS (SELECT 1 FROM tags u \
         WHERE u.request_id = t.request_id AND u.question = t.question AND u.status = 'confirmed' \
         AND u.superseded_at IS NULL AND (u.created_at > t.created_at OR (u.created_at = t.created_at AND u.id > t.id))))"
    )
}

/// Recomputes the current coded answers (`requests.coded`) of these requests from their tags,
/// in the caller's transaction.
pub(crate) async fn recode(db: &impl ConnectionTrait, request_ids: &[i32]) -> Result<()> {
    let sql = recode_sql(db.get_database_backend());
    for chunk in request_ids.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(i32::to_string).collect();
        db.execute_unprepared(&format!("{sql} WHERE id IN ({})", ids.join(","))).await?;
    }
    Ok(())
}

impl Store {
    /// The replies a round has received that may state answers (full or partial answers,
    /// not-held replies, review outcomes), oldest first per request, with their texts; only
    /// for one request when `reference` is given.
    pub async fn answer_texts(&self, round_slug: &str, reference: Option<&str>) -> Result<Vec<AnswerText>> {
        let round = self.round(round_slug).await?;
        let mut requests = request::Entity::find().filter(request::Column::RoundId.eq(round.id));
        if let Some(r) = reference {
            requests = requests.filter(request::Column::Reference.eq(r));
        }
        let requests: HashMap<i32, request::Model> =
            requests.all(&self.db).await?.into_iter().map(|r| (r.id, r)).collect();
        let kinds: HashMap<i32, String> =
            body::Entity::find().all(&self.db).await?.into_iter().map(|b| (b.id, b.kind)).collect();
        let of_round = Query::select()
            .column(request::Column::Id)
            .from(request::Entity)
            .and_where(request::Column::RoundId.eq(round.id))
            .to_owned();
        let messages = message::Entity::find()
            .filter(message::Column::Direction.eq("incoming"))
            .filter(message::Column::Class.is_in([
                MessageClass::AnswerFull.name(),
                MessageClass::AnswerPartial.name(),
                MessageClass::NotHeld.name(),
                MessageClass::ReviewOutcome.name(),
            ]))
            .filter(message::Column::RequestId.in_subquery(of_round))
            .order_by_asc(message::Column::Id)
            .all(&self.db)
            .await?;
        // Every attachment's text of those messages, a few hundred messages a query.
        let mut attached: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in messages.chunks(500) {
            for a in attachment::Entity::find()
                .filter(attachment::Column::MessageId.is_in(chunk.iter().map(|m| m.id)))
                .order_by_asc(attachment::Column::MessageId)
                .order_by_asc(attachment::Column::Ordinal)
                .all(&self.db)
                .await?
            {
                if let Some(text) = a.text {
                    attached.entry(a.message_id).or_default().push(text);
                }
            }
        }
        let mut out = Vec::new();
        for m in messages {
            let Some(r) = m.request_id.and_then(|id| requests.get(&id)) else { continue };
            let kind = kinds
                .get(&r.body_id)
                .and_then(|k| BodyKind::from_name(k))
                .ok_or_else(|| Error::Corrupt(format!("request {} has no body kind", r.reference)))?;
            let mut texts = vec![m.body_text.unwrap_or_default()];
            texts.extend(attached.remove(&m.id).unwrap_or_default());
            out.push(AnswerText {
                message: m.id,
                reference: r.reference.clone(),
                kind,
                at: m.date.or(m.received_at).unwrap_or(m.created_at),
                texts,
            });
        }
        out.sort_by(|a, b| a.reference.cmp(&b.reference).then(a.at.cmp(&b.at)).then(a.message.cmp(&b.message)));
        Ok(out)
    }

    /// Records tags in one transaction: all of them, or (on any error, such as an unknown
    /// request) none.
    pub async fn set_tags(&self, tags: &[NewTag]) -> Result<Vec<TagOutcome>> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let mut out = Vec::with_capacity(tags.len());
        let mut touched = std::collections::BTreeSet::new();
        for t in tags {
            let r = request::Entity::find()
                .filter(request::Column::Reference.eq(&t.reference))
                .one(&txn)
                .await?
                .ok_or_else(|| Error::NotFound { what: "request", key: t.reference.clone() })?;
            let status = if t.suggested { "suggested" } else { "confirmed" };
            let tagger = t.tagger.to_stored();
            let current = tag::Entity::find()
                .filter(tag::Column::RequestId.eq(r.id))
                .filter(tag::Column::Question.eq(&t.question))
                .filter(tag::Column::Tagger.eq(&tagger))
                .filter(tag::Column::Status.eq(status))
                .filter(tag::Column::SupersededAt.is_null())
                .one(&txn)
                .await?;
            let at = now();
            let outcome = match current {
                Some(c) if c.answer == t.answer && c.quote == t.quote && c.note == t.note => {
                    out.push(TagOutcome::Unchanged);
                    continue;
                }
                Some(c) => {
                    let from = c.answer.clone();
                    let mut am: tag::ActiveModel = c.into();
                    am.superseded_at = Set(Some(at));
                    am.update(&txn).await?;
                    TagOutcome::Changed { from }
                }
                None => TagOutcome::Added,
            };
            tag::ActiveModel {
                request_id: Set(r.id),
                question: Set(t.question.clone()),
                answer: Set(t.answer.clone()),
                quote: Set(t.quote.clone()),
                note: Set(t.note.clone()),
                tagger: Set(tagger),
                status: Set(status.to_string()),
                source: Set(t.source.clone()),
                message_id: Set(t.message_id),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            out.push(outcome);
            touched.insert(r.id);
        }
        recode(&txn, &touched.into_iter().collect::<Vec<_>>()).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Tags, by request then question then time.
    pub async fn tags(&self, f: &TagFilter) -> Result<Vec<Tag>> {
        let mut cond = Condition::all();
        let mut request_ids: Option<Vec<i32>> = None;
        if let Some(slug) = &f.round {
            let r = round::Entity::find()
                .filter(round::Column::Slug.eq(slug))
                .one(&self.db)
                .await?
                .ok_or_else(|| Error::NotFound { what: "round", key: slug.clone() })?;
            let ids: Vec<i32> = request::Entity::find()
                .filter(request::Column::RoundId.eq(r.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            request_ids = Some(ids);
        }
        if let Some(reference) = &f.reference {
            let r = request::Entity::find()
                .filter(request::Column::Reference.eq(reference))
                .one(&self.db)
                .await?
                .ok_or_else(|| Error::NotFound { what: "request", key: reference.clone() })?;
            request_ids = Some(request_ids.map_or(vec![r.id], |ids| ids.into_iter().filter(|i| *i == r.id).collect()));
        }
        if let Some(ids) = request_ids {
            cond = cond.add(tag::Column::RequestId.is_in(ids));
        }
        if !f.suggestions {
            cond = cond.add(tag::Column::Status.eq("confirmed"));
        }
        match (f.history, f.as_of) {
            (true, None) => {}
            (true, Some(at)) => cond = cond.add(tag::Column::CreatedAt.lte(at)),
            (false, None) => cond = cond.add(tag::Column::SupersededAt.is_null()),
            (false, Some(at)) => {
                cond = cond.add(tag::Column::CreatedAt.lte(at)).add(
                    Condition::any().add(tag::Column::SupersededAt.is_null()).add(tag::Column::SupersededAt.gt(at)),
                )
            }
        }
        let rows = tag::Entity::find()
            .filter(cond)
            .order_by_asc(tag::Column::RequestId)
            .order_by_asc(tag::Column::Question)
            .order_by_asc(tag::Column::Id)
            .all(&self.db)
            .await?;
        let requests: HashMap<i32, request::Model> =
            request::Entity::find().all(&self.db).await?.into_iter().map(|r| (r.id, r)).collect();
        let bodies: HashMap<i32, String> =
            body::Entity::find().all(&self.db).await?.into_iter().map(|b| (b.id, b.code)).collect();
        Ok(rows
            .into_iter()
            .map(|t| {
                let r = requests.get(&t.request_id);
                Tag {
                    id: t.id,
                    reference: r.map(|r| r.reference.clone()).unwrap_or_default(),
                    body_code: r.and_then(|r| bodies.get(&r.body_id)).cloned().unwrap_or_default(),
                    question: t.question,
                    answer: t.answer,
                    quote: t.quote,
                    note: t.note,
                    tagger: t.tagger,
                    status: t.status,
                    source: t.source,
                    message_id: t.message_id,
                    created_at: t.created_at,
                    superseded_at: t.superseded_at,
                }
            })
            .collect())
    }
}
