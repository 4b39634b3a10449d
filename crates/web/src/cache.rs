//! What pages keep between requests. The round page's rows: what it computed from a
//! round's requests and their clock events, under the round's revision and the day it was
//! computed on. The database moves a round's revision whenever one of its requests, their
//! events or their bodies change (triggers, `migrations/sql/round_revision.*.sql`), so a
//! page that reads the round first and finds the same revision and day here shows what it
//! would have computed. And rounds' slugs and names, which never change once created.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use foi_core::{RequestState, Round};

use crate::views::RoundRow;

/// How many rounds' rows are kept; beyond it, the least recently shown round's are dropped.
const ROUNDS_KEPT: usize = 256;

/// One request as the round page lists it, with what it is filtered and sorted by.
pub struct Listed {
    pub row: RoundRow,
    pub state: RequestState,
    pub due: Option<NaiveDate>,
    /// The body's name and code in lower case, for the search.
    pub name_lower: String,
    pub code_lower: String,
}

/// A round's rows as computed at `revision` (or later) on `today`.
pub struct RoundRows {
    pub revision: i64,
    pub today: NaiveDate,
    pub listed: Vec<Listed>,
}

/// The kept rows of recently shown rounds, by round id.
#[derive(Default)]
pub struct RoundCache {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    rounds: HashMap<i32, (u64, Arc<RoundRows>)>,
    /// Counts every look-up and keeping, to know which round was shown least recently.
    uses: u64,
}

impl RoundCache {
    /// The rows kept for `round` if they were computed at its revision on `today`.
    pub fn get(&self, round: &Round, today: NaiveDate) -> Option<Arc<RoundRows>> {
        self.get_at(round.id, round.revision, today)
    }

    fn get_at(&self, id: i32, revision: i64, today: NaiveDate) -> Option<Arc<RoundRows>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.uses += 1;
        let uses = kept.uses;
        let (used, rows) = kept.rounds.get_mut(&id)?;
        if rows.revision != revision || rows.today != today {
            return None;
        }
        *used = uses;
        Some(rows.clone())
    }

    /// Keeps `rows` for round `id`, unless newer ones are kept already.
    pub fn put(&self, id: i32, rows: Arc<RoundRows>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.uses += 1;
        let uses = kept.uses;
        if let Some((_, old)) = kept.rounds.get(&id)
            && (old.revision, old.today) > (rows.revision, rows.today)
        {
            return;
        }
        if kept.rounds.len() >= ROUNDS_KEPT && !kept.rounds.contains_key(&id) {
            let oldest = kept.rounds.iter().min_by_key(|(_, (used, _))| *used).map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                kept.rounds.remove(&oldest);
            }
        }
        kept.rounds.insert(id, (uses, rows));
    }
}

/// A round's slug and name, as the request page links to it.
pub struct RoundName {
    pub slug: String,
    pub name: String,
}

/// The slugs and names of the rounds seen, by id. A round's slug and name are set when it
/// is created and nothing changes them (the store has no call that would), so what was read
/// once stays true; rounds are few.
#[derive(Default)]
pub struct RoundNames {
    kept: Mutex<HashMap<i32, Arc<RoundName>>>,
}

impl RoundNames {
    pub fn get(&self, id: i32) -> Option<Arc<RoundName>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }

    pub fn put(&self, id: i32, name: Arc<RoundName>) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).insert(id, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(revision: i64, today: NaiveDate) -> Arc<RoundRows> {
        Arc::new(RoundRows { revision, today, listed: Vec::new() })
    }

    #[test]
    fn rows_are_kept_for_their_revision_and_day_only() {
        let (monday, tuesday) =
            (NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
        let cache = RoundCache::default();
        assert!(cache.get_at(1, 5, monday).is_none());
        cache.put(1, rows(5, monday));
        assert!(cache.get_at(1, 5, monday).is_some());
        assert!(cache.get_at(1, 6, monday).is_none(), "the round changed");
        assert!(cache.get_at(1, 5, tuesday).is_none(), "a new day: deadlines move");
        assert!(cache.get_at(2, 5, monday).is_none(), "another round");
        // Rows computed from an older revision never replace newer ones.
        cache.put(1, rows(7, monday));
        cache.put(1, rows(6, monday));
        assert!(cache.get_at(1, 7, monday).is_some());
    }

    #[test]
    fn the_least_recently_shown_round_is_dropped_first() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let cache = RoundCache::default();
        for id in 0..ROUNDS_KEPT as i32 {
            cache.put(id, rows(1, day));
        }
        assert!(cache.get_at(0, 1, day).is_some(), "round 0 shown again");
        cache.put(-1, rows(1, day));
        assert!(cache.get_at(0, 1, day).is_some());
        assert!(cache.get_at(1, 1, day).is_none(), "round 1 was the least recently shown");
        assert!(cache.get_at(-1, 1, day).is_some());
    }
}
