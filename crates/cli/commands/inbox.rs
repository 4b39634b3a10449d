//! `foi inbox`, `foi messages` and `foi triage`: ingest replies, look at them, and deal with
//! the ones matching could not place.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Subcommand;
use foi_core::{Actor, MessageClass, Named};
use foi_inbox::extract::Limits;
use foi_inbox::{Ingestor, Outcome, imap_sync, sources};
use foi_store::MessageFilter;
use serde_json::json;

use crate::config::Context;
use crate::output::print_json;

#[derive(Subcommand)]
pub enum InboxCmd {
    /// Ingest .eml files, folders of them, mbox files and Maildirs.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Classification rules (default: `inbox_rules` in foi.toml, else
        /// data/inbox-rules.toml if it exists, else the built-in copy).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Pull new mail from the configured IMAP folders (remembering UIDVALIDITY and the last UID).
    Sync {
        /// Keep going: wait for new mail in IMAP IDLE (or poll a server without IDLE) and
        /// ingest it as it arrives, reconnecting with backoff when the server fails.
        #[arg(long)]
        watch: bool,
        /// With --watch, on a server without IDLE: seconds between checks.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        interval: u64,
        /// With --watch: longest wait in IDLE before checking again (RFC 2177: under 29).
        #[arg(long, default_value_t = 25, value_name = "MINUTES")]
        idle_minutes: u64,
        /// Classification rules (as for import).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Measure how well foi reads replies: against a labelled set (LABELS.toml files, or a
    /// folder of them such as tests/replies), or with --corrections against the classes and
    /// answers people corrected in this database.
    Evaluate {
        /// LABELS.toml files or folders holding them.
        #[arg(required_unless_present = "corrections", conflicts_with = "corrections")]
        labels: Vec<PathBuf>,
        /// Compare the rules with what people set on this database instead.
        #[arg(long)]
        corrections: bool,
        /// With --corrections: only this round.
        #[arg(long, requires = "corrections")]
        round: Option<String>,
        /// Classification rules (as for import).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// List every reply, not only those read differently from their labels.
        #[arg(long)]
        all: bool,
        /// foi's project folder, whose body lists, templates and codebook the labelled set is
        /// read against (default: the current folder when it has them, else the folder foi
        /// was built from).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Fail (exit code 1) when class agreement is below this percentage.
        #[arg(long, value_name = "PERCENT")]
        min_agreement: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Apply the classification rules again to stored messages (after editing them). A
    /// class a person set is never changed; replies that now move their request move it.
    Reclassify {
        /// Only the messages of this round's requests.
        #[arg(long)]
        round: Option<String>,
        /// Classification rules (as for import).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum MessagesCmd {
    /// Incoming messages: sender, subject, date, class, matched request, attachments.
    List {
        /// Only the messages of this request (reference).
        #[arg(long)]
        request: Option<String>,
        /// Only the messages of this round's requests (slug).
        #[arg(long)]
        round: Option<String>,
        /// Only messages not matched to a request (the triage queue).
        #[arg(long)]
        unmatched: bool,
        /// Only messages whose class a person should check (the rules were unsure).
        #[arg(long)]
        needs_review: bool,
        #[arg(long)]
        json: bool,
    },
    /// One message: its details, text and attachments' text (or its raw bytes).
    Show {
        id: i64,
        /// Print the raw bytes exactly as received.
        #[arg(long)]
        raw: bool,
    },
    /// Override a message's class (and move its request accordingly).
    Classify {
        id: i64,
        #[arg(value_parser = parse_class)]
        class: MessageClass,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum TriageCmd {
    /// The two queues: messages no request could be found for, and messages whose class
    /// the rules were unsure of (needs review: set it with `foi messages classify`).
    List {
        /// Only the needs-review queue (with --json: its messages; without: the messages no
        /// request was found for, as ever).
        #[arg(long)]
        needs_review: bool,
        #[arg(long)]
        json: bool,
    },
    /// Assign a message to a request (this also teaches its case reference).
    Assign { message: i64, request: String },
    /// Take a message off the queue (spam, unrelated).
    Dismiss {
        message: i64,
        #[arg(long)]
        reason: String,
    },
}

fn parse_class(s: &str) -> Result<MessageClass, String> {
    s.parse().map_err(|e: foi_core::UnknownName| e.to_string())
}

fn report(outcomes: &[Outcome], failures: &[(String, String)], json: bool) -> anyhow::Result<()> {
    let added = outcomes.iter().filter(|o| o.new).count();
    let matched = outcomes.iter().filter(|o| o.new && o.matched.is_some()).count();
    if json {
        return print_json(&json!({
            "added": added, "duplicates": outcomes.len() - added, "matched": matched, "unmatched": added - matched,
            "messages": outcomes.iter().filter(|o| o.new).collect::<Vec<_>>(),
            "failures": failures.iter().map(|(s, e)| json!({"source": s, "error": e})).collect::<Vec<_>>(),
        }));
    }
    println!(
        "{added} added ({matched} matched, {} to triage), {} already held, {} could not be read",
        added - matched,
        outcomes.len() - added,
        failures.len()
    );
    for (s, e) in failures {
        println!("  {s}: {e}");
    }
    Ok(())
}

/// `foi inbox evaluate LABELS...`: the labelled set read in a scratch database.
async fn evaluate_labels(
    root: &std::path::Path,
    classifier: std::sync::Arc<foi_inbox::classify::Classifier>,
    labels: &[PathBuf],
    all: bool,
    min_agreement: Option<f64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut set = Vec::new();
    for l in labels {
        set.extend(foi_evaluate::labels::read(l)?);
    }
    let setup = foi_evaluate::run::Setup::shipped(root, classifier);
    let report = foi_evaluate::run::labelled(&set, &setup).await?;
    if json {
        print_json(&report)?;
    } else {
        print!("{}", report.text(all));
    }
    if let Some(min) = min_agreement
        && report.agreement.percent() < min
    {
        eprintln!("class agreement {:.1}% is below {min}%", report.agreement.percent());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The IMAP account and the folders to read.
fn imap_account(ctx: &Context) -> anyhow::Result<(foi_imap::ImapSettings, Vec<String>)> {
    let (settings, server) = ctx.imap_settings()?.context("no IMAP server: add an [imap] section to foi.toml")?;
    let folders = server.folders.clone().unwrap_or_else(|| vec!["INBOX".into()]);
    Ok((settings, folders))
}

impl InboxCmd {
    pub async fn run(self, ctx: &Context, today: chrono::NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let rules = match &self {
            InboxCmd::Import { rules, .. }
            | InboxCmd::Sync { rules, .. }
            | InboxCmd::Reclassify { rules, .. }
            | InboxCmd::Evaluate { rules, .. } => rules.as_deref(),
        };
        let classifier = ctx.classifier(rules)?;
        // A labelled set is evaluated in a scratch database: the configured one is not opened
        // (nor created).
        if let InboxCmd::Evaluate { labels, corrections: false, root, all, min_agreement, json, .. } = self {
            let root = crate::commands::demo::project_root(root)?;
            return evaluate_labels(&root, classifier, &labels, all, min_agreement, json).await;
        }
        let store = ctx.store().await?;
        let ing = Ingestor {
            store: &store,
            classifier: classifier.clone(),
            limits: Limits::default(),
            echo_texts: Vec::new(),
        };
        match self {
            // With --corrections (a labelled set returned above).
            InboxCmd::Evaluate { round, json, .. } => {
                let c = foi_evaluate::run::corrections(&store, round.as_deref()).await?;
                if json {
                    print_json(&c)?;
                } else {
                    print!("{}", c.text());
                }
            }
            InboxCmd::Reclassify { round, json, .. } => {
                let done =
                    foi_inbox::reclassify::reclassify(&store, &classifier, round.as_deref(), today, actor).await?;
                if json {
                    print_json(&done)?;
                } else {
                    for c in &done.changed {
                        println!(
                            "{:>6}  {} -> {} ({:.2}){}{}{}",
                            c.id,
                            c.from,
                            c.to,
                            c.confidence,
                            if c.needs_review { ", needs review" } else { "" },
                            c.moved_to
                                .map(|s| format!(", request {} is now {s}", c.request.as_deref().unwrap_or("")))
                                .unwrap_or_default(),
                            if c.check_request { ", check its request (it stays where it is)" } else { "" },
                        );
                    }
                    println!(
                        "{} messages read again with {}: {} changed, {} left alone (class set by a person)",
                        done.checked,
                        classifier.origin(),
                        done.changed.len(),
                        done.set_by_person
                    );
                }
            }
            InboxCmd::Import { paths, json, .. } => {
                let mut failures = Vec::new();
                let files = sources::files(&paths)?;
                // Files are read one at a time as the pipeline asks for more: memory stays
                // flat whatever the size of the mailbox.
                let items = files
                    .iter()
                    .filter_map(|file| match sources::read(file) {
                        Ok(found) => Some(found),
                        Err(e) => {
                            failures.push((file.display().to_string(), e.to_string()));
                            None
                        }
                    })
                    .flatten()
                    .map(|f| foi_inbox::ingest::Item { raw: f.raw, source: f.source, location: None });
                let outcomes = ing.ingest_all(items, |_| {}).await?;
                report(&outcomes, &failures, json)?;
            }
            InboxCmd::Sync { watch: false, json, .. } => {
                let (settings, folders) = imap_account(ctx)?;
                let outcomes = imap_sync::sync(&ing, &settings, &folders).await?;
                report(&outcomes, &[], json)?;
            }
            InboxCmd::Sync { watch: true, json, interval, idle_minutes, .. } => {
                let (settings, folders) = imap_account(ctx)?;
                let w = imap_sync::Watch {
                    idle: Duration::from_secs(idle_minutes.clamp(1, 28) * 60),
                    poll: Duration::from_secs(interval.max(1)),
                    ..imap_sync::Watch::default()
                };
                eprintln!("watching {} on {} (Ctrl-C to stop)", folders.join(", "), settings.server());
                imap_sync::watch(
                    &ing,
                    &settings,
                    &folders,
                    w,
                    |outcomes| {
                        if !outcomes.is_empty() {
                            // A closed stdout (a pipe) ends nothing: the watch goes on.
                            let _ = report(outcomes, &[], json);
                        }
                    },
                    |e, wait| eprintln!("warning: sync failed: {e}; trying again in {} s", wait.as_secs()),
                )
                .await?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl MessagesCmd {
    pub async fn run(self, ctx: &Context, today: chrono::NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            MessagesCmd::List { request, round, unmatched, needs_review, json } => {
                let msgs = store
                    .incoming_messages(&MessageFilter { request, round, unmatched, needs_review, ..Default::default() })
                    .await?;
                if json {
                    print_json(&msgs)?;
                } else {
                    for m in &msgs {
                        println!(
                            "{:>6}  {}  {:<15} {:<12} {}  {}",
                            m.id,
                            m.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "-".into()),
                            m.class,
                            m.request.as_deref().unwrap_or("(triage)"),
                            m.from.as_deref().unwrap_or("-"),
                            m.subject.as_deref().unwrap_or("")
                        );
                    }
                    eprintln!("{} messages", msgs.len());
                }
            }
            MessagesCmd::Show { id, raw } => {
                if raw {
                    use std::io::Write;
                    std::io::stdout().write_all(&store.message_raw(id).await?)?;
                    return Ok(ExitCode::SUCCESS);
                }
                let m = store.incoming_messages(&MessageFilter { ids: Some(vec![id]), ..Default::default() }).await?;
                let m = m.into_iter().next().with_context(|| format!("incoming message {id} not found"))?;
                let (text, atts) = store.message_texts(id).await?;
                println!(
                    "message {}  from {}  {}",
                    m.id,
                    m.from.as_deref().unwrap_or("-"),
                    m.date.map(|d| d.to_rfc2822()).unwrap_or_default()
                );
                println!("subject  {}", m.subject.as_deref().unwrap_or(""));
                println!(
                    "class    {}{}{}{}",
                    m.class,
                    m.class_confidence.map(|c| format!(" {c:.2}")).unwrap_or_default(),
                    if m.needs_review { ", needs review" } else { "" },
                    m.class_evidence.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                );
                if let (Some(rule), Some(by)) = (&m.rule_class, &m.class_set_by)
                    && rule != &m.class
                {
                    println!("         set by {by}; the rules said {rule}");
                }
                if !m.exemptions.is_empty() {
                    println!("exempt.  {}", m.exemptions.join(", "));
                }
                println!(
                    "request  {}",
                    m.request
                        .as_deref()
                        .map(|r| format!(
                            "{r} by {} ({:.2})",
                            m.match_method.as_deref().unwrap_or("-"),
                            m.match_confidence.unwrap_or(0.0)
                        ))
                        .unwrap_or_else(|| "none: in triage".into())
                );
                if let Some(e) = &m.parse_error {
                    println!("parse    {e}");
                }
                println!("\n{}\n", text.unwrap_or_default());
                for (a, (name, t)) in m.attachments.iter().zip(atts) {
                    println!(
                        "== attachment {} ({}, {} bytes, {})",
                        name.as_deref().unwrap_or("(no name)"),
                        a.content_type,
                        a.size,
                        a.extraction
                    );
                    if let Some(e) = &a.extraction_error {
                        println!("   {e}");
                    }
                    if let Some(t) = t {
                        println!("{}", t.chars().take(4000).collect::<String>());
                    }
                }
            }
            MessagesCmd::Classify { id, class, reason } => {
                let done = foi_inbox::triage::set_class(&store, id, class, &reason, actor, today).await?;
                if let (Some(reference), Some(s)) = (&done.request, done.moved_to) {
                    println!("request {reference} is now {s}");
                }
                println!("message {id} is now {}", class.name());
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl TriageCmd {
    pub async fn run(self, ctx: &Context, today: chrono::NaiveDate, actor: &Actor) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            TriageCmd::List { needs_review, json } => {
                let unmatched =
                    store.incoming_messages(&MessageFilter { unmatched: true, ..Default::default() }).await?;
                let review = store
                    .incoming_messages(&MessageFilter { needs_review: true, ..Default::default() })
                    .await?
                    .into_iter()
                    .filter(|m| m.request.is_some())
                    .collect::<Vec<_>>();
                if json {
                    print_json(if needs_review { &review } else { &unmatched })?;
                } else {
                    if !needs_review {
                        println!("To match ({}): no request found", unmatched.len());
                        for m in &unmatched {
                            println!(
                                "{:>6}  {:<15} {}  {}",
                                m.id,
                                m.class,
                                m.from.as_deref().unwrap_or("-"),
                                m.subject.as_deref().unwrap_or("")
                            );
                        }
                    }
                    println!("\nNeeds review ({}): matched, but the rules were unsure of the class", review.len());
                    for m in &review {
                        println!(
                            "{:>6}  {:<12} {}  {}",
                            m.id,
                            m.request.as_deref().unwrap_or("-"),
                            m.class_evidence
                                .as_deref()
                                .map(|e| e.chars().take(90).collect::<String>())
                                .unwrap_or_default(),
                            m.subject.as_deref().unwrap_or("")
                        );
                    }
                    eprintln!(
                        "{} messages to match, {} to review (foi triage assign; foi messages classify)",
                        unmatched.len(),
                        review.len()
                    );
                }
            }
            TriageCmd::Assign { message, request } => {
                let done = foi_inbox::triage::assign(&store, message, &request, today, actor).await?;
                for cr in &done.learned {
                    println!("learned case reference {cr} for {request}");
                }
                if let Some(a) = &done.learned_sender {
                    println!("learned sender {a} for {request}'s body");
                }
                if let Some(s) = done.moved_to {
                    println!("request {request} is now {s}");
                }
                println!("message {message} assigned to {request}");
            }
            TriageCmd::Dismiss { message, reason } => {
                store.dismiss_message(message, &reason).await?;
                println!("message {message} dismissed");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
