//! Simulated public bodies, for the demo round and the benchmarks: given the requests a round
//! sent, a seeded generator writes the replies bodies send (acknowledgements, out-of-office
//! replies, bounces, clarification requests, answers in the body or as PDF letters and
//! spreadsheets, refusals citing s.12, s.40 or s.43, not-held letters, late answers, replies
//! that lose foi's reference) over simulated weeks, into a Maildir. The phrases are data
//! (`data/simulation/replies.toml`); the same seed always gives the same replies.

#![forbid(unsafe_code)]

pub mod launch;
pub mod maildir;
mod mime;
pub mod pdf;
mod phrases;
mod rng;
mod story;
pub mod xlsx;

use foi_core::Named;
use foi_store::Store;

pub use foi_mailer::Sender;
pub use launch::{Launch, chase_round, launch_round, synthetic_bodies};
pub use maildir::Maildir;
pub use rng::Rng;
pub use story::{Expected, Mix, Reply, Sent, Simulation};

/// What can go wrong simulating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("data/simulation/replies.toml: {0}")]
    Phrases(String),
    #[error("request {reference}: {message}")]
    Request { reference: String, message: String },
    #[error("{0}")]
    Round(String),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Mailer(#[from] foi_mailer::Error),
    #[error(transparent)]
    App(#[from] foi_app::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Sent {
    /// The request as received: its reference, who it went to, and the headers of the raw
    /// message foi sent (Message-ID, Subject, Reply-To, From).
    pub fn from_raw(
        reference: &str,
        body_name: &str,
        kind: foi_core::BodyKind,
        to: &str,
        sent_on: chrono::NaiveDate,
        raw: &[u8],
    ) -> Result<Sent> {
        use mailparse::MailHeaderMap;
        let problem = |message: String| Error::Request { reference: reference.to_string(), message };
        let (headers, end) =
            mailparse::parse_headers(raw).map_err(|e| problem(format!("the sent message cannot be read: {e}")))?;
        let get = |name: &str| headers.get_first_value(name).map(|v| v.trim().to_string());
        let address = |v: String| match mailparse::addrparse(&v).ok().and_then(|l| l.extract_single_info()) {
            Some(info) => info.addr,
            None => v,
        };
        let message_id = get("Message-ID")
            .map(|m| m.trim_matches(['<', '>']).to_string())
            .ok_or_else(|| problem("the sent message has no Message-ID".into()))?;
        let charity = get("From").map(address).ok_or_else(|| problem("the sent message has no From".into()))?;
        Ok(Sent {
            reference: reference.to_string(),
            body_name: body_name.to_string(),
            kind,
            body_email: to.to_string(),
            reply_to: get("Reply-To").map(address).unwrap_or_else(|| charity.clone()),
            charity,
            message_id,
            subject: get("Subject").unwrap_or_default(),
            header: String::from_utf8_lossy(&raw[..end.min(raw.len())]).into_owned(),
            sent_on,
        })
    }
}

/// The requests of a round that were sent, as their bodies received them.
pub async fn sent_requests(store: &Store, round: &str) -> Result<Vec<Sent>> {
    let mut out = Vec::new();
    for r in store.requests(round).await? {
        let (Some(at), Some(to)) = (r.sent_at, r.to_address.as_deref()) else { continue };
        let sent =
            store.messages_of_request(r.id).await?.into_iter().find(|m| {
                m.direction == "outgoing" && m.kind == "request" && m.outbox_state.as_deref() == Some("sent")
            });
        let Some(m) = sent else { continue };
        let raw = store.message_raw(m.id).await?;
        out.push(Sent::from_raw(&r.reference, &r.body.name, r.body.kind, to, at.date_naive(), &raw)?);
    }
    Ok(out)
}

/// Counts of expected classes, for a narrative: `[("answer_full", 120), ...]`.
pub fn tally(replies: &[Reply]) -> Vec<(&'static str, usize)> {
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    for r in replies {
        let name = r.expected.class.name();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => out.push((name, 1)),
        }
    }
    out
}
