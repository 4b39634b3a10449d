//! The `foi` command line: parses arguments, opens the configuration and the database,
//! and hands each subcommand to the library crate that does the work.

#![forbid(unsafe_code)]

mod commands;
mod config;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// mimalloc: ingesting mail allocates and frees many small buffers; it is markedly faster
// there than the system allocator (see the ingest benchmark in the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Run Freedom of Information campaigns: registry of public bodies, rounds of requests,
/// replies, tagging and the monthly tables.
#[derive(Parser)]
#[command(
    name = "foi",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("FOI_COMMIT"), ")"),
    about,
    long_about = None,
    propagate_version = true
)]
struct Cli {
    /// Database URL: sqlite://PATH (created on first use) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "FOI_DATABASE_URL", value_name = "URL")]
    database: Option<String>,
    /// Configuration file (sender identity, SMTP and IMAP settings).
    #[arg(long, global = true, env = "FOI_CONFIG", value_name = "FILE", default_value = "foi.toml")]
    config: PathBuf,
    /// Pretend today is this date (simulations; checking a past round's deadlines).
    #[arg(long, global = true, env = "FOI_TODAY", value_name = "DATE")]
    today: Option<chrono::NaiveDate>,
    /// Who is acting, for the event log (default: the login name).
    #[arg(long, global = true, env = "FOI_USER", value_name = "NAME")]
    user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The registry of public bodies: import, list, show, edit, record succession.
    #[command(subcommand)]
    Bodies(commands::bodies::Cmd),
    /// FOI working-day arithmetic: due dates, holidays, working days between dates.
    #[command(subcommand)]
    Calendar(commands::calendar::Cmd),
    /// Rounds: create, add bodies, preview, status.
    #[command(subcommand)]
    Round(commands::round::Cmd),
    /// One request: show its thread and log, change its state, clarify, ask for a review.
    #[command(subcommand)]
    Request(commands::request::Cmd),
    /// Queue a round's draft requests and send the outbox (exactly once per request).
    Send(commands::send::SendArgs),
    /// Send a templated reminder to every overdue request.
    Chase(commands::send::ChaseArgs),
    /// Ingest replies: from files (import) or IMAP (sync).
    #[command(subcommand)]
    Inbox(commands::inbox::InboxCmd),
    /// Incoming messages: list, show, override a class.
    #[command(subcommand)]
    Messages(commands::inbox::MessagesCmd),
    /// Messages no request was found for: list, assign, dismiss.
    #[command(subcommand)]
    Triage(commands::inbox::TriageCmd),
    /// Code a request's answers against its round's codebook; import and export tags (CSV).
    Tag(commands::analysis::TagArgs),
    /// The published tables: response rates and the monthly series.
    #[command(subcommand)]
    Report(commands::analysis::ReportCmd),
    /// The whole product in one command: a demo round on embedded defaults (SQLite, the file
    /// transport, simulated bodies replying into a Maildir), chased, ingested, tagged and
    /// reported, in a fresh folder.
    Demo(commands::demo::DemoArgs),
    /// The web UI for analysts and officers (loopback by default).
    Serve(commands::web::ServeArgs),
    /// Who may sign in to the web UI: add, list, disable, passwd.
    #[command(subcommand)]
    Users(commands::web::UsersCmd),
    /// Show the effective configuration (passwords are never shown).
    #[command(subcommand)]
    Config(commands::config::Cmd),
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = config::Context::load(&cli.config, cli.database)?;
    ctx.install_calendar()?;
    let today = cli.today.unwrap_or_else(|| chrono::Local::now().date_naive());
    let user = cli.user.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "officer".into());
    let actor = foi_core::Actor::Person(user);
    match cli.command {
        Command::Round(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Inbox(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Messages(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Triage(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Request(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Send(args) => commands::send::send(&ctx, args, today, &actor).await,
        Command::Chase(args) => commands::send::chase(&ctx, args, today, &actor).await,
        Command::Bodies(cmd) => cmd.run(&ctx, today, &actor).await,
        Command::Calendar(cmd) => cmd.run(),
        Command::Config(cmd) => cmd.run(&ctx),
        Command::Tag(args) => args.run(&ctx, &actor).await,
        Command::Report(cmd) => cmd.run(&ctx).await,
        Command::Demo(args) => commands::demo::demo(args, today).await,
        Command::Serve(args) => commands::web::serve(&ctx, args, cli.today).await,
        Command::Users(cmd) => cmd.run(&ctx).await,
    }
}

/// `foi ... | head` closes stdout early: stop quietly, as other command-line tools do,
/// instead of reporting the failed write as a crash.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
