//! Sending the outbox: reconcile what a stopped run left in flight, then send what is due,
//! one message at a time, committing each step before the next. A message whose outcome is
//! unknown is looked up (the .eml folder, the IMAP Sent folder) or held for the officer;
//! it is never resent blindly.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use foi_core::Actor;
use foi_store::{OutboxItem, OutboxState, Store};
use serde::Serialize;

use futures_util::TryStreamExt;
use tokio::sync::Mutex;

use crate::Result;
use crate::pacing::{Pacer, Pacing};
use crate::transport::{SendOutcome, Transport};
use foi_store::fault;

/// Where sent messages are also filed (the IMAP Sent folder), and where a message of
/// unknown outcome is looked for.
#[allow(async_fn_in_trait)]
pub trait SentFolder {
    /// Files a copy of a sent message.
    async fn file_copy(&mut self, raw: &[u8]) -> std::result::Result<(), String>;
    /// Whether the folder holds a message with this Message-ID.
    async fn contains(&mut self, message_id: &str) -> std::result::Result<bool, String>;
}

/// No Sent folder configured.
pub struct NoSentFolder;

impl SentFolder for NoSentFolder {
    async fn file_copy(&mut self, _: &[u8]) -> std::result::Result<(), String> {
        Ok(())
    }
    async fn contains(&mut self, _: &str) -> std::result::Result<bool, String> {
        Err("no IMAP Sent folder is configured".into())
    }
}

/// How to run the outbox.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Only this round's messages.
    pub round: Option<String>,
    pub pacing: Pacing,
    /// Attempts before a temporary failure counts as permanent.
    pub max_attempts: i32,
    /// First wait after a temporary failure; doubles with each attempt, up to an hour.
    pub retry_after: Duration,
    /// The UK day sends count on.
    pub today: NaiveDate,
    /// Connections to send over at once (1 keeps the order and holds at most one message
    /// if the run is killed; more are for large rounds with pacing off).
    pub connections: usize,
    pub actor: Actor,
}

/// One line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub reference: String,
    pub kind: String,
    pub to: String,
    pub detail: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendSummary {
    pub sent: Vec<Line>,
    /// Will be retried (temporary failures).
    pub retry: Vec<Line>,
    /// Refused for good.
    pub failed: Vec<Line>,
    /// Outcome unknown: the officer decides (`foi send --release` or `--mark-sent`).
    pub held: Vec<Line>,
    /// Left in flight by a stopped run and found to have gone.
    pub reconciled: Vec<Line>,
}

fn line(item: &OutboxItem, detail: impl Into<String>) -> Line {
    Line { reference: item.reference.clone(), kind: item.kind.clone(), to: item.to.clone(), detail: detail.into() }
}

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
}

/// Resolves messages a stopped run left in `sending`: sent if the transport or the Sent
/// folder shows them, back to the queue if the transport is certain they did not go,
/// otherwise held for the officer.
pub async fn reconcile(
    store: &Store,
    transport: &Transport,
    sent_folder: &mut impl SentFolder,
    opts: &SendOptions,
    summary: &mut SendSummary,
) -> Result<()> {
    for item in store.outbox(opts.round.as_deref(), &[OutboxState::Sending]).await? {
        let certain = transport.knows_sent(&item.message_id).await;
        let found = match certain {
            Some(k) => Ok(k),
            None => sent_folder.contains(&item.message_id).await,
        };
        let release = format!(
            "then run `foi send --release {r}` to send it again or `foi send --mark-sent {r}`",
            r = item.reference
        );
        match found {
            Ok(true) => {
                store
                    .mark_sent(item.id, &opts.actor, opts.today, "reconciled after an interrupted run: found as sent")
                    .await?;
                summary.reconciled.push(line(&item, "found as sent after an interrupted run"));
            }
            Ok(false) if certain.is_some() => {
                // The transport is certain it never went (no .eml file): queue it again.
                let why = "interrupted before it was written; queued again";
                store.mark_failed(item.id, why, Some(Utc::now()), &opts.actor, opts.today).await?;
            }
            Ok(false) => {
                let why = format!(
                    "outcome unknown after an interrupted run (not in the Sent folder); check the recipient, {release}"
                );
                store.mark_held(item.id, &why).await?;
                summary.held.push(line(&item, why));
            }
            Err(e) => {
                let why = format!(
                    "outcome unknown after an interrupted run ({e}); check the recipient or the Sent folder, {release}"
                );
                store.mark_held(item.id, &why).await?;
                summary.held.push(line(&item, why));
            }
        }
    }
    Ok(())
}

