//! Launching a simulated round: a round to the given bodies, written from a template set and
//! a codebook and "sent" through the file transport (never SMTP), as the demo and the
//! benchmarks need before bodies can reply; and chasing its overdue requests the same way.

use std::path::Path;

use chrono::NaiveDate;
use foi_app::rounds::{self, NewRoundSpec, Settings};
use foi_app::sending;
use foi_core::{Actor, registry};
use foi_mailer::outbox::NoSentFolder;
use foi_mailer::transport::FileOutbox;
use foi_mailer::{Pacing, Sender, Transport};
use foi_store::Store;

use crate::{Error, Result};

/// The round to launch.
#[derive(Debug, Clone)]
pub struct Launch {
    pub slug: String,
    pub name: String,
    /// The template set's folder, e.g. `templates/childrens-palliative-care`.
    pub templates: std::path::PathBuf,
    /// The codebook file, e.g. `data/codebooks/childrens-palliative-care.toml`.
    pub codebook: std::path::PathBuf,
    pub sender: Sender,
    /// The day the requests are sent.
    pub on: NaiveDate,
}

impl Launch {
    /// A round of the shipped children's palliative care template set and codebook (found
    /// under the project folder `root`), sent on `on` by the charity's FOI address on a
    /// reserved example domain: what the demo, the tests and the benchmarks launch.
    pub fn shipped(root: &Path, slug: &str, name: &str, on: NaiveDate) -> Launch {
        Launch {
            slug: slug.into(),
            name: name.into(),
            templates: root.join("templates/childrens-palliative-care"),
            codebook: root.join("data/codebooks/childrens-palliative-care.toml"),
            sender: Sender {
                name: "Charity FOI".into(),
                email: "foi@charity.example".into(),
                reply_local: "foi".into(),
                reply_domain: "charity.example".into(),
            },
            on,
        }
    }
}

impl Launch {
    /// The use cases' settings for this launch: the folders its template set and codebook
    /// are in, and its sender.
    fn settings(&self) -> Settings {
        let dir = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        Settings {
            templates_dir: dir(&self.templates),
            codebooks_dir: dir(&self.codebook),
            sender: Some(self.sender.clone()),
        }
    }
}

fn name_of(p: &Path) -> String {
    p.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Creates the round, adds the bodies and sends their requests through the file transport
/// into `outbox`, as an officer would (the same use cases the CLI calls), on the launch day.
pub async fn launch_round(store: &Store, l: &Launch, codes: &[String], outbox: &Path) -> Result<usize> {
    let settings = l.settings();
    let spec = NewRoundSpec {
        slug: l.slug.clone(),
        name: l.name.clone(),
        templates: name_of(&l.templates),
        codebook: Some(name_of(&l.codebook)),
        launch: Some(l.on),
    };
    rounds::create(store, &settings, &spec).await?;
    let actor = Actor::System("simulation".into());
    // The simulator launches to exactly the bodies it is given, current or not (the replies
    // it replays may come from bodies abolished since).
    let sel = rounds::Selection { codes: codes.to_vec(), any_date: true, ..Default::default() };
    rounds::add_bodies(store, &l.slug, &sel, l.on, &actor).await?;
    let q = sending::queue_requests(store, &settings, Some(&l.slug), l.on, &actor, false).await?;
    if let Some(b) = q.skipped.first() {
        return Err(Error::Round(format!("{} ({}) has no email address", b.name, b.code)));
    }
    send_outbox(store, &l.slug, outbox, l.on, actor).await
}

/// Chases the round's overdue requests once, on `today`.
pub async fn chase_round(store: &Store, l: &Launch, outbox: &Path, today: NaiveDate) -> Result<usize> {
    let actor = Actor::System("simulation".into());
    let chasers = sending::chasers(store, &l.settings(), Some(&l.slug), 1, 5, today).await?;
    sending::queue_chasers(store, &chasers, &actor, today).await?;
    send_outbox(store, &l.slug, outbox, today, actor).await
}

async fn send_outbox(store: &Store, slug: &str, outbox: &Path, today: NaiveDate, actor: Actor) -> Result<usize> {
    let mut transport = Transport::File(FileOutbox::new(outbox)?);
    let run = sending::Run { round: Some(slug.to_string()), pacing: Pacing::OFF, connections: 1, today, actor };
    let summary = sending::run_outbox(store, &mut transport, &mut NoSentFolder, &run, |_, _, _| {}).await?;
    if let Some(f) = summary.failed.first().or(summary.held.first()) {
        return Err(Error::Round(format!("{} {} to {} was not sent: {}", f.kind, f.reference, f.to, f.detail)));
    }
    Ok(summary.sent.len())
}

/// `n` made-up bodies (alternately ICBs and unitary councils), each with its own FOI
/// address on a reserved example domain: for benchmarks at sizes beyond the real lists.
pub fn synthetic_bodies(n: usize) -> Vec<registry::BodyRow> {
    let mut csv = String::from("code,name,kind,region,foi_email\n");
    for i in 1..=n {
        let kind = if i % 2 == 0 { "icb" } else { "unitary" };
        csv.push_str(&format!("S{i:06},Simulated Body {i},{kind},Region {},foi@body{i}.example\n", i % 9 + 1));
    }
    registry::read_bodies(csv.as_bytes(), None).rows
}
