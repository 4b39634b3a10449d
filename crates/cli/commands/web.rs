//! `foi serve` (the web UI, foi-web's) and `foi users` (who may sign in to it, with which
//! role). Passwords are read from a file or standard input, never from the command line.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use foi_core::{Named, Role};

use crate::config::Context;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; put a TLS proxy in front to serve others).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Mark the session cookie Secure (when a proxy serves the UI over HTTPS).
    #[arg(long)]
    secure_cookie: bool,
}

pub async fn serve(ctx: &Context, args: ServeArgs, today: Option<chrono::NaiveDate>) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    if store.users().await?.is_empty() {
        eprintln!("warning: no users yet: add one with `foi users add NAME --role admin`");
    }
    let mut app = foi_web::App::new(store)?;
    app.today = today;
    app.secure_cookie = args.secure_cookie;
    foi_web::serve(app, args.bind, |addr| println!("foi is serving on http://{addr}/ (Ctrl-C to stop)")).await?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum UsersCmd {
    /// Adds a user (the password is read from --password-file or the first line of stdin).
    Add {
        name: String,
        /// admin, officer, analyst or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name shown in the UI.
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Lists users and their roles.
    List,
    /// Disables a user (their sessions end); --enable undoes it.
    Disable {
        name: String,
        #[arg(long)]
        enable: bool,
    },
    /// Sets a user's password (from --password-file or stdin); their sessions end.
    Passwd {
        name: String,
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_name(s).ok_or_else(|| format!("unknown role {s:?}: admin, officer, analyst or viewer"))
}

fn read_password(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let line = match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        None => {
            eprintln!("password (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if line.is_empty() {
        bail!("no password given");
    }
    Ok(line)
}

impl UsersCmd {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<ExitCode> {
        let store = ctx.store().await?;
        match self {
            UsersCmd::Add { name, role, display_name, password_file } => {
                let hash = foi_web::hash_password(&read_password(password_file.as_ref())?)?;
                store.add_user(&name, display_name.as_deref(), role, &hash).await?;
                println!("user {name} added ({})", role.name());
            }
            UsersCmd::List => {
                for u in store.users().await? {
                    println!(
                        "{:<20} {:<8} {}{}",
                        u.username,
                        u.role.name(),
                        u.display_name.as_deref().unwrap_or(""),
                        if u.disabled { " (disabled)" } else { "" }
                    );
                }
            }
            UsersCmd::Disable { name, enable } => {
                store.set_user_disabled(&name, !enable).await?;
                println!("user {name} {}", if enable { "enabled" } else { "disabled" });
            }
            UsersCmd::Passwd { name, password_file } => {
                let hash = foi_web::hash_password(&read_password(password_file.as_ref())?)?;
                store.set_user_password(&name, &hash).await?;
                println!("password of {name} changed; their sessions have ended");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
