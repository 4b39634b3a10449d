//! The request lifecycle: the states a request moves through and which moves are allowed.

use serde::Serialize;

use crate::Named;

/// Where one request (one body in one round) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestState {
    /// Added to a round, not yet released for sending.
    Draft,
    /// Released for sending; the outbox holds its message.
    Queued,
    /// Sent; the statutory clock runs from the day it was sent.
    Sent,
    /// The message bounced or was refused by the body's mail server.
    DeliveryFailed,
    /// The body confirmed receipt.
    Acknowledged,
    /// The body asked for clarification: the clock is stopped until the charity answers.
    ClarificationRequested,
    /// The charity sent its clarification: the clock started again.
    ClarificationProvided,
    AnsweredFull,
    AnsweredPartial,
    /// Refused, citing exemptions (s.12 cost limit, s.40 personal data...).
    Refused,
    /// The body says it does not hold the information.
    NotHeld,
    InternalReviewRequested,
    InternalReviewAnswered,
    Withdrawn,
}

impl Named for RequestState {
    const ALL: &'static [Self] = &[
        Self::Draft,
        Self::Queued,
        Self::Sent,
        Self::DeliveryFailed,
        Self::Acknowledged,
        Self::ClarificationRequested,
        Self::ClarificationProvided,
        Self::AnsweredFull,
        Self::AnsweredPartial,
        Self::Refused,
        Self::NotHeld,
        Self::InternalReviewRequested,
        Self::InternalReviewAnswered,
        Self::Withdrawn,
    ];
    fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::DeliveryFailed => "delivery_failed",
            Self::Acknowledged => "acknowledged",
            Self::ClarificationRequested => "clarification_requested",
            Self::ClarificationProvided => "clarification_provided",
            Self::AnsweredFull => "answered_full",
            Self::AnsweredPartial => "answered_partial",
            Self::Refused => "refused",
            Self::NotHeld => "not_held",
            Self::InternalReviewRequested => "internal_review_requested",
            Self::InternalReviewAnswered => "internal_review_answered",
            Self::Withdrawn => "withdrawn",
        }
    }
}
crate::named_enum_impls!(RequestState, "request state");

use RequestState::*;

/// States in which the body holds the request and owes an answer (chasers may go).
const AWAITING_BODY: &[RequestState] = &[Sent, Acknowledged, ClarificationProvided];
/// The body's substantive outcomes; a person may move between them to correct a classification.
const OUTCOMES: &[RequestState] = &[AnsweredFull, AnsweredPartial, Refused, NotHeld];

impl RequestState {
    /// Whether the request has left foi (it was sent at some point).
    pub fn was_sent(self) -> bool {
        !matches!(self, Draft | Queued)
    }

    /// Whether the body owes an answer now and the statutory clock is running.
    pub fn awaits_body(self) -> bool {
        AWAITING_BODY.contains(&self)
    }

    /// Whether the charity has to act (clarify, fix an address) before anything moves.
    pub fn awaits_officer(self) -> bool {
        matches!(self, ClarificationRequested | DeliveryFailed)
    }

    /// Whether the body provided some or all of the information asked for.
    pub fn is_answered(self) -> bool {
        matches!(self, AnsweredFull | AnsweredPartial)
    }

    /// Whether the body gave a substantive response (answer, refusal or not held).
    pub fn has_outcome(self) -> bool {
        OUTCOMES.contains(&self) || matches!(self, InternalReviewRequested | InternalReviewAnswered)
    }

    /// Moves the automatic parts of foi (mailer, inbox) may make.
    pub fn can_move_to(self, next: RequestState) -> bool {
        let to = |allowed: &[RequestState]| allowed.contains(&next);
        match self {
            Draft => to(&[Queued, Withdrawn]),
            Queued => to(&[Draft, Sent, DeliveryFailed, Withdrawn]),
            DeliveryFailed => to(&[Queued, Withdrawn]),
            Sent | Acknowledged | ClarificationProvided => {
                to(&[Acknowledged, ClarificationRequested, DeliveryFailed, InternalReviewRequested, Withdrawn])
                    || to(OUTCOMES)
            }
            ClarificationRequested => to(&[ClarificationProvided, Withdrawn]) || to(OUTCOMES),
            AnsweredFull | AnsweredPartial | Refused | NotHeld => {
                to(&[InternalReviewRequested, Withdrawn]) || (to(OUTCOMES) && next != self)
            }
            InternalReviewRequested => to(&[InternalReviewAnswered, Withdrawn]),
            InternalReviewAnswered => to(&[InternalReviewRequested]),
            Withdrawn => false,
        }
    }

