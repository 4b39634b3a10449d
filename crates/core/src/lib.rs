//! Domain types of foi (bodies, rounds, requests, messages, tags, users), the request
//! lifecycle and the FOI working-day calendar. This crate does no IO.

#![forbid(unsafe_code)]

pub mod body;
pub mod calendar;
pub mod codebook;
pub mod domain;
pub mod lifecycle;
pub mod message;
pub mod reference;
pub mod registry;
pub mod round;
pub mod secret;
pub mod user;

pub use body::{AddressSource, Body, BodyKind, Confidence};
pub use calendar::{Calendar, CalendarError, Clock, Pause, Regime};
pub use codebook::{Answer, AnswerType, Codebook, Question};
pub use lifecycle::{Actor, RequestState, TransitionError};
pub use message::{Direction, MessageClass};
pub use reference::Reference;
pub use registry::{BodyImport, BodyPatch, BodyRow, ImportError, ImportReport, SuccessionRow};
pub use round::{Request, RequestEvent, Round, clock_from_events};
pub use secret::Secret;
pub use user::Role;

/// A value that has a stable lowercase name, used in the database, in JSON and on the command line.
pub trait Named: Sized + Copy + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The stable name (`snake_case`).
    fn name(self) -> &'static str;
    /// Parses a stable name; also accepts spaces or hyphens for underscores, in any case.
    fn from_name(s: &str) -> Option<Self> {
        // The stored form first (no allocation: the store reads names by the thousand).
        Self::ALL.iter().copied().find(|v| v.name() == s).or_else(|| {
            let wanted = normalise_name(s);
            Self::ALL.iter().copied().find(|v| v.name() == wanted)
        })
    }
}

/// Lowercases and turns runs of spaces, hyphens and dots into one underscore.
pub fn normalise_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        if c == ' ' || c == '-' || c == '.' || c == '_' {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim_matches('_').to_string()
}

/// Implements `Display`, `FromStr` and serde for a [`Named`] enum.
#[macro_export]
macro_rules! named_enum_impls {
    ($ty:ty, $what:literal) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::Named::name(*self))
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty as $crate::Named>::from_name(s).ok_or_else(|| $crate::UnknownName {
                    what: $what,
                    given: s.to_string(),
                    expected: <$ty as $crate::Named>::ALL
                        .iter()
                        .map(|v| $crate::Named::name(*v))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::Named::name(*self))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// A name that is not one of an enum's stable names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{given}\" (expected one of: {expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub expected: String,
}
