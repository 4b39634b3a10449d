//! `foi config`: what configuration foi is running with.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::{Context, Server};

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the effective settings; passwords show only where they come from.
    Show,
}

fn server(name: &str, s: &Option<Server>) -> anyhow::Result<()> {
    match s {
        None => println!(
            "{name:<9} not configured{}",
            if name == "smtp" { " (sending writes .eml files: dry run)" } else { "" }
        ),
        Some(s) => {
            let pw = match s.password(name)? {
                Some(_) if s.password_env.is_some() => format!("from ${}", s.password_env.as_deref().unwrap_or("")),
                Some(_) => "from a file".to_string(),
                None => "none".to_string(),
            };
            println!(
                "{name:<9} {}:{} security={} user={} password={pw}",
                s.host,
                s.port.map(|p| p.to_string()).unwrap_or_else(|| "default".into()),
                s.security.as_deref().unwrap_or(if name == "imap" { "tls" } else { "starttls" }),
                s.username.as_deref().unwrap_or("-"),
            );
            if let Some(f) = &s.ca_file {
                println!("{:<9} also trusts the certificate authorities in {}", "", f.display());
            }
            if let Some(f) = &s.folders {
                println!("{:<9} folders: {}", "", f.join(", "));
            }
            if let Some(f) = &s.sent_folder {
                println!("{:<9} sent folder: {f}", "");
            }
        }
    }
    Ok(())
}

impl Cmd {
    pub fn run(self, ctx: &Context) -> anyhow::Result<ExitCode> {
        match self {
            Cmd::Show => {
                println!(
                    "config    {}",
                    ctx.config_path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "none (embedded defaults)".into())
                );
                println!("database  {} ({})", foi_store::redact_url(&ctx.database_url), ctx.database_source);
                let s = &ctx.file.sender;
                println!(
                    "sender    {} <{}> replies to foi+TOKEN@{}",
                    s.name.as_deref().unwrap_or("-"),
                    s.email.as_deref().unwrap_or("-"),
                    s.reply_domain.as_deref().unwrap_or("-")
                );
                println!("rules     {}", ctx.rules_source());
                println!("holidays  {}", ctx.holidays_source());
                server("smtp", &ctx.file.smtp)?;
                server("imap", &ctx.file.imap)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
