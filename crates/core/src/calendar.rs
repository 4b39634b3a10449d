//! The FOI working-day calendar: which days are working days under the FOI Act 2000 (s.10(6))
//! and FOISA 2002 (s.73), and the statutory clock of a request (due date, very overdue date,
//! clarification pauses, working days elapsed and overdue).
//!
//! The bank holidays come from `data/uk_bank_holidays.csv` (the GOV.UK list for each UK
//! division): the CLI and the web server read the file at start-up (`holidays_file` in
//! foi.toml, else `data/uk_bank_holidays.csv` in the working folder) and [`Calendar::install`]
//! it; a copy embedded at compile time serves when there is none. This module does no IO.
//!
//! After the data's last year the holidays are computed from the statutory rules of each
//! division (the fixed and movable bank holidays with their substitute days, [`statutory`]),
//! for [`RULE_YEARS`] years: such a date is answered, and [`Calendar::is_computed`] says so
//! that callers can warn (a one-off holiday such as a coronation is not in any rule). A date
//! before the data's first year is an error ([`CalendarError::OutOfRange`]), never a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Working days a public authority has to answer a request (FOIA s.10(1), FOISA s.10(1)).
pub const DUE_WORKING_DAYS: u32 = 20;

/// Working days after which a request counts as very overdue (twice the statutory limit).
pub const VERY_OVERDUE_WORKING_DAYS: u32 = 40;

/// The bank holiday data shipped with the crate (`date,division,title`).
const UK_BANK_HOLIDAYS_CSV: &str = include_str!("../../../data/uk_bank_holidays.csv");

/// Years after the data's last year whose holidays are computed from the statutory rules.
pub const RULE_YEARS: i32 = 60;

/// The calendar installed at start-up, if any ([`Calendar::install`]).
static INSTALLED: OnceLock<Calendar> = OnceLock::new();

/// The statute a request is made under, which decides what a working day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    /// Freedom of Information Act 2000 (England, Wales, Northern Ireland, UK-wide bodies):
    /// a working day is not a Saturday, Sunday, Christmas Day, Good Friday or a bank holiday
    /// in any part of the UK.
    Foia,
    /// Freedom of Information (Scotland) Act 2002 (Scottish public authorities): a working
    /// day is not a Saturday, Sunday, Christmas Day or a bank holiday in Scotland.
    Foisa,
}

impl Regime {
    /// Both regimes, in a fixed order.
    pub const ALL: [Regime; 2] = [Regime::Foia, Regime::Foisa];

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Foia => "foia",
            Regime::Foisa => "foisa",
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Regime {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Regime, CalendarError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("foia") {
            Ok(Regime::Foia)
        } else if t.eq_ignore_ascii_case("foisa") {
            Ok(Regime::Foisa)
        } else {
            Err(CalendarError::UnknownRegime(s.to_string()))
        }
    }
}

/// What can go wrong with the calendar.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// A computation needed a day in a year the bank holiday data does not cover.
    #[error("no bank holiday data for {year}: the calendar covers {first} to {last}")]
    OutOfRange { year: i32, first: i32, last: i32 },
    /// A line of the bank holiday data is malformed (`line` is 1-based; the header is line 1).
    #[error("line {line} of the bank holiday data: {message}")]
    BadData { line: usize, message: String },
    /// The bank holiday data has a header but no holidays.
    #[error("the bank holiday data has no holidays")]
    NoData,
    /// A year inside the covered range has no holidays for one division (the data has a gap).
    #[error("the bank holiday data has no {division} holidays for {year}")]
    MissingYear { year: i32, division: String },
    /// A regime name that is neither `foia` nor `foisa`.
    #[error("unknown regime \"{0}\": expected foia or foisa")]
    UnknownRegime(String),
}

/// A part of the UK with its own bank holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [Division::EnglandAndWales, Division::Scotland, Division::NorthernIreland];

    pub fn as_str(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    fn parse(s: &str) -> Option<Division> {
        Division::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Whether a bank holiday in this division stops the clock under `regime`.
    fn counts_for(self, regime: Regime) -> bool {
        match regime {
            Regime::Foia => true,
            Regime::Foisa => self == Division::Scotland,
        }
    }
}

/// The working days of one regime over the covered years.
#[derive(Clone)]
struct RegimeDays {
    /// `cum[i]` = number of working days among the first `i` days of the covered range, so
    /// day `i` is a working day iff `cum[i + 1] > cum[i]`.
    cum: Vec<u32>,
    /// Non-working holidays falling on weekdays, with their titles.
    holidays: BTreeMap<NaiveDate, String>,
}

/// The working-day calendar for both regimes over the years the holiday data covers, and
/// [`RULE_YEARS`] years after them computed from the statutory rules.
#[derive(Clone)]
pub struct Calendar {
    first: i32,
    last: i32,
    /// The last year of the data; the years after it, up to `last`, are computed.
    data_last: i32,
    /// 1 January of `first`: day index 0.
    start: NaiveDate,
    /// Number of days from 1 January of `first` to 31 December of `last`.
    len: usize,
    foia: RegimeDays,
    foisa: RegimeDays,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("first", &self.first)
            .field("data_last", &self.data_last)
            .field("last", &self.last)
            .field("foia_holidays", &self.foia.holidays.len())
            .field("foisa_holidays", &self.foisa.holidays.len())
            .finish()
    }
}

/// Easter Sunday of `year` (Gregorian calendar; anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Good Friday of `year`: two days before Easter Sunday.
fn good_friday(year: i32) -> Option<NaiveDate> {
    easter_sunday(year)?.checked_sub_days(Days::new(2))
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The `n`th (1-based) `weekday` of a month, or with `n` = 0 its last.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    if n == 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }?;
        let mut d = next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// The bank holidays of `year` in `division` by the standing rules (Banking and Financial