/// Sends every due message of the outbox once, over `opts.connections` connections;
/// `progress(done, total, what)` after each.
pub async fn send<S: SentFolder>(
    store: &Store,
    transport: &mut Transport,
    sent_folder: &mut S,
    opts: &SendOptions,
    progress: impl FnMut(usize, usize, &str),
) -> Result<SendSummary> {
    let mut summary = SendSummary::default();
    reconcile(store, transport, sent_folder, opts, &mut summary).await?;
    let now = Utc::now();
    let due: Vec<OutboxItem> = store
        .outbox(opts.round.as_deref(), &[OutboxState::Queued, OutboxState::FailedTemporary])
        .await?
        .into_iter()
        .filter(|i| i.state == OutboxState::Queued || i.next_attempt_at.is_none_or(|t| t <= now))
        .collect();
    let total = due.len();
    if total > 0 {
        // A server foi must not send through (its TLS certificate refused) stops the run here,
        // before any message is taken from the queue.
        transport.ready().await?;
    }
    let mut transports = Vec::new();
    for _ in 1..opts.connections.max(1) {
        transports.push(transport.another()?);
    }
    let shared = Shared {
        pool: Mutex::new(transports),
        sent_folder: Mutex::new(sent_folder),
        pacer: Mutex::new(Pacer::new(opts.pacing)),
        summary: Mutex::new(summary),
        progress: Mutex::new((0usize, progress)),
    };
    let first = Mutex::new(Some(transport));
    futures_util::stream::iter(due.iter().map(Ok))
        .try_for_each_concurrent(opts.connections.max(1), |item| async {
            // Each worker holds one transport (the caller's first, then the extra ones).
            let mut own = None;
            let mut borrowed = first.lock().await.take();
            if borrowed.is_none() {
                own = shared.pool.lock().await.pop();
            }
            let result = match (borrowed.as_deref_mut(), own.as_mut()) {
                (Some(t), _) | (None, Some(t)) => send_one(store, t, &shared, opts, item).await,
                (None, None) => Err(crate::Error::Invalid("no free connection".into())),
            };
            if let Some(t) = borrowed {
                *first.lock().await = Some(t);
            }
            if let Some(t) = own {
                shared.pool.lock().await.push(t);
            }
            let mut p = shared.progress.lock().await;
            p.0 += 1;
            let done = p.0;
            (p.1)(done, total, &item.reference);
            result
        })
        .await?;
    for mut t in shared.pool.into_inner() {
        t.close().await;
    }
    Ok(shared.summary.into_inner())
}

/// What the workers share.
struct Shared<'a, S, P> {
    pool: Mutex<Vec<Transport>>,
    sent_folder: Mutex<&'a mut S>,
    pacer: Mutex<Pacer>,
    summary: Mutex<SendSummary>,
    progress: Mutex<(usize, P)>,
}

/// Sends one message: claim, send, file a copy, record; each step committed before the next.
async fn send_one<S: SentFolder, P>(
    store: &Store,
    transport: &mut Transport,
    shared: &Shared<'_, S, P>,
    opts: &SendOptions,
    item: &OutboxItem,
) -> Result<()> {
    shared.pacer.lock().await.wait(&domain_of(&item.to)).await;
    if !store.claim_for_sending(item.id).await? {
        return Ok(()); // another run took it
    }
    let raw = store.message_raw(item.id).await?;
    fault::point("before_smtp");
    let outcome = transport.send(&item.from, &item.to, &raw).await;
    fault::point("after_smtp");
    type Bucket = fn(&mut SendSummary) -> &mut Vec<Line>;
    let (bucket, entry): (Bucket, Line) = match outcome {
        SendOutcome::Accepted(reply) => {
            let filed = shared.sent_folder.lock().await.file_copy(&raw).await;
            fault::point("before_commit");
            store.mark_sent(item.id, &opts.actor, opts.today, &format!("sent: {reply}")).await?;
            let detail = match filed {
                Ok(()) => reply,
                Err(e) => format!("{reply} (warning: not filed in the Sent folder: {e})"),
            };
            (|s| &mut s.sent, line(item, detail))
        }
        SendOutcome::Temporary(reason) if item.attempts + 1 < opts.max_attempts => {
            let wait = opts.retry_after.saturating_mul(1 << item.attempts.clamp(0, 6)).min(Duration::from_secs(3600));
            let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            store.mark_failed(item.id, &reason, Some(at), &opts.actor, opts.today).await?;
            (|s| &mut s.retry, line(item, format!("{reason} (retry after {})", at.format("%H:%M:%S UTC"))))
        }
        SendOutcome::Temporary(reason) | SendOutcome::Permanent(reason) => {
            store.mark_failed(item.id, &reason, None, &opts.actor, opts.today).await?;
            (|s| &mut s.failed, line(item, reason))
        }
        SendOutcome::Unknown(reason) => {
            let why = format!(
                "outcome unknown: {reason}; check the recipient, then run `foi send --release {r}` to send it again or `foi send --mark-sent {r}`",
                r = item.reference
            );
            store.mark_held(item.id, &why).await?;
            (|s| &mut s.held, line(item, why))
        }
    };
    bucket(&mut *shared.summary.lock().await).push(entry);
    Ok(())
}
