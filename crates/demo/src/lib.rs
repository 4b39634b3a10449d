//! The one-command demo (`foi demo`): a whole round on embedded defaults, narrated. A fresh
//! workspace with its own SQLite database; the shipped body lists and codebook; a round to
//! every current ICB and upper-tier council at demo addresses on a reserved example domain,
//! sent through the file transport (never SMTP); simulated bodies replying into a Maildir
//! over simulated weeks; the overdue chased; the Maildir ingested, matched and classified;
//! suggested answers confirmed by a demo analyst; the published tables written as HTML, Excel
//! and CSV. The caller shows the progress and the narrative ([`Event`]).

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use foi_analysis::html::Section;
use foi_analysis::suggest::{Suggester, confirm, suggest_round};
use foi_analysis::{Table, render};
use foi_core::{Actor, BodyKind, Calendar, Codebook, Regime, registry};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::ingest::Item;
use foi_simulate::{Launch, Maildir, Mix, Reply, Simulation};
use foi_store::{BodyFilter, Store};

/// What can go wrong in the demo.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// The demo folder is in use for something else.
    #[error("{0}")]
    Workspace(String),
    /// A shipped file cannot be read (the message names the file and the place).
    #[error("{0}")]
    Shipped(String),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Simulate(#[from] foi_simulate::Error),
    #[error(transparent)]
    Inbox(#[from] foi_inbox::Error),
    #[error(transparent)]
    Analysis(#[from] foi_analysis::Error),
    #[error(transparent)]
    Calendar(#[from] foi_core::CalendarError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The demo round's slug (`foi round status demo` in the workspace).
pub const ROUND: &str = "demo";
/// The analyst who confirms the suggested answers.
pub const ANALYST: &str = "demo-analyst";
/// Marks a folder as the demo's own, so that a second run may clear it.
const MARKER: &str = ".foi-demo";
/// The shipped body lists and succession records the demo imports (under `data/`).
const BODY_LISTS: [&str; 3] = ["icbs.csv", "upper_tier_las.csv", "ccgs_2017.csv"];
const SUCCESSIONS: [&str; 3] = ["ccg2017_to_icb2022.csv", "ccg_mergers_2017_2021.csv", "icb2022_successors_2026.csv"];
/// The lists the round goes to: every current body on them.
const ROUND_LISTS: [&str; 2] = ["icbs.csv", "upper_tier_las.csv"];

/// What to run.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The workspace folder: created, or cleared when an earlier demo made it.
    pub dir: PathBuf,
    /// The project folder holding `data/` and `templates/`.
    pub root: PathBuf,
    /// Seeds the simulated bodies: the same seed and day give the same round.
    pub seed: u64,
    /// The day the demo ends on; the round was sent 13 weeks before.
    pub today: NaiveDate,
}

/// What the demo tells its caller as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// Step `number` of `of` begins.
    Step { number: u64, of: u64, what: &'static str },
    /// How the current step is getting on ("ingested 120 of 260").
    Detail(String),
    /// A line of the narrative.
    Say(String),
}

/// Where the demo left everything, and the tables it printed.
#[derive(Debug)]
pub struct Outcome {
    pub dir: PathBuf,
    /// The database URL (`sqlite://DIR/foi.db`).
    pub database: String,
    /// The .eml files sent (requests and chasers).
    pub outbox: PathBuf,
    /// The simulated replies.
    pub maildir: PathBuf,
    pub launched_on: NaiveDate,
    pub requests: usize,
    pub chasers: usize,
    pub replies: usize,
    /// Replies no request was found for (in triage).
    pub triage: usize,
    pub confirmed: usize,
    /// As of the end of `today`.
    pub as_of: DateTime<Utc>,
    pub rates: Table,
    pub commissioning: Table,
    pub shares: Table,
    /// The files written: the HTML report, the Excel workbook, the CSVs.
    pub files: Vec<PathBuf>,
}

const STEPS: u64 = 8;

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), message: e.to_string() }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

/// A fresh workspace: `dir` created, or emptied when it holds an earlier demo; any other
/// folder that is not empty is left alone and refused.
fn fresh_workspace(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
        let empty = entries.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(Error::Workspace(format!(
                "{} is not empty and not an earlier demo's folder: choose another with --dir",
                dir.display()
            )));
        }
        if !empty {
            std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    write(&dir.join(MARKER), b"A foi demo workspace: `foi demo` clears and rewrites this folder.\n")
}

/// The demo address of a body: on `bodies.example`, a domain reserved for examples (RFC 2606),
/// so that nothing the demo writes could ever reach a real body.
pub fn demo_address(code: &str) -> String {
    format!("foi@{}.bodies.example", code.to_ascii_lowercase())
}

/// The first working day on or after `day`.
fn working_day_from(cal: &Calendar, mut day: NaiveDate) -> Result<NaiveDate> {
    while !cal.is_working_day(Regime::Foia, day)? {
        day = day + Days::new(1);
    }
    Ok(day)
}

/// Runs the demo, telling `on` how it goes.
pub async fn run(demo: &Demo, on: &mut dyn FnMut(Event)) -> Result<Outcome> {
    let data = demo.root.join("data");
    let cal = Calendar::uk();
    let launched_on = working_day_from(cal, demo.today - Days::new(91))?;
    let due = cal.due_date(Regime::Foia, launched_on)?;
    // The officer chases the morning after the deadline.
    let chase_on = cal.add_working_days(Regime::Foia, due, 1)?;

    on(Event::Step { number: 1, of: STEPS, what: "creating the workspace" });
    let dir = std::path::absolute(&demo.dir).map_err(|e| io(&demo.dir, e))?;
    fresh_workspace(&dir)?;
    let database = format!("sqlite://{}", dir.join("foi.db").display());
    let store = Store::connect(&database).await?;
    let (outbox, maildir_dir, reports) = (dir.join("outbox"), dir.join("maildir"), dir.join("reports"));
    for d in [&outbox, &reports] {
        std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
    }
    write_config(&dir, &database, &demo.root)?;
    on(Event::Say(format!("Workspace {} with a fresh SQLite database, foi.db.", dir.display())));

    on(Event::Step { number: 2, of: STEPS, what: "importing the body lists and the codebook" });
    let mut round_codes = Vec::new();
    let mut counts: Vec<(BodyKind, usize)> = Vec::new();
    for list in BODY_LISTS {
        let path = data.join(list);
        let report = registry::read_bodies(&read(&path)?, None);
        if let Some(e) = report.errors.first() {
            return Err(Error::Shipped(format!("{}: {e}", path.display())));
        }
        let mut rows = report.rows;
        for r in &mut rows {
            r.body.foi_email = Some(demo_address(&r.body.code));
        }
        store.import_bodies(&rows, &path.display().to_string(), false).await?;
        if ROUND_LISTS.contains(&list) {
            round_codes.extend(rows.iter().map(|r| r.body.code.clone()));
        }
    }
    let mut successions = 0;
    for list in SUCCESSIONS {
        let path = data.join(list);
        let report = registry::read_successions(&read(&path)?, None);
        if let Some(e) = report.errors.first() {
            return Err(Error::Shipped(format!("{}: {e}", path.display())));
        }
        successions += report.rows.len();
        store.import_successions(&report.rows, false).await?;
    }
    let current = store
        .list_bodies(&BodyFilter { codes: Some(round_codes), current_on: Some(launched_on), ..Default::default() })
        .await?;
    for b in &current {
        match counts.iter_mut().find(|(k, _)| *k == b.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((b.kind, 1)),
        }
    }
    let launch = Launch::shipped(&demo.root, ROUND, "Children's palliative care (demo)", launched_on);
    let book_path = &launch.codebook;
    let book = Codebook::from_toml(&String::from_utf8_lossy(&read(book_path)?))
        .map_err(|e| Error::Shipped(format!("{}: {e}", book_path.display())))?;
    let kinds: Vec<String> = counts
        .iter()
        .map(|(k, n)| if *n == 1 { format!("1 {}", k.label()) } else { format!("{n} {}", kind_plural(*k)) })
        .collect();
    on(Event::Say(format!(
        "Imported the shipped body lists ({}) and {successions} succession records. The round goes to every current \
         body: {}. Each gets a demo address, such as {}: bodies.example is reserved for examples, and the demo \
         never uses SMTP.",
        BODY_LISTS.join(", "),
        kinds.join(", "),
        demo_address(current.first().map_or("QHG", |b| b.code.as_str()))
    )));
    on(Event::Say(format!(
        "Codebook: {} ({} questions), from {}.",
        book.title,
        book.questions.len(),
        relative(book_path, &demo.root)
    )));

    on(Event::Step { number: 3, of: STEPS, what: "sending the requests" });
    let codes: Vec<String> = current.iter().map(|b| b.code.clone()).collect();
    let requests = foi_simulate::launch_round(&store, &launch, &codes, &outbox).await?;
    on(Event::Say(format!(
        "Round `{ROUND}` sent on {}: {requests} requests written from {} and sent through the file transport, \
         one .eml file each in {}. The bodies must answer within 20 working days, by {due}.",
        long_date(launched_on),
        relative(&launch.templates, &demo.root),
        outbox.display()
    )));

    on(Event::Step { number: 4, of: STEPS, what: "simulating the bodies' replies" });
    let sim = Simulation::new(demo.seed, Mix::default(), &book)?;
    let mut replies: Vec<Reply> = Vec::new();
    for s in foi_simulate::sent_requests(&store, ROUND).await? {
        replies.extend(sim.replies(&s));
    }
    replies.sort_by_key(|r| r.at);
    let tally = foi_simulate::tally(&replies);
    let attachments = replies.iter().filter(|r| r.expected.attachment.is_some()).count();
    let lost = replies.iter().filter(|r| !r.expected.carries_reference).count();
    let last = replies.last().map_or(launched_on, |r| r.at.date_naive());
    on(Event::Say(format!(
        "Simulated bodies (seed {}) reply over {} weeks: {}; {attachments} answers come as PDF letters or \
         spreadsheets, {lost} replies lose foi's reference.",
        demo.seed,
        ((last - launched_on).num_days() + 6) / 7,
        tally.iter().map(|(class, n)| format!("{n} {}", class_plural(class))).collect::<Vec<_>>().join(", ")
    )));
    if !foi_inbox::extract::pdf_text_available() {
        on(Event::Say(
            "Note: pdftotext (Debian package poppler-utils) is not installed, so the PDF letters' text cannot be \
             read and their answers are not suggested; the test command installs it."
                .into(),
        ));
    }

    let mut maildir = Maildir::create(&maildir_dir)?;
    let ing = Ingestor {
        store: &store,
        classifier: Classifier::builtin(),
        limits: Limits::default(),
        echo_texts: Vec::new(),
    };
    let (early, late): (Vec<Reply>, Vec<Reply>) = replies.into_iter().partition(|r| r.at.date_naive() < chase_on);

    on(Event::Step { number: 5, of: STEPS, what: "ingesting the first replies" });
    let first = deliver_and_ingest(&mut maildir, &early, &ing, on).await?;
    on(Event::Say(format!(
        "By {}, {} replies had arrived in {}: ingested, classified and matched to their requests ({} kept for \
         triage, where nothing matched).",
        long_date(chase_on),
        first.new,
        maildir_dir.display(),
        first.unmatched
    )));

    on(Event::Step { number: 6, of: STEPS, what: "chasing the overdue requests" });
    let chasers = foi_simulate::chase_round(&store, &launch, &outbox, chase_on).await?;
    on(Event::Say(format!(
        "On {} the officer chased the {chasers} requests still awaiting an answer after the deadline.",
        long_date(chase_on)
    )));

    on(Event::Step { number: 7, of: STEPS, what: "ingesting the late replies" });
    let second = deliver_and_ingest(&mut maildir, &late, &ing, on).await?;
    on(Event::Say(format!(
        "Over the following weeks {} more replies arrived, late answers among them; reading the whole Maildir \
         again added only those ({} already held were recognised and skipped).",
        second.new, second.known
    )));
    let rules = Suggester::shipped(&book.id)
        .ok_or_else(|| Error::Shipped(format!("no suggestion rules are shipped for codebook {}", book.id)))??;
    let suggested = suggest_round(&store, ROUND, None, &book, &rules).await?;
    let confirmed = confirm(&store, ROUND, None, &[], &Actor::Person(ANALYST.into())).await?;
    on(Event::Say(format!(
        "Suggestion rules read the {} answers (their text and attachments) and proposed {} coded answers, each \
         with the sentence it rests on; {ANALYST} confirmed them ({} tags).",
        suggested.answers, suggested.suggestions, confirmed.confirmed
    )));

    on(Event::Step { number: 8, of: STEPS, what: "writing the reports" });
    let as_of = Utc
        .with_ymd_and_hms(demo.today.year(), demo.today.month(), demo.today.day(), 23, 59, 59)
        .single()
        .ok_or_else(|| Error::Workspace(format!("{} has no end", demo.today)))?;
    let name = &launch.name;
    let facts = store.round_facts(ROUND).await?;
    let mut parts = foi_analysis::reports::monthly(&facts, as_of, name, cal)?;
    let commissioning = foi_analysis::reports::commissioning(&facts, &book, as_of, name)?;
    // The commissioning shares before the long table of bodies, in the workbook as on the page.
    parts.extend(commissioning.into_iter().rev());
    let files = write_reports(&reports, name, &parts)?;
    let table = |n: &str| parts.iter().find(|(p, _)| *p == n).map(|(_, s)| s.table.clone());
    let missing = || Error::Workspace("a report lost a table".into());
    let outcome = Outcome {
        dir: dir.clone(),
        database,
        outbox,
        maildir: maildir_dir,
        launched_on,
        requests,
        chasers,
        replies: first.new + second.new,
        triage: first.unmatched + second.unmatched,
        confirmed: confirmed.confirmed,
        as_of,
        rates: table("rates").ok_or_else(missing)?,
        commissioning: table("bodies").ok_or_else(missing)?,
        shares: table("shares").ok_or_else(missing)?,
        files,
    };
    store.close().await?;
    Ok(outcome)
}

/// What one ingestion added.
struct Ingested {
    new: usize,
    known: usize,
    unmatched: usize,
}

/// Delivers `replies` into the Maildir, then ingests the whole Maildir (what is already held
/// is recognised by its Message-ID and fingerprint and skipped).
async fn deliver_and_ingest(
    maildir: &mut Maildir,
    replies: &[Reply],
    ing: &Ingestor<'_>,
    on: &mut dyn FnMut(Event),
) -> Result<Ingested> {
    for r in replies {
        maildir.deliver(&r.raw, r.at)?;
    }
    let files = foi_inbox::sources::files(&[maildir.path().to_path_buf()])?;
    let total = files.len();
    let mut items = Vec::with_capacity(total);
    for f in &files {
        for found in foi_inbox::sources::read(f)? {
            items.push(Item { raw: found.raw, source: found.source, location: None });
        }
    }
    let mut done = 0;
    let mut out = Ingested { new: 0, known: 0, unmatched: 0 };
    ing.ingest_all(items, |o| {
        done += 1;
        if o.new {
            out.new += 1;
            out.unmatched += usize::from(o.matched.is_none());
        } else {
            out.known += 1;
        }
        if done % 20 == 0 || done == total {
            on(Event::Detail(format!("{done} of {total} messages")));
        }
    })
    .await?;
    Ok(out)
}

/// The HTML report, the Excel workbook (a sheet per table) and a CSV per table.
fn write_reports(dir: &Path, title: &str, parts: &[(&'static str, Section)]) -> Result<Vec<PathBuf>> {
    use foi_analysis::render::Format;
    let sections: Vec<Section> = parts.iter().map(|(_, s)| s.clone()).collect();
    let mut files = Vec::new();
    for (file, format) in [("report.html", Format::Html), ("report.xlsx", Format::Xlsx)] {
        let path = dir.join(file);
        write(&path, &foi_analysis::reports::document(title, &sections, format)?)?;
        files.push(path);
    }
    for (name, s) in parts {
        let file = match *name {
            "rates" => "response-rates.csv",
            "series" => "monthly-series.csv",
            "bodies" => "commissioning.csv",
            _ => "commissioning-shares.csv",
        };
        let path = dir.join(file);
        write(&path, render::render(&s.table, render::Format::Csv)?.as_bytes())?;
        files.push(path);
    }
    Ok(files)
}

/// A `foi.toml` in the workspace, so that `foi` run there works on the demo's database with
/// the shipped templates and codebooks (and still never sends: no SMTP is configured).
fn write_config(dir: &Path, database: &str, root: &Path) -> Result<()> {
    let root = std::path::absolute(root).map_err(|e| io(root, e))?;
    let quoted = |p: &Path| toml_string(&p.display().to_string());
    let text = format!(
        "# Written by `foi demo`: run foi in this folder to explore the demo round.\n\
         database = {}\ntemplates_dir = {}\ncodebooks_dir = {}\noutbox_dir = {}\n\n\
         [sender]\nname = \"Charity FOI\"\nemail = \"foi@charity.example\"\n",
        toml_string(database),
        quoted(&root.join("templates")),
        quoted(&root.join("data/codebooks")),
        quoted(&dir.join("outbox")),
    );
    write(&dir.join("foi.toml"), text.as_bytes())
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// A kind of body, counted in the narrative.
fn kind_plural(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Icb => "ICBs",
        BodyKind::Ccg => "CCGs",
        BodyKind::CountyCouncil => "county councils",
        BodyKind::Unitary => "unitary authorities",
        BodyKind::MetropolitanDistrict => "metropolitan districts",
        BodyKind::LondonBorough => "London boroughs",
        BodyKind::Other => "others",
    }
}

/// A class of reply, counted in the narrative.
fn class_plural(class: &str) -> String {
    match class {
        "bounce" => "bounces".into(),
        "auto_reply" => "out-of-office replies".into(),
        "acknowledgement" => "acknowledgements".into(),
        "clarification" => "requests for clarification".into(),
        "answer_full" => "full answers".into(),
        "answer_partial" => "partial answers".into(),
        "refusal" => "refusals".into(),
        "not_held" => "not-held letters".into(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_other_use_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("mine");
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("notes.txt"), "keep me").unwrap_or_else(|e| panic!("{e}"));
        let err = fresh_workspace(&dir).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not an earlier demo's folder"), "{err}");
        assert!(dir.join("notes.txt").exists());
        // An earlier demo's folder is cleared; an empty or missing one is made.
        std::fs::write(dir.join(MARKER), "").unwrap_or_else(|e| panic!("{e}"));
        fresh_workspace(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(!dir.join("notes.txt").exists() && dir.join(MARKER).exists());
        fresh_workspace(&tmp.path().join("new")).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn demo_addresses_are_on_a_reserved_domain() {
        assert_eq!(demo_address("E06000001"), "foi@e06000001.bodies.example");
        assert!(demo_address("QHG").ends_with(".example"));
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
