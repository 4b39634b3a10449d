//! Page-sized reads, one query each, in the form each backend sends fastest: SQLite's driver
//! copies every value of every row it hands over (a page of a few hundred rows costs
//! milliseconds that way), so SQLite builds the rows as one JSON array; PostgreSQL builds
//! JSON slower than it sends plain rows, so it sends plain rows.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
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

/// PostgreSQL sends a time as a value of its own.
impl sea_orm::TryGetable for Ts {
    fn try_get_by<I: sea_orm::ColIdx>(res: &QueryResult, index: I) -> std::result::Result<Ts, sea_orm::TryGetError> {
        DateTime::<Utc>::try_get_by(res, index).map(Ts)
    }
}

/// A row read from PostgreSQL's plain rows (the same fields SQLite's JSON array gives).
pub(crate) trait PlainRow: Sized {
    fn from_row(r: &QueryResult) -> std::result::Result<Self, sea_orm::DbErr>;
}

/// Implements [`PlainRow`] for a tuple struct whose fields are its columns in order:
/// `plain_row!(Row: 0, 1, 2)`.
macro_rules! plain_row {
    ($row:ident: $($i:literal),+) => {
        impl $crate::json::PlainRow for $row {
            fn from_row(r: &sea_orm::QueryResult) -> std::result::Result<Self, sea_orm::DbErr> {
                Ok($row($(r.try_get_by_index($i)?),+))
            }
        }
    };
}
pub(crate) use plain_row;

impl Store {
    /// `SELECT values FROM ...` as rows of `T`: on SQLite each row is read from a JSON array
    /// of `values` (comma-separated expressions), on PostgreSQL from a plain row of them.
    /// `from` is the rest of the query (`FROM ... WHERE ...`), with `$1`, `$2`... for
    /// `params` (both backends take that form). Rows come in no particular order.
    pub(crate) async fn page_rows<T: DeserializeOwned + PlainRow>(
        &self,
        values: &str,
        from: &str,
        params: Vec<sea_orm::Value>,
        what: &str,
    ) -> Result<Vec<T>> {
        let backend = self.db.get_database_backend();
        if backend == DbBackend::Postgres {
            let sql = format!("SELECT {values} {from}");
            let rows = self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, params)).await?;
            return rows
                .iter()
                .map(T::from_row)
                .collect::<std::result::Result<Vec<T>, _>>()
                .map_err(|e| Error::Corrupt(format!("reading {what}: {e}")));
        }
        let sql = format!("SELECT json_group_array(json_array({values})) {from}");
        let row = self.db.query_one_raw(Statement::from_sql_and_values(backend, sql, params)).await?;
        let text: String = match row {
            Some(r) => r.try_get_by_index(0)?,
            None => return Ok(Vec::new()),
        };
        serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("reading {what}: {e}")))
    }
}
