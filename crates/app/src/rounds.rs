//! Rounds: creating one (its template set and codebook fixed then), adding bodies to it,
//! and what an officer checks before a launch (the counts by state and the bodies that have
//! no address). A round's [`Kit`] is what its mail is written with.

use std::path::PathBuf;

use chrono::NaiveDate;
use foi_core::{Actor, Body, BodyKind, Codebook, Named, RequestState, Round};
use foi_mailer::round::Writer;
use foi_mailer::{Sender, TemplateSet};
use foi_store::{BodyFilter, NewRound, Store};

use crate::{Error, Result};

/// Where a round's templates and codebooks are, and who requests come from by default: read
/// from the configuration by the CLI and the web server, given by the demo and the simulator.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The folder of template sets (`templates`).
    pub templates_dir: PathBuf,
    /// The folder of codebooks (`data/codebooks`).
    pub codebooks_dir: PathBuf,
    /// The charity's sender identity (`[sender]`); a new round takes it.
    pub sender: Option<Sender>,
}

impl Settings {
    fn sender(&self) -> Result<&Sender> {
        self.sender.as_ref().ok_or_else(|| Error::Invalid("no sender: set [sender] name and email in foi.toml".into()))
    }
}

/// The templates, codebook and sender of a round, ready to write mail.
pub struct Kit {
    pub round: Round,
    pub templates: TemplateSet,
    pub codebook: Codebook,
    pub sender: Sender,
}

impl Kit {
    /// The kit of round `slug`: its stored codebook, its template set from the templates
    /// folder, and the sender it was created with (the reply address's local part and, for a
    /// round stored without one, its domain from `settings`).
    pub async fn load(store: &Store, settings: &Settings, slug: &str) -> Result<Kit> {
        let round = store.round(slug).await?;
        Self::of(round, settings)
    }

    /// The kit of a round already read.
    pub fn of(round: Round, settings: &Settings) -> Result<Kit> {
        let templates = TemplateSet::load(&settings.templates_dir.join(&round.template_set))?;
        let codebook = Codebook::from_toml(&round.codebook)
            .map_err(|e| Error::Invalid(format!("the codebook stored with round {}: {e}", round.slug)))?;
        let configured = settings.sender.as_ref();
        let sender = Sender {
            name: round.sender_name.clone(),
            email: round.sender_email.clone(),
            reply_local: configured.map(|s| s.reply_local.clone()).unwrap_or_else(|| "foi".into()),
            reply_domain: round
                .reply_domain
                .clone()
                .or_else(|| configured.map(|s| s.reply_domain.clone()))
                .unwrap_or_default(),
        };
        Ok(Kit { round, templates, codebook, sender })
    }

    pub fn writer(&self, today: NaiveDate) -> Writer<'_> {
        Writer { round: &self.round, templates: &self.templates, codebook: &self.codebook, sender: &self.sender, today }
    }
}

/// A new round as an officer describes it.
#[derive(Debug, Clone)]
pub struct NewRoundSpec {
    pub slug: String,
    pub name: String,
    /// The template set: a folder under the templates folder.
    pub templates: String,
    /// The codebook (a file under the codebooks folder, without `.toml`); None: the template
    /// set's own.
    pub codebook: Option<String>,
    pub launch: Option<NaiveDate>,
}

