//! Round operations that write mail: adding bodies with fresh references, rendering and
//! queueing every request (all checked before any is queued), previews, chasers and
//! the per-request status with deadlines.

use chrono::{NaiveDate, Utc};
use foi_core::{Actor, Body, Calendar, Codebook, Reference, Request, RequestState, Round, clock_from_events};
use foi_store::{NewMessage, OutboxState, Store};
use serde::Serialize;

use crate::compose::{Headers, compose};
use crate::context::{self, Original};
use crate::template::{Followup, TemplateSet};
use crate::{Error, Result, Sender, sha256_hex};

/// A fresh random reference.
pub fn new_reference() -> Result<Reference> {
    let mut bytes = [0u8; 5];
    getrandom::fill(&mut bytes).map_err(|e| Error::Invalid(format!("no randomness for a reference: {e}")))?;
    Ok(Reference::from_random(bytes))
}

/// Adds each body (by code) to the round as a draft request with a fresh reference;
/// bodies already in the round are left alone. Returns how many were added.
pub async fn add_bodies(store: &Store, slug: &str, codes: &[String], actor: &Actor) -> Result<usize> {
    let mut items = Vec::with_capacity(codes.len());
    for c in codes {
        items.push((c.clone(), new_reference()?.to_string()));
    }
    Ok(store.add_requests(slug, &items, actor).await?)
}

/// Everything needed to write a round's mail.
pub struct Writer<'a> {
    pub round: &'a Round,
    pub templates: &'a TemplateSet,
    pub codebook: &'a Codebook,
    pub sender: &'a Sender,
    pub today: NaiveDate,
}

/// A request's message, composed and ready to queue.
pub struct Prepared {
    pub request: Request,
    pub message: NewMessage,
}

fn reference_of(r: &Request) -> Result<Reference> {
    Reference::parse(&r.reference).map_err(|e| Error::Invalid(format!("request of {}: {e}", r.body.code)))
}

fn label(b: &Body) -> String {
    format!("{} ({})", b.name, b.code)
}

impl Writer<'_> {
    /// Renders and composes the request to one body. A body without an address is an error
    /// naming it.
    pub fn request_message(&self, r: &Request) -> Result<NewMessage> {
        let to = r
            .body
            .foi_email
            .clone()
            .ok_or_else(|| Error::Invalid(format!("{} has no FOI email address", label(&r.body))))?;
        let reference = reference_of(r)?;
        let ctx = context::request(&r.body, self.round, self.sender, &reference, self.codebook, self.today);
        let rendered = self.templates.render_request(r.body.kind, &ctx, &label(&r.body))?;
        let message_id = reference.message_id("request", 0, &self.sender.reply_domain);
        self.compose_message("request", &to, &reference, message_id, Vec::new(), &rendered)
    }

    fn compose_message(
        &self,
        kind: &str,
        to: &str,
        reference: &Reference,
        message_id: String,
        thread: Vec<String>,
        rendered: &crate::Rendered,
    ) -> Result<NewMessage> {
        let headers = Headers {
            from: self.sender.mailbox()?,
            to: to.to_string(),
            reply_to: self.sender.reply_address(reference),
            message_id: message_id.clone(),
            thread: thread.clone(),
            date: Utc::now(),
        };
        let raw = compose(rendered, &headers)?;
        Ok(NewMessage {
            request_id: None,
            direction: "outgoing".into(),
            kind: kind.into(),
            message_id: Some(message_id),
            content_hash: sha256_hex(&raw),
            from_addr: Some(self.sender.email.clone()),
            to_addrs: Some(to.to_string()),
            subject: Some(rendered.subject.clone()),
            date: None,
            in_reply_to: thread.last().cloned(),
            references: (!thread.is_empty()).then(|| thread.join(" ")),
            body_text: Some(rendered.text.clone()),
            outbox_state: Some(OutboxState::Queued.as_str().into()),
            // The raw bytes carry the attachments; outgoing ones are not stored twice.
            attachments: Vec::new(),
            raw,
            ..Default::default()
        })
    }
}

