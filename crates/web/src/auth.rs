//! Who is signed in and what they may do: argon2 password hashes, session cookies (a random
//! token; the database keeps only its SHA-256), the per-session form token every form must
//! carry (CSRF), and the role rules each route checks.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use foi_core::{Named, Role};
use foi_store::User;
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};

/// The session cookie's name.
pub const COOKIE: &str = "foi_session";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// An argon2id hash of a password (with a fresh random salt), as `users.password_hash` keeps it.
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 8 {
        return Err(Error::BadRequest("a password needs at least 8 characters".into()));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches a stored hash (a malformed hash matches nothing).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A dummy hash checked when the user does not exist, so that a wrong name takes as long
/// as a wrong password.
const NOBODY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Wv8N4kQ6m8ZpyjJf4dFv8m1w2I6s4F4p0V3i6k9l0aE";

/// Whether `password` signs in a user found with this stored hash and disabled flag (None:
/// no such user, checked against a dummy hash all the same).
pub fn verify_user(password: &str, user: Option<(&str, bool)>) -> bool {
    match user {
        Some((hash, disabled)) => verify_password(password, hash) && !disabled,
        None => {
            verify_password(password, NOBODY);
            false
        }
    }
}

/// A form posted from another site is refused (the session cookie is SameSite=Strict too).
pub fn same_origin(headers: &HeaderMap) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    if origin == "null" || origin_host != host {
        return Err(Error::Csrf);
    }
    Ok(())
}

/// A new random token: 32 bytes as hex.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

/// The SHA-256 of a session token, as the database keeps it.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a route does, for the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See rounds, requests, replies, reports, bodies.
    Read,
    /// Change a request's state, chase (officers).
    Officer,
    /// Assign or dismiss messages in triage (analysts).
    Triage,
    /// Tag answers (analysts).
    Tag,
    /// Edit and import bodies, manage users (admins).
    Admin,
}

/// Whether a role may do an action: admins everything; officers rounds and requests;
/// analysts triage and tagging; viewers only read.
pub fn may(role: Role, action: Action) -> bool {
    match action {
        Action::Read => true,
        Action::Officer => matches!(role, Role::Admin | Role::Officer),
        Action::Triage | Action::Tag => matches!(role, Role::Admin | Role::Analyst),
        Action::Admin => role == Role::Admin,
    }
}

/// The signed-in user of a request (routes that take it need a session; without one the
/// browser is sent to the sign-in page).
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: User,
    pub csrf: String,
    /// The length of the triage queue, read with the session (every page's frame shows it).
    pub triage: u64,
}

impl Signed {
    /// Refuses unless the user's role may do `action`.
    pub fn require(&self, action: Action) -> Result<()> {
        if may(self.user.role, action) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{} ({}) may not do that", self.user.username, self.user.role.name())))
        }
    }

    /// Checks a submitted form: the user may do `action`, and the form carries this
    /// session's token.
    pub fn check_form(&self, action: Action, csrf: &str) -> Result<()> {
        if !same(csrf, &self.csrf) {
            return Err(Error::Csrf);
        }
        self.require(action)
    }
}

/// The session token in the request's cookies.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then(|| value.to_string())
    })
}

impl FromRequestParts<App> for Signed {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Signed> {
        let Some(token) = session_token(&parts.headers) else { return Err(Error::SignIn) };
        match app.store.session(&token_hash(&token)).await? {
            Some(s) => Ok(Signed { user: s.user, csrf: s.csrf_token, triage: s.triage_queue }),
            None => Err(Error::SignIn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash_password("correct horse").unwrap_or_default(), h, "salted");
        assert!(hash_password("short").is_err());
        assert!(PasswordHash::new(NOBODY).is_ok(), "the dummy hash is checked, not refused at parsing");
        assert!(!verify_user("correct horse", None) && verify_user("correct horse", Some((&h, false))));
        assert!(!verify_user("correct horse", Some((&h, true))), "disabled");
    }

    #[test]
    fn roles_do_their_own_jobs() {
        assert!(may(Role::Viewer, Action::Read) && !may(Role::Viewer, Action::Tag));
        assert!(may(Role::Analyst, Action::Tag) && may(Role::Analyst, Action::Triage));
        assert!(!may(Role::Analyst, Action::Officer) && !may(Role::Officer, Action::Tag));
        assert!(may(Role::Admin, Action::Tag) && may(Role::Admin, Action::Admin) && !may(Role::Officer, Action::Admin));
    }

    #[test]
    fn tokens_are_random_and_kept_hashed() {
        let (a, b) = (new_token().unwrap_or_default(), new_token().unwrap_or_default());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("other=1; {COOKIE}={a}").parse().unwrap_or(header::HeaderValue::from_static("")),
        );
        assert_eq!(session_token(&h), Some(a));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