/// Creates a round: its template set must load, its codebook must read; both are fixed from
/// now on (the codebook's text is stored with the round).
pub async fn create(store: &Store, settings: &Settings, spec: &NewRoundSpec) -> Result<(Round, Codebook)> {
    let set = TemplateSet::load(&settings.templates_dir.join(&spec.templates))?;
    let codebook_name = spec.codebook.clone().unwrap_or_else(|| set.codebook().to_string());
    let path = settings.codebooks_dir.join(format!("{codebook_name}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let codebook = Codebook::from_toml(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    let sender = settings.sender()?;
    let round = store
        .create_round(&NewRound {
            slug: spec.slug.clone(),
            name: spec.name.clone(),
            codebook_name,
            codebook: text,
            template_set: spec.templates.clone(),
            sender_name: sender.name.clone(),
            sender_email: sender.email.clone(),
            reply_domain: Some(sender.reply_domain.clone()),
            launch_date: spec.launch,
        })
        .await?;
    Ok((round, codebook))
}

/// Which bodies to add to a round. Only bodies that exist on the round's launch day (or
/// today, for a round without one) are ever added.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Every current body (the other fields narrow it).
    pub all_current: bool,
    pub kinds: Vec<BodyKind>,
    pub region: Option<String>,
    /// These codes: each must be a current body.
    pub codes: Vec<String>,
    /// Take the codes whether or not the bodies exist on the launch day (a simulation or an
    /// evaluation replaying replies from bodies since abolished); never for a real round.
    pub any_date: bool,
}

/// What adding bodies did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// Bodies added as draft requests.
    pub added: usize,
    /// Bodies chosen that were in the round already.
    pub already: usize,
}

/// Adds the chosen bodies to round `slug` as draft requests, each with a fresh reference.
pub async fn add_bodies(store: &Store, slug: &str, sel: &Selection, today: NaiveDate, actor: &Actor) -> Result<Added> {
    let round = store.round(slug).await?;
    if !sel.all_current && sel.kinds.is_empty() && sel.region.is_none() && sel.codes.is_empty() {
        return Err(Error::Invalid("say which bodies: every current body, a kind, a region or codes".into()));
    }
    let filter = BodyFilter {
        kinds: sel.kinds.clone(),
        region: sel.region.clone(),
        current_on: (!sel.any_date).then(|| round.launch_date.unwrap_or(today)),
        codes: (!sel.codes.is_empty()).then(|| sel.codes.clone()),
        ..Default::default()
    };
    let bodies = store.list_bodies(&filter).await?;
    for c in &sel.codes {
        if !bodies.iter().any(|b| b.code.eq_ignore_ascii_case(c)) {
            return Err(Error::Invalid(format!("no current body with code {c}")));
        }
    }
    let codes: Vec<String> = bodies.iter().map(|b| b.code.clone()).collect();
    let added = foi_mailer::round::add_bodies(store, slug, &codes, actor).await?;
    Ok(Added { added, already: codes.len() - added })
}

/// A round as an officer checks it before and after a launch.
#[derive(Debug, Clone)]
pub struct Summary {
    pub round: Round,
    pub requests: usize,
    /// Requests by state, in the lifecycle's order, states with none left out.
    pub by_state: Vec<(RequestState, usize)>,
    /// Bodies whose request has not gone and that have no FOI address: skipped at sending.
    pub missing_email: Vec<Body>,
}

pub async fn summary(store: &Store, slug: &str) -> Result<Summary> {
    let round = store.round(slug).await?;
    let reqs = store.requests(slug).await?;
    let by_state = RequestState::ALL
        .iter()
        .map(|s| (*s, reqs.iter().filter(|q| q.state == *s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let missing_email =
        reqs.iter().filter(|q| q.body.foi_email.is_none() && !q.state.was_sent()).map(|q| q.body.clone()).collect();
    Ok(Summary { round, requests: reqs.len(), by_state, missing_email })
}

/// The round named, or the most recent one (by launch date).
pub async fn pick(store: &Store, slug: Option<&str>) -> Result<Round> {
    Ok(match slug {
        Some(slug) => store.round(slug).await?,
        None => store
            .rounds()
            .await?
            .into_iter()
            .max_by_key(|r| (r.launch_date, r.id))
            .ok_or_else(|| Error::Invalid("no round yet: create one with foi round new".into()))?,
    })
}

/// The round a request belongs to.
pub async fn of_request(store: &Store, r: &foi_core::Request) -> Result<Round> {
    store
        .rounds()
        .await?
        .into_iter()
        .find(|x| x.id == r.round_id)
        .ok_or_else(|| Error::Invalid(format!("request {} has no round", r.reference)))
}
