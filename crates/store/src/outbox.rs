//! The durable outbox: outgoing messages move queued -> sending -> sent | failed | held, each
//! move committed before the next step, so that a crash at any point leaves a state the next
//! run can resolve (or hand to the officer) without ever sending twice.

use chrono::{DateTime, NaiveDate, Utc};
use foi_core::{Actor, RequestState};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use crate::entity::{message, request, round};
use crate::requests::{NewMessage, insert_message};
use crate::transition::{self, Move, Refused};
use crate::{Error, Result, Store, not_found, now};

/// Where an outgoing message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Composed and stored, waiting to go.
    Queued,
    /// Handed to the transport; if a run stops here the outcome is unknown.
    Sending,
    Sent,
    /// A temporary failure (4xx, connection refused): retried after `next_attempt_at`.
    FailedTemporary,
    /// A permanent failure (5xx): the reason is kept and shown.
    FailedPermanent,
    /// The outcome of a send is unknown and could not be reconciled: the officer decides.
    Held,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::FailedTemporary => "failed_temporary",
            Self::FailedPermanent => "failed_permanent",
            Self::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        [Self::Queued, Self::Sending, Self::Sent, Self::FailedTemporary, Self::FailedPermanent, Self::Held]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An outgoing message in the outbox (its bytes: [`Store::message_raw`]).
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub request_id: i32,
    pub reference: String,
    pub round_slug: String,
    pub kind: String,
    pub message_id: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// What becomes of the request when a message of this kind has gone.
fn state_after(kind: &str) -> Option<RequestState> {
    match kind {
        "request" => Some(RequestState::Sent),
        "clarification" => Some(RequestState::ClarificationProvided),
        "internal_review" => Some(RequestState::InternalReviewRequested),
        _ => None,
    }
}

impl Store {
    /// Stores a composed outgoing message for a request as queued. A request message also
    /// moves the request from draft to queued, in the same transaction. A message with the
    /// same Message-ID already in the outbox is left alone (returns false).
    pub async fn enqueue(&self, request_id: i32, msg: &NewMessage, actor: &Actor, on: NaiveDate) -> Result<bool> {
        Ok(self.enqueue_all(&[(request_id, msg)], actor, on).await? == 1)
    }

