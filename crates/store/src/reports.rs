//! What the reports read: for every request of a round, its body, the events that move its
//! statutory clock or were made by people, its replies (class and time), its current coded
//! answers and, when asked, its whole tag history. Each part is one query, all of them run at
//! once on their own connections: SQLite builds each part as one JSON array (its driver is
//! slow row by row), PostgreSQL sends plain rows. A round of 200,000 requests is read in
//! about a second.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use foi_core::{Actor, BodyKind, MessageClass, Named, Regime, RequestEvent, RequestState};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::json::Ts;
use crate::{Error, Result, Store};

/// A reply to a request, as the reports count it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyFact {
    pub class: MessageClass,
    /// When it was sent (its Date header), else when foi received it.
    pub at: DateTime<Utc>,
}

/// A confirmed tag, as the reports count it.
#[derive(Debug, Clone, PartialEq)]
pub struct TagFact {
    pub question: String,
    pub answer: String,
    pub tagger: String,
    pub at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
}

/// A request's current coded answers: question id to answer.
pub type Answers = BTreeMap<Arc<str>, Arc<str>>;

/// The body asked, as the reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct BodySummary {
    pub code: String,
    pub name: String,
    pub kind: BodyKind,
    /// The region as the body list gave it (see [`foi_core::Body::region`]).
    pub region: Option<String>,
    pub nhs_region: Option<String>,
    pub ons_region: Option<String>,
    /// The statute whose working days the body's clock runs on.
    pub regime: Regime,
}

/// A request, as the reports count it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSummary {
    pub id: i32,
    pub reference: String,
    pub state: RequestState,
    pub body: BodySummary,
}

/// One request of a round with everything the reports need.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub request: RequestSummary,
    /// The events the reports read, in order: sending, clarification requested and provided,
    /// and every move a person made (their reasons are left out).
    pub events: Vec<RequestEvent>,
    pub replies: Vec<ReplyFact>,
    /// The current coded answer to each question: the latest confirmed tag still standing,
    /// of any analyst.
    pub answers: Answers,
    /// Every confirmed tag with its history (superseded ones included); only from
    /// [`Store::round_facts_with_tags`], empty otherwise.
    pub tags: Vec<TagFact>,
}

/// The current coded answers a set of tags gives (the rule `requests.coded` keeps): per
/// question, the latest confirmed tag still standing, ties going to the later one given.
pub fn current_answers(tags: &[TagFact]) -> Answers {
    let mut latest: BTreeMap<&str, &TagFact> = BTreeMap::new();
    for t in tags.iter().filter(|t| t.superseded_at.is_none()) {
        match latest.get(t.question.as_str()) {
            Some(l) if l.at > t.at => {}
            _ => {
                latest.insert(&t.question, t);
            }
        }
    }
    latest.into_iter().map(|(q, t)| (Arc::from(q), Arc::from(t.answer.as_str()))).collect()
}

/// Parses stored coded answers, sharing each distinct question id and answer (a round has a
/// few dozen of each, repeated on every request).
fn parse_coded(rows: Vec<(i32, String)>) -> Result<HashMap<i32, Answers>> {
    let mut pool: HashSet<Arc<str>> = HashSet::new();
    let mut share = |s: &str| -> Arc<str> {
        if let Some(a) = pool.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        pool.insert(a.clone());
        a
    };
    let mut out = HashMap::with_capacity(rows.len());
    for (id, text) in rows {
        // Borrowed when nothing is escaped (the usual case), owned otherwise.
        let answers = match serde_json::from_str::<BTreeMap<&str, &str>>(&text) {
            Ok(map) => map.into_iter().map(|(q, a)| (share(q), share(a))).collect(),
            Err(_) => serde_json::from_str::<BTreeMap<String, String>>(&text)
                .map_err(|e| Error::Corrupt(format!("the coded answers of request {id}: {e}")))?
                .iter()
                .map(|(q, a)| (share(q), share(a)))
                .collect(),
        };
        out.insert(id, answers);
    }
    Ok(out)
}