    /// Checks a move. A person (with a reason) may also correct a state by hand, except
    /// that nothing un-sends a request and nothing moves a sent request back to the outbox
    /// other than the outbox itself after a failed delivery.
    pub fn check_move(self, next: RequestState, actor: &Actor) -> Result<(), TransitionError> {
        if self == next {
            return Err(TransitionError::Unchanged(self));
        }
        if self.can_move_to(next) {
            return Ok(());
        }
        let manual_ok = actor.is_person() && self.was_sent() && next.was_sent();
        if manual_ok { Ok(()) } else { Err(TransitionError::NotAllowed { from: self, to: next }) }
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a request cannot move from {from} to {to}")]
    NotAllowed { from: RequestState, to: RequestState },
    #[error("the request is already {0}")]
    Unchanged(RequestState),
}

/// Who or what made a change, as kept in the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in or command-line user.
    Person(String),
    /// A part of foi acting on its own (`mailer`, `inbox`...).
    System(String),
}

impl Actor {
    pub fn is_person(&self) -> bool {
        matches!(self, Actor::Person(_))
    }

    /// The stored form: `person:NAME` or `system:NAME`.
    pub fn to_stored(&self) -> String {
        match self {
            Actor::Person(n) => format!("person:{n}"),
            Actor::System(n) => format!("system:{n}"),
        }
    }

    /// Reads the stored form back; anything unrecognised is taken as a system name.
    pub fn from_stored(s: &str) -> Actor {
        match s.split_once(':') {
            Some(("person", n)) => Actor::Person(n.to_string()),
            Some(("system", n)) => Actor::System(n.to_string()),
            _ => Actor::System(s.to_string()),
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_stored())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in RequestState::ALL {
            assert_eq!(s.name().parse::<RequestState>(), Ok(*s));
        }
        assert_eq!("Answered-Full".parse::<RequestState>(), Ok(AnsweredFull));
    }

    #[test]
    fn automatic_moves_follow_the_lifecycle() {
        let inbox = Actor::System("inbox".into());
        for (from, to, ok) in [
            (Draft, Queued, true),
            (Queued, Sent, true),
            (Sent, Acknowledged, true),
            (Acknowledged, ClarificationRequested, true),
            (ClarificationRequested, ClarificationProvided, true),
            (ClarificationProvided, AnsweredPartial, true),
            (AnsweredPartial, AnsweredFull, true),
            (Refused, InternalReviewRequested, true),
            (InternalReviewRequested, InternalReviewAnswered, true),
            (Sent, Draft, false),
            (Sent, Queued, false),
            (Withdrawn, Sent, false),
            (Draft, Sent, false),
            (ClarificationRequested, Acknowledged, false),
        ] {
            assert_eq!(from.check_move(to, &inbox).is_ok(), ok, "{from} -> {to}");
        }
        assert_eq!(Sent.check_move(Sent, &inbox), Err(TransitionError::Unchanged(Sent)));
    }

    #[test]
    fn people_may_correct_but_never_unsend() {
        let officer = Actor::Person("officer".into());
        assert!(InternalReviewAnswered.check_move(AnsweredFull, &officer).is_ok());
        assert!(Withdrawn.check_move(Sent, &officer).is_ok());
        assert!(Sent.check_move(Queued, &officer).is_err());
        assert!(AnsweredFull.check_move(Draft, &officer).is_err());
    }

    #[test]
    fn actor_stored_form() {
        for a in [Actor::Person("ann".into()), Actor::System("mailer".into())] {
            assert_eq!(Actor::from_stored(&a.to_stored()), a);
        }
    }
}