    /// Queues many messages in one transaction: all of them or none. Returns how many were
    /// new (messages already in the outbox are left alone).
    pub async fn enqueue_all(&self, items: &[(i32, &NewMessage)], actor: &Actor, on: NaiveDate) -> Result<usize> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let mut added = 0;
        for (request_id, msg) in items {
            let request_id = *request_id;
            let r = request::Entity::find_by_id(request_id)
                .one(&txn)
                .await?
                .ok_or_else(|| not_found("request", request_id))?;
            let mut m = (*msg).clone();
            m.request_id = Some(request_id);
            m.direction = "outgoing".into();
            m.outbox_state = Some(OutboxState::Queued.as_str().into());
            let (_, inserted) = insert_message(&txn, &m).await?;
            if !inserted {
                continue;
            }
            added += 1;
            if m.kind == "request" {
                let mut mv = Move::new(r.id, RequestState::Queued, actor, Some("queued for sending"), on);
                mv.to_address = Some(m.to_addrs.clone());
                transition::apply(&txn, &[mv], Refused::Fail).await?;
            }
        }
        txn.commit().await?;
        Ok(added)
    }

    /// Outgoing messages in the given states (all rounds when `round` is None), oldest first.
    pub async fn outbox(&self, round_slug: Option<&str>, states: &[OutboxState]) -> Result<Vec<OutboxItem>> {
        let mut cond = Condition::all()
            .add(message::Column::Direction.eq("outgoing"))
            .add(message::Column::OutboxState.is_in(states.iter().map(|s| s.as_str())));
        let rounds: Vec<round::Model> = round::Entity::find().all(&self.db).await?;
        if let Some(slug) = round_slug {
            let r = rounds.iter().find(|r| r.slug == slug).ok_or_else(|| not_found("round", slug))?;
            let ids: Vec<i32> = request::Entity::find()
                .filter(request::Column::RoundId.eq(r.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|q| q.id)
                .collect();
            cond = cond.add(message::Column::RequestId.is_in(ids));
        }
        let msgs = message::Entity::find().filter(cond).order_by_asc(message::Column::Id).all(&self.db).await?;
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            out.push(self.outbox_item(m, &rounds).await?);
        }
        Ok(out)
    }

    async fn outbox_item(&self, m: message::Model, rounds: &[round::Model]) -> Result<OutboxItem> {
        let request_id =
            m.request_id.ok_or_else(|| Error::Corrupt(format!("outgoing message {} has no request", m.id)))?;
        let r = request::Entity::find_by_id(request_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("request", request_id))?;
        Ok(OutboxItem {
            id: m.id,
            request_id,
            reference: r.reference,
            round_slug: rounds.iter().find(|x| x.id == r.round_id).map(|x| x.slug.clone()).unwrap_or_default(),
            kind: m.kind,
            message_id: m.message_id.unwrap_or_default(),
            to: m.to_addrs.unwrap_or_default(),
            from: m.from_addr.unwrap_or_default(),
            subject: m.subject.unwrap_or_default(),
            state: OutboxState::parse(m.outbox_state.as_deref().unwrap_or(""))
                .ok_or_else(|| Error::Corrupt(format!("message {} has no outbox state", m.id)))?,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
        })
    }

    /// Claims a message for sending: queued or retryable -> sending, counting the attempt.
    /// Returns false if it was not in a sendable state (another run took it, or it went).
    pub async fn claim_for_sending(&self, message_id: i64) -> Result<bool> {
        let _writing = self.write_lock().await;
        let res = message::Entity::update_many()
            .col_expr(message::Column::OutboxState, Expr::value(OutboxState::Sending.as_str()))
            .col_expr(message::Column::Attempts, Expr::col(message::Column::Attempts).add(1))
            .filter(message::Column::Id.eq(message_id))
            .filter(
                message::Column::OutboxState
                    .is_in([OutboxState::Queued.as_str(), OutboxState::FailedTemporary.as_str()]),
            )
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Records a message as sent, and what that means for its request, in one transaction.
    pub async fn mark_sent(&self, message_id: i64, actor: &Actor, on: NaiveDate, how: &str) -> Result<()> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let m =
            message::Entity::find_by_id(message_id).one(&txn).await?.ok_or_else(|| not_found("message", message_id))?;
        let mut am: message::ActiveModel = m.clone().into();
        am.outbox_state = Set(Some(OutboxState::Sent.as_str().into()));
        // The day it counts on, at the current time of day (the same as now, except in
        // simulations that set the day).
        let sent_at = on.and_time(now().time()).and_utc();
        am.date = Set(Some(sent_at));
        am.last_error = Set(None);
        am.update(&txn).await?;
        if let Some(request_id) = m.request_id {
            let r = request::Entity::find_by_id(request_id)
                .one(&txn)
                .await?
                .ok_or_else(|| not_found("request", request_id))?;
            if m.kind == "chaser" {
                let mut ar: request::ActiveModel = r.clone().into();
                ar.updated_at = Set(now());
                ar.chasers_sent = Set(r.chasers_sent + 1);
                ar.update(&txn).await?;
            }
            if let Some(to) = state_after(&m.kind) {
                let mut mv = Move::new(request_id, to, actor, Some(how), on);
                mv.message_id = Some(message_id);
                mv.sent_at = Some(sent_at);
                transition::apply(&txn, &[mv], Refused::Skip).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Records a failed attempt. A temporary failure is retried at `retry_at`; a permanent one
    /// keeps its reason and marks a request message's request as delivery failed.
    pub async fn mark_failed(
        &self,
        message_id: i64,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
        actor: &Actor,
        on: NaiveDate,
    ) -> Result<()> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let m =
            message::Entity::find_by_id(message_id).one(&txn).await?.ok_or_else(|| not_found("message", message_id))?;
        let state = if retry_at.is_some() { OutboxState::FailedTemporary } else { OutboxState::FailedPermanent };
        let mut am: message::ActiveModel = m.clone().into();
        am.outbox_state = Set(Some(state.as_str().into()));
        am.last_error = Set(Some(reason.to_string()));
        am.next_attempt_at = Set(retry_at);
        am.update(&txn).await?;
        if state == OutboxState::FailedPermanent
            && m.kind == "request"
            && let Some(request_id) = m.request_id
        {
            let mut mv = Move::new(request_id, RequestState::DeliveryFailed, actor, Some(reason), on);
            mv.message_id = Some(message_id);
            transition::apply(&txn, &[mv], Refused::Skip).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Holds a message whose send outcome is unknown, with the reason, for the officer.
    pub async fn mark_held(&self, message_id: i64, reason: &str) -> Result<()> {
        let _writing = self.write_lock().await;
        let res = message::Entity::update_many()
            .col_expr(message::Column::OutboxState, Expr::value(OutboxState::Held.as_str()))
            .col_expr(message::Column::LastError, Expr::value(reason))
            .filter(message::Column::Id.eq(message_id))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 1 { Ok(()) } else { Err(not_found("message", message_id)) }
    }

    /// The officer's decision on a held message: send it again (`resend`) or record it as sent.
    pub async fn release_held(&self, message_id: i64, resend: bool, actor: &Actor, on: NaiveDate) -> Result<()> {
        let m = message::Entity::find_by_id(message_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("message", message_id))?;
        if m.outbox_state.as_deref() != Some(OutboxState::Held.as_str()) {
            return Err(Error::Invalid(format!("message {message_id} is not held")));
        }
        if resend {
            let mut am: message::ActiveModel = m.into();
            am.outbox_state = Set(Some(OutboxState::Queued.as_str().into()));
            am.last_error = Set(Some(format!("released for resending by {actor}")));
            am.update(&self.db).await?;
            Ok(())
        } else {
            self.mark_sent(message_id, actor, on, "recorded as sent by the officer after checking").await
        }
    }
}
