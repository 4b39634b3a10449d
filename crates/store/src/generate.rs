//! Large generated rounds for the report benchmarks: bodies, one round, its requests with
//! their event logs, one reply per answering request and the tags analysts gave them, written
//! with multi-row inserts. Bench data only (the replies have no raw bytes); seeded, so the
//! same sizes and seed give the same rows.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use crate::entity::{body, message, request, request_event, round, tag};
use crate::{Result, Store, now};

/// What to generate.
#[derive(Debug, Clone)]
pub struct BulkRound<'a> {
    pub slug: &'a str,
    pub requests: usize,
    /// Tags in all (spread over the requests that answered; a tenth are superseded versions).
    pub tags: usize,
    /// The codebook (TOML) the round carries, and its question ids with the body kinds
    /// asked (`true` for NHS bodies, `false` for councils).
    pub codebook: &'a str,
    pub questions: &'a [(&'a str, bool, bool)],
    pub launch: NaiveDate,
    pub seed: u64,
}

impl BulkRound<'_> {
    /// A codebook's questions as [`BulkRound::questions`] takes them: each id, and whether it
    /// is asked of NHS bodies (ICBs) and of councils (unitary authorities stand for them).
    pub fn questions_of(book: &foi_core::Codebook) -> Vec<(&str, bool, bool)> {
        use foi_core::BodyKind;
        book.questions
            .iter()
            .map(|q| (q.id.as_str(), q.applies_to.contains(&BodyKind::Icb), q.applies_to.contains(&BodyKind::Unitary)))
            .collect()
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Rows per insert statement: under SQLite's 32,766 bound parameters for the widest table.
const CHUNK: usize = 1_000;

impl Store {
    /// Writes a generated round (see [`BulkRound`]); returns the number of tags written.
    pub async fn generate_round(&self, g: &BulkRound<'_>) -> Result<usize> {
        let _writing = self.write_lock().await;
        let mut rng = Rng(g.seed);
        let t0 = now();
        let txn = self.db.begin().await?;
        let kinds = ["icb", "unitary", "county_council", "metropolitan_district", "london_borough"];
        let bodies: Vec<body::ActiveModel> = (0..g.requests)
            .map(|i| body::ActiveModel {
                code: Set(format!("{}{i:07}", g.slug.to_uppercase())),
                name: Set(format!("Generated body {i}")),
                kind: Set(kinds[i % 4].to_string()),
                region: Set(Some(format!("Region {}", i % 9 + 1))),
                foi_email: Set(Some(format!("foi@body{i}.example"))),
                regime: Set("foia".into()),
                created_at: Set(t0),
                updated_at: Set(t0),
                ..Default::default()
            })
            .collect();
        for chunk in bodies.chunks(CHUNK) {
            body::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let prefix = g.slug.to_uppercase();
        let body_ids: Vec<(i32, String)> = body::Entity::find()
            .select_only()
            .columns([body::Column::Id, body::Column::Kind])
            .filter(body::Column::Code.starts_with(&prefix))
            .into_tuple()
            .all(&txn)
            .await?;
        let r = round::ActiveModel {
            slug: Set(g.slug.into()),
            name: Set(format!("Generated round {}", g.slug)),
            codebook_name: Set("generated".into()),
            codebook: Set(g.codebook.into()),
            template_set: Set("childrens-palliative-care".into()),
            sender_name: Set("Charity FOI".into()),
            sender_email: Set("foi@charity.example".into()),
            reply_domain: Set(Some("charity.example".into())),
            launch_date: Set(Some(g.launch)),
            closed_at: Set(None),
            created_at: Set(t0),
            updated_at: Set(t0),
            ..Default::default()
        };
        let round_id = round::Entity::insert(r).exec(&txn).await?.last_insert_id;
        let sent_at = Utc.from_utc_datetime(&g.launch.and_hms_opt(9, 0, 0).unwrap_or_default());
        // What each request's body does: 0..=69 answers fully, 70..=79 partly, 80..=84
        // refuses, 85..=87 says not held, the rest never reply.
        let fates: Vec<u64> = (0..body_ids.len()).map(|_| rng.below(100)).collect();
        let state = |f: u64| match f {
            0..=69 => "answered_full",
            70..=79 => "answered_partial",
            80..=84 => "refused",
            85..=87 => "not_held",
            _ => "sent",
        };
        let requests: Vec<request::ActiveModel> = body_ids
            .iter()
            .zip(&fates)
            .enumerate()
            .map(|(i, ((body_id, _), f))| request::ActiveModel {
                round_id: Set(round_id),
                body_id: Set(*body_id),
                reference: Set(format!("{}{i:08}", g.slug)),
                state: Set(state(*f).into()),
                to_address: Set(Some(format!("foi@body{i}.example"))),
                sent_at: Set(Some(sent_at)),
                exemptions: Set(None),
                chasers_sent: Set(0),
                created_at: Set(t0),
                updated_at: Set(t0),
                ..Default::default()
            })
            .collect();
        for chunk in requests.chunks(CHUNK) {
            request::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let request_ids: Vec<i32> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::RoundId.eq(round_id))
            .into_tuple()
            .all(&txn)
            .await?;
        let mut events = Vec::new();
        let mut messages = Vec::new();
        let mut answered = Vec::new();
        for (n, ((id, f), (_, kind))) in request_ids.iter().zip(&fates).zip(&body_ids).enumerate() {
            let ev = |on: NaiveDate, from: Option<&str>, to: &str, actor: &str| request_event::ActiveModel {
                request_id: Set(*id),
                at: Set(Utc.from_utc_datetime(&on.and_hms_opt(9, 0, 0).unwrap_or_default())),
                on_date: Set(on),
                from_state: Set(from.map(str::to_string)),
                to_state: Set(to.into()),
                actor: Set(actor.into()),
                reason: Set(None),
                message_id: Set(None),
                ..Default::default()
            };
            events.push(ev(g.launch, Some("draft"), "queued", "person:officer"));
            events.push(ev(g.launch, Some("queued"), "sent", "system:mailer"));
            if *f < 88 {
                let day = g.launch + Duration::days(1 + rng.below(75) as i64);
                let class = match *f {
                    0..=69 => "answer_full",
                    70..=79 => "answer_partial",
                    80..=84 => "refusal",
                    _ => "not_held",
                };
                events.push(ev(day, Some("sent"), state(*f), "system:inbox"));
                let date = Utc.from_utc_datetime(&day.and_hms_opt(11, 0, 0).unwrap_or_default());
                messages.push(message::ActiveModel {
                    request_id: Set(Some(*id)),
                    direction: Set("incoming".into()),
                    kind: Set("reply".into()),
                    dedup_key: Set(format!("incoming:mid:<{}-{n}@generated.example>", g.slug)),
                    message_id: Set(Some(format!("<{}-{n}@generated.example>", g.slug))),
                    content_hash: Set(format!("{n:064}")),
                    raw_size: Set(0),
                    subject: Set(Some("RE: Freedom of Information request".into())),
                    date: Set(Some(date)),
                    class: Set(Some(class.into())),
                    attempts: Set(0),
                    received_at: Set(Some(date)),
                    created_at: Set(t0),
                    ..Default::default()
                });
                if *f < 80 {
                    answered.push((*id, kind == "icb", date));
                }
            }
        }
        for chunk in events.chunks(CHUNK) {
            request_event::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        for chunk in messages.chunks(CHUNK) {
            message::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        // Tags: the answered requests in turn, each question asked of the body's kind, by
        // one analyst and (on a second pass) another; every tenth tag is an earlier answer
        // that a later one superseded.
        let answers = ["yes", "yes", "yes", "no", "no", "in_development", "not_held", "unclear"];
        let mut written = 0;
        let mut batch = Vec::with_capacity(CHUNK);
        'outer: for pass in 0.. {
            let tagger = if pass % 2 == 0 { "person:ana" } else { "person:bob" };
            for (id, nhs, date) in &answered {
                for (q, for_nhs, for_councils) in g.questions {
                    if !(if *nhs { *for_nhs } else { *for_councils }) {
                        continue;
                    }
                    if written >= g.tags {
                        break 'outer;
                    }
                    let superseded = written % 10 == 9;
                    let at = *date + Duration::days(2 + (written % 5) as i64);
                    batch.push(tag::ActiveModel {
                        request_id: Set(*id),
                        question: Set(q.to_string()),
                        answer: Set(answers[rng.below(answers.len() as u64) as usize].into()),
                        quote: Set(None),
                        note: Set(None),
                        tagger: Set(tagger.into()),
                        status: Set("confirmed".into()),
                        source: Set("import".into()),
                        message_id: Set(None),
                        created_at: Set(at),
                        superseded_at: Set(superseded.then(|| at + Duration::days(1))),
                        ..Default::default()
                    });
                    written += 1;
                    if batch.len() == CHUNK {
                        tag::Entity::insert_many(std::mem::take(&mut batch)).exec_without_returning(&txn).await?;
                    }
                }
            }
            if answered.is_empty() {
                break;
            }
        }
        if !batch.is_empty() {
            tag::Entity::insert_many(batch).exec_without_returning(&txn).await?;
        }
        let sql = crate::tags::recode_sql(txn.get_database_backend());
        txn.execute_unprepared(&format!("{sql} WHERE round_id = {round_id}")).await?;
        txn.commit().await?;
        if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // What autovacuum would soon do for so many new rows (statistics for the planner,
            // visibility and hint bits), so that it does not run during the measurements.
            self.db.execute_unprepared("VACUUM ANALYZE").await?;
        }
        Ok(written)
    }
}
