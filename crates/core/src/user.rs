//! Users of the web UI and their roles.

use crate::Named;

/// What a user may do. Each role includes what the roles after it may do, except that
/// officers and analysts have separate jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Users and the body registry, and everything else.
    Admin,
    /// Rounds, sending, chasing.
    Officer,
    /// Triage and tagging.
    Analyst,
    /// Read only.
    Viewer,
}

impl Named for Role {
    const ALL: &'static [Self] = &[Self::Admin, Self::Officer, Self::Analyst, Self::Viewer];
    fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Officer => "officer",
            Self::Analyst => "analyst",
            Self::Viewer => "viewer",
        }
    }
}
crate::named_enum_impls!(Role, "role");
