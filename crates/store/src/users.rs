//! Users of the web UI (a role each, an argon2 password hash made by the caller, never a
//! password) and their sessions (kept by the SHA-256 of the cookie's token).

use chrono::{DateTime, Utc};
use foi_core::{Named, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{session, user};
use crate::inbox::TRIAGE_QUEUE;
use crate::json::{Ts, plain_row};
use crate::{Error, Result, Store, not_found, now};

/// A user, as the web UI and `foi users list` show them.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session: who, and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    /// The length of the triage queue ([`Store::triage_count`]) as the session was read:
    /// every page shows it, so it comes in the same query.
    pub triage_queue: u64,
}

/// A session with its user, as [`Store::session`] reads it.
#[derive(serde::Deserialize)]
struct SessionRow(String, Ts, i32, String, Option<String>, String, Ts, i64);

plain_row!(SessionRow: 0, 1, 2, 3, 4, 5, 6, 7);

fn to_user(m: user::Model) -> Result<User> {
    let role = Role::from_name(&m.role)
        .ok_or_else(|| Error::Corrupt(format!("user {} has unknown role {}", m.username, m.role)))?;
    Ok(User {
        id: m.id,
        username: m.username,
        display_name: m.display_name,
        role,
        disabled: m.disabled,
        created_at: m.created_at,
    })
}

/// A user name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
fn check_username(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!("user name \"{name}\": use 1 to 64 letters, digits, '.', '_', '-' or '@'")))
    }
}

impl Store {
    /// Adds a user; the name must be new.
    pub async fn add_user(
        &self,
        username: &str,
        display_name: Option<&str>,
        role: Role,
        password_hash: &str,
    ) -> Result<User> {
        check_username(username)?;
        if user::Entity::find().filter(user::Column::Username.eq(username)).one(&self.db).await?.is_some() {
            return Err(Error::Invalid(format!("user {username} already exists")));
        }
        let m = user::ActiveModel {
            username: Set(username.to_string()),
            display_name: Set(display_name.map(str::to_string)),
            role: Set(role.name().to_string()),
            password_hash: Set(password_hash.to_string()),
            disabled: Set(false),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        to_user(m)
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        user::Entity::find()
            .order_by_asc(user::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_user)
            .collect()
    }

    /// A user and their password hash, for signing in.
    pub async fn user_with_hash(&self, username: &str) -> Result<(User, String)> {
        let m = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("user", username))?;
        let hash = m.password_hash.clone();
        Ok((to_user(m)?, hash))
    }

    async fn user_model(&self, username: &str) -> Result<user::Model> {
        user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("user", username))
    }

    /// Sets a user's password hash and ends their sessions.
    pub async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let m = self.user_model(username).await?;
        let id = m.id;
        let mut am: user::ActiveModel = m.into();
        am.password_hash = Set(password_hash.to_string());
        am.update(&self.db).await?;
        session::Entity::delete_many().filter(session::Column::UserId.eq(id)).exec(&self.db).await?;
        Ok(())
    }

    /// Disables (or enables again) a user; disabling ends their sessions.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        let m = self.user_model(username).await?;
        let id = m.id;
        let mut am: user::ActiveModel = m.into();
        am.disabled = Set(disabled);
        am.update(&self.db).await?;
        if disabled {
            session::Entity::delete_many().filter(session::Column::UserId.eq(id)).exec(&self.db).await?;
        }
        Ok(())
    }

    /// Records a session for a user.
    pub async fn add_session(
        &self,
        user_id: i32,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        // Expired sessions go when new ones come.
        session::Entity::delete_many().filter(session::Column::ExpiresAt.lt(now())).exec(&self.db).await?;
        session::ActiveModel {
            token_hash: Set(token_hash.to_string()),
            user_id: Set(user_id),
            csrf_token: Set(csrf_token.to_string()),
            created_at: Set(now()),
            expires_at: Set(expires_at),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired and its user is enabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        // One query: every page a signed-in user opens asks this first.
        let rows: Vec<SessionRow> = self
            .page_rows(
                &format!(
                    "s.csrf_token, s.expires_at, u.id, u.username, u.display_name, u.role, u.created_at, \
                     ({TRIAGE_QUEUE})"
                ),
                "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = $2",
                vec![token_hash.into(), false.into()],
                "a session",
            )
            .await?;
        let Some(SessionRow(csrf_token, expires_at, id, username, display_name, role, created_at, triage)) =
            rows.into_iter().next()
        else {
            return Ok(None);
        };
        if expires_at.0 < now() {
            return Ok(None);
        }
        let user = to_user(user::Model {
            id,
            username,
            display_name,
            role,
            password_hash: String::new(),
            disabled: false,
            created_at: created_at.0,
        })?;
        Ok(Some(Session { user, csrf_token, expires_at: expires_at.0, triage_queue: triage.max(0) as u64 }))
    }

    /// Ends a session.
    pub async fn end_session(&self, token_hash: &str) -> Result<()> {
        session::Entity::delete_many().filter(session::Column::TokenHash.eq(token_hash)).exec(&self.db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use foi_core::Role;

    use crate::testing::each_backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn users_and_sessions() {
        each_backend(|store| async move {
            let ana = store.add_user("ana", Some("Ana"), Role::Analyst, "$argon2id$hash").await.unwrap();
            assert!(store.add_user("ana", None, Role::Viewer, "x").await.unwrap_err().to_string().contains("exists"));
            assert!(store.add_user("no spaces", None, Role::Viewer, "x").await.is_err());
            let (u, hash) = store.user_with_hash("ana").await.unwrap();
            assert_eq!((u.role, hash.as_str()), (Role::Analyst, "$argon2id$hash"));
            let later = chrono::Utc::now() + Duration::hours(1);
            store.add_session(ana.id, "h1", "csrf1", later).await.unwrap();
            store.add_session(ana.id, "old", "csrf0", chrono::Utc::now() - Duration::hours(1)).await.unwrap();
            let s = store.session("h1").await.unwrap().unwrap();
            assert_eq!((s.user.username.as_str(), s.csrf_token.as_str()), ("ana", "csrf1"));
            assert!(store.session("old").await.unwrap().is_none(), "expired");
            assert!(store.session("nope").await.unwrap().is_none());
            // A new password or disabling ends every session.
            store.set_user_password("ana", "$argon2id$new").await.unwrap();
            assert!(store.session("h1").await.unwrap().is_none());
            store.add_session(ana.id, "h2", "csrf2", later).await.unwrap();
            store.set_user_disabled("ana", true).await.unwrap();
            assert!(store.session("h2").await.unwrap().is_none());
            assert!(store.users().await.unwrap()[0].disabled);
            store.end_session("h2").await.unwrap();
        })
        .await;
    }
}
