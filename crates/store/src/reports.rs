//! What the reports read: for every request of a round, its body, its event log and its
//! replies (class and time), in a handful of queries whatever the round's size.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use foi_core::{MessageClass, Named, Request, RequestEvent};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{body, message, request, request_event, tag};
use crate::requests::to_event;
use crate::{Error, Result, Store};

/// (request, class, Date header, received at, stored at) of an incoming message.
type ReplyRow = (Option<i32>, Option<String>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);

/// A reply to a request, as the reports count it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyFact {
    pub class: MessageClass,
    /// When it was sent (its Date header), else when foi received it.
    pub at: DateTime<Utc>,
}

/// A confirmed tag, as the reports count it.
#[derive(Debug, Clone, PartialEq)]
pub struct TagFact {
    pub question: String,
    pub answer: String,
    pub tagger: String,
    pub at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
}

/// One request of a round with everything the reports need.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub request: Request,
    pub events: Vec<RequestEvent>,
    pub replies: Vec<ReplyFact>,
    pub tags: Vec<TagFact>,
}

impl Store {
    /// Every request of a round with its body, events, replies and confirmed tags (history
    /// included: the reports pick what stood at their cut-off).
    pub async fn round_facts(&self, round_slug: &str) -> Result<Vec<RequestFacts>> {
        let round = self.round(round_slug).await?;
        let of_round = || {
            Query::select()
                .column(request::Column::Id)
                .from(request::Entity)
                .and_where(request::Column::RoundId.eq(round.id))
                .to_owned()
        };
        let reqs = request::Entity::find()
            .filter(request::Column::RoundId.eq(round.id))
            .order_by_asc(request::Column::Id)
            .all(&self.db)
            .await?;
        let bodies: HashMap<i32, body::Model> =
            body::Entity::find().all(&self.db).await?.into_iter().map(|b| (b.id, b)).collect();
        let mut events: HashMap<i32, Vec<RequestEvent>> = HashMap::new();
        for e in request_event::Entity::find()
            .filter(request_event::Column::RequestId.in_subquery(of_round()))
            .order_by_asc(request_event::Column::Id)
            .all(&self.db)
            .await?
        {
            events.entry(e.request_id).or_default().push(to_event(e)?);
        }
        let mut replies: HashMap<i32, Vec<ReplyFact>> = HashMap::new();
        let rows: Vec<ReplyRow> = message::Entity::find()
            .select_only()
            .columns([message::Column::RequestId, message::Column::Class, message::Column::Date])
            .column(message::Column::ReceivedAt)
            .column(message::Column::CreatedAt)
            .filter(message::Column::Direction.eq("incoming"))
            .filter(message::Column::RequestId.in_subquery(of_round()))
            .order_by_asc(message::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        for (request_id, class, date, received, created) in rows {
            let (Some(request_id), Some(class)) = (request_id, class) else { continue };
            let class = MessageClass::from_name(&class)
                .ok_or_else(|| Error::Corrupt(format!("unknown message class {class}")))?;
            replies.entry(request_id).or_default().push(ReplyFact { class, at: date.or(received).unwrap_or(created) });
        }
        let mut tags: HashMap<i32, Vec<TagFact>> = HashMap::new();
        for t in tag::Entity::find()
            .filter(tag::Column::RequestId.in_subquery(of_round()))
            .filter(tag::Column::Status.eq("confirmed"))
            .order_by_asc(tag::Column::Id)
            .all(&self.db)
            .await?
        {
            tags.entry(t.request_id).or_default().push(TagFact {
                question: t.question,
                answer: t.answer,
                tagger: t.tagger,
                at: t.created_at,
                superseded_at: t.superseded_at,
            });
        }
        let mut out = Vec::with_capacity(reqs.len());
        for r in reqs {
            let id = r.id;
            let b =
                bodies.get(&r.body_id).cloned().ok_or_else(|| Error::Corrupt(format!("request {id} has no body")))?;
            out.push(RequestFacts {
                request: self.to_request(r, b)?,
                events: events.remove(&id).unwrap_or_default(),
                replies: replies.remove(&id).unwrap_or_default(),
                tags: tags.remove(&id).unwrap_or_default(),
            });
        }
        out.sort_by(|a, b| a.request.body.name.cmp(&b.request.body.name));
        Ok(out)
    }
}
