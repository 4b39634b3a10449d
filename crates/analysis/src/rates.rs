//! Response rates as of a cut-off: for each body kind and region, the bodies asked, any reply,
//! answered some or all ("199 (94%)"), full, partial, refused, not held, no reply, overdue,
//! the median working days to an answer and the share answered within 20 working days; and
//! the same at each month end since launch (the monthly tables). Working days waiting for the
//! charity's clarification are not counted.

use std::collections::BTreeMap;

use chrono::Days;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use foi_core::{BodyKind, Calendar, MessageClass, Regime, RequestEvent, RequestState, clock_from_events};
use foi_store::RequestFacts;

use crate::Result;
use crate::table::{Cell, Table};

/// Where one request stood at the cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub sent: bool,
    /// Any reply from the body (not a bounce or an out-of-office).
    pub replied: bool,
    pub answered_full: bool,
    pub answered_partial: bool,
    pub refused: bool,
    pub not_held: bool,
    pub overdue: bool,
    /// Working days from sending to the first answer (clarification time excluded).
    pub days_to_answer: Option<i64>,
    /// When the first answer came.
    pub answered_at: Option<DateTime<Utc>>,
}

impl Standing {
    pub fn answered(&self) -> bool {
        self.answered_full || self.answered_partial
    }
}

/// Events count by the UK day they count on (a simulated or back-dated day for replays), up
/// to the cut-off's day.
fn counts(e: &RequestEvent, at: DateTime<Utc>) -> bool {
    e.on <= at.date_naive()
}

/// When a person (not the inbox, whose moves the replies themselves show) moved the request
/// to one of `states`, by the cut-off.
fn moved_to(events: &[RequestEvent], at: DateTime<Utc>, states: &[RequestState]) -> Option<DateTime<Utc>> {
    events
        .iter()
        .filter(|e| counts(e, at) && states.contains(&e.to) && matches!(e.actor, foi_core::Actor::Person(_)))
        .map(|e| Utc.from_utc_datetime(&e.on.and_hms_opt(12, 0, 0).unwrap_or_default()))
        .min()
}

/// The UK day a request was first sent.
pub fn sent_on(f: &RequestFacts) -> Option<NaiveDate> {
    f.events.iter().filter(|e| e.to == RequestState::Sent).map(|e| e.on).min()
}

/// Where a request stood at `at` (UK days are computed on the cut-off's date).
pub fn standing(f: &RequestFacts, at: DateTime<Utc>, cal: &Calendar) -> Result<Standing> {
    let mut s = replies_by(f, at);
    if !s.sent {
        return Ok(s);
    }
    let answered_at = s.answered_at;
    // Each body's own statute: a Scottish body's clock skips Scottish holidays only.
    let regime = f.request.body.regime;
    let events: Vec<RequestEvent> = f.events.iter().filter(|e| counts(e, at)).cloned().collect();
    if let Some(clock) = clock_from_events(&events) {
        if let Some(a) = answered_at {
            s.days_to_answer = Some(clock.working_days_elapsed(cal, regime, a.date_naive())?);
        }
        let settled = s.answered() || s.refused || s.not_held;
        let withdrawn = f.request.state == RequestState::Withdrawn;
        if !settled && !withdrawn && clock.working_days_overdue(cal, regime, at.date_naive())? > 0 {
            s.overdue = true;
        }
    }
    Ok(s)
}

/// What a request's replies (and people's moves) said by `at`, without the statutory clock:
/// sent, replied, answered, refused, not held (`overdue` and `days_to_answer` are left unset;
/// [`standing`] adds them). Enough for the commissioning table.
pub fn replies_by(f: &RequestFacts, at: DateTime<Utc>) -> Standing {
    let mut s = Standing::default();
    let sent = sent_on(f).is_some_and(|d| d <= at.date_naive());
    if !sent {
        return s;
    }
    s.sent = true;
    let replies: Vec<_> = f.replies.iter().filter(|r| r.at <= at).collect();
    let first = |classes: &[MessageClass]| replies.iter().filter(|r| classes.contains(&r.class)).map(|r| r.at).min();
    s.replied = replies.iter().any(|r| !matches!(r.class, MessageClass::Bounce | MessageClass::AutoReply));
    // Replies and the people who moved requests by hand both count.
    let full = first(&[MessageClass::AnswerFull]).or(moved_to(&f.events, at, &[RequestState::AnsweredFull]));
    let partial = first(&[MessageClass::AnswerPartial]).or(moved_to(&f.events, at, &[RequestState::AnsweredPartial]));
    s.answered_full = full.is_some();
    s.answered_partial = partial.is_some() && !s.answered_full;
    s.answered_at = [full, partial].into_iter().flatten().min();
    if !s.answered() {
        s.refused = first(&[MessageClass::Refusal]).or(moved_to(&f.events, at, &[RequestState::Refused])).is_some();
        s.not_held = !s.refused
            && first(&[MessageClass::NotHeld]).or(moved_to(&f.events, at, &[RequestState::NotHeld])).is_some();
    }
    s.replied |= s.answered() || s.refused || s.not_held;
    s
}

