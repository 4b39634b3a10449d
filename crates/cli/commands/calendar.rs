//! `foi calendar`: FOI working-day arithmetic for officers checking a body's deadline.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use foi_core::{Calendar, Regime};
use serde_json::json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Due date (20 working days) and very-overdue date (40) for a request received on DATE.
    Due {
        /// The day the body received the request (YYYY-MM-DD).
        date: NaiveDate,
        #[arg(long, default_value = "foia", value_parser = parse_regime)]
        regime: Regime,
        #[arg(long)]
        json: bool,
    },
    /// Working days from FROM (exclusive) to TO (inclusive).
    Between {
        from: NaiveDate,
        to: NaiveDate,
        #[arg(long, default_value = "foia", value_parser = parse_regime)]
        regime: Regime,
        #[arg(long)]
        json: bool,
    },
    /// The non-working holidays of a year under a regime.
    Holidays {
        year: i32,
        #[arg(long, default_value = "foia", value_parser = parse_regime)]
        regime: Regime,
    },
}

fn parse_regime(s: &str) -> Result<Regime, String> {
    s.parse().map_err(|e: foi_core::CalendarError| e.to_string())
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let cal = Calendar::uk();
        match self {
            Cmd::Due { date, regime, json } => {
                let due = cal.due_date(regime, date)?;
                let very = cal.very_overdue_date(regime, date)?;
                let warning = cal.warning_for(&[date, due, very]);
                if let Some(w) = &warning {
                    eprintln!("warning: {w}");
                }
                if json {
                    crate::output::print_json(&json!({
                        "received": date.to_string(),
                        "regime": regime.to_string(),
                        "due": due.to_string(),
                        "very_overdue": very.to_string(),
                        "holidays_computed": warning.is_some(),
                    }))?;
                } else {
                    println!("received      {date} ({regime})");
                    println!("due           {due} ({})", due.format("%A"));
                    println!("very overdue  {very} ({})", very.format("%A"));
                }
            }
            Cmd::Between { from, to, regime, json } => {
                let n = cal.working_days_between(regime, from, to)?;
                if let Some(w) = cal.warning_for(&[from, to]) {
                    eprintln!("warning: {w}");
                }
                if json {
                    crate::output::print_json(
                        &json!({"from": from.to_string(), "to": to.to_string(), "regime": regime.to_string(), "working_days": n}),
                    )?;
                } else {
                    println!("{n}");
                }
            }
            Cmd::Holidays { year, regime } => {
                let (first, last) = cal.covers();
                if !(first..=last).contains(&year) {
                    anyhow::bail!("no bank holiday data for {year}: the calendar covers {first} to {last}");
                }
                if let Some(w) = chrono::NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| cal.warning_for(&[d])) {
                    eprintln!("warning: {w}");
                }
                for (d, title) in cal.holidays(regime, year) {
                    println!("{d}  {}  {title}", d.format("%a"));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
