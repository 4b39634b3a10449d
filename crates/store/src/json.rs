//! Reads whose rows come back as one JSON array: SQLite's driver copies every value of every
//! row it hands over, and a page of a few hundred rows costs milliseconds that way; as one
//! value built inside the database it costs a fraction of that, on either backend.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result, Store};

/// A time as either backend writes it in JSON (RFC 3339, `T` or space).
pub(crate) struct Ts(pub(crate) DateTime<Utc>);

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Ts, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f%#z"))
            .map(|t| Ts(t.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("time {s:?}: {e}")))
    }
}

impl Store {
    /// `SELECT values FROM ...` as rows of `T`, each row read from a JSON array of `values`
    /// (comma-separated expressions). `from` is the rest of the query (`FROM ... WHERE ...`),
    /// with `$1`, `$2`... for `params` (both backends take that form). Rows come in no
    /// particular order. For page-sized reads: the text is parsed on the calling thread.
    pub(crate) async fn json_array<T: DeserializeOwned>(
        &self,
        values: &str,
        from: &str,
        params: Vec<sea_orm::Value>,
        what: &str,
    ) -> Result<Vec<T>> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                format!("SELECT coalesce(json_agg(json_build_array({values})), '[]'::json)::text {from}")
            }
            _ => format!("SELECT json_group_array(json_array({values})) {from}"),
        };
        let row = self.db.query_one_raw(Statement::from_sql_and_values(backend, sql, params)).await?;
        let text: String = match row {
            Some(r) => r.try_get_by_index(0)?,
            None => return Ok(Vec::new()),
        };
        serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("reading {what}: {e}")))
    }
}