/// The totals of a group of requests.
#[derive(Debug, Clone, Default)]
struct Tally {
    asked: u64,
    replied: u64,
    answered: u64,
    full: u64,
    partial: u64,
    refused: u64,
    not_held: u64,
    no_reply: u64,
    overdue: u64,
    within_20: u64,
    days: Vec<i64>,
}

impl Tally {
    fn add(&mut self, s: &Standing) {
        if !s.sent {
            return;
        }
        self.asked += 1;
        self.replied += u64::from(s.replied);
        self.answered += u64::from(s.answered());
        self.full += u64::from(s.answered_full);
        self.partial += u64::from(s.answered_partial);
        self.refused += u64::from(s.refused);
        self.not_held += u64::from(s.not_held);
        self.no_reply += u64::from(!s.replied);
        self.overdue += u64::from(s.overdue);
        if let Some(d) = s.days_to_answer {
            self.days.push(d);
            self.within_20 += u64::from(d <= 20);
        }
    }

    fn median(&mut self) -> Option<f64> {
        if self.days.is_empty() {
            return None;
        }
        self.days.sort_unstable();
        let n = self.days.len();
        Some(if n % 2 == 1 { self.days[n / 2] as f64 } else { (self.days[n / 2 - 1] + self.days[n / 2]) as f64 / 2.0 })
    }

    fn row(mut self, group: &str, label: &str) -> Vec<Cell> {
        let of = self.asked;
        let median = self.median();
        vec![
            Cell::Text(group.to_string()),
            Cell::Text(label.to_string()),
            Cell::Count(of),
            Cell::CountOf { n: self.replied, of },
            Cell::CountOf { n: self.answered, of },
            Cell::CountOf { n: self.full, of },
            Cell::CountOf { n: self.partial, of },
            Cell::CountOf { n: self.refused, of },
            Cell::CountOf { n: self.not_held, of },
            Cell::CountOf { n: self.no_reply, of },
            Cell::CountOf { n: self.overdue, of },
            median.map_or(Cell::Empty, |m| Cell::Number { value: m, decimals: 1 }),
            Cell::CountOf { n: self.within_20, of },
        ]
    }
}

/// The columns of the response-rate table.
pub const COLUMNS: [&str; 13] = [
    "group",
    "bodies",
    "asked",
    "any reply",
    "answered some or all",
    "full",
    "partial",
    "refused",
    "not held",
    "no reply",
    "overdue",
    "median working days to answer",
    "answered within 20 working days",
];

fn kind_group(kind: BodyKind) -> &'static str {
    if kind.is_nhs() { "NHS bodies" } else { "Councils" }
}

/// Which regions the response-rate table groups by. The two are never mixed in one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegionBy {
    /// NHS England's seven regions, for every body (councils take their board's region).
    #[default]
    Nhs,
    /// The nine ONS regions, for councils only (a board's area may cross them).
    Ons,
}

impl RegionBy {
    /// The `group` cell of the region rows.
    pub fn group(self) -> &'static str {
        match self {
            RegionBy::Nhs => "NHS region",
            RegionBy::Ons => "ONS region",
        }
    }
}

/// The response-rate table of a round as of `at`, grouped by NHS England region.
pub fn response_rates(facts: &[RequestFacts], at: DateTime<Utc>, round_name: &str, cal: &Calendar) -> Result<Table> {
    response_rates_by(facts, at, round_name, cal, RegionBy::Nhs)
}

