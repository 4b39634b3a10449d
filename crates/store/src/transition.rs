//! The one path that changes a request's state: every move (a person's by hand, the mailer's
//! when a message is queued, sent or bounces, the inbox's when a reply is read or a person
//! sets its class or assigns it from triage) is checked by the lifecycle in foi-core
//! (`RequestState::check_move`) and written with its event (who, why, the UK day it counts
//! on, the message) in the caller's transaction. Nothing else in the store writes
//! `requests.state`.
//!
//! Only a move made by hand (`foi request move`, the web's state form) may correct a state
//! the way only a person may; the consequences of sending a message or reading a reply follow
//! the automatic moves even when a person set them off, and name that person.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use foi_core::{Actor, RequestState};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entity::{request, request_event};
use crate::requests::parse_state;
use crate::{Result, not_found, now};

/// One move of one request.
#[derive(Debug, Clone)]
pub(crate) struct Move {
    pub request_id: i32,
    pub to: RequestState,
    pub actor: Actor,
    pub reason: Option<String>,
    /// The UK day the move counts on for the statutory clock.
    pub on: NaiveDate,
    /// The message that caused it, if any.
    pub message_id: Option<i64>,
    /// When the request went, if this move sends it for the first time (default: now).
    pub sent_at: Option<DateTime<Utc>>,
    /// Exemptions a refusal cites, recorded with the move.
    pub exemptions: Option<Vec<String>>,
    /// The address the request is written to, recorded with the move.
    pub to_address: Option<Option<String>>,
}

impl Move {
    pub(crate) fn new(request_id: i32, to: RequestState, actor: &Actor, reason: Option<&str>, on: NaiveDate) -> Move {
        Move {
            request_id,
            to,
            actor: actor.clone(),
            reason: reason.map(str::to_string),
            on,
            message_id: None,
            sent_at: None,
            exemptions: None,
            to_address: None,
        }
    }
}

/// Which moves are allowed, and what a refused one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A person's move by hand: the lifecycle's rules for the actor (a person may correct a
    /// state); a refused move fails the whole transaction.
    ByHand,
    /// An automatic move that must happen (queueing a draft): a refused move fails.
    Fail,
    /// An automatic move that may not apply (a reply that arrives after the answer moves
    /// nothing): a refused move leaves the request as it is.
    Skip,
}

/// Who the lifecycle checks an automatic move for: the automatic parts of foi.
fn automatic() -> &'static Actor {
    static SYSTEM: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::System("lifecycle".into()));
    &SYSTEM
}

/// Applies `moves` in order within `db` (a transaction): each is checked against the state the
/// request has by then; returns for each the new state, or None where it moved nothing.
pub(crate) async fn apply<C: ConnectionTrait>(
    db: &C,
    moves: &[Move],
    refused: Refused,
) -> Result<Vec<Option<RequestState>>> {
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = moves.iter().map(|m| m.request_id).collect();
    let mut state: HashMap<i32, (RequestState, bool)> = HashMap::new();
    for r in request::Entity::find().filter(request::Column::Id.is_in(ids.iter().copied())).all(db).await? {
        state.insert(r.id, (parse_state(&r.state)?, r.sent_at.is_some()));
    }
    /// What a request's row gets: its last state and what the moves recorded with it.
    #[derive(Default)]
    struct Row {
        to: Option<RequestState>,
        sent_at: Option<DateTime<Utc>>,
        exemptions: Option<Vec<String>>,
        to_address: Option<Option<String>>,
    }
    let mut rows: HashMap<i32, Row> = HashMap::new();
    let mut events = Vec::new();
    let mut out = Vec::with_capacity(moves.len());
    for m in moves {
        let (from, was_sent) = *state.get(&m.request_id).ok_or_else(|| not_found("request", m.request_id))?;
        let checked_as = if refused == Refused::ByHand { &m.actor } else { automatic() };
        if let Err(e) = from.check_move(m.to, checked_as) {
            match refused {
                Refused::ByHand | Refused::Fail => return Err(e.into()),
                Refused::Skip => {
                    out.push(None);
                    continue;
                }
            }
        }
        let row = rows.entry(m.request_id).or_default();
        row.to = Some(m.to);
        let first_send = m.to == RequestState::Sent && !was_sent;
        if first_send {
            row.sent_at = Some(m.sent_at.unwrap_or_else(now));
        }
        if m.exemptions.is_some() {
            row.exemptions.clone_from(&m.exemptions);
        }
        if m.to_address.is_some() {
            row.to_address.clone_from(&m.to_address);
        }
        state.insert(m.request_id, (m.to, was_sent || first_send));
        events.push(request_event::ActiveModel {
            request_id: Set(m.request_id),
            at: Set(now()),
            on_date: Set(m.on),
            from_state: Set(Some(from.name().to_string())),
            to_state: Set(m.to.name().to_string()),
            actor: Set(m.actor.to_stored()),
            reason: Set(m.reason.clone()),
            message_id: Set(m.message_id),
            ..Default::default()
        });
        out.push(Some(m.to));
    }
    for (id, row) in rows {
        let Some(to) = row.to else { continue };
        let mut update = request::Entity::update_many()
            .col_expr(request::Column::State, Expr::value(to.name()))
            .col_expr(request::Column::UpdatedAt, Expr::value(now()))
            .filter(request::Column::Id.eq(id));
        if let Some(at) = row.sent_at {
            update = update.col_expr(request::Column::SentAt, Expr::value(at));
        }
        if let Some(e) = row.exemptions {
            update = update
                .col_expr(request::Column::Exemptions, Expr::value(serde_json::to_string(&e).unwrap_or_default()));
        }
        if let Some(a) = row.to_address {
            update = update.col_expr(request::Column::ToAddress, Expr::value(a));
        }
        update.exec(db).await?;
    }
    if !events.is_empty() {
        request_event::Entity::insert_many(events).exec(db).await?;
    }
    Ok(out)
}

use foi_core::Named as _;
