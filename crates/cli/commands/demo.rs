//! `foi demo`: the whole product on embedded defaults, in one command (the work is
//! foi-demo's; this shows its progress and narrative and prints the tables).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::Args;
use foi_analysis::render::{Format, render};
use foi_analysis::{Cell, Table};
use foi_demo::{Demo, Event};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args)]
pub struct DemoArgs {
    /// The workspace folder (created; cleared first when an earlier demo made it).
    #[arg(long, default_value = "foi-demo")]
    dir: PathBuf,
    /// Seeds the simulated bodies' replies.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The project folder with `data/` and `templates/` (default: the current folder when it
    /// has them, else the folder foi was built from).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Body rows of the commissioning table to print (all of them are in the files).
    #[arg(long, default_value_t = 12)]
    rows: usize,
    /// Question columns of the commissioning table to print (all of them are in the files).
    #[arg(long, default_value_t = 6)]
    columns: usize,
    /// Then serve the web UI on the demo's database, with a demo user (admin) whose password
    /// is printed.
    #[arg(long)]
    serve: bool,
    /// Where --serve listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: std::net::SocketAddr,
}

/// foi's project folder (its `data/` and `templates/`): `given`, else the current folder when
/// it has them, else the folder foi was built from.
pub(crate) fn project_root(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let has_data = |p: &Path| p.join("data/icbs.csv").is_file() && p.join("templates").is_dir();
    if let Some(p) = given {
        anyhow::ensure!(has_data(&p), "{} has no data/icbs.csv and templates/: give foi's project folder", p.display());
        return Ok(p);
    }
    let here = std::env::current_dir().context("the current folder")?;
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [here, built]
        .into_iter()
        .find(|p| has_data(p))
        .context("cannot find foi's data/ and templates/: run from foi's project folder or give it with --root")
}

/// The top left of the commissioning table: the first `rows` bodies and the share rows, with
/// the first `questions` questions.
fn top(t: &Table, rows: usize, questions: usize) -> Table {
    let is_share = |r: &Vec<Cell>| r.get(1).is_some_and(|c| c.text().ends_with("share answering yes"));
    let width = (3 + questions).min(t.columns.len());
    let cut = |r: &Vec<Cell>| r.iter().take(width).cloned().collect::<Vec<Cell>>();
    let bodies = t.rows.iter().filter(|r| !is_share(r)).count();
    let mut out = t.clone();
    out.columns.truncate(width);
    out.rows = t.rows.iter().filter(|r| !is_share(r)).take(rows).map(cut).collect();
    out.title = format!(
        "{} (the first {} of {bodies} bodies, {} of {} questions)",
        t.title,
        out.rows.len(),
        width - 3,
        t.columns.len() - 3
    );
    out.rows.extend(t.rows.iter().filter(|r| is_share(r)).map(cut));
    out
}

pub async fn demo(args: DemoArgs, today: NaiveDate) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let demo = Demo { dir: args.dir, root: project_root(args.root)?, seed: args.seed, today };
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut step = String::new();
    let outcome = foi_demo::run(&demo, &mut |e| match e {
        Event::Step { number, of, what } => {
            bar.set_length(of);
            bar.set_position(number - 1);
            step = what.to_string();
            bar.set_message(step.clone());
        }
        Event::Detail(d) => bar.set_message(format!("{step}: {d}")),
        Event::Say(line) => bar.suspend(|| println!("{line}\n")),
    })
    .await;
    bar.finish_and_clear();
    let o = outcome?;
    println!("{}", render(&o.rates, Format::Table)?);
    println!("{}", render(&top(&o.commissioning, args.rows, args.columns), Format::Table)?);
    println!("Written:");
    for f in &o.files {
        println!("  {}", f.display());
    }
    println!("  {} (the .eml files sent)", o.outbox.display());
    println!("  {} (the simulated replies)", o.maildir.display());
    // The command to explore with, as it will work when pasted: this very program's path
    // (`foi` alone only works once it is installed on the PATH).
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "foi".into());
    let exe = if exe.contains(' ') { format!("'{exe}'") } else { exe };
    println!(
        "\nThe demo took {:.1} s. To explore it:\n\n  cd {} && {exe} round status {}\n\n(or {exe} triage list, \
         {exe} report commissioning --format html --output commissioning.html); its foi.toml points at {}.",
        started.elapsed().as_secs_f64(),
        o.dir.display(),
        foi_demo::ROUND,
        o.database
    );
    if args.serve {
        let store = foi_store::Store::connect(&o.database).await?;
        let password = foi_web::auth::new_token()?[..16].to_string();
        store.add_user("demo", Some("Demo user"), foi_core::Role::Admin, &foi_web::hash_password(&password)?).await?;
        let mut app = foi_web::App::new(store)?;
        app.today = Some(today);
        println!("\nSign in as demo with the password {password} (an admin: every page and form).");
        foi_web::serve(app, args.bind, |addr| println!("The web UI is on http://{addr}/ (Ctrl-C to stop)")).await?;
    }
    Ok(ExitCode::SUCCESS)
}