/// Dealings Act 1971 and the royal proclamations that fix the substitute days each year):
///
/// - England and Wales: New Year's Day, Good Friday, Easter Monday, the first Monday of
///   May, the last Monday of May, the last Monday of August, Christmas Day, Boxing Day.
/// - Scotland: New Year's Day, 2 January, Good Friday, the first and last Mondays of May, the
///   first Monday of August, St Andrew's Day (30 November), Christmas Day, Boxing Day.
/// - Northern Ireland: as England and Wales, with St Patrick's Day (17 March) and the Battle
///   of the Boyne (12 July).
///
/// A fixed-date holiday on a Saturday or Sunday moves to the next weekday that is not
/// already a holiday (so Christmas on a Saturday is kept on Monday 27th and Boxing Day on
/// Tuesday 28th). One-off holidays (jubilees, coronations, state funerals) and years when a
/// movable holiday was moved (the early May holiday on VE Day 2020) are in no rule: the data
/// holds them, the rules cannot.
pub fn statutory(year: i32, division: Division) -> Vec<(NaiveDate, &'static str)> {
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    let mut fixed: Vec<(NaiveDate, &'static str)> = Vec::new();
    let mut movable: Vec<(NaiveDate, &'static str)> = Vec::new();
    let push = |list: &mut Vec<(NaiveDate, &'static str)>, d: Option<NaiveDate>, title: &'static str| {
        if let Some(d) = d {
            list.push((d, title));
        }
    };
    push(&mut fixed, date(1, 1), "New Year’s Day");
    if division == Division::Scotland {
        push(&mut fixed, date(1, 2), "2nd January");
    }
    if division == Division::NorthernIreland {
        push(&mut fixed, date(3, 17), "St Patrick’s Day");
        push(&mut fixed, date(7, 12), "Battle of the Boyne (Orangemen’s Day)");
    }
    if division == Division::Scotland {
        push(&mut fixed, date(11, 30), "St Andrew’s Day");
    }
    push(&mut fixed, date(12, 25), "Christmas Day");
    push(&mut fixed, date(12, 26), "Boxing Day");
    push(&mut movable, good_friday(year), "Good Friday");
    if division != Division::Scotland {
        push(&mut movable, easter_sunday(year).and_then(|e| e.succ_opt()), "Easter Monday");
    }
    push(&mut movable, nth_weekday(year, 5, Weekday::Mon, 1), "Early May bank holiday");
    push(&mut movable, nth_weekday(year, 5, Weekday::Mon, 0), "Spring bank holiday");
    let summer = if division == Division::Scotland {
        nth_weekday(year, 8, Weekday::Mon, 1)
    } else {
        nth_weekday(year, 8, Weekday::Mon, 0)
    };
    push(&mut movable, summer, "Summer bank holiday");
    // Substitute days, in date order so that a run (Christmas, Boxing Day; 1 and 2 January)
    // moves together.
    fixed.sort();
    let mut taken: BTreeSet<NaiveDate> = movable.iter().map(|(d, _)| *d).collect();
    let mut out = movable;
    for (d, title) in fixed {
        if !is_weekend(d) && !taken.contains(&d) {
            taken.insert(d);
            out.push((d, title));
            continue;
        }
        let mut sub = d;
        while is_weekend(sub) || taken.contains(&sub) {
            match sub.succ_opt() {
                Some(next) => sub = next,
                None => break,
            }
        }
        taken.insert(sub);
        // The day itself stays a holiday in name (it is a weekend day, so it changes no
        // working day); the substitute carries the title GOV.UK gives it.
        out.push((sub, if sub == d { title } else { substitute_title(title) }));
    }
    out.sort();
    out
}

fn substitute_title(title: &'static str) -> &'static str {
    match title {
        "New Year’s Day" => "New Year’s Day (substitute day)",
        "2nd January" => "2nd January (substitute day)",
        "St Patrick’s Day" => "St Patrick’s Day (substitute day)",
        "Battle of the Boyne (Orangemen’s Day)" => "Battle of the Boyne (Orangemen’s Day) (substitute day)",
        "St Andrew’s Day" => "St Andrew’s Day (substitute day)",
        "Christmas Day" => "Christmas Day (substitute day)",
        "Boxing Day" => "Boxing Day (substitute day)",
        other => other,
    }
}

fn bad(line: usize, message: impl Into<String>) -> CalendarError {
    CalendarError::BadData { line, message: message.into() }
}

fn csv_error(err: &csv::Error) -> CalendarError {
    let line = err.position().and_then(|p| usize::try_from(p.line()).ok()).unwrap_or(0);
    match err.kind() {
        csv::ErrorKind::UnequalLengths { len, .. } => {
            bad(line, format!("expected 3 fields (date,division,title), found {len}"))
        }
        _ => bad(line, err.to_string().to_lowercase()),
    }
}

impl Calendar {
    /// Parses bank holiday data: CSV with the header `date,division,title`, dates as
    /// `YYYY-MM-DD`, divisions `england-and-wales`, `scotland` or `northern-ireland`.
    ///
    /// The covered years run from the earliest to the latest year in the data, and every one
    /// of them must have holidays for all three divisions. Errors name the line at fault.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let header = reader.headers().map_err(|e| csv_error(&e))?.clone();
        let names: Vec<&str> = header.iter().collect();
        if names != ["date", "division", "title"] {
            return Err(bad(1, format!("expected the header date,division,title, found \"{}\"", names.join(","))));
        }

        // (date, division, title), one per data row.
        let mut rows: Vec<(NaiveDate, Division, String)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&e))?;
            let line = record.position().and_then(|p| usize::try_from(p.line()).ok()).unwrap_or(0);
            let (date, division, title) = match (record.get(0), record.get(1), record.get(2)) {
                (Some(a), Some(b), Some(c)) => (a, b, c),
                _ => {
                    return Err(bad(line, format!("expected 3 fields (date,division,title), found {}", record.len())));
                }
            };
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| bad(line, format!("bad date \"{date}\" (expected YYYY-MM-DD)")))?;
            let division =
                Division::parse(division).ok_or_else(|| bad(line, format!("unknown division \"{division}\"")))?;
            if title.is_empty() {
                return Err(bad(line, "empty title"));
            }
            rows.push((date, division, title.to_string()));
        }

        let first = rows.iter().map(|r| r.0.year()).min().ok_or(CalendarError::NoData)?;
        let data_last = rows.iter().map(|r| r.0.year()).max().ok_or(CalendarError::NoData)?;
        let present: BTreeSet<(i32, Division)> = rows.iter().map(|(d, div, _)| (d.year(), *div)).collect();
        for year in first..=data_last {
            for division in Division::ALL {
                if !present.contains(&(year, division)) {
                    return Err(CalendarError::MissingYear { year, division: division.as_str().to_string() });
                }
            }
        }
        // The years after the data, by the rules. A substitute day of the data's last year
        // may fall in January of the next (a Saturday 1 January is kept on Monday 3rd of the
        // same year, so this does not arise today; the data wins for its own dates anyway).
        let last = data_last + RULE_YEARS;
        let known: BTreeSet<(NaiveDate, Division)> = rows.iter().map(|(d, div, _)| (*d, *div)).collect();
        for year in data_last + 1..=last {
            for division in Division::ALL {
                for (d, title) in statutory(year, division) {
                    if !known.contains(&(d, division)) {
                        rows.push((d, division, title.to_string()));
                    }
                }
            }
        }
        // Sort so that titles of one date are joined in a fixed division order.
        rows.sort();

        let out_of_range = |year: i32| CalendarError::OutOfRange { year, first, last };
        let start = NaiveDate::from_ymd_opt(first, 1, 1).ok_or_else(|| out_of_range(first))?;
        let end = NaiveDate::from_ymd_opt(last, 12, 31).ok_or_else(|| out_of_range(last))?;
        let len = usize::try_from((end - start).num_days() + 1).map_err(|_| out_of_range(last))?;

        let build = |regime: Regime| -> RegimeDays {
            let mut titles: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
            let mut add = |date: NaiveDate, title: &str| {
                let list = titles.entry(date).or_default();
                if !list.iter().any(|t| t == title) {
                    list.push(title.to_string());
                }
            };
            for (date, division, title) in &rows {
                if division.counts_for(regime) {
                    add(*date, title);
                }
            }
            // Both Acts name Christmas Day itself; FOIA also names Good Friday. They are in
            // the data as bank holidays, but the statute does not depend on the data.
            for year in first..=last {
                if let Some(christmas) = NaiveDate::from_ymd_opt(year, 12, 25) {
                    add(christmas, "Christmas Day");
                }
                if regime == Regime::Foia
                    && let Some(friday) = good_friday(year)
                {
                    add(friday, "Good Friday");
                }
            }
            let holidays: BTreeMap<NaiveDate, String> = titles
                .into_iter()
                .filter(|(date, _)| !is_weekend(*date))
                .map(|(date, list)| (date, list.join(" / ")))
                .collect();
            let mut cum = Vec::with_capacity(len + 1);
            let mut count = 0u32;
            cum.push(count);
            for date in start.iter_days().take(len) {
                if !is_weekend(date) && !holidays.contains_key(&date) {
                    count += 1;
                }
                cum.push(count);
            }
            RegimeDays { cum, holidays }
        };

        Ok(Calendar { first, last, data_last, start, len, foia: build(Regime::Foia), foisa: build(Regime::Foisa) })
    }

    /// The calendar in use: the one [`Calendar::install`]ed at start-up, else the one built
    /// from the bank holiday data embedded in the crate (parsed once).
    pub fn uk() -> &'static Calendar {
        INSTALLED.get().unwrap_or_else(Calendar::embedded)
    }

    /// The calendar built from the data embedded at compile time.
    pub fn embedded() -> &'static Calendar {
        static UK: OnceLock<Calendar> = OnceLock::new();
        UK.get_or_init(|| {
            Calendar::from_csv(UK_BANK_HOLIDAYS_CSV)
                .expect("the embedded bank holiday data (data/uk_bank_holidays.csv) is valid")
        })
    }

    /// Makes `cal` the calendar [`Calendar::uk`] returns, for the rest of the process. Called
    /// once at start-up, before any deadline is computed; a second call is refused (returns
    /// false) so that no two parts of one process use different holidays.
    pub fn install(cal: Calendar) -> bool {
        INSTALLED.set(cal).is_ok()
    }

    /// The first and last year the calendar answers for (the last computed from the rules).
    pub fn covers(&self) -> (i32, i32) {
        (self.first, self.last)
    }

    /// The first and last year of the holiday data itself.
    pub fn data_covers(&self) -> (i32, i32) {
        (self.first, self.data_last)
    }

    /// Whether the holidays of `date`'s year were computed from the statutory rules rather
    /// than read from the data (a one-off holiday would be missing).
    pub fn is_computed(&self, date: NaiveDate) -> bool {
        date.year() > self.data_last
    }

    /// The warning to show when any of `dates` lies past the data: names the years and what
    /// was done instead.
    pub fn warning_for(&self, dates: &[NaiveDate]) -> Option<String> {
        let years: BTreeSet<i32> = dates.iter().filter(|d| self.is_computed(**d)).map(|d| d.year()).collect();
        let first = years.first()?;
        let last = years.last()?;
        let span = if first == last { first.to_string() } else { format!("{first} to {last}") };
        Some(format!(
            "the bank holiday data ends in {}: the holidays of {span} are computed from the statutory rules \
             (fixed and movable bank holidays with substitute days); a one-off holiday proclaimed later is not known. \
             Update data/uk_bank_holidays.csv (or holidays_file in foi.toml) from GOV.UK.",
            self.data_last
        ))
    }

    fn days(&self, regime: Regime) -> &RegimeDays {
        match regime {
            Regime::Foia => &self.foia,
            Regime::Foisa => &self.foisa,
        }
    }

    fn out_of_range(&self, year: i32) -> CalendarError {
        CalendarError::OutOfRange { year, first: self.first, last: self.last }
    }

    /// Day index of `date` (0 = 1 January of the first year), if the calendar covers it.
    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        usize::try_from((date - self.start).num_days())
            .ok()
            .filter(|&i| i < self.len)
            .ok_or_else(|| self.out_of_range(date.year()))
    }

    /// The day after `date`, an out-of-range error at the end of time.
    fn next_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        date.succ_opt().ok_or_else(|| self.out_of_range(date.year()))
    }

    /// Whether `date` is a working day under `regime`.
    pub fn is_working_day(&self, regime: Regime, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.index(date)?;
        let cum = &self.days(regime).cum;
        Ok(cum[i + 1] > cum[i])
    }

    /// The `n`th working day strictly after `start` (`start` itself never counts, whatever
    /// day it is); `start` itself when `n` is 0. Only the days after `start` are looked at,
    /// so they, not `start`, must be covered.
    pub fn add_working_days(&self, regime: Regime, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return Ok(start);
        }
        let cum = &self.days(regime).cum;
        let first_looked_at = self.next_day(start)?;
        let i = self.index(first_looked_at)?;
        // Working days up to and including `start`; the answer is the first day whose
        // running count reaches `before + n`.
        let target = u64::from(cum[i]) + u64::from(n);
        if target > u64::from(cum[self.len]) {
            return Err(self.out_of_range(self.last + 1));
        }
        // Smallest day index j with cum[j + 1] >= target.
        let j = cum[1..].partition_point(|&c| u64::from(c) < target);
        self.start.checked_add_days(Days::new(j as u64)).ok_or_else(|| self.out_of_range(self.last + 1))
    }

    /// The date a request received on `received` must be answered by: the 20th working day
    /// after receipt.
    pub fn due_date(&self, regime: Regime, received: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(regime, received, DUE_WORKING_DAYS)
    }

    /// The date a request received on `received` becomes very overdue: the 40th working day
    /// after receipt.
    pub fn very_overdue_date(&self, regime: Regime, received: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(regime, received, VERY_OVERDUE_WORKING_DAYS)
    }

    /// The number of working days `d` with `from < d <= to`; when `to` is before `from`, minus
    /// the number with `to < d <= from`; 0 when they are equal. Only the days counted are
    /// looked at, so they must be covered.
    pub fn working_days_between(&self, regime: Regime, from: NaiveDate, to: NaiveDate) -> Result<i64, CalendarError> {
        if from == to {
            return Ok(0);
        }
        let (lo, hi, sign) = if from < to { (from, to, 1) } else { (to, from, -1) };
        let cum = &self.days(regime).cum;
        let i = self.index(self.next_day(lo)?)?;
        let j = self.index(hi)?;
        Ok(sign * (i64::from(cum[j + 1]) - i64::from(cum[i])))
    }

    /// The holidays in `year` that are not working days under `regime`, excluding those on a
    /// weekend (already not working days), sorted by date. Where divisions give the same
    /// date different titles, the titles are joined with " / ". Empty for uncovered years.
    pub fn holidays(&self, regime: Regime, year: i32) -> Vec<(NaiveDate, String)> {
        self.days(regime)
            .holidays
            .iter()
            .filter(|(date, _)| date.year() == year)
            .map(|(date, title)| (*date, title.clone()))
            .collect()
    }
}

