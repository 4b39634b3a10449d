//! Launching a simulated round: a round to the given bodies, written from a template set and
//! a codebook and "sent" through the file transport (never SMTP), as the demo and the
//! benchmarks need before bodies can reply; and chasing its overdue requests the same way.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use foi_core::{Actor, Codebook, registry};
use foi_mailer::outbox::{self, NoSentFolder, SendOptions};
use foi_mailer::round::{self, Writer};
use foi_mailer::transport::FileOutbox;
use foi_mailer::{Pacing, Sender, TemplateSet, Transport};
use foi_store::{NewRound, Store};

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

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })
}

/// Creates the round for the bodies with these codes and sends every request through the
/// file transport into `outbox`. Returns how many were sent.
pub async fn launch_round(store: &Store, l: &Launch, codes: &[String], outbox: &Path) -> Result<usize> {
    let codebook_text = read(&l.codebook)?;
    let codebook =
        Codebook::from_toml(&codebook_text).map_err(|e| Error::Round(format!("{}: {e}", l.codebook.display())))?;
    let templates = TemplateSet::load(&l.templates)?;
    let set_name = l.templates.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let round = store
        .create_round(&NewRound {
            slug: l.slug.clone(),
            name: l.name.clone(),
            codebook_name: codebook.id.clone(),
            codebook: codebook_text,
            template_set: set_name,
            sender_name: l.sender.name.clone(),
            sender_email: l.sender.email.clone(),
            reply_domain: Some(l.sender.reply_domain.clone()),
            launch_date: Some(l.on),
        })
        .await?;
    let actor = Actor::System("simulation".into());
    round::add_bodies(store, &l.slug, codes, &actor).await?;
    let w = Writer { round: &round, templates: &templates, codebook: &codebook, sender: &l.sender, today: l.on };
    let prepared = round::prepare(store, &w, None).await?;
    if let Some(b) = prepared.no_address.first() {
        return Err(Error::Round(format!("{} ({}) has no email address", b.name, b.code)));
    }
    round::queue(store, &prepared.ready, &actor, l.on).await?;
    send_outbox(store, &l.slug, outbox, l.on, actor).await
}

/// Chases, on `today`, every request of the launched round that is overdue and still awaits
/// its body (one chaser each at most), through the file transport into `outbox`. Returns how
/// many chasers were sent.
pub async fn chase_round(store: &Store, l: &Launch, outbox: &Path, today: NaiveDate) -> Result<usize> {
    let codebook =
        Codebook::from_toml(&read(&l.codebook)?).map_err(|e| Error::Round(format!("{}: {e}", l.codebook.display())))?;
    let templates = TemplateSet::load(&l.templates)?;
    let round = store.round(&l.slug).await?;
    let w = Writer { round: &round, templates: &templates, codebook: &codebook, sender: &l.sender, today };
    let actor = Actor::System("simulation".into());
    for c in round::chasers(store, &w, 1, 5).await? {
        store.enqueue(c.request.id, &c.message, &actor, today).await?;
    }
    send_outbox(store, &l.slug, outbox, today, actor).await
}

/// Sends what the round has queued through the file transport into `outbox`.
async fn send_outbox(store: &Store, slug: &str, outbox: &Path, today: NaiveDate, actor: Actor) -> Result<usize> {
    let mut transport = Transport::File(FileOutbox::new(outbox)?);
    let opts = SendOptions {
        round: Some(slug.to_string()),
        pacing: Pacing::OFF,
        max_attempts: 1,
        retry_after: Duration::from_secs(60),
        today,
        connections: 1,
        actor,
    };
    let summary = outbox::send(store, &mut transport, &mut NoSentFolder, &opts, |_, _, _| {}).await?;
    transport.close().await;
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