/// The response-rate table of a round as of `at`: a row per body kind, per NHS/council
/// group, per region (`by`), and for all bodies. Overdue and working-day figures use each
/// body's own regime (FOIA or FOISA).
pub fn response_rates_by(
    facts: &[RequestFacts],
    at: DateTime<Utc>,
    round_name: &str,
    cal: &Calendar,
    by: RegionBy,
) -> Result<Table> {
    let mut by_kind: BTreeMap<(bool, &'static str), Tally> = BTreeMap::new();
    let mut by_group: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut by_region: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    let mut foisa = 0;
    for f in facts {
        let s = standing(f, at, cal)?;
        let body = &f.request.body;
        let kind = body.kind;
        foisa += usize::from(body.regime == Regime::Foisa);
        by_kind.entry((!kind.is_nhs(), kind.label())).or_default().add(&s);
        by_group.entry(kind_group(kind)).or_default().add(&s);
        let region = match by {
            RegionBy::Nhs => Some(body.nhs_region.clone().unwrap_or_else(|| "(no NHS region)".into())),
            RegionBy::Ons if kind.is_nhs() => None,
            RegionBy::Ons => Some(body.ons_region.clone().unwrap_or_else(|| "(no ONS region)".into())),
        };
        if let Some(region) = region {
            by_region.entry(region).or_default().add(&s);
        }
        all.add(&s);
    }
    let mut rows = Vec::new();
    for ((_, label), t) in by_kind {
        rows.push(t.row("kind", label));
    }
    for (label, t) in by_group {
        rows.push(t.row("kind", label));
    }
    for (label, t) in by_region {
        rows.push(t.row(by.group(), &label));
    }
    rows.push(all.row("all", "All bodies"));
    let regions = match by {
        RegionBy::Nhs => " Regions are NHS England regions (a council is in its board's).",
        RegionBy::Ons => " Regions are ONS regions, for councils only.",
    };
    let regimes = if foisa > 0 {
        format!(" Working days follow each body's statute ({foisa} under FOISA, the rest under the FOI Act).")
    } else {
        String::new()
    };
    Ok(Table {
        title: format!("Response rates: {round_name}"),
        caption: format!(
            "Replies received up to {} (UTC); percentages are of the bodies asked.{regions}{regimes}",
            at.format("%Y-%m-%d %H:%M")
        ),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows,
    })
}

/// The end of each month (the last instant of its last day, UTC) from the month of `from` up
/// to `to`, and `to` itself when it falls mid-month.
pub fn month_ends(from: NaiveDate, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    loop {
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first + Days::new(31));
        let end = Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default()) - chrono::Duration::seconds(1);
        if end >= to {
            out.push(to);
            return out;
        }
        out.push(end);
        first = next;
    }
}

/// The monthly series: the response rates of every body kind group and of all bodies at each
/// month end since the round was first sent, up to `at`.
pub fn monthly(facts: &[RequestFacts], at: DateTime<Utc>, round_name: &str, cal: &Calendar) -> Result<Table> {
    let Some(launch) = facts.iter().filter_map(sent_on).min() else {
        return Ok(Table {
            title: format!("Monthly response rates: {round_name}"),
            caption: "Nothing has been sent yet.".into(),
            columns: monthly_columns(),
            rows: Vec::new(),
        });
    };
    let mut rows = Vec::new();
    for end in month_ends(launch, at) {
        let mut by_group: BTreeMap<&'static str, Tally> = BTreeMap::new();
        let mut all = Tally::default();
        for f in facts {
            let s = standing(f, end, cal)?;
            by_group.entry(kind_group(f.request.body.kind)).or_default().add(&s);
            all.add(&s);
        }
        let label = end.format("%Y-%m-%d").to_string();
        for (group, t) in by_group {
            let mut row = t.row("kind", group);
            row[0] = Cell::Text(label.clone());
            rows.push(row);
        }
        let mut row = all.row("all", "All bodies");
        row[0] = Cell::Text(label);
        rows.push(row);
    }
    Ok(Table {
        title: format!("Monthly response rates: {round_name}"),
        caption: format!(
            "At each month end (UTC) since the first request was sent, up to {}.",
            at.format("%Y-%m-%d %H:%M")
        ),
        columns: monthly_columns(),
        rows,
    })
}

fn monthly_columns() -> Vec<String> {
    let mut c: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    c[0] = "as of".into();
    c
}
