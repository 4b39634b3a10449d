//! The test harness that runs a storage test on both backends: a fresh SQLite file and a
//! fresh PostgreSQL database per test. PostgreSQL is required: when it cannot be reached
//! the test fails, unless `FOI_SKIP_POSTGRES=1` is set outside CI (and then it says so loudly).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::{Backend, Store};

/// Where the tests find PostgreSQL: `FOI_TEST_POSTGRES_URL`, by default the machine's
/// server at 127.0.0.1:5432 (trust authentication, database `test`).
pub fn postgres_admin_url() -> String {
    std::env::var("FOI_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static CLEANUP: Once = Once::new();
/// Backends each test process has used, so a test can prove both ran.
static USED: Mutex<Vec<Backend>> = Mutex::new(Vec::new());

/// The backends used so far by this process.
pub fn backends_used() -> Vec<Backend> {
    USED.lock().map(|v| v.clone()).unwrap_or_default()
}

fn note(b: Backend) {
    if let Ok(mut v) = USED.lock()
        && !v.contains(&b)
    {
        v.push(b);
    }
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// A fresh SQLite database file in the temporary folder: its URL and its guard.
pub fn sqlite_url() -> (String, TempDb) {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("foi_test")));
    (format!("sqlite://{}", path.display()), TempDb::Sqlite(path))
}

/// A store on a fresh SQLite file in the temporary folder.
pub async fn sqlite() -> (Store, TempDb) {
    let (url, db) = sqlite_url();
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("cannot open test SQLite database {url}: {e}"));
    note(Backend::Sqlite);
    (store, db)
}

fn postgres_skipped() -> bool {
    std::env::var_os("CI").is_none() && std::env::var("FOI_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}

async fn admin() -> Result<DatabaseConnection, String> {
    let url = postgres_admin_url();
    Database::connect(&url).await.map_err(|e| format!("cannot reach PostgreSQL at {url}: {e}"))
}

/// Drops test databases left behind by test processes that no longer run.
async fn drop_stale(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'foi_test_%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else { continue };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
        }
    }
}

/// A fresh, empty PostgreSQL database: its URL and its guard, or None when PostgreSQL is
/// deliberately skipped.
pub async fn postgres_url() -> Option<(String, TempDb)> {
    let admin = match admin().await {
        Ok(a) => a,
        Err(e) if postgres_skipped() => {
            eprintln!("WARNING: PostgreSQL half of a storage test SKIPPED (FOI_SKIP_POSTGRES=1): {e}");
            return None;
        }
        Err(e) => panic!("{e}. Storage tests need PostgreSQL: run the README's test command, which starts it"),
    };
    if !CLEANUP.is_completed() {
        drop_stale(&admin).await;
        CLEANUP.call_once(|| {});
    }
    let name = unique_name("foi_test");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let admin_url = postgres_admin_url();
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
    note(Backend::Postgres);
    Some((format!("{base}/{name}"), TempDb::Postgres(name)))
}

/// A store on a fresh PostgreSQL database, or None when PostgreSQL is deliberately skipped.
pub async fn postgres() -> Option<(Store, TempDb)> {
    let (url, db) = postgres_url().await?;
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("cannot open test database {url}: {e}"));
    Some((store, db))
}

/// URLs of a fresh SQLite and a fresh PostgreSQL database, for tests that run the `foi`
/// binary against each.
pub async fn each_backend_url() -> Vec<(Backend, String, TempDb)> {
    let (url, db) = sqlite_url();
    note(Backend::Sqlite);
    let mut out = vec![(Backend::Sqlite, url, db)];
    if let Some((url, db)) = postgres_url().await {
        out.push((Backend::Postgres, url, db));
    }
    out
}

/// A test database to remove when the test is done.
pub enum TempDb {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl TempDb {
    /// Removes the database (call after closing its store).
    pub async fn remove(self) {
        match self {
            TempDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TempDb::Postgres(name) => {
                if let Ok(admin) = admin().await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            }
        }
    }
}

/// Runs `test` on a fresh SQLite store and then on a fresh PostgreSQL store.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (store, db) = sqlite().await;
    test(store.clone()).await;
    let _ = store.close().await;
    db.remove().await;
    if let Some((store, db)) = postgres().await {
        test(store.clone()).await;
        let _ = store.close().await;
        db.remove().await;
    }
}
