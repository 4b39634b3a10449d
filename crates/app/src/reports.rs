//! The published reports as the CLI, the web UI and the demo ask for them: which round (the
//! one named or the latest), which facts each report reads, which earlier round a comparison
//! is with, which two analysts an agreement table compares; then the named tables
//! (`foi_analysis::reports::Part`) for a caller to render in the format it wants.

use chrono::{DateTime, Utc};
use foi_analysis::html::{Chart, Section};
use foi_analysis::rates::RegionBy;
use foi_analysis::reports::Part;
use foi_core::{Calendar, Codebook, Round};
use foi_store::Store;

use crate::{Error, Result};

/// Which report.
#[derive(Debug, Clone)]
pub enum Which {
    /// Response rates (regions as `by` says) and the monthly series.
    Monthly { by: RegionBy },
    /// The coded answers per body and the share answering yes.
    Commissioning,
    /// Round against an earlier round (`with`, else the one launched before), its replies
    /// counted up to `with_at` (else the same cut-off).
    Compare { with: Option<String>, with_at: Option<DateTime<Utc>> },
    /// Two analysts' agreement (`coders`, else the two who tagged most).
    Agreement { coders: Vec<String> },
}

/// A report of one round: its tables, named.
pub struct Report {
    pub round: Round,
    pub parts: Vec<Part>,
    /// Said when the cut-off lies past the bank holiday data (computed holidays).
    pub warning: Option<String>,
}

fn codebook_of(r: &Round) -> Result<Codebook> {
    Codebook::from_toml(&r.codebook).map_err(|e| Error::Invalid(format!("the codebook of round {}: {e}", r.slug)))
}

/// Builds the report `which` of round `slug` (else the latest), as of `at`.
pub async fn report(store: &Store, slug: Option<&str>, which: &Which, at: DateTime<Utc>) -> Result<Report> {
    let round = crate::rounds::pick(store, slug).await?;
    let cal = Calendar::uk();
    let warning = cal.warning_for(&[at.date_naive()]);
    let parts: Vec<Part> = match which {
        Which::Monthly { by } => {
            let facts = store.round_facts_without_answers(&round.slug).await?;
            foi_analysis::reports::monthly_by(&facts, at, &round.name, cal, *by)?
        }
        Which::Commissioning => {
            let facts = store.round_facts(&round.slug).await?;
            foi_analysis::reports::commissioning(&facts, &codebook_of(&round)?, at, &round.name)?
        }
        Which::Agreement { coders } => {
            let facts = store.round_facts_with_tags(&round.slug).await?;
            let book = codebook_of(&round)?;
            let named: Vec<String> =
                coders.iter().map(|c| if c.contains(':') { c.clone() } else { format!("person:{c}") }).collect();
            let pair = match named.as_slice() {
                [a, b] => (a.clone(), b.clone()),
                [] => match foi_analysis::agreement::coders(&facts).as_slice() {
                    [a, b, ..] => (a.clone(), b.clone()),
                    _ => {
                        return Err(Error::Invalid(format!(
                            "fewer than two analysts have tagged round {}",
                            round.slug
                        )));
                    }
                },
                _ => return Err(Error::Invalid("give two analysts".into())),
            };
            let (summary, disagreements) = foi_analysis::agreement::agreement_tables(&facts, &book, &pair.0, &pair.1);
            vec![
                ("summary", Section { table: summary, charts: vec![] }),
                ("disagreements", Section { table: disagreements, charts: vec![] }),
            ]
        }
        Which::Compare { with, with_at } => {
            let earlier = match with {
                Some(slug) => store.round(slug).await?,
                None => store
                    .rounds()
                    .await?
                    .into_iter()
                    .filter(|r| (r.launch_date, r.id) < (round.launch_date, round.id))
                    .max_by_key(|r| (r.launch_date, r.id))
                    .ok_or_else(|| Error::Invalid(format!("no round before {}: say which with --with", round.slug)))?,
            };
            let (later_book, earlier_book) = (codebook_of(&round)?, codebook_of(&earlier)?);
            let facts = store.round_facts(&round.slug).await?;
            let earlier_facts = store.round_facts(&earlier.slug).await?;
            let successions = store.successions().await?;
            use foi_analysis::compare::{Side, compare};
            let (bodies, summary) = compare(
                Side { name: &earlier.name, facts: &earlier_facts, codebook: &earlier_book, at: with_at.unwrap_or(at) },
                Side { name: &round.name, facts: &facts, codebook: &later_book, at },
                &successions,
            )?;
            vec![
                ("bodies", Section { table: bodies, charts: vec![] }),
                ("summary", Section { table: summary, charts: vec![Chart::Bars { label: 0, value: 3, filter: None }] }),
            ]
        }
    };
    Ok(Report { round, parts, warning })
}

/// The tables of `parts` to show: the one named `table`, else all.
pub fn pick_tables(parts: Vec<Part>, table: Option<&str>) -> Result<Vec<Section>> {
    let Some(want) = table else { return Ok(parts.into_iter().map(|(_, s)| s).collect()) };
    let names: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
    let err = Error::Invalid(format!("--table {want}: this report's tables are {}", names.join(", ")));
    parts.into_iter().find(|(n, _)| *n == want).map(|(_, s)| vec![s]).ok_or(err)
}
