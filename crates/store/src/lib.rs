//! foi's storage: the sea-orm entities and every query foi makes, on SQLite (the embedded
//! default) and PostgreSQL (the team deployment). No other crate runs SQL.

#![forbid(unsafe_code)]

mod bodies;
mod entity;
pub mod fault;
#[cfg(any(test, feature = "testing"))]
mod generate;
mod inbox;
mod json;
mod outbox;
mod reports;
mod requests;
mod tags;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod transition;
mod users;
#[cfg(any(test, feature = "testing"))]
pub use generate::BulkRound;

use std::time::Duration;

use foi_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

pub use bodies::{BodyChange, BodyFilter, BodyImportSummary, BodyUpdate, FieldChange, Succession, SuccessionSummary};
pub use inbox::{
    AttachmentInfo, Batch, BounceInfo, InboxReads, IncomingMessage, Location, MessageFilter, OpenRequest, ReplyMove,
    RequestSample, RuleClass, ThreadMessage, key_fingerprint,
};
pub use outbox::{OutboxItem, OutboxState};
pub use reports::{Answers, BodySummary, ReplyFact, RequestFacts, RequestSummary, TagFact, current_answers};
pub use requests::{NewAttachment, NewMessage, NewRound, StoredMessage, dedup_key};
pub use tags::{AnswerText, NewTag, Tag, TagFilter, TagOutcome};
pub use users::{Session, User};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Transition(#[from] foi_core::TransitionError),
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: sea_orm::DbErr },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn not_found(what: &'static str, key: impl ToString) -> Error {
    Error::NotFound { what, key: key.to_string() }
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to foi's database, with the schema brought up to date.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite has one writer at a time, and a transaction that reads before it writes fails
    /// at once ("database is locked") when another writes meanwhile. Writers take this lock
    /// first, so they queue instead. Unused on PostgreSQL.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The default database: a SQLite file in the current folder, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://foi.db";

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`
    /// (`sqlite://PATH` or `postgres://...`).
    pub async fn connect(url: &str) -> Result<Store> {
        let mut full = url.to_string();
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            full.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
        let mut opts = ConnectOptions::new(full);
        opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
        if is_sqlite {
            // Every pooled connection: WAL (readers never block the writer), a busy writer is
            // waited for, foreign keys enforced. synchronous=FULL keeps every commit on disk
            // before foi goes on to the next step (the outbox relies on it).
            // A connection to a local file cannot go stale: no ping before each use (it would
            // double the round trips of every query made outside a transaction).
            opts.max_connections(16).min_connections(1).test_before_acquire(false).map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        } else {
            opts.max_connections(16);
        }
        // Two foi processes starting on a new database at once (a watch and a listing) race
        // to set up the file (switching it to WAL takes a lock the busy timeout does not
        // wait for) and to create the schema; the one that loses finds it done: try again.
        let tries = if is_sqlite { 6 } else { 1 };
        let db = again(tries, || Database::connect(opts.clone()))
            .await
            .map_err(|source| Error::Connect { url: redact_url(url), source })?;
        again(6, || Migrator::up(&db, None)).await.map_err(Error::Migrate)?;
        Ok(Store { db, writer: Default::default() })
    }

    /// Waits for the right to write (SQLite only); hold the guard for the whole transaction.
    pub(crate) async fn write_lock(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend() {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// The database server's own version string (`SELECT version()` or `sqlite_version()`).
    pub async fn server_version(&self) -> Result<String> {
        let sql = match self.backend() {
            Backend::Postgres => "SELECT version() AS v",
            Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version() AS v",
        };
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await?
            .ok_or_else(|| Error::Corrupt("the version query returned no row".into()))?;
        Ok(row.try_get::<String>("", "v")?)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// A database URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:****{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Runs `step` up to `tries` times, waiting a little longer after each failure.
async fn again<T, E, F, Fut>(tries: u64, mut step: F) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(_) if attempt < tries => {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact_url("postgres://foi:s3cret@db/foi"), "postgres://foi:****@db/foi");
        assert_eq!(super::redact_url("postgres://foi@db/foi"), "postgres://foi@db/foi");
        assert_eq!(super::redact_url("sqlite://foi.db"), "sqlite://foi.db");
    }
}