/// A clarification pause: the body asked for clarification on `requested`; the requester sent
/// it on `resumed` (`None`: still waiting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub requested: NaiveDate,
    pub resumed: Option<NaiveDate>,
}

/// The statutory clock of one request: receipt, optional clarification pauses.
///
/// Under FOIA s.1(3) and s.10(6) (FOISA s.1(3) and s.10(1)(b) alike), a body that reasonably
/// asks for clarification need not comply until it gets it, and the 20 working days then run
/// afresh from the day the clarification is received.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Clock {
    pub received: NaiveDate,
    pub pauses: Vec<Pause>,
}

impl Clock {
    /// A clock started on `received`, with no pauses.
    pub fn new(received: NaiveDate) -> Clock {
        Clock { received, pauses: Vec::new() }
    }

    /// The date the 20 (or other) working days run from: the later of receipt and the last
    /// clarification sent; `None` while a clarification is awaited.
    fn restarted(&self) -> Option<NaiveDate> {
        let mut from = self.received;
        for pause in &self.pauses {
            from = from.max(pause.resumed?);
        }
        Some(from)
    }

    /// Due date: 20 working days after the later of receipt and the last clarification sent;
    /// `None` while a clarification is awaited (clock stopped).
    pub fn due(&self, cal: &Calendar, regime: Regime) -> Result<Option<NaiveDate>, CalendarError> {
        self.restarted().map(|from| cal.add_working_days(regime, from, DUE_WORKING_DAYS)).transpose()
    }

