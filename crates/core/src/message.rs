//! Messages: which way they went and what an incoming one was classified as.

use crate::Named;

/// Whether foi sent the message or received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Outgoing,
    Incoming,
}

impl Named for Direction {
    const ALL: &'static [Self] = &[Self::Outgoing, Self::Incoming];
    fn name(self) -> &'static str {
        match self {
            Self::Outgoing => "outgoing",
            Self::Incoming => "incoming",
        }
    }
}
crate::named_enum_impls!(Direction, "message direction");

/// What an incoming message is, as the inbox classifies it (and a person may override).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageClass {
    Bounce,
    AutoReply,
    Acknowledgement,
    Clarification,
    AnswerFull,
    AnswerPartial,
    Refusal,
    NotHeld,
    ReviewOutcome,
    Unknown,
}

impl Named for MessageClass {
    const ALL: &'static [Self] = &[
        Self::Bounce,
        Self::AutoReply,
        Self::Acknowledgement,
        Self::Clarification,
        Self::AnswerFull,
        Self::AnswerPartial,
        Self::Refusal,
        Self::NotHeld,
        Self::ReviewOutcome,
        Self::Unknown,
    ];
    fn name(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::AutoReply => "auto_reply",
            Self::Acknowledgement => "acknowledgement",
            Self::Clarification => "clarification",
            Self::AnswerFull => "answer_full",
            Self::AnswerPartial => "answer_partial",
            Self::Refusal => "refusal",
            Self::NotHeld => "not_held",
            Self::ReviewOutcome => "review_outcome",
            Self::Unknown => "unknown",
        }
    }
}
crate::named_enum_impls!(MessageClass, "message class");