/// The outcome of preparing a round's requests.
#[derive(Default)]
pub struct Preparation {
    pub ready: Vec<Prepared>,
    /// Draft requests to bodies with no FOI email address: skipped, never guessed.
    pub no_address: Vec<Body>,
    /// Requests that are not drafts (already queued or sent): left alone.
    pub not_draft: usize,
}

/// Renders and composes every draft request of the round. Any template error stops
/// everything before anything is queued.
pub async fn prepare(store: &Store, w: &Writer<'_>, only: Option<&str>) -> Result<Preparation> {
    let mut p = Preparation::default();
    for r in store.requests(&w.round.slug).await? {
        if only.is_some_and(|c| !c.eq_ignore_ascii_case(&r.body.code)) {
            continue;
        }
        if r.state != RequestState::Draft {
            p.not_draft += 1;
            continue;
        }
        if r.body.foi_email.is_none() {
            p.no_address.push(r.body.clone());
            continue;
        }
        let message = w.request_message(&r)?;
        p.ready.push(Prepared { request: r, message });
    }
    Ok(p)
}

/// Queues prepared requests in the outbox, all in one transaction. Returns how many were queued.
pub async fn queue(store: &Store, prepared: &[Prepared], actor: &Actor, today: NaiveDate) -> Result<usize> {
    let items: Vec<(i32, &NewMessage)> = prepared.iter().map(|p| (p.request.id, &p.message)).collect();
    Ok(store.enqueue_all(&items, actor, today).await?)
}

/// Exactly the bytes that would be sent to one body: the stored bytes once queued or sent,
/// otherwise freshly composed (then only the Date header and MIME boundaries will differ).
pub async fn preview(store: &Store, w: &Writer<'_>, code: &str) -> Result<(Vec<u8>, bool)> {
    let requests = store.requests(&w.round.slug).await?;
    let r = requests
        .iter()
        .find(|r| r.body.code.eq_ignore_ascii_case(code))
        .ok_or_else(|| Error::Invalid(format!("{code} is not in round {}", w.round.slug)))?;
    if let Some(m) =
        store.messages_of_request(r.id).await?.into_iter().find(|m| m.kind == "request" && m.direction == "outgoing")
    {
        return Ok((store.message_raw(m.id).await?, true));
    }
    Ok((w.request_message(r)?.raw, false))
}

/// One request's deadline status.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub reference: String,
    pub body_code: String,
    pub body_name: String,
    pub state: RequestState,
    pub sent_on: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub very_overdue: Option<NaiveDate>,
    pub working_days_overdue: i64,
    pub chasers_sent: i32,
}

/// The deadline status of every request of a round on `today` (their clock events read in
/// one query).
pub async fn status(store: &Store, slug: &str, today: NaiveDate) -> Result<Vec<Status>> {
    let mut events = store.round_clock_events(slug).await?;
    let mut out = Vec::new();
    for r in store.requests(slug).await? {
        let e = events.remove(&r.id).unwrap_or_default();
        out.push(status_with(&r, &e, today)?);
    }
    Ok(out)
}

/// The deadline status of one request on `today`.
pub async fn status_of(store: &Store, r: &Request, today: NaiveDate) -> Result<Status> {
    status_with(r, &store.request_events(r.id).await?, today)
}

/// The deadline status of a request with its event log on `today`.
pub fn status_with(r: &Request, events: &[foi_core::RequestEvent], today: NaiveDate) -> Result<Status> {
    let cal = Calendar::uk();
    let clock = clock_from_events(events);
    // An internal review has its own 20 working days, from the day it was asked for.
    let review = (r.state == RequestState::InternalReviewRequested)
        .then(|| events.iter().rev().find(|e| e.to == RequestState::InternalReviewRequested))
        .flatten()
        .map(|e| foi_core::Clock::new(e.on));
    let (due, very, overdue) = match review.as_ref().or(clock.as_ref()) {
        Some(c) if r.state.awaits_body() || r.state.awaits_officer() || r.state.has_outcome() => {
            let due = c.due(cal, r.body.regime)?;
            let very = c.very_overdue(cal, r.body.regime)?;
            let waiting = r.state.awaits_body() || review.is_some();
            let overdue = if waiting { c.working_days_overdue(cal, r.body.regime, today)? } else { 0 };
            (due, very, overdue)
        }
        _ => (None, None, 0),
    };
    Ok(Status {
        reference: r.reference.clone(),
        body_code: r.body.code.clone(),
        body_name: r.body.name.clone(),
        state: r.state,
        sent_on: clock.as_ref().map(|c| c.received),
        due,
        very_overdue: very,
        working_days_overdue: overdue,
        chasers_sent: r.chasers_sent,
    })
}