    /// Very overdue date: 40 working days after the later of receipt and the last
    /// clarification sent; `None` while a clarification is awaited.
    pub fn very_overdue(&self, cal: &Calendar, regime: Regime) -> Result<Option<NaiveDate>, CalendarError> {
        self.restarted().map(|from| cal.add_working_days(regime, from, VERY_OVERDUE_WORKING_DAYS)).transpose()
    }

    /// Working days the body has had the request up to `on` (inclusive), excluding time
    /// waiting for clarification: the working days in (received, on] minus those in
    /// (requested, min(resumed, on)] of each pause (an open pause runs up to `on`).
    /// Overlapping pauses are counted once; 0 if `on` is not after receipt.
    pub fn working_days_elapsed(&self, cal: &Calendar, regime: Regime, on: NaiveDate) -> Result<i64, CalendarError> {
        if on <= self.received {
            return Ok(0);
        }
        let total = cal.working_days_between(regime, self.received, on)?;
        // Paused spans clipped to (received, on], merged where they overlap.
        let mut spans: Vec<(NaiveDate, NaiveDate)> = self
            .pauses
            .iter()
            .map(|p| {
                let from = p.requested.max(self.received);
                let to = p.resumed.map_or(on, |r| r.min(on));
                (from, to)
            })
            .filter(|(from, to)| from < to)
            .collect();
        spans.sort();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(spans.len());
        for (from, to) in spans {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let mut paused = 0;
        for (from, to) in merged {
            paused += cal.working_days_between(regime, from, to)?;
        }
        Ok(total - paused)
    }

    /// Working days past the due date on `on`: the working days in (due, on]; 0 if not yet
    /// due or the clock is stopped.
    pub fn working_days_overdue(&self, cal: &Calendar, regime: Regime, on: NaiveDate) -> Result<i64, CalendarError> {
        match self.due(cal, regime)? {
            Some(due) if on > due => cal.working_days_between(regime, due, on),
            _ => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> &'static Calendar {
        Calendar::uk()
    }

    /// Checks a hand-worked due date, and that it is consistent with the other functions.
    fn check(regime: Regime, received: &str, expected_due: &str) {
        let (received, expected) = (d(received), d(expected_due));
        let due = cal().due_date(regime, received).unwrap();
        assert_eq!(
            due,
            expected,
            "{regime}: received {received} ({}), expected due {expected} ({}), got {due} ({})",
            received.weekday(),
            expected.weekday(),
            due.weekday()
        );
        assert!(cal().is_working_day(regime, due).unwrap());
        assert_eq!(cal().working_days_between(regime, received, due).unwrap(), 20);
        assert_eq!(Clock::new(received).due(cal(), regime).unwrap(), Some(due));
    }

    // Shortcut used in the reasoning: from a weekday, the 20th working day with no holidays is
    // the same weekday 4 weeks (28 days) later; from a Saturday it is the Friday 27 days later.
    // Each non-working holiday inside the span pushes the due date one working day further.
    #[test]
    fn hand_worked_due_dates() {
        use Regime::{Foia, Foisa};
        // Mon 2 Jun 2025: no holiday between 3 and 30 Jun -> Mon 30 Jun.
        check(Foia, "2025-06-02", "2025-06-30");
        // Easter 2025, Tue 1 Apr: +28 = Tue 29 Apr; Good Friday 18 Apr and Easter Monday 21 Apr
        // inside -> Thu 1 May (Early May 5 May is after).
        check(Foia, "2025-04-01", "2025-05-01");
        // FOISA, same date: Easter Monday is not a Scottish bank holiday, only Good Friday
        // -> Wed 30 Apr.
        check(Foisa, "2025-04-01", "2025-04-30");
        // Easter 2026, Mon 23 Mar: +28 = Mon 20 Apr; Good Friday 3 Apr, Easter Monday 6 Apr
        // -> Wed 22 Apr.
        check(Foia, "2026-03-23", "2026-04-22");
        // FOISA: Good Friday only -> Tue 21 Apr.
        check(Foisa, "2026-03-23", "2026-04-21");
        // St Patrick's Day 2025 (Mon 17 Mar, NI), Mon 3 Mar: +28 = Mon 31 Mar; 17 Mar inside
        // -> Tue 1 Apr.
        check(Foia, "2025-03-03", "2025-04-01");
        // FOISA: St Patrick's is not Scottish -> Mon 31 Mar.
        check(Foisa, "2025-03-03", "2025-03-31");
        // St Patrick's Day 2026 (Tue 17 Mar), Wed 4 Mar: +28 = Wed 1 Apr; 17 Mar -> Thu 2 Apr.
        check(Foia, "2026-03-04", "2026-04-02");
        // FOISA -> Wed 1 Apr.
        check(Foisa, "2026-03-04", "2026-04-01");
        // Thu 5 Mar 2026: +28 = Thu 2 Apr; 17 Mar -> Fri 3 Apr, which is Good Friday, then
        // Easter Monday 6 Apr -> Tue 7 Apr.
        check(Foia, "2026-03-05", "2026-04-07");
        // FOISA: no Scottish holiday in (5 Mar, 2 Apr] -> Thu 2 Apr.
        check(Foisa, "2026-03-05", "2026-04-02");
        // Christmas 2025, Mon 8 Dec: +28 = Mon 5 Jan 2026; Christmas Thu 25, Boxing Day Fri 26
        // Dec, New Year Thu 1 Jan, 2 January (Scotland) Fri 2 Jan -> Fri 9 Jan.
        check(Foia, "2025-12-08", "2026-01-09");
        // FOISA: all four are Scottish bank holidays -> Fri 9 Jan.
        check(Foisa, "2025-12-08", "2026-01-09");
        // 2 January 2020 (Thu, Scotland only) counts under FOIA: Mon 30 Dec 2019: +28 =
        // Mon 27 Jan; 1 Jan and 2 Jan -> Wed 29 Jan.
        check(Foia, "2019-12-30", "2020-01-29");
        // St Andrew's Day 2025 falls on Sunday 30 Nov; substitute Mon 1 Dec (Scotland).
        // Mon 17 Nov: +28 = Mon 15 Dec; 1 Dec -> Tue 16 Dec, under both regimes.
        check(Foia, "2025-11-17", "2025-12-16");
        check(Foisa, "2025-11-17", "2025-12-16");
        // St Andrew's Day 2026 on Mon 30 Nov. Mon 16 Nov: +28 = Mon 14 Dec -> Tue 15 Dec.
        check(Foia, "2026-11-16", "2026-12-15");
        // 12 July 2027 (Mon, NI), Mon 28 Jun: +28 = Mon 26 Jul; 12 Jul -> Tue 27 Jul.
        check(Foia, "2027-06-28", "2027-07-27");
        // FOISA: the Boyne holiday is not Scottish -> Mon 26 Jul.
        check(Foisa, "2027-06-28", "2027-07-26");
        // 12 July 2025 is a Saturday; NI substitute Mon 14 Jul. Mon 30 Jun: +28 = Mon 28 Jul;
        // 14 Jul -> Tue 29 Jul.
        check(Foia, "2025-06-30", "2025-07-29");
        check(Foisa, "2025-06-30", "2025-07-28");
        // August 2025: Scottish summer holiday Mon 4 Aug, English/NI late summer Mon 25 Aug.
        // Fri 1 Aug: +28 = Fri 29 Aug; FOIA both -> Tue 2 Sep; FOISA 4 Aug only -> Mon 1 Sep.
        check(Foia, "2025-08-01", "2025-09-02");
        check(Foisa, "2025-08-01", "2025-09-01");
        // Mon 11 Aug 2025: +28 = Mon 8 Sep; only 25 Aug (not Scottish) inside.
        check(Foia, "2025-08-11", "2025-09-09");
        check(Foisa, "2025-08-11", "2025-09-08");
        // Mon 21 Jul 2025: +28 = Mon 18 Aug; only 4 Aug (Scottish) inside, which also stops
        // the FOIA clock -> Tue 19 Aug both.
        check(Foia, "2025-07-21", "2025-08-19");
        check(Foisa, "2025-07-21", "2025-08-19");
        // Received Saturday 7 Jun 2025: day 1 is Mon 9 Jun, no holiday -> Fri 4 Jul.
        check(Foia, "2025-06-07", "2025-07-04");
        // Received Saturday 12 Apr 2025: Fri 9 May without holidays; Good Friday 18 Apr,
        // Easter Monday 21 Apr, Early May 5 May -> Wed 14 May.
        check(Foia, "2025-04-12", "2025-05-14");
        // FOISA: Good Friday and 5 May -> Tue 13 May.
        check(Foisa, "2025-04-12", "2025-05-13");
        // Received Sunday 4 Jan 2026: day 1 Mon 5 Jan, no holiday -> Fri 30 Jan.
        check(Foia, "2026-01-04", "2026-01-30");
        // Received on Good Friday 18 Apr 2025: +28 = Fri 16 May; Easter Monday 21 Apr and
        // Early May 5 May -> Tue 20 May.
        check(Foia, "2025-04-18", "2025-05-20");
        // Platinum Jubilee 2022: Mon 23 May: +28 = Mon 20 Jun; Spring bank holiday moved to
        // Thu 2 Jun, Jubilee Fri 3 Jun -> Wed 22 Jun.
        check(Foia, "2022-05-23", "2022-06-22");
        // State funeral Mon 19 Sep 2022: Mon 5 Sep: +28 = Mon 3 Oct -> Tue 4 Oct.
        check(Foia, "2022-09-05", "2022-10-04");
        // Christmas 2027: 25/26 Dec on a weekend, substitutes Mon 27, Tue 28 Dec; New Year
        // Mon 3 Jan 2028; 2 January (Scotland) Tue 4 Jan. Wed 15 Dec: +28 = Wed 12 Jan;
        // four holidays -> Tue 18 Jan, both regimes.
        check(Foia, "2027-12-15", "2028-01-18");
        check(Foisa, "2027-12-15", "2028-01-18");
        // Coronation 2023: Mon 24 Apr: +28 = Mon 22 May; Early May 1 May and coronation
        // Mon 8 May -> Wed 24 May.
        check(Foia, "2023-04-24", "2023-05-24");
    }

    #[test]
    fn very_overdue_dates() {
        // Mon 2 Jun 2025: +56 days = Mon 28 Jul; FOIA skips 14 Jul (NI) -> Tue 29 Jul.
        assert_eq!(cal().very_overdue_date(Regime::Foia, d("2025-06-02")).unwrap(), d("2025-07-29"));
        assert_eq!(cal().very_overdue_date(Regime::Foisa, d("2025-06-02")).unwrap(), d("2025-07-28"));
        // Received Mon 1 Dec 2025 (St Andrew's Day itself): +56 = Mon 26 Jan 2026; 25, 26 Dec,
        // 1, 2 Jan -> Fri 30 Jan.
        assert_eq!(cal().very_overdue_date(Regime::Foia, d("2025-12-01")).unwrap(), d("2026-01-30"));
        assert_eq!(Clock::new(d("2025-06-02")).very_overdue(cal(), Regime::Foia).unwrap(), Some(d("2025-07-29")));
    }

    #[test]
    fn working_days_between_counts_half_open_span() {
        let c = cal();
        // (Thu 17 Apr, Tue 22 Apr 2025]: Good Friday, weekend, Easter Monday, then Tue 22.
        assert_eq!(c.working_days_between(Regime::Foia, d("2025-04-17"), d("2025-04-22")).unwrap(), 1);
        assert_eq!(c.working_days_between(Regime::Foisa, d("2025-04-17"), d("2025-04-22")).unwrap(), 2);
        assert_eq!(c.working_days_between(Regime::Foia, d("2025-04-22"), d("2025-04-17")).unwrap(), -1);
        assert_eq!(c.working_days_between(Regime::Foisa, d("2025-04-22"), d("2025-04-17")).unwrap(), -2);
        assert_eq!(c.working_days_between(Regime::Foia, d("2025-04-17"), d("2025-04-17")).unwrap(), 0);
        // A whole ordinary week.
        assert_eq!(c.working_days_between(Regime::Foia, d("2025-06-01"), d("2025-06-08")).unwrap(), 5);
        assert_eq!(c.add_working_days(Regime::Foia, d("2025-06-02"), 0).unwrap(), d("2025-06-02"));
        assert_eq!(c.add_working_days(Regime::Foia, d("2025-04-17"), 1).unwrap(), d("2025-04-22"));
    }

    #[test]
    fn is_working_day_follows_the_statutes() {
        let c = cal();
        let foia = |s| c.is_working_day(Regime::Foia, d(s)).unwrap();
        let foisa = |s| c.is_working_day(Regime::Foisa, d(s)).unwrap();
        assert!(foia("2025-06-02") && foisa("2025-06-02"));
        assert!(!foia("2025-06-07") && !foisa("2025-06-08")); // weekend
        assert!(!foia("2025-03-17") && foisa("2025-03-17")); // St Patrick's
        assert!(!foia("2025-04-21") && foisa("2025-04-21")); // Easter Monday
        assert!(!foia("2025-08-04") && !foisa("2025-08-04")); // Scottish summer
        assert!(!foia("2025-08-25") && foisa("2025-08-25")); // English summer
        assert!(!foia("2025-12-01") && !foisa("2025-12-01")); // St Andrew's substitute
        assert!(!foia("2025-12-25") && !foisa("2025-12-25"));
        assert!(!foia("2025-04-18") && !foisa("2025-04-18")); // Good Friday
    }

    /// The fast prefix-count implementation agrees with a plain day-by-day loop everywhere.
    #[test]
    fn agrees_with_a_simple_loop() {
        let c = cal();
        for regime in Regime::ALL {
            let mut day = d("2012-01-01");
            while day < d("2028-11-01") {
                let (mut cur, mut left) = (day, 20);
                while left > 0 {
                    cur = cur.succ_opt().unwrap();
                    if c.is_working_day(regime, cur).unwrap() {
                        left -= 1;
                    }
                }
                assert_eq!(c.due_date(regime, day).unwrap(), cur, "{regime} {day}");
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn out_of_range_is_an_error() {
        let c = cal();
        assert_eq!(c.covers(), (2012, 2028 + RULE_YEARS));
        let err = c.due_date(Regime::Foia, d("2011-06-01")).unwrap_err();
        assert_eq!(err, CalendarError::OutOfRange { year: 2011, first: 2012, last: 2088 });
        assert_eq!(err.to_string(), "no bank holiday data for 2011: the calendar covers 2012 to 2088");
        assert!(c.working_days_between(Regime::Foia, d("2011-12-01"), d("2012-01-02")).is_err());
        assert!(c.is_working_day(Regime::Foia, d("2089-01-01")).is_err());
        // Fri 1 Dec 2028: +28 = Fri 29 Dec; Christmas Mon 25 and Boxing Day Tue 26, then
        // New Year's Day Mon 1 Jan 2029 and the Scottish 2 January (computed) -> Thu 4 Jan.
        assert_eq!(c.due_date(Regime::Foia, d("2028-12-01")).unwrap(), d("2029-01-04"));
        // Wed 1 Nov 2028: +28 = Wed 29 Nov, no holiday inside (St Andrew's is Thu 30 Nov).
        assert_eq!(c.due_date(Regime::Foia, d("2028-11-01")).unwrap(), d("2028-11-29"));
        assert_eq!(c.holidays(Regime::Foia, 2029).len(), 13, "{:?}", c.holidays(Regime::Foia, 2029));
    }

    #[test]
    fn embedded_data_is_valid_and_has_good_friday_everywhere() {
        let c = Calendar::from_csv(UK_BANK_HOLIDAYS_CSV).unwrap();
        assert_eq!(c.data_covers(), (2012, 2028));
        for year in 2012..=2028 {
            let friday = good_friday(year).unwrap();
            assert_eq!(friday.weekday(), Weekday::Fri);
            for division in Division::ALL {
                let line = format!("{friday},{},Good Friday", division.as_str());
                assert!(UK_BANK_HOLIDAYS_CSV.contains(&line), "missing {line}");
            }
        }
        assert_eq!(good_friday(2025), Some(d("2025-04-18")));
        assert_eq!(good_friday(2026), Some(d("2026-04-03")));
    }

    #[test]
    fn holidays_lists_by_regime() {
        let dates =
            |regime, year| -> Vec<String> { cal().holidays(regime, year).iter().map(|(d, _)| d.to_string()).collect() };
        assert_eq!(
            dates(Regime::Foia, 2025),
            [
                "2025-01-01",
                "2025-01-02",
                "2025-03-17",
                "2025-04-18",
                "2025-04-21",
                "2025-05-05",
                "2025-05-26",
                "2025-07-14",
                "2025-08-04",
                "2025-08-25",
                "2025-12-01",
                "2025-12-25",
                "2025-12-26"
            ]
        );
        assert_eq!(
            dates(Regime::Foisa, 2025),
            [
                "2025-01-01",
                "2025-01-02",
                "2025-04-18",
                "2025-05-05",
                "2025-05-26",
                "2025-08-04",
                "2025-12-01",
                "2025-12-25",
                "2025-12-26"
            ]
        );
        // 2 Jan 2012: New Year's Day substitute in E&W and NI, "2nd January" in Scotland.
        let foia_2012 = cal().holidays(Regime::Foia, 2012);
        assert_eq!(foia_2012[0], (d("2012-01-02"), "New Year’s Day / 2nd January".to_string()));
        let foisa_2012 = cal().holidays(Regime::Foisa, 2012);
        assert_eq!(foisa_2012[0], (d("2012-01-02"), "2nd January".to_string()));
        assert_eq!(foisa_2012[1], (d("2012-01-03"), "New Year’s Day".to_string()));
        // 2027: Christmas Day on a Saturday is not listed; the substitute on Mon 27 Dec is.
        let foia_2027 = cal().holidays(Regime::Foia, 2027);
        assert!(foia_2027.iter().all(|(d, _)| !is_weekend(*d)));
        assert!(foia_2027.contains(&(d("2027-12-27"), "Christmas Day".to_string())));
    }

    #[test]
    fn christmas_and_good_friday_do_not_depend_on_the_data() {
        // Data with only New Year's Day per division: 25 Dec (a Wednesday in 2024) still stops
        // both clocks, and Good Friday (29 Mar 2024) stops the FOIA clock.
        let text = "date,division,title\n\
                    2024-01-01,england-and-wales,New Year’s Day\n\
                    2024-01-01,scotland,New Year’s Day\n\
                    2024-01-01,northern-ireland,New Year’s Day\n";
        let c = Calendar::from_csv(text).unwrap();
        assert_eq!(c.data_covers(), (2024, 2024));
        assert!(!c.is_working_day(Regime::Foia, d("2024-12-25")).unwrap());
        assert!(!c.is_working_day(Regime::Foisa, d("2024-12-25")).unwrap());
        assert!(!c.is_working_day(Regime::Foia, d("2024-03-29")).unwrap());
        assert!(c.is_working_day(Regime::Foia, d("2024-12-26")).unwrap());
    }

    #[test]
    fn from_csv_errors_name_the_line() {
        let bad_date = "date,division,title\n\
                        2025-01-01,england-and-wales,New Year’s Day\n\
                        2025-13-01,scotland,Nonsense\n";
        let err = Calendar::from_csv(bad_date).unwrap_err();
        assert_eq!(err.to_string(), "line 3 of the bank holiday data: bad date \"2025-13-01\" (expected YYYY-MM-DD)");
        assert!(matches!(err, CalendarError::BadData { line: 3, .. }));

        let bad_division = "date,division,title\n2025-01-01,wales,New Year’s Day\n";
        assert_eq!(
            Calendar::from_csv(bad_division).unwrap_err().to_string(),
            "line 2 of the bank holiday data: unknown division \"wales\""
        );

        let short = "date,division,title\n2025-01-01,scotland,X\n2025-01-02,scotland\n";
        assert_eq!(
            Calendar::from_csv(short).unwrap_err().to_string(),
            "line 3 of the bank holiday data: expected 3 fields (date,division,title), found 2"
        );

        let header = "day,division,title\n2025-01-01,scotland,X\n";
        assert_eq!(
            Calendar::from_csv(header).unwrap_err().to_string(),
            "line 1 of the bank holiday data: expected the header date,division,title, found \"day,division,title\""
        );

        assert_eq!(Calendar::from_csv("date,division,title\n").unwrap_err(), CalendarError::NoData);

        let gap = "date,division,title\n\
                   2024-01-01,england-and-wales,A\n2024-01-01,scotland,A\n2024-01-01,northern-ireland,A\n\
                   2025-01-01,england-and-wales,A\n2025-01-01,northern-ireland,A\n";
        assert_eq!(
            Calendar::from_csv(gap).unwrap_err().to_string(),
            "the bank holiday data has no scotland holidays for 2025"
        );
    }

    #[test]
    fn regime_parse_display_serde() {
        assert_eq!("foia".parse::<Regime>().unwrap(), Regime::Foia);
        assert_eq!("FOISA".parse::<Regime>().unwrap(), Regime::Foisa);
        assert_eq!("Foia".parse::<Regime>().unwrap(), Regime::Foia);
        let err = "eir".parse::<Regime>().unwrap_err();
        assert_eq!(err, CalendarError::UnknownRegime("eir".to_string()));
        assert_eq!(err.to_string(), "unknown regime \"eir\": expected foia or foisa");
        assert_eq!(Regime::Foia.to_string(), "foia");
        assert_eq!(Regime::Foisa.to_string(), "foisa");
        assert_eq!(serde_json::to_string(&Regime::Foisa).unwrap(), "\"foisa\"");
        assert_eq!(serde_json::from_str::<Regime>("\"foia\"").unwrap(), Regime::Foia);
    }

    #[test]
    fn clock_with_a_clarification_pause() {
        let c = cal();
        let mut clock = Clock::new(d("2025-06-02")); // Mon
        assert_eq!(clock.due(c, Regime::Foia).unwrap(), Some(d("2025-06-30")));

        // Clarification asked Tue 10 Jun: the clock stops.
        clock.pauses.push(Pause { requested: d("2025-06-10"), resumed: None });
        assert_eq!(clock.due(c, Regime::Foia).unwrap(), None);
        assert_eq!(clock.very_overdue(c, Regime::Foia).unwrap(), None);
        // On Fri 20 Jun: 14 working days since receipt, 8 of them (11 Jun to 20 Jun) waiting.
        assert_eq!(clock.working_days_elapsed(c, Regime::Foia, d("2025-06-20")).unwrap(), 6);
        assert_eq!(clock.working_days_overdue(c, Regime::Foia, d("2025-08-01")).unwrap(), 0);

        // Clarification sent Mon 23 Jun: a fresh 20 working days from then. +28 = Mon 21 Jul;
        // FOIA skips 14 Jul (NI) -> Tue 22 Jul; FOISA -> Mon 21 Jul.
        clock.pauses[0].resumed = Some(d("2025-06-23"));
        assert_eq!(clock.due(c, Regime::Foia).unwrap(), Some(d("2025-07-22")));
        assert_eq!(clock.due(c, Regime::Foisa).unwrap(), Some(d("2025-07-21")));
        assert_eq!(clock.due(c, Regime::Foia).unwrap(), Some(c.due_date(Regime::Foia, d("2025-06-23")).unwrap()));
        assert_eq!(
            clock.very_overdue(c, Regime::Foia).unwrap(),
            Some(c.very_overdue_date(Regime::Foia, d("2025-06-23")).unwrap())
        );
        // On Mon 30 Jun: 3-6, 9-10 Jun (6) + 24-27, 30 Jun (5); 11-23 Jun excluded.
        assert_eq!(clock.working_days_elapsed(c, Regime::Foia, d("2025-06-30")).unwrap(), 11);
        // Before receipt or on the day itself: nothing elapsed.
        assert_eq!(clock.working_days_elapsed(c, Regime::Foia, d("2025-06-02")).unwrap(), 0);
        assert_eq!(clock.working_days_elapsed(c, Regime::Foia, d("2025-05-01")).unwrap(), 0);

        // Overdue: nothing up to and on the due date; Fri 25 Jul is 3 working days late.
        assert_eq!(clock.working_days_overdue(c, Regime::Foia, d("2025-07-01")).unwrap(), 0);
        assert_eq!(clock.working_days_overdue(c, Regime::Foia, d("2025-07-22")).unwrap(), 0);
        assert_eq!(clock.working_days_overdue(c, Regime::Foia, d("2025-07-25")).unwrap(), 3);
        assert_eq!(clock.working_days_overdue(c, Regime::Foisa, d("2025-07-25")).unwrap(), 4);

        // A second clarification, answered later, restarts the clock again.
        clock.pauses.push(Pause { requested: d("2025-07-01"), resumed: Some(d("2025-07-07")) });
        // Mon 7 Jul +28 = Mon 4 Aug, FOIA skips 14 Jul and 4 Aug (Scotland) -> Wed 6 Aug.
        assert_eq!(clock.due(c, Regime::Foia).unwrap(), Some(d("2025-08-06")));
        // Elapsed on Mon 7 Jul: 11 up to 30 Jun + Tue 1 Jul; 2-7 Jul excluded -> 12.
        assert_eq!(clock.working_days_elapsed(c, Regime::Foia, d("2025-07-07")).unwrap(), 12);
    }
}

#[cfg(test)]
mod rule_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The rules give every holiday GOV.UK lists for 2012 to 2028 in all three divisions,
    /// except the one-off changes proclaimed for a royal or national occasion, which no rule
    /// can know.
    #[test]
    fn the_rules_reproduce_seventeen_years_of_gov_uk_data_but_its_one_offs() {
        let mut reader = csv::Reader::from_reader(UK_BANK_HOLIDAYS_CSV.as_bytes());
        let mut data: BTreeSet<(Division, NaiveDate)> = BTreeSet::new();
        for r in reader.records() {
            let r = r.unwrap();
            data.insert((Division::parse(&r[1]).unwrap(), d(&r[0])));
        }
        // (year, dates only in the data, dates only in the rules), the same in each division.
        let one_offs: [(i32, &[&str], &[&str]); 4] = [
            // Diamond Jubilee: the spring holiday moved to 4 June, and 5 June added.
            (2012, &["2012-06-04", "2012-06-05"], &["2012-05-28"]),
            // VE Day 75: the early May holiday moved to Friday 8 May.
            (2020, &["2020-05-08"], &["2020-05-04"]),
            // Platinum Jubilee (spring holiday moved to 2 June, 3 June added) and the state
            // funeral of Queen Elizabeth II.
            (2022, &["2022-06-02", "2022-06-03", "2022-09-19"], &["2022-05-30"]),
            // The coronation of King Charles III.
            (2023, &["2023-05-08"], &[]),
        ];
        for year in 2012..=2028 {
            for div in Division::ALL {
                let rules: BTreeSet<NaiveDate> = statutory(year, div).into_iter().map(|(d, _)| d).collect();
                let got: BTreeSet<NaiveDate> =
                    data.iter().filter(|(v, x)| *v == div && x.year() == year).map(|x| x.1).collect();
                let only_data: Vec<String> = got.difference(&rules).map(|d| d.to_string()).collect();
                let only_rules: Vec<String> = rules.difference(&got).map(|d| d.to_string()).collect();
                let (want_data, want_rules) = one_offs
                    .iter()
                    .find(|(y, _, _)| *y == year)
                    .map(|(_, a, b)| (a.to_vec(), b.to_vec()))
                    .unwrap_or_default();
                assert_eq!(
                    (only_data, only_rules),
                    (
                        want_data.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                        want_rules.iter().map(|s| s.to_string()).collect::<Vec<_>>()
                    ),
                    "{year} {}",
                    div.as_str()
                );
            }
        }
    }

    #[test]
    fn substitute_days_move_runs_together() {
        let dates = |y, div| statutory(y, div).into_iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>();
        // 2033: Christmas on a Sunday, Boxing Day Monday: Christmas is kept on Tuesday 27th.
        let e = dates(2033, Division::EnglandAndWales);
        assert!(e.contains(&"2033-12-26".to_string()) && e.contains(&"2033-12-27".to_string()), "{e:?}");
        // 2028: 1 January a Saturday: Scotland keeps Monday 3rd and Tuesday 4th.
        let s = dates(2028, Division::Scotland);
        assert!(s.contains(&"2028-01-03".to_string()) && s.contains(&"2028-01-04".to_string()), "{s:?}");
        // St Andrew's Day 2030 is a Saturday: Monday 2 December.
        assert!(dates(2030, Division::Scotland).contains(&"2030-12-02".to_string()));
        // The Boyne 2031 is a Saturday: Monday 14 July in Northern Ireland.
        assert!(dates(2031, Division::NorthernIreland).contains(&"2031-07-14".to_string()));
    }

    #[test]
    fn dates_past_the_data_are_computed_and_flagged() {
        let cal = Calendar::embedded();
        assert_eq!(cal.data_covers(), (2012, 2028));
        assert_eq!(cal.covers(), (2012, 2028 + RULE_YEARS));
        // Thu 20 Dec 2029: Christmas Tue 25, Boxing Day Wed 26, New Year Tue 1 Jan 2030 and
        // the Scottish 2 January (FOIA counts every UK holiday) -> Wed 23 Jan 2030.
        assert_eq!(cal.due_date(Regime::Foia, d("2029-12-20")).unwrap(), d("2030-01-23"));
        // FOISA counts 2 January as well (it is Scottish): the same day.
        assert_eq!(cal.due_date(Regime::Foisa, d("2029-12-20")).unwrap(), d("2030-01-23"));
        // Thu 10 Apr 2031: Good Friday 11 Apr, Easter Monday 14 Apr, early May Monday 5 May
        // -> Tue 13 May; FOISA has no Easter Monday -> Mon 12 May.
        assert_eq!(cal.due_date(Regime::Foia, d("2031-04-10")).unwrap(), d("2031-05-13"));
        assert_eq!(cal.due_date(Regime::Foisa, d("2031-04-10")).unwrap(), d("2031-05-12"));
        assert!(cal.is_computed(d("2029-01-01")) && !cal.is_computed(d("2028-12-31")));
        let w = cal.warning_for(&[d("2029-12-20"), d("2030-01-23")]).unwrap();
        assert!(w.contains("ends in 2028") && w.contains("2029 to 2030"), "{w}");
        assert_eq!(cal.warning_for(&[d("2026-12-05")]), None);
        // Before the data: still an error.
        assert!(cal.due_date(Regime::Foia, d("2011-06-01")).is_err());
    }
}
