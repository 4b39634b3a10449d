//! `foi round`: create a round, add bodies, check and preview its requests, follow its status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use foi_app::rounds;
use foi_core::{Actor, BodyKind, Named};
use foi_mailer::round;
use serde_json::json;

use crate::config::Context;
use crate::output::{Format, cell, print_json, print_rows};

#[derive(Subcommand)]
pub enum Cmd {
    /// Create a round (a campaign wave) with its template set and codebook.
    New {
        /// Short name used in commands, e.g. cpc-2026.
        slug: String,
        /// Title used in the requests, e.g. "Children's palliative care 2026".
        #[arg(long)]
        name: String,
        /// Template set: a folder under the templates folder.
        #[arg(long, default_value = "childrens-palliative-care")]
        templates: String,
        /// Codebook (a file under data/codebooks, without .toml); default: the template set's.
        #[arg(long)]
        codebook: Option<String>,
        #[arg(long)]
        launch: Option<NaiveDate>,
    },
    /// Add bodies to a round: every current body, or by kind, region or code.
    AddBodies {
        slug: String,
        /// Every body that exists on the launch date (or today).
        #[arg(long)]
        all_current: bool,
        #[arg(long, value_parser = parse_kind)]
        kind: Vec<BodyKind>,
        #[arg(long)]
        region: Option<String>,
        /// Body codes (repeatable, or comma-separated).
        #[arg(long, value_delimiter = ',')]
        code: Vec<String>,
    },
    /// List rounds.
    List,
    /// Counts by state and the bodies that have no email address.
    Show {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Render and check every request; with --body, print exactly the bytes that would be sent.
    Preview {
        slug: String,
        #[arg(long)]
        body: Option<String>,
        /// Write every rendered request as CODE.eml into this folder.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Per request: state, sent date, due date, working days overdue.
    Status {
        slug: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn parse_kind(s: &str) -> Result<BodyKind, String> {
    s.parse().map_err(|e: foi_core::UnknownName| e.to_string())
}

pub use foi_app::rounds::Kit;

impl Cmd {
    pub async fn run(self, ctx: &Context, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            Cmd::New { slug, name, templates, codebook, launch } => {
                let spec = rounds::NewRoundSpec { slug, name, templates, codebook, launch };
                let (r, cb) = rounds::create(&store, &ctx.settings(), &spec).await?;

                println!(
                    "round {} created: \"{}\", {} questions, templates {}",
                    r.slug,
                    r.name,
                    cb.questions.len(),
                    r.template_set
                );
            }
            Cmd::AddBodies { slug, all_current, kind, region, code } => {
                let sel = rounds::Selection { all_current, kinds: kind, region, codes: code, any_date: false };
                let done = rounds::add_bodies(&store, &slug, &sel, today, actor).await?;
                println!("{slug}: {} bodies added ({} already in the round)", done.added, done.already);
            }
            Cmd::List => {
                for r in store.rounds().await? {
                    let n = store.requests(&r.slug).await?.len();
                    println!("{:<20} {:>4} requests  {}", r.slug, n, r.name);
                }
            }
            Cmd::Show { slug, json } => {
                let rounds::Summary { round: r, requests, by_state: counts, missing_email: missing } =
                    rounds::summary(&store, &slug).await?;
                if json {
                    print_json(&json!({
                        "round": r,
                        "requests": requests,
                        "by_state": counts.iter().map(|(s, n)| (s.name().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                        "missing_email": missing.iter().map(|b| json!({"code": b.code, "name": b.name, "website": b.website})).collect::<Vec<_>>(),
                    }))?;
                } else {
                    println!("{} ({}): {} requests", r.name, r.slug, requests);
                    for (s, n) in &counts {
                        println!("  {:<26} {n}", s.name());
                    }
                    if !missing.is_empty() {
                        println!(
                            "{} bodies have no FOI email address and will be skipped (`foi bodies find-emails --missing-email` \
                             looks on their websites; `foi bodies import` takes a code,foi_email file):",
                            missing.len()
                        );
                        for b in missing {
                            println!(
                                "  {:<10} {}  {}",
                                b.code,
                                b.name,
                                b.website.as_deref().unwrap_or("(no website known)")
                            );
                        }
                    }
                }
            }
            Cmd::Preview { slug, body, output } => {
                let kit = Kit::load(&store, &ctx.settings(), &slug).await?;
                let w = kit.writer(today);
                if let Some(code) = body {
                    let (bytes, stored) = round::preview(&store, &w, &code).await?;
                    if !stored {
                        eprintln!(
                            "(not yet queued: the Date header and MIME boundaries are fixed when the request is queued)"
                        );
                    }
                    std::io::stdout().write_all(&bytes)?;
                    return Ok(ExitCode::SUCCESS);
                }
                let p = round::prepare(&store, &w, None).await?;
                if let Some(dir) = &output {
                    std::fs::create_dir_all(dir)?;
                    for item in &p.ready {
                        std::fs::write(dir.join(format!("{}.eml", item.request.body.code)), &item.message.raw)?;
                    }
                }
                println!(
                    "{slug}: {} requests render cleanly{}; {} bodies without an email address; {} already queued or sent",
                    p.ready.len(),
                    output.map(|d| format!(" (written to {})", d.display())).unwrap_or_default(),
                    p.no_address.len(),
                    p.not_draft
                );
            }
            Cmd::Status { slug, format } => {
                let rows = round::status(&store, &slug, today).await?;
                let table: Vec<Vec<String>> = rows
                    .iter()
                    .map(|s| {
                        vec![
                            s.body_code.clone(),
                            s.body_name.clone(),
                            s.state.to_string(),
                            cell(&s.sent_on),
                            cell(&s.due),
                            if s.working_days_overdue > 0 { s.working_days_overdue.to_string() } else { String::new() },
                            s.chasers_sent.to_string(),
                            s.reference.clone(),
                        ]
                    })
                    .collect();
                print_rows(
                    format,
                    &["code", "body", "state", "sent", "due", "overdue", "chasers", "reference"],
                    &table,
                    &rows,
                )?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