/// A chaser to write.
pub struct Chase {
    pub request: Request,
    pub status: Status,
    pub message: NewMessage,
}

/// Chasers for every overdue request of the round that still awaits the body, that has had
/// fewer than `max` chasers, and whose last chaser is at least `gap` working days old.
pub async fn chasers(store: &Store, w: &Writer<'_>, max: i32, gap: i64) -> Result<Vec<Chase>> {
    let cal = Calendar::uk();
    let mut events = store.round_clock_events(&w.round.slug).await?;
    let mut out = Vec::new();
    for r in store.requests(&w.round.slug).await? {
        if !r.state.awaits_body() || r.chasers_sent >= max {
            continue;
        }
        let st = status_with(&r, &events.remove(&r.id).unwrap_or_default(), w.today)?;
        if st.working_days_overdue <= 0 {
            continue;
        }
        let messages = store.messages_of_request(r.id).await?;
        let chasers: Vec<_> = messages.iter().filter(|m| m.direction == "outgoing" && m.kind == "chaser").collect();
        // One chaser at a time: none while another is still in the outbox.
        if chasers
            .iter()
            .any(|m| m.outbox_state.as_deref() != Some("sent") && m.outbox_state.as_deref() != Some("failed_permanent"))
        {
            continue;
        }
        if let Some(last) = chasers.iter().filter_map(|m| m.date).max()
            && cal.working_days_between(r.body.regime, last.date_naive(), w.today)? < gap
        {
            continue;
        }
        let n = r.chasers_sent as u32 + 1;
        let message = followup_message(store, w, &r, &st, Followup::Chaser, n, "").await?;
        out.push(Chase { request: r, status: st, message });
    }
    Ok(out)
}

/// Composes a chaser (number `n`), an internal review request or a clarification for a
/// request, threaded to everything already sent for it. `text` is the officer's
/// clarification or reason for review.
pub async fn followup_message(
    store: &Store,
    w: &Writer<'_>,
    r: &Request,
    st: &Status,
    which: Followup,
    n: u32,
    text: &str,
) -> Result<NewMessage> {
    let sent: Vec<_> = store
        .messages_of_request(r.id)
        .await?
        .into_iter()
        .filter(|m| m.direction == "outgoing" && m.outbox_state.as_deref() == Some("sent"))
        .collect();
    let reference = reference_of(r)?;
    let to = r
        .to_address
        .clone()
        .or(r.body.foi_email.clone())
        .ok_or_else(|| Error::Invalid(format!("{} has no address", label(&r.body))))?;
    let orig = Original {
        sent: st.sent_on.unwrap_or(w.today),
        subject: sent.iter().find(|m| m.kind == "request").and_then(|m| m.subject.clone()).unwrap_or_default(),
        due: st.due,
        working_days_overdue: st.working_days_overdue,
    };
    let base = context::request(&r.body, w.round, w.sender, &reference, w.codebook, w.today);
    let (clarification, review) = match which {
        Followup::Clarification => (text, ""),
        Followup::InternalReview => ("", text),
        Followup::Chaser => ("", ""),
    };
    let ctx = context::followup(base, &orig, n, clarification, review);
    let rendered = w.templates.render_followup(which, &ctx, &label(&r.body))?;
    let thread: Vec<String> = sent.iter().filter_map(|m| m.message_id.clone()).collect();
    let count = sent.iter().filter(|m| m.kind == which.kind()).count() as u32;
    let number = if which == Followup::Chaser { n } else { count + 1 };
    let message_id = reference.message_id(which.kind(), number, &w.sender.reply_domain);
    w.compose_message(which.kind(), &to, &reference, message_id, thread, &rendered)
}
