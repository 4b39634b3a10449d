//! Rounds (campaign waves) and requests (one body in one round) as officers see them,
//! and the statutory clock read from a request's event log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Actor, Body, Clock, Pause, RequestState};

/// A campaign wave: the same request sent to many bodies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    pub id: i32,
    pub slug: String,
    pub name: String,
    /// Which codebook the round's questions come from (its file name) and its text as used.
    pub codebook_name: String,
    #[serde(skip)]
    pub codebook: String,
    /// The template folder under `templates/`.
    pub template_set: String,
    pub sender_name: String,
    pub sender_email: String,
    /// Domain of the per-request reply addresses (`foi+TOKEN@domain`).
    pub reply_domain: Option<String>,
    pub launch_date: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A number the database moves whenever anything the round's pages show changes: one
    /// of its requests, their events or their bodies. Equal revisions, same round page.
    #[serde(skip)]
    pub revision: i64,
}

/// One body in one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub id: i32,
    pub round_id: i32,
    pub body: Body,
    /// The reference token that travels in the reply address and the subject.
    pub reference: String,
    pub state: RequestState,
    /// The address the request went (or goes) to.
    pub to_address: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub exemptions: Vec<String>,
    pub chasers_sent: i32,
}

/// One entry of a request's append-only event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestEvent {
    pub at: DateTime<Utc>,
    /// The UK calendar day the event counts on for the statutory clock.
    pub on: NaiveDate,
    pub from: Option<RequestState>,
    pub to: RequestState,
    pub actor: Actor,
    pub reason: Option<String>,
    pub message_id: Option<i64>,
}

/// The states whose events set a request's statutory clocks: sending, clarification
/// requested and provided ([`clock_from_events`]), and an internal review's own 20 days.
pub const CLOCK_STATES: [RequestState; 4] = [
    RequestState::Sent,
    RequestState::ClarificationRequested,
    RequestState::ClarificationProvided,
    RequestState::InternalReviewRequested,
];

/// The statutory clock of a request, read from its events: it starts when the request is
/// first sent, stops at each clarification request and starts again at each clarification
/// provided. None until the request has been sent.
pub fn clock_from_events(events: &[RequestEvent]) -> Option<Clock> {
    let sent = events.iter().find(|e| e.to == RequestState::Sent)?;
    let mut clock = Clock::new(sent.on);
    for e in events.iter().filter(|e| e.at >= sent.at) {
        match e.to {
            RequestState::ClarificationRequested if clock.pauses.last().is_none_or(|p| p.resumed.is_some()) => {
                clock.pauses.push(Pause { requested: e.on, resumed: None });
            }
            RequestState::ClarificationProvided => {
                if let Some(p) = clock.pauses.last_mut().filter(|p| p.resumed.is_none()) {
                    p.resumed = Some(e.on);
                }
            }
            _ => {}
        }
    }
    Some(clock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState::*;

    fn ev(day: &str, to: RequestState) -> RequestEvent {
        let on = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        RequestEvent {
            at: on.and_hms_opt(12, 0, 0).unwrap().and_utc(),
            on,
            from: None,
            to,
            actor: Actor::System("test".into()),
            reason: None,
            message_id: None,
        }
    }

    #[test]
    fn clock_follows_clarifications() {
        assert_eq!(clock_from_events(&[ev("2025-01-06", Queued)]), None);
        let c = clock_from_events(&[
            ev("2025-01-06", Queued),
            ev("2025-01-06", Sent),
            ev("2025-01-10", ClarificationRequested),
            ev("2025-01-15", ClarificationProvided),
            ev("2025-01-20", Acknowledged),
        ])
        .unwrap();
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(c.received, d("2025-01-06"));
        assert_eq!(c.pauses, vec![Pause { requested: d("2025-01-10"), resumed: Some(d("2025-01-15")) }]);
    }
}
