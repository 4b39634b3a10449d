//! `foi request`: one request's thread and event log, a state change by hand, and the
//! officer's clarification or internal review request.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use foi_core::{Actor, RequestState};
use foi_mailer::round;
use foi_mailer::{Followup, Pacing};
use serde_json::json;

use super::send::{exit_code, print_summary, run_outbox};
use crate::config::Context;
use crate::output::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// The request's body, state, deadlines, messages and event log.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Change the request's state by hand (a reason is required and logged).
    Move {
        reference: String,
        #[arg(value_parser = parse_state)]
        state: RequestState,
        #[arg(long)]
        reason: String,
    },
    /// Send the clarification the body asked for: the 20 working days start again.
    Clarify {
        reference: String,
        /// The clarification, as it should appear in the email.
        #[arg(long)]
        text: String,
    },
    /// Ask the body for an internal review of its answer or refusal.
    Review {
        reference: String,
        /// Why the charity asks for a review, as it should appear in the email.
        #[arg(long)]
        reason: String,
    },
}

fn parse_state(s: &str) -> Result<RequestState, String> {
    s.parse().map_err(|e: foi_core::UnknownName| e.to_string())
}

impl Cmd {
    pub async fn run(self, ctx: &Context, today: NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            Cmd::Show { reference, json } => {
                let r = store.request(&reference).await?;
                let st = round::status_of(&store, &r, today).await?;
                let events = store.request_events(r.id).await?;
                let messages = store.messages_of_request(r.id).await?;
                if json {
                    let msgs: Vec<_> = messages
                        .iter()
                        .map(|m| {
                            json!({"id": m.id, "direction": m.direction, "kind": m.kind, "message_id": m.message_id,
                                   "subject": m.subject, "date": m.date, "outbox_state": m.outbox_state, "last_error": m.last_error})
                        })
                        .collect();
                    print_json(&json!({"request": r, "status": st, "events": events, "messages": msgs}))?;
                    return Ok(ExitCode::SUCCESS);
                }
                println!("{} ({}) — {}", r.body.name, r.body.code, r.reference);
                println!("  state         {}", r.state);
                println!(
                    "  to            {}",
                    r.to_address.as_deref().or(r.body.foi_email.as_deref()).unwrap_or("(no address)")
                );
                if let Some(d) = st.sent_on {
                    println!("  sent          {d}");
                }
                if let Some(d) = st.due {
                    println!(
                        "  due           {d}{}",
                        if st.working_days_overdue > 0 {
                            format!(" ({} working days overdue)", st.working_days_overdue)
                        } else {
                            String::new()
                        }
                    );
                }
                println!("  messages");
                for m in &messages {
                    println!(
                        "    {:<8} {:<15} {} {}{}",
                        m.direction,
                        m.kind,
                        m.date.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "-".into()),
                        m.subject.as_deref().unwrap_or(""),
                        m.outbox_state.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default()
                    );
                    if let Some(e) = &m.last_error {
                        println!("             {e}");
                    }
                }
                println!("  events");
                for e in &events {
                    println!(
                        "    {} {} -> {} by {}{}",
                        e.on,
                        e.from.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        e.to,
                        e.actor,
                        e.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                    );
                }
            }
            Cmd::Move { reference, state, reason } => {
                let from = foi_app::requests::move_by_hand(&store, &reference, state, &reason, actor, today).await?;
                println!("{reference}: {from} -> {state}");
            }
            Cmd::Clarify { reference, text } => {
                return followup(ctx, &store, &reference, Followup::Clarification, &text, today, actor).await;
            }
            Cmd::Review { reference, reason } => {
                return followup(ctx, &store, &reference, Followup::InternalReview, &reason, today, actor).await;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

async fn followup(
    ctx: &Context,
    store: &foi_store::Store,
    reference: &str,
    which: Followup,
    text: &str,
    today: NaiveDate,
    actor: &Actor,
) -> anyhow::Result<ExitCode> {
    let slug = foi_app::sending::queue_followup(store, &ctx.settings(), reference, which, text, today, actor).await?;
    let summary = run_outbox(ctx, store, Some(slug), Pacing::OFF, 1, today, actor).await?;
    print_summary(&summary, &[], false)?;
    Ok(exit_code(&summary))
}
