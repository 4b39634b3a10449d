//! `foi bodies`: the registry of public bodies.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use foi_core::{Actor, BodyKind, Confidence, ImportError, Regime, registry};
use foi_store::{BodyFilter, BodyUpdate};
use serde_json::json;

use crate::config::Context;
use crate::output::{Format, cell, print_json, print_rows};

#[derive(Subcommand)]
pub enum Cmd {
    /// Import or update bodies from a CSV file, all or nothing.
    ///
    /// Columns are found by name (code or ods_code or gss_code, name, kind or type, region,
    /// nhs_region, ons_region, website, foi_email or email, source_url, confidence, evidence,
    /// regime, valid_from, valid_to); others are ignored. A file without a kind column (and
    /// no --kind), such as `code,foi_email`, only updates bodies already held: it sets the
    /// fields it gives and nothing else. Every bad row is reported with its line number and
    /// nothing is imported. A blank cell never clears what is stored.
    Import {
        file: PathBuf,
        /// Report what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Kind for every row of a file without a kind column.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<BodyKind>,
        #[arg(long)]
        json: bool,
    },
    /// Import succession records (which bodies replaced which, with population shares).
    ImportSuccession {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
        /// Date for every row of a file without a date column.
        #[arg(long)]
        on: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// List bodies.
    List {
        /// Only bodies of this kind (repeatable).
        #[arg(long, value_parser = parse_kind)]
        kind: Vec<BodyKind>,
        /// Only bodies in this region (NHS England or ONS region, case-insensitive).
        #[arg(long)]
        region: Option<String>,
        /// Only bodies without an FOI email address.
        #[arg(long)]
        missing_email: bool,
        /// Only bodies that exist today (the global --today, else the local date).
        #[arg(long, conflicts_with = "on")]
        current: bool,
        /// Only bodies that existed on this date.
        #[arg(long)]
        on: Option<NaiveDate>,
        /// Name or code containing this text.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one body, its succession and its change log.
    Show {
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Edit a body (an empty value clears a field).
    Set {
        code: String,
        #[arg(long)]
        email: Option<String>,
        /// Where the address was found: the page's address (default: "foi bodies set").
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        /// How sure that source is: high (the body's own current page), medium, low.
        #[arg(long, value_parser = parse_confidence)]
        confidence: Option<Confidence>,
        /// Where on the page, or why the address is believed.
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        nhs_region: Option<String>,
        #[arg(long)]
        ons_region: Option<String>,
        #[arg(long, value_parser = parse_regime)]
        regime: Option<Regime>,
        #[arg(long)]
        valid_from: Option<NaiveDate>,
        #[arg(long)]
        valid_to: Option<NaiveDate>,
    },
    /// Look for FOI addresses on the bodies' own websites and list the candidates, ranked.
    ///
    /// Visits each body's `website` (robots.txt obeyed, one request a second per host,
    /// timeouts), follows links that name freedom of information, access to information or
    /// making a request up to two levels, and lists every address seen (mailto links and
    /// plain text) with the page and the sentence it was found in, the FOI address first.
    /// Bodies that take requests only by web form are reported as such. Without --code, every
    /// body current on --today (with --missing-email, those without an address).
    FindEmails {
        /// Only bodies without an FOI email address.
        #[arg(long)]
        missing_email: bool,
        /// Only these bodies (repeatable, or comma-separated).
        #[arg(long, value_delimiter = ',')]
        code: Vec<String>,
        /// Record each body's top candidate, when it is tied to FOI and the body has no
        /// address yet, with the page it was found on as its source (confidence medium).
        /// Review the printed table first.
        #[arg(long)]
        accept: bool,
        #[arg(long)]
        json: bool,
    },
    /// Record that NEW replaced OLD... on a date: the old bodies end the day before.
    Succeed {
        #[arg(required = true)]
        old: Vec<String>,
        #[arg(long)]
        by: String,
        #[arg(long)]
        on: NaiveDate,
        /// Share (0 to 1) of the old body's population that went to NEW, for a partial succession.
        #[arg(long)]
        share: Option<f64>,
    },
}

fn parse_kind(s: &str) -> Result<BodyKind, String> {
    s.parse().map_err(|e: foi_core::UnknownName| e.to_string())
}

fn parse_confidence(s: &str) -> Result<Confidence, String> {
    s.parse().map_err(|e: foi_core::UnknownName| e.to_string())
}

fn parse_regime(s: &str) -> Result<Regime, String> {
    s.parse().map_err(|e: foi_core::CalendarError| e.to_string())
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Prints each error as `FILE:LINE: message` and fails naming the count.
fn reject(file: &Path, errors: &[ImportError]) -> anyhow::Result<ExitCode> {
    for e in errors {
        eprintln!("{}", e.located(&file.display().to_string()));
    }
    let n = errors.len();
    bail!("{}: {n} error{}; nothing was imported", file.display(), if n == 1 { "" } else { "s" })
}

impl Cmd {
    pub async fn run(self, ctx: &Context, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let by = match actor {
            Actor::Person(n) | Actor::System(n) => n.clone(),
        };
        match self {
            Cmd::Import { file, dry_run, kind, json } => {
                let store = ctx.store().await?;
                let source = format!("import {}", file.display());
                let done =
                    foi_app::bodies::import_file(&store, &read(&file)?, kind, &source, Some(&by), dry_run).await?;
                let (mode, rows, s, ignored) = match done {
                    foi_app::bodies::Imported::Refused(errors) => return reject(&file, &errors),
                    foi_app::bodies::Imported::Done { mode, rows, summary, ignored_columns } => {
                        (mode, rows, summary, ignored_columns)
                    }
                };
                if json {
                    print_json(&json!({
                        "file": file.display().to_string(),
                        "mode": mode,
                        "dry_run": dry_run,
                        "rows": rows,
                        "added": s.added,
                        "updated": s.updated.iter().map(|(code, changes)| json!({"code": code, "changes": changes})).collect::<Vec<_>>(),
                        "unchanged": s.unchanged,
                        "ignored_columns": ignored,
                    }))?;
                } else {
                    let verb = if dry_run { "would add" } else { "added" };
                    for (code, changes) in &s.updated {
                        for c in changes {
                            println!(
                                "{code}: {} {} -> {}",
                                c.field,
                                c.old.as_deref().unwrap_or("(blank)"),
                                c.new.as_deref().unwrap_or("(blank)")
                            );
                        }
                    }
                    println!(
                        "{}: {rows} rows{}: {verb} {}, {} {}, {} unchanged{}",
                        file.display(),
                        if mode == "updates" { " (updates to bodies already held)" } else { "" },
                        s.added.len(),
                        if dry_run { "would update" } else { "updated" },
                        s.updated.len(),
                        s.unchanged,
                        if ignored.is_empty() {
                            String::new()
                        } else {
                            format!(" (ignored columns: {})", ignored.join(", "))
                        }
                    );
                }
            }
            Cmd::ImportSuccession { file, dry_run, on, json } => {
                let report = registry::read_successions(&read(&file)?, on);
                if !report.errors.is_empty() {
                    return reject(&file, &report.errors);
                }
                let store = ctx.store().await?;
                let s = store.import_successions(&report.rows, dry_run).await?;
                if json {
                    print_json(&json!({
                        "file": file.display().to_string(),
                        "dry_run": dry_run,
                        "rows": report.rows.len(),
                        "added": s.added,
                        "updated": s.updated,
                        "unchanged": s.unchanged,
                        "unknown_codes": s.unknown_codes,
                    }))?;
                } else {
                    println!(
                        "{}: {} rows: {} {}, {} {}, {} unchanged",
                        file.display(),
                        report.rows.len(),
                        if dry_run { "would add" } else { "added" },
                        s.added,
                        if dry_run { "would update" } else { "updated" },
                        s.updated,
                        s.unchanged
                    );
                    if !s.unknown_codes.is_empty() {
                        println!(
                            "{} codes are not in the registry (kept as given): {}",
                            s.unknown_codes.len(),
                            s.unknown_codes.join(" ")
                        );
                    }
                }
            }
            Cmd::List { kind, region, missing_email, current, on, search, format } => {
                let store = ctx.store().await?;
                let current_on = on.or(current.then_some(today));
                let filter = BodyFilter { kinds: kind, region, missing_email, current_on, codes: None, search };
                let bodies = store.list_bodies(&filter).await?;
                let rows: Vec<Vec<String>> = bodies
                    .iter()
                    .map(|b| {
                        let src = b.email_source.as_ref();
                        vec![
                            b.code.clone(),
                            b.kind.to_string(),
                            b.name.clone(),
                            cell(&b.nhs_region),
                            cell(&b.ons_region),
                            cell(&b.foi_email),
                            src.map(|s| s.source.clone()).unwrap_or_default(),
                            src.and_then(|s| s.confidence).map(|c| c.to_string()).unwrap_or_default(),
                            cell(&b.website),
                            b.regime.to_string(),
                            cell(&b.valid_from),
                            cell(&b.valid_to),
                        ]
                    })
                    .collect();
                print_rows(
                    format,
                    &[
                        "code",
                        "kind",
                        "name",
                        "nhs_region",
                        "ons_region",
                        "foi_email",
                        "email_source",
                        "email_confidence",
                        "website",
                        "regime",
                        "valid_from",
                        "valid_to",
                    ],
                    &rows,
                    &bodies,
                )?;
                if format == Format::Table {
                    let missing = bodies.iter().filter(|b| b.foi_email.is_none()).count();
                    eprintln!("{} bodies, {missing} without an FOI email address", bodies.len());
                }
            }
            Cmd::Show { code, json } => {
                let store = ctx.store().await?;
                let b = store.body(&code).await?;
                let (replaced, replaced_by) = store.successions_of(&b.code).await?;
                let history = store.body_history(&b.code).await?;
                if json {
                    print_json(
                        &json!({"body": b, "replaced": replaced, "replaced_by": replaced_by, "changes": history}),
                    )?;
                    return Ok(ExitCode::SUCCESS);
                }
                println!("{} ({})", b.name, b.code);
                for (k, v) in [
                    ("kind", Some(b.kind.label().to_string())),
                    ("ODS code", b.ods_code.clone()),
                    ("GSS code", b.gss_code.clone()),
                    ("NHS region", b.nhs_region.clone()),
                    ("ONS region", b.ons_region.clone()),
                    ("website", b.website.clone()),
                    (
                        "FOI email",
                        Some(b.foi_email.clone().unwrap_or_else(|| "(none: supply one before sending)".into())),
                    ),
                    ("  source", b.email_source.as_ref().map(|s| s.source.clone())),
                    (
                        "  confidence",
                        b.email_source
                            .as_ref()
                            .map(|s| s.confidence.map(|c| c.to_string()).unwrap_or_else(|| "(not given)".into())),
                    ),
                    ("  evidence", b.email_source.as_ref().and_then(|s| s.note.clone())),
                    (
                        "  set by",
                        b.email_source.as_ref().map(|s| {
                            let by = s.set_by.as_deref().unwrap_or("(unknown)");
                            match s.set_at {
                                Some(at) => format!("{by} on {}", at.format("%Y-%m-%d %H:%M UTC")),
                                None => by.to_string(),
                            }
                        }),
                    ),
                    ("regime", Some(b.regime.to_string())),
                    ("valid from", b.valid_from.map(|d| d.to_string())),
                    ("valid to", b.valid_to.map(|d| d.to_string())),
                ] {
                    if let Some(v) = v {
                        println!("  {k:<12} {v}");
                    }
                }
                let share = |s: Option<f64>| s.map(|s| format!(" ({:.1}%)", s * 100.0)).unwrap_or_default();
                for s in &replaced {
                    println!(
                        "  replaced    {} {} on {}{}",
                        s.predecessor_code,
                        s.predecessor_name.as_deref().unwrap_or(""),
                        s.effective_date,
                        share(s.share)
                    );
                }
                for s in &replaced_by {
                    println!(
                        "  succeeded by {} {} on {}{}",
                        s.successor_code,
                        s.successor_name.as_deref().unwrap_or(""),
                        s.effective_date,
                        share(s.share)
                    );
                }
                for c in &history {
                    println!(
                        "  {} {}: {} -> {} ({})",
                        c.at.format("%Y-%m-%d %H:%M"),
                        c.field,
                        c.old.as_deref().unwrap_or("(blank)"),
                        c.new.as_deref().unwrap_or("(blank)"),
                        c.source
                    );
                }
            }
            Cmd::Set {
                code,
                email,
                source,
                confidence,
                note,
                website,
                name,
                region,
                nhs_region,
                ons_region,
                regime,
                valid_from,
                valid_to,
            } => {
                let store = ctx.store().await?;
                let update = BodyUpdate {
                    name,
                    region,
                    nhs_region,
                    ons_region,
                    website,
                    foi_email: email,
                    email_source: source,
                    email_confidence: confidence,
                    email_note: note,
                    regime,
                    valid_from,
                    valid_to,
                };
                let changes = store.update_body(&code, &update, "foi bodies set", Some(&by)).await?;
                if changes.is_empty() {
                    println!("{code}: nothing changed");
                }
                for c in changes {
                    println!(
                        "{code}: {} {} -> {}",
                        c.field,
                        c.old.as_deref().unwrap_or("(blank)"),
                        c.new.as_deref().unwrap_or("(blank)")
                    );
                }
            }
            Cmd::FindEmails { missing_email, code, accept, json } => {
                return find_emails(ctx, today, &by, missing_email, code, accept, json).await;
            }
            Cmd::Succeed { old, by, on, share } => {
                let store = ctx.store().await?;
                store.record_succession(&old, &by, on, share, "foi bodies succeed").await?;
                println!("{by} succeeded {} on {on}", old.join(", "));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The User-Agent the finder sends: foi, its version, and the charity's contact address.
pub fn user_agent(contact: &str) -> String {
    format!("foi/{} (FOI request tool; contact: {contact})", env!("CARGO_PKG_VERSION"))
}

/// A sentence cut to `n` characters for the table.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}...", s.chars().take(n).collect::<String>()) }
}

async fn find_emails(
    ctx: &Context,
    today: NaiveDate,
    by: &str,
    missing_email: bool,
    codes: Vec<String>,
    accept: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use foi_finder::registry::{self, Accepted, Choice};
    let contact = ctx.file.sender.email.clone().with_context(
        || "no [sender] email in foi.toml: the finder names the charity's contact address in its User-Agent",
    )?;
    let store = ctx.store().await?;
    let choice = Choice { missing_email, codes: codes.clone(), today: Some(today) };
    let (sites, without) = registry::sites(&store, &choice).await?;
    for c in &codes {
        let known = sites.iter().any(|s| s.code.eq_ignore_ascii_case(c))
            || without.iter().any(|b| b.code.eq_ignore_ascii_case(c));
        if !known {
            bail!("no body with code {c}{}", if missing_email { " and no FOI address" } else { "" });
        }
    }
    let opts = foi_finder::Options::new(user_agent(&contact));
    eprintln!(
        "visiting {} website{} (one request a second per host, robots.txt obeyed){}",
        sites.len(),
        if sites.len() == 1 { "" } else { "s" },
        if without.is_empty() { String::new() } else { format!("; {} bodies have no website known", without.len()) }
    );
    let total = sites.len();
    let mut done = 0;
    let findings = foi_finder::find(&sites, &opts, |f| {
        done += 1;
        let what = match (f.foi_address(), &f.web_form) {
            (Some(c), _) => format!("FOI address {}", c.address),
            (None, Some(_)) => "web form only".to_string(),
            (None, None) => format!("{} candidates, none tied to FOI", f.candidates.len()),
        };
        eprintln!("[{done}/{total}] {}: {what} ({} pages read)", f.code, f.pages);
    })
    .await?;
    let accepted = if accept { registry::accept(&store, &findings, by).await? } else { Vec::new() };
    if json {
        print_json(&json!({
            "findings": findings,
            "no_website": without.iter().map(|b| json!({"code": b.code, "name": b.name})).collect::<Vec<_>>(),
            "accepted": accepted,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = |code: &str| sites.iter().find(|s| s.code == code).map(|s| s.name.clone()).unwrap_or_default();
    let mut rows = Vec::new();
    for f in &findings {
        if f.candidates.is_empty() {
            let what = match &f.web_form {
                Some(page) => format!("(web form only: {page})"),
                None => "(no address found)".into(),
            };
            rows.push(vec![
                f.code.clone(),
                clip(&name(&f.code), 40),
                String::new(),
                what,
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        for (i, c) in f.candidates.iter().enumerate().take(5) {
            let rank = if i == 0 && f.foi_address().is_some() { "1 FOI".to_string() } else { (i + 1).to_string() };
            rows.push(vec![
                if i == 0 { f.code.clone() } else { String::new() },
                if i == 0 { clip(&name(&f.code), 40) } else { String::new() },
                rank,
                c.address.clone(),
                c.score.to_string(),
                c.page.clone(),
                clip(&c.sentence, 100),
            ]);
        }
        if f.foi_address().is_none()
            && let Some(page) = &f.web_form
        {
            rows.push(vec![
                String::new(),
                String::new(),
                String::new(),
                format!("(web form only: {page})"),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    print_rows(Format::Table, &["code", "name", "rank", "address", "score", "found on", "sentence"], &rows, &())?;
    for f in &findings {
        for e in &f.errors {
            println!("{}: {e}", f.code);
        }
    }
    for b in &without {
        println!("{}: no website known: add one with `foi bodies set {} --website URL`", b.code, b.code);
    }
    if accept {
        for a in &accepted {
            match a {
                Accepted::Recorded { code, address, page } => println!("{code}: recorded {address} (found on {page})"),
                Accepted::AlreadyHeld { code, address } => println!("{code}: already has {address}"),
                Accepted::Differs { code, held, found } => {
                    println!("{code}: found {found}, but {held} is held: not changed (use foi bodies set to choose)")
                }
                Accepted::NothingToAccept { code } => println!("{code}: nothing tied to FOI to accept"),
            }
        }
    } else if findings.iter().any(|f| f.foi_address().is_some()) {
        println!(
            "Review the addresses above, then record the FOI ones with --accept (bodies that already have an address are left alone)."
        );
    }
    Ok(ExitCode::SUCCESS)
}
