//! The `foi` command line: parses arguments, opens the configuration and the database,
//! and hands each subcommand to the library crate that does the work.

#![forbid(unsafe_code)]

mod commands;
mod config;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Freedom of Information campaigns: registry of public bodies, rounds of requests,
/// replies, tagging and the monthly tables.
#[derive(Parser)]
#[command(name = "foi", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Database URL: sqlite://PATH (created on first use) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "FOI_DATABASE_URL", value_name = "URL")]
    database: Option<String>,
    /// Configuration file (sender identity, SMTP and IMAP settings).
    #[arg(long, global = true, env = "FOI_CONFIG", value_name = "FILE", default_value = "foi.toml")]
    config: PathBuf,
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
    /// Show the effective configuration (passwords are never shown).
    #[command(subcommand)]
    Config(commands::config::Cmd),
}

fn main() -> ExitCode {
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
    match cli.command {
        Command::Bodies(cmd) => cmd.run(&ctx).await,
        Command::Calendar(cmd) => cmd.run(),
        Command::Config(cmd) => cmd.run(&ctx),
    }
}
