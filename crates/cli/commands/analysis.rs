//! `foi tag` (code a request's answers against its round's codebook, import and export tags
//! as CSV) and `foi report` (the response-rate and monthly tables).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Subcommand};
use foi_analysis::render::Format;
use foi_core::Actor;
use foi_store::TagFilter;

use crate::config::Context;

/// `foi tag REQUEST QUESTION ANSWER`, or one of the subcommands.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TagArgs {
    #[command(subcommand)]
    cmd: Option<TagCmd>,
    /// The request's reference.
    #[arg(required = true)]
    request: Option<String>,
    /// The question's id in the round's codebook.
    #[arg(required = true)]
    question: Option<String>,
    /// The answer: yes, no, in_development, not_held, unclear, a choice, a number or text.
    #[arg(required = true)]
    answer: Option<String>,
    /// The passage of the reply that supports the answer.
    #[arg(long)]
    quote: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Subcommand)]
pub enum TagCmd {
    /// Record tags from a CSV file with columns request, question, answer[, quote, note]
    /// (all or nothing: any bad row is reported with its line and nothing is recorded).
    Import { file: PathBuf },
    /// Print the tags as CSV (request, body, question, answer, quote, note, tagger, status,
    /// tagged_at).
    Export {
        #[arg(long)]
        round: Option<String>,
        /// Every version of every tag, superseded ones included.
        #[arg(long)]
        history: bool,
        /// Also the suggestions (status `suggested`, tagger `system:suggest`).
        #[arg(long)]
        suggestions: bool,
    },
    /// Read the round's answers (their text and attachments' text) with the suggestion rules
    /// and record a suggested answer, with its evidence, for each question they can read.
    /// Suggestions are never counted until a person confirms them.
    Suggest {
        /// The round (default: the most recent one).
        #[arg(long)]
        round: Option<String>,
        /// Only this request's answers.
        #[arg(long)]
        request: Option<String>,
        /// Suggestion rules to use instead of the ones shipped for the round's codebook
        /// (data/codebooks/CODEBOOK.suggest.toml; copy and extend it).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Confirm suggestions as your own tags: `foi tag confirm REQUEST [QUESTION...]`, or
    /// `--all` for every suggestion of the round whose question nobody has coded yet.
    Confirm {
        /// The request whose suggestions to confirm.
        #[arg(required_unless_present = "all")]
        request: Option<String>,
        /// Only these questions (confirmed even if coded before; the earlier answer stays in
        /// the history).
        questions: Vec<String>,
        #[arg(long, conflicts_with = "request")]
        all: bool,
        /// The round (default: the request's, or the most recent one).
        #[arg(long)]
        round: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ReportCmd {
    /// The response-rate table as of a cut-off (by body kind, NHS/councils and region), then
    /// the same rates at each month end since launch.
    Monthly {
        #[command(flatten)]
        args: ReportArgs,
        /// The regions of the region rows: NHS England regions for every body (default), or
        /// ONS regions for councils only. The two are never mixed.
        #[arg(long, value_enum, default_value_t = RegionArg::NhsRegion)]
        by: RegionArg,
    },
    /// One row per body, one column per question: the coded answers (or "no response"), and
    /// per NHS bodies and councils the share answering yes.
    Commissioning(ReportArgs),
    /// Round against round: each body's answer to every yes/no question both codebooks ask,
    /// beside its predecessors' answers in an earlier round (through the succession
    /// records: how many answered yes, and what share of the area), then the share answering
    /// yes per question in each round.
    Compare {
        #[command(flatten)]
        args: ReportArgs,
        /// The earlier round (default: the one launched before --round).
        #[arg(long, value_name = "ROUND")]
        with: Option<String>,
        /// The earlier round's cut-off (default: --as-of).
        #[arg(long, value_name = "DATETIME")]
        with_as_of: Option<String>,
    },
    /// Double coding: per question, how often two analysts gave the same answer (percent
    /// agreement, Cohen's kappa), and the disagreements to resolve.
    Agreement {
        #[command(flatten)]
        args: ReportArgs,
        /// The two analysts to compare (default: the two who tagged most).
        #[arg(long = "coder", num_args = 1, value_name = "NAME")]
        coders: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegionArg {
    NhsRegion,
    OnsRegion,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The round (default: the only round, or the most recent one).
    #[arg(long)]
    round: Option<String>,
    /// The cut-off: `2017-10-09T23:59` (UTC) or a date (its end). Default: now.
    #[arg(long, value_name = "DATETIME")]
    as_of: Option<String>,
    /// table, csv, markdown, html (a self-contained page with SVG charts) or xlsx (needs
    /// --output; one sheet per table).
    #[arg(long, default_value = "table")]
    format: String,
    /// Write to this file instead of printing.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Only this one of the report's tables (monthly: rates, series; commissioning: bodies,
    /// shares; compare: bodies, summary; agreement: summary, disagreements). CSV holds one table: the first by default.
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
}

fn parse_as_of(s: &str) -> anyhow::Result<DateTime<Utc>> {
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(23, 59, 59).unwrap_or_default()));
    }
    bail!("--as-of {s:?}: expected a date (2017-10-09) or a date and time (2017-10-09T23:59)")
}

impl TagArgs {
    pub async fn run(self, ctx: &Context, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self.cmd {
            Some(TagCmd::Import { file }) => {
                let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
                let outcomes = match foi_app::tags::import(&store, &bytes, actor).await {
                    Err(foi_app::Error::Rows(errors)) => {
                        for e in &errors {
                            eprintln!("{}: {e}", file.display());
                        }
                        bail!("{} bad rows in {}; no tag was recorded", errors.len(), file.display());
                    }
                    other => other?,
                };
                let count = |f: fn(&foi_store::TagOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
                println!(
                    "{} tags: {} added, {} changed, {} unchanged",
                    outcomes.len(),
                    count(|o| matches!(o, foi_store::TagOutcome::Added)),
                    count(|o| matches!(o, foi_store::TagOutcome::Changed { .. })),
                    count(|o| matches!(o, foi_store::TagOutcome::Unchanged)),
                );
            }
            Some(TagCmd::Suggest { round, request, rules }) => {
                let text = match &rules {
                    Some(path) => {
                        Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?)
                    }
                    None => None,
                };
                let name = rules.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                let given = text.as_deref().map(|text| foi_app::tags::Rules { text, name: &name });
                let run = foi_app::tags::suggest(&store, round.as_deref(), request.as_deref(), given).await?;
                println!(
                    "{} answers read: {} suggestions ({} new, {} changed, {} unchanged); confirm with foi tag confirm",
                    run.answers, run.suggestions, run.added, run.changed, run.unchanged
                );
            }
            Some(TagCmd::Confirm { request, questions, all: _, round }) => {
                let done =
                    foi_app::tags::confirm(&store, round.as_deref(), request.as_deref(), &questions, actor).await?;
                println!(
                    "{} suggestions confirmed as {}; {} left alone (already coded)",
                    done.confirmed,
                    actor.to_stored(),
                    done.already_coded
                );
            }
            Some(TagCmd::Export { round, history, suggestions }) => {
                let tags = store.tags(&TagFilter { round, history, suggestions, ..Default::default() }).await?;
                let mut w = csv::Writer::from_writer(std::io::stdout());
                w.write_record([
                    "request",
                    "body",
                    "question",
                    "answer",
                    "quote",
                    "note",
                    "tagger",
                    "status",
                    "tagged_at",
                    "superseded_at",
                ])?;
                for t in tags {
                    w.write_record([
                        t.reference,
                        t.body_code,
                        t.question,
                        t.answer,
                        t.quote.unwrap_or_default(),
                        t.note.unwrap_or_default(),
                        t.tagger,
                        t.status,
                        t.created_at.to_rfc3339(),
                        t.superseded_at.map(|s| s.to_rfc3339()).unwrap_or_default(),
                    ])?;
                }
                w.flush()?;
            }
            None => {
                let (Some(reference), Some(question), Some(answer)) = (self.request, self.question, self.answer) else {
                    bail!("usage: foi tag REQUEST QUESTION ANSWER [--quote TEXT] [--note TEXT]");
                };
                let given = foi_app::tags::Given {
                    reference: reference.clone(),
                    question: question.clone(),
                    answer,
                    quote: self.quote,
                    note: self.note,
                };
                let (stored, outcome) = foi_app::tags::tag(&store, &given, actor, "manual").await?;
                match outcome {
                    foi_store::TagOutcome::Changed { from } => {
                        println!("{reference} {question}: {stored} (was {from})")
                    }
                    foi_store::TagOutcome::Unchanged => println!("{reference} {question}: {stored} (unchanged)"),
                    _ => println!("{reference} {question}: {stored}"),
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl ReportCmd {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<ExitCode> {
        use foi_app::reports::{Which, pick_tables, report};
        let store = ctx.store().await?;
        let (ReportCmd::Monthly { args, .. }
        | ReportCmd::Commissioning(args)
        | ReportCmd::Agreement { args, .. }
        | ReportCmd::Compare { args, .. }) = &self;
        let format: Format = args.format.parse()?;
        if format == Format::Xlsx && args.output.is_none() {
            bail!("an Excel workbook is a file: add --output FILE.xlsx");
        }
        let at = match &args.as_of {
            Some(s) => parse_as_of(s)?,
            None => Utc::now(),
        };
        let which = match &self {
            ReportCmd::Monthly { by, .. } => Which::Monthly {
                by: match by {
                    RegionArg::NhsRegion => foi_analysis::rates::RegionBy::Nhs,
                    RegionArg::OnsRegion => foi_analysis::rates::RegionBy::Ons,
                },
            },
            ReportCmd::Commissioning(_) => Which::Commissioning,
            ReportCmd::Agreement { coders, .. } => {
                if !(coders.is_empty() || coders.len() == 2) {
                    bail!("give two analysts: --coder A --coder B");
                }
                Which::Agreement { coders: coders.clone() }
            }
            ReportCmd::Compare { with, with_as_of, .. } => {
                Which::Compare { with: with.clone(), with_at: with_as_of.as_deref().map(parse_as_of).transpose()? }
            }
        };
        let r = report(&store, args.round.as_deref(), &which, at).await?;
        if let Some(w) = &r.warning {
            eprintln!("warning: {w}");
        }
        let sections = pick_tables(r.parts, args.table.as_deref())?;
        let bytes = foi_analysis::reports::document(&r.round.name, &sections, format)?;
        match &args.output {
            Some(path) => {
                std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            None => {
                use std::io::Write;
                std::io::stdout().write_all(&bytes)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
