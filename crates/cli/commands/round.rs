//! `foi round`: create a round, add bodies, check and preview its requests, follow its status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::Subcommand;
use foi_core::{Actor, BodyKind, Codebook, Named, RequestState};
use foi_mailer::TemplateSet;
use foi_mailer::round::{self, Writer};
use foi_store::{BodyFilter, NewRound};
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

/// The templates, codebook and sender of a round, ready to write mail.
pub struct Kit {
    pub round: foi_core::Round,
    pub templates: TemplateSet,
    pub codebook: Codebook,
    pub sender: foi_mailer::Sender,
}

impl Kit {
    pub async fn load(ctx: &Context, store: &foi_store::Store, slug: &str) -> anyhow::Result<Kit> {
        let round = store.round(slug).await?;
        let templates = TemplateSet::load(&ctx.templates_dir().join(&round.template_set))?;
        let codebook =
            Codebook::from_toml(&round.codebook).with_context(|| format!("the codebook stored with round {slug}"))?;
        let sender = foi_mailer::Sender {
            name: round.sender_name.clone(),
            email: round.sender_email.clone(),
            reply_local: ctx.file.sender.reply_local.clone().unwrap_or_else(|| "foi".into()),
            reply_domain: round
                .reply_domain
                .clone()
                .unwrap_or_else(|| ctx.sender().map(|s| s.reply_domain).unwrap_or_default()),
        };
        Ok(Kit { round, templates, codebook, sender })
    }

    pub fn writer(&self, today: NaiveDate) -> Writer<'_> {
        Writer { round: &self.round, templates: &self.templates, codebook: &self.codebook, sender: &self.sender, today }
    }
}

impl Cmd {
    pub async fn run(self, ctx: &Context, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            Cmd::New { slug, name, templates, codebook, launch } => {
                let set = TemplateSet::load(&ctx.templates_dir().join(&templates))?;
                let codebook_name = codebook.unwrap_or_else(|| set.codebook().to_string());
                let path = ctx.codebooks_dir().join(format!("{codebook_name}.toml"));
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read codebook {}", path.display()))?;
                let cb = Codebook::from_toml(&text).with_context(|| path.display().to_string())?;
                let sender = ctx.sender()?;
                let r = store
                    .create_round(&NewRound {
                        slug: slug.clone(),
                        name,
                        codebook_name,
                        codebook: text,
                        template_set: templates,
                        sender_name: sender.name,
                        sender_email: sender.email,
                        reply_domain: Some(sender.reply_domain),
                        launch_date: launch,
                    })
                    .await?;
                println!(
                    "round {} created: \"{}\", {} questions, templates {}",
                    r.slug,
                    r.name,
                    cb.questions.len(),
                    r.template_set
                );
            }
            Cmd::AddBodies { slug, all_current, kind, region, code } => {
                let r = store.round(&slug).await?;
                if !all_current && kind.is_empty() && region.is_none() && code.is_empty() {
                    anyhow::bail!("say which bodies: --all-current, --kind, --region or --code");
                }
                let filter = BodyFilter {
                    kinds: kind,
                    region,
                    current_on: Some(r.launch_date.unwrap_or(today)),
                    codes: (!code.is_empty()).then_some(code.clone()),
                    ..Default::default()
                };
                let bodies = store.list_bodies(&filter).await?;
                if !code.is_empty() {
                    for c in &code {
                        if !bodies.iter().any(|b| b.code.eq_ignore_ascii_case(c)) {
                            anyhow::bail!("no current body with code {c}");
                        }
                    }
                }
                let codes: Vec<String> = bodies.iter().map(|b| b.code.clone()).collect();
                let added = round::add_bodies(&store, &slug, &codes, actor).await?;
                println!("{slug}: {added} bodies added ({} already in the round)", codes.len() - added);
            }
            Cmd::List => {
                for r in store.rounds().await? {
                    let n = store.requests(&r.slug).await?.len();
                    println!("{:<20} {:>4} requests  {}", r.slug, n, r.name);
                }
            }
            Cmd::Show { slug, json } => {
                let r = store.round(&slug).await?;
                let reqs = store.requests(&slug).await?;
                let counts: Vec<(RequestState, usize)> = RequestState::ALL
                    .iter()
                    .map(|s| (*s, reqs.iter().filter(|q| q.state == *s).count()))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                let missing: Vec<&foi_core::Body> = reqs
                    .iter()
                    .filter(|q| q.body.foi_email.is_none() && !q.state.was_sent())
                    .map(|q| &q.body)
                    .collect();
                if json {
                    print_json(&json!({
                        "round": r,
                        "requests": reqs.len(),
                        "by_state": counts.iter().map(|(s, n)| (s.name().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                        "missing_email": missing.iter().map(|b| json!({"code": b.code, "name": b.name, "website": b.website})).collect::<Vec<_>>(),
                    }))?;
                } else {
                    println!("{} ({}): {} requests", r.name, r.slug, reqs.len());
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
                let kit = Kit::load(ctx, &store, &slug).await?;
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