/// A stable name, as stored (exact first, then the lenient parse).
fn named<T: Named>(s: &str) -> Option<T> {
    T::ALL.iter().copied().find(|v| v.name() == s).or_else(|| T::from_name(s))
}

fn state(s: &str) -> Result<RequestState> {
    named(s).ok_or_else(|| Error::Corrupt(format!("unknown request state {s}")))
}

/// Which optional parts of the facts to read.
#[derive(Debug, Clone, Copy)]
struct Wanted {
    answers: bool,
    tags: bool,
}

#[derive(Deserialize)]
struct RequestRow(i32, String, String, String, String, String, Option<String>, Option<String>, Option<String>, String);

type RequestTuple =
    (i32, String, String, String, String, String, Option<String>, Option<String>, Option<String>, String);
type EventTuple = (i32, i64, DateTime<Utc>, NaiveDate, Option<String>, String, String);
type TagTuple = (i32, i64, String, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

impl From<RequestTuple> for RequestRow {
    fn from(t: RequestTuple) -> Self {
        RequestRow(t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9)
    }
}

impl From<EventTuple> for EventRow {
    fn from(t: EventTuple) -> Self {
        EventRow(t.0, t.1, Ts(t.2), t.3, t.4, t.5, t.6)
    }
}

impl From<(i32, String, DateTime<Utc>)> for ReplyRow {
    fn from(t: (i32, String, DateTime<Utc>)) -> Self {
        ReplyRow(t.0, t.1, Ts(t.2))
    }
}

impl From<TagTuple> for TagRow {
    fn from(t: TagTuple) -> Self {
        TagRow(t.0, t.1, t.2, t.3, t.4, Ts(t.5), t.6.map(Ts))
    }
}

#[derive(Deserialize)]
struct EventRow(i32, i64, Ts, NaiveDate, Option<String>, String, String);

#[derive(Deserialize)]
struct ReplyRow(i32, String, Ts);

#[derive(Deserialize)]
struct TagRow(i32, i64, String, String, String, Ts, Option<Ts>);

/// How each backend sends a part: SQLite builds one JSON array of rows (its driver is slow
/// row by row), PostgreSQL sends plain rows.
struct Json {
    backend: DbBackend,
}

impl Json {
    /// `SELECT <array of arrays> FROM ...`: the aggregate over `values` (comma-separated).
    fn select(&self, values: &str, from: &str) -> String {
        match self.backend {
            // PostgreSQL sends rows in its binary format faster than it builds JSON.
            DbBackend::Postgres => format!("SELECT {values} {from}"),
            _ => format!("SELECT json_group_array(json_array({values})) {from}"),
        }
    }
}

impl Store {
    /// Every request of a round with its body, events, replies and current coded answers,
    /// by body name.
    pub async fn round_facts(&self, round_slug: &str) -> Result<Vec<RequestFacts>> {
        self.facts(round_slug, Wanted { answers: true, tags: false }).await
    }

    /// As [`Store::round_facts`] without the coded answers (the response-rate tables do not
    /// read them).
    pub async fn round_facts_without_answers(&self, round_slug: &str) -> Result<Vec<RequestFacts>> {
        self.facts(round_slug, Wanted { answers: false, tags: false }).await
    }

    /// As [`Store::round_facts`], with every confirmed tag and its history (for agreement
    /// between analysts).
    pub async fn round_facts_with_tags(&self, round_slug: &str) -> Result<Vec<RequestFacts>> {
        self.facts(round_slug, Wanted { answers: true, tags: true }).await
    }

    /// The rows of one part of a round: plain rows from PostgreSQL, one JSON array from SQLite.
    async fn part<T, R>(&self, sql: String, what: &'static str) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static + From<R>,
        R: for<'r> sea_orm::sqlx::FromRow<'r, sea_orm::sqlx::postgres::PgRow> + Send + Unpin,
    {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return self.json_rows::<T>(sql, what).await;
        }
        let sqlx_err = |e| Error::Db(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(e))));
        // A read-only transaction whose joins may hash a whole round in memory (the default
        // 4 MB work_mem spills a 200,000-request round to disk in batches).
        let mut tx = self.db.get_postgres_connection_pool().begin().await.map_err(sqlx_err)?;
        sea_orm::sqlx::query("SET LOCAL work_mem = '64MB'").execute(&mut *tx).await.map_err(sqlx_err)?;
        let rows: Vec<R> =
            sea_orm::sqlx::query_as(sea_orm::sqlx::AssertSqlSafe(sql)).fetch_all(&mut *tx).await.map_err(sqlx_err)?;
        tx.commit().await.map_err(sqlx_err)?;
        Ok(rows.into_iter().map(T::from).collect())
    }

    /// Runs a query whose one value is a JSON array and parses it off the async threads.
    async fn json_rows<T: DeserializeOwned + Send + 'static>(&self, sql: String, what: &'static str) -> Result<Vec<T>> {
        let backend = self.db.get_database_backend();
        let row = self.db.query_one_raw(Statement::from_string(backend, sql)).await?;
        let text: String = match row {
            Some(r) => r.try_get_by_index(0)?,
            None => return Ok(Vec::new()),
        };
        tokio::task::spawn_blocking(move || {
            serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("reading the {what} of a round: {e}")))
        })
        .await
        .map_err(|e| Error::Corrupt(format!("reading the {what} of a round: {e}")))?
    }

    async fn facts(&self, round_slug: &str, wanted: Wanted) -> Result<Vec<RequestFacts>> {
        let round = self.round(round_slug).await?;
        let json = Json { backend: self.db.get_database_backend() };
        // The parts are read at once, each on its own connection, and parsed on blocking
        // threads as they arrive.
        let from = |join: &str| format!("FROM requests r {join} WHERE r.round_id = {}", round.id);
        let requests_sql = json.select(
            "r.id, r.reference, r.state, b.code, b.name, b.kind, b.region, b.nhs_region, b.ons_region, b.regime",
            &from("JOIN bodies b ON b.id = r.body_id"),
        );
        let coded_sql = json.select("r.id, r.coded", &format!("{} AND r.coded IS NOT NULL", from("")));
        // Only events that move the clock or were made by people count (the inbox's own
        // moves are what the replies show).
        let clock = [RequestState::Sent, RequestState::ClarificationRequested, RequestState::ClarificationProvided];
        let settled =
            [RequestState::AnsweredFull, RequestState::AnsweredPartial, RequestState::Refused, RequestState::NotHeld];
        let list =
            |states: &[RequestState]| states.iter().map(|s| format!("'{}'", s.name())).collect::<Vec<_>>().join(", ");
        let events_sql = json.select(
            "e.request_id, e.id, e.at, e.on_date, e.from_state, e.to_state, e.actor",
            &format!(
                "{} AND (e.to_state IN ({}) OR (e.to_state IN ({}) AND e.actor LIKE 'person:%'))",
                from("JOIN request_events e ON e.request_id = r.id"),
                list(&clock),
                list(&settled)
            ),
        );
        let replies_sql = json.select(
            "m.request_id, m.class, coalesce(m.date, m.received_at, m.created_at)",
            &format!(
                "{} AND m.direction = 'incoming' AND m.class IS NOT NULL",
                from("JOIN messages m ON m.request_id = r.id")
            ),
        );
        let tags_sql = json.select(
            "t.request_id, t.id, t.question, t.answer, t.tagger, t.created_at, t.superseded_at",
            &format!("{} AND t.status = 'confirmed'", from("JOIN tags t ON t.request_id = r.id")),
        );
        let (requests, coded, events, replies, tags) = tokio::join!(
            self.part::<RequestRow, RequestTuple>(requests_sql, "requests"),
            async {
                if !wanted.answers {
                    return Ok(HashMap::new());
                }
                let rows = self.part::<(i32, String), (i32, String)>(coded_sql, "coded answers").await?;
                tokio::task::spawn_blocking(move || parse_coded(rows))
                    .await
                    .map_err(|e| Error::Corrupt(format!("reading the coded answers of a round: {e}")))?
            },
            self.part::<EventRow, EventTuple>(events_sql, "events"),
            self.part::<ReplyRow, (i32, String, DateTime<Utc>)>(replies_sql, "replies"),
            async { if wanted.tags { self.part::<TagRow, TagTuple>(tags_sql, "tags").await } else { Ok(Vec::new()) } },
        );
        let (mut requests, mut coded, mut events, replies, mut tags) = (requests?, coded?, events?, replies?, tags?);
        events.sort_by_key(|e| (e.0, e.1));
        tags.sort_by_key(|t| (t.0, t.1));
        requests.sort_by_key(|r| r.0);
        let mut all: Vec<RequestFacts> = Vec::with_capacity(requests.len());
        let mut index: HashMap<i32, usize> = HashMap::with_capacity(requests.len());
        for RequestRow(id, reference, request_state, code, name, kind, region, nhs_region, ons_region, regime) in
            requests
        {
            let kind: BodyKind =
                named(&kind).ok_or_else(|| Error::Corrupt(format!("body {code} has unknown kind {kind}")))?;
            let regime = crate::bodies::body_regime(&code, &regime)?;
            let request = RequestSummary {
                id,
                reference,
                state: state(&request_state)?,
                body: BodySummary { code, name, kind, region, nhs_region, ons_region, regime },
            };
            index.insert(id, all.len());
            let answers = coded.remove(&id).unwrap_or_default();
            all.push(RequestFacts { request, events: Vec::new(), replies: Vec::new(), answers, tags: Vec::new() });
        }
        for EventRow(request_id, _, at, on, from, to, actor) in events {
            let Some(&i) = index.get(&request_id) else { continue };
            all[i].events.push(RequestEvent {
                at: at.0,
                on,
                from: from.as_deref().map(state).transpose()?,
                to: state(&to)?,
                actor: Actor::from_stored(&actor),
                reason: None,
                message_id: None,
            });
        }
        for ReplyRow(request_id, class, at) in replies {
            let Some(&i) = index.get(&request_id) else { continue };
            let class = named(&class).ok_or_else(|| Error::Corrupt(format!("unknown message class {class}")))?;
            all[i].replies.push(ReplyFact { class, at: at.0 });
        }
        for TagRow(request_id, _, question, answer, tagger, at, superseded_at) in tags {
            let Some(&i) = index.get(&request_id) else { continue };
            all[i].tags.push(TagFact { question, answer, tagger, at: at.0, superseded_at: superseded_at.map(|t| t.0) });
        }
        for f in &mut all {
            f.replies.sort_by_key(|r| r.at);
        }
        // By body name (then id), moving each request once.
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&a, &b| all[a].request.body.name.cmp(&all[b].request.body.name).then(a.cmp(&b)));
        let mut slots: Vec<Option<RequestFacts>> = all.into_iter().map(Some).collect();
        let out: Vec<RequestFacts> = order.into_iter().filter_map(|i| slots[i].take()).collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn coded_answers_are_read_escaped_or_not_and_shared() {
        let rows = vec![
            (1, r#"{"ccn":"yes","named_lead":"Head of \"Children's\" Services"}"#.to_string()),
            (2, r#"{"ccn":"yes"}"#.to_string()),
        ];
        let coded = super::parse_coded(rows).unwrap();
        assert_eq!(&*coded[&1]["named_lead"], "Head of \"Children's\" Services");
        assert!(std::sync::Arc::ptr_eq(&coded[&1]["ccn"], &coded[&2]["ccn"]), "one shared \"yes\"");
        assert!(super::parse_coded(vec![(3, "not json".into())]).unwrap_err().to_string().contains("request 3"));
    }
}
