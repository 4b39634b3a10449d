//! Sending: a round's draft requests rendered, checked and queued (bodies with no address
//! are skipped, never guessed); chasers for the overdue; a request's follow-up (the
//! clarification the body asked for, an internal review); the outbox run (exactly once, the
//! retry policy); and the officer's decision on a message held because its outcome is
//! unknown. The CLI, the demo and the simulator send through here.

use std::time::Duration;

use chrono::NaiveDate;
use foi_core::{Actor, Body, RequestState};
use foi_mailer::outbox::{self, SendOptions, SendSummary, SentFolder};
use foi_mailer::round::{self, Chase};
use foi_mailer::{Followup, Pacing, Transport};
use foi_store::{OutboxState, Store};

use crate::rounds::{Kit, Settings};
use crate::{Error, Result};

/// Attempts before a temporary failure counts as permanent.
pub const MAX_ATTEMPTS: i32 = 5;
/// The first wait after a temporary failure (it doubles with each attempt, up to an hour).
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The rounds a command is about: the one named, or every open round.
pub async fn rounds(store: &Store, only: Option<&str>) -> Result<Vec<String>> {
    Ok(match only {
        Some(s) => vec![store.round(s).await?.slug],
        None => store.rounds().await?.into_iter().filter(|r| r.closed_at.is_none()).map(|r| r.slug).collect(),
    })
}

/// What queueing a launch did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct Queued {
    /// Requests that render and compose cleanly.
    pub ready: usize,
    /// Requests queued now.
    pub queued: usize,
    /// Bodies skipped: no FOI address.
    pub skipped: Vec<Body>,
}

/// Renders every draft request of the rounds (`only`, else every open round), checks it and
/// queues it, all of a round or none of it; with `dry_run` nothing is queued.
pub async fn queue_requests(
    store: &Store,
    settings: &Settings,
    only: Option<&str>,
    today: NaiveDate,
    actor: &Actor,
    dry_run: bool,
) -> Result<Queued> {
    let mut out = Queued::default();
    let mut prepared = Vec::new();
    for slug in rounds(store, only).await? {
        let kit = Kit::load(store, settings, &slug).await?;
        let p = round::prepare(store, &kit.writer(today), None).await?;
        out.skipped.extend(p.no_address);
        out.ready += p.ready.len();
        prepared.push(p.ready);
    }
    if !dry_run {
        for p in &prepared {
            out.queued += round::queue(store, p, actor, today).await?;
        }
    }
    Ok(out)
}

/// Chasers due today: every overdue request awaiting its body with fewer than `max` chasers,
/// the last at least `gap` working days ago.
pub async fn chasers(
    store: &Store,
    settings: &Settings,
    only: Option<&str>,
    max: i32,
    gap: i64,
    today: NaiveDate,
) -> Result<Vec<Chase>> {
    let mut all = Vec::new();
    for slug in rounds(store, only).await? {
        let kit = Kit::load(store, settings, &slug).await?;
        all.extend(round::chasers(store, &kit.writer(today), max, gap).await?);
    }
    Ok(all)
}

/// Queues the chasers.
pub async fn queue_chasers(store: &Store, chasers: &[Chase], actor: &Actor, today: NaiveDate) -> Result<usize> {
    let mut n = 0;
    for c in chasers {
        n += usize::from(store.enqueue(c.request.id, &c.message, actor, today).await?);
    }
    Ok(n)
}

/// Whether a follow-up may be sent to a request in `state`: a clarification only when the
/// body asked for one; an internal review of an answer, a refusal or a late request; a
/// chaser while the body owes an answer.
pub fn followup_allowed(state: RequestState, which: Followup) -> bool {
    match which {
        Followup::Clarification => state == RequestState::ClarificationRequested,
        Followup::InternalReview => state.has_outcome() || state.awaits_body(),
        Followup::Chaser => state.awaits_body(),
    }
}

/// Composes and queues a follow-up for the request `reference` (`text`: the clarification or
/// the reason for the review); returns its round's slug, for the outbox run.
pub async fn queue_followup(
    store: &Store,
    settings: &Settings,
    reference: &str,
    which: Followup,
    text: &str,
    today: NaiveDate,
    actor: &Actor,
) -> Result<String> {
    let r = store.request(reference).await?;
    if !followup_allowed(r.state, which) {
        return Err(Error::Invalid(format!(
            "{reference} is {}: a {} cannot be sent now",
            r.state,
            which.kind().replace('_', " ")
        )));
    }
    if text.trim().is_empty() && which != Followup::Chaser {
        return Err(Error::Invalid(format!("a {} needs its text", which.kind().replace('_', " "))));
    }
    let round = store
        .rounds()
        .await?
        .into_iter()
        .find(|x| x.id == r.round_id)
        .ok_or_else(|| Error::Invalid(format!("request {reference} has no round")))?;
    let slug = round.slug.clone();
    let kit = Kit::of(round, settings)?;
    let w = kit.writer(today);
    let st = round::status_of(store, &r, today).await?;
    let msg = round::followup_message(store, &w, &r, &st, which, 1, text).await?;
    store.enqueue(r.id, &msg, actor, today).await?;
    Ok(slug)
}

/// One run of the outbox.
#[derive(Debug, Clone)]
pub struct Run {
    /// Only this round's messages.
    pub round: Option<String>,
    pub pacing: Pacing,
    pub connections: usize,
    pub today: NaiveDate,
    pub actor: Actor,
}

/// Sends what is queued (and retries what is due), exactly once each: reconciles a run that
/// was stopped first, against the transport's record and the Sent folder.
pub async fn run_outbox<S: SentFolder>(
    store: &Store,
    transport: &mut Transport,
    sent_folder: &mut S,
    run: &Run,
    progress: impl FnMut(usize, usize, &str),
) -> Result<SendSummary> {
    let opts = SendOptions {
        round: run.round.clone(),
        pacing: run.pacing,
        max_attempts: MAX_ATTEMPTS,
        retry_after: RETRY_AFTER,
        today: run.today,
        connections: run.connections,
        actor: run.actor.clone(),
    };
    Ok(outbox::send(store, transport, sent_folder, &opts, progress).await?)
}

/// Whether a run went cleanly: nothing failed for good, nothing held for the officer.
pub fn clean(s: &SendSummary) -> bool {
    s.failed.is_empty() && s.held.is_empty()
}

/// The officer's decision on the held messages of request `reference`: send again
/// (`resend`), or record as sent after checking that it arrived. Returns the kinds of the
/// messages decided.
pub async fn release_held(
    store: &Store,
    reference: &str,
    resend: bool,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Vec<String>> {
    let req = store.request(reference).await?;
    let held = store.outbox(None, &[OutboxState::Held]).await?;
    let items: Vec<_> = held.into_iter().filter(|i| i.request_id == req.id).collect();
    if items.is_empty() {
        return Err(Error::Invalid(format!("request {reference} has no held message")));
    }
    let mut kinds = Vec::new();
    for i in items {
        store.release_held(i.id, resend, actor, today).await?;
        kinds.push(i.kind);
    }
    Ok(kinds)
}
