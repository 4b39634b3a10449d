//! `foi send` and `foi chase`: parse, call `foi_app::sending`, print the summary.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Args;
use foi_app::sending;
use foi_core::Actor;
use foi_mailer::Pacing;
use foi_mailer::outbox::SendSummary;
use foi_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Context;
use crate::output::print_json;

/// How fast to send.
#[derive(Args, Clone)]
pub struct PacingArgs {
    /// Messages per minute overall (default 30).
    #[arg(long, value_name = "PER_MINUTE")]
    rate: Option<f64>,
    /// Messages per minute to any one recipient domain (default 6).
    #[arg(long, value_name = "PER_MINUTE")]
    domain_rate: Option<f64>,
    /// No pacing at all (local test servers only).
    #[arg(long, conflicts_with_all = ["rate", "domain_rate"])]
    no_pacing: bool,
    /// SMTP connections to send over at once (with --no-pacing, for large rounds).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    connections: u16,
}

impl PacingArgs {
    fn pacing(&self) -> Pacing {
        if self.no_pacing {
            return Pacing::OFF;
        }
        Pacing {
            per_minute: self.rate.or(Pacing::POLITE.per_minute),
            per_domain_per_minute: self.domain_rate.or(Pacing::POLITE.per_domain_per_minute),
        }
    }
}

#[derive(Args)]
pub struct SendArgs {
    /// Only this round (default: every round's draft requests and the whole outbox).
    #[arg(long)]
    round: Option<String>,
    /// Render and check everything; queue and send nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    pacing: PacingArgs,
    /// Send again a message held because its outcome was unknown (by request reference).
    #[arg(long, value_name = "REFERENCE", conflicts_with = "mark_sent")]
    release: Option<String>,
    /// Record a held message as sent after checking that it arrived.
    #[arg(long, value_name = "REFERENCE")]
    mark_sent: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ChaseArgs {
    #[arg(long)]
    round: Option<String>,
    /// List the overdue requests and render their chasers; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// At most this many chasers per request.
    #[arg(long, default_value_t = 2)]
    max: i32,
    /// Working days to wait after a chaser before the next.
    #[arg(long, default_value_t = 5)]
    gap: i64,
    #[command(flatten)]
    pacing: PacingArgs,
    #[arg(long)]
    json: bool,
}

/// Runs the outbox through the configured transport and Sent folder, with a progress bar.
pub(crate) async fn run_outbox(
    ctx: &Context,
    store: &Store,
    round: Option<String>,
    pacing: Pacing,
    connections: usize,
    today: NaiveDate,
    actor: &Actor,
) -> anyhow::Result<SendSummary> {
    let mut transport = ctx.transport()?;
    eprintln!("sending through {}", transport.describe());
    let run = sending::Run { round, pacing, connections, today, actor: actor.clone() };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut sent_folder = ctx.sent_folder()?;
    let summary = sending::run_outbox(store, &mut transport, &mut sent_folder, &run, |done, total, msg| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(msg.to_string());
    })
    .await?;
    bar.finish_and_clear();
    transport.close().await;
    sent_folder.close().await;
    Ok(summary)
}

/// The exit code of a run: 3 when something failed for good or is held for the officer.
pub(crate) fn exit_code(s: &SendSummary) -> ExitCode {
    if sending::clean(s) { ExitCode::SUCCESS } else { ExitCode::from(3) }
}

pub(crate) fn print_summary(s: &SendSummary, skipped: &[foi_core::Body], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&serde_json::json!({
            "sent": s.sent, "retry": s.retry, "failed": s.failed, "held": s.held, "reconciled": s.reconciled,
            "skipped_no_address": skipped.iter().map(|b| serde_json::json!({"code": b.code, "name": b.name})).collect::<Vec<_>>(),
        }));
    }
    println!(
        "sent {}, to retry {}, failed {}, held {}, reconciled {}, skipped (no address) {}",
        s.sent.len(),
        s.retry.len(),
        s.failed.len(),
        s.held.len(),
        s.reconciled.len(),
        skipped.len()
    );
    for (title, lines) in [
        ("failed", &s.failed),
        ("to retry", &s.retry),
        ("held for the officer", &s.held),
        ("reconciled", &s.reconciled),
    ] {
        for l in lines.iter() {
            println!("  {title}: {} {} <{}>: {}", l.kind, l.reference, l.to, l.detail);
        }
    }
    if !skipped.is_empty() {
        println!(
            "skipped because they have no FOI email address (supply one with `foi bodies set CODE --email ... --source URL`, \
             an address file with `foi bodies import`, or look on their websites with `foi bodies find-emails --missing-email`):"
        );
        for b in skipped {
            println!("  {:<10} {}  {}", b.code, b.name, b.website.as_deref().unwrap_or("(no website known)"));
        }
    }
    Ok(())
}

pub async fn send(ctx: &Context, args: SendArgs, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    if let Some(reference) = args.release.as_ref().or(args.mark_sent.as_ref()) {
        let resend = args.release.is_some();
        for kind in sending::release_held(&store, reference, resend, actor, today).await? {
            println!("{kind} {reference} {}", if resend { "queued to send again" } else { "recorded as sent" });
        }
        if !resend {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let q = sending::queue_requests(&store, &ctx.settings(), args.round.as_deref(), today, actor, args.dry_run).await?;
    if args.dry_run {
        println!("dry run: {} requests render and compose cleanly; nothing was queued or sent", q.ready);
        print_summary(&SendSummary::default(), &q.skipped, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    if q.queued > 0 {
        eprintln!("queued {} requests", q.queued);
    }
    let summary =
        run_outbox(ctx, &store, args.round.clone(), args.pacing.pacing(), args.pacing.connections.into(), today, actor)
            .await?;
    print_summary(&summary, &q.skipped, args.json)?;
    Ok(exit_code(&summary))
}

pub async fn chase(ctx: &Context, args: ChaseArgs, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let all = sending::chasers(&store, &ctx.settings(), args.round.as_deref(), args.max, args.gap, today).await?;
    for c in &all {
        eprintln!(
            "{} {}: due {}, {} working days overdue, chaser {}",
            c.status.body_code,
            c.status.body_name,
            c.status.due.map(|d| d.to_string()).unwrap_or_default(),
            c.status.working_days_overdue,
            c.request.chasers_sent + 1
        );
    }
    if args.dry_run {
        println!("dry run: {} chasers would be sent", all.len());
        return Ok(ExitCode::SUCCESS);
    }
    sending::queue_chasers(&store, &all, actor, today).await?;
    let summary =
        run_outbox(ctx, &store, args.round.clone(), args.pacing.pacing(), args.pacing.connections.into(), today, actor)
            .await?;
    print_summary(&summary, &[], args.json)?;
    Ok(exit_code(&summary))
}
