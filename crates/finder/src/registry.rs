//! The finder as `foi bodies find-emails` uses it: which bodies of the registry to visit, and
//! recording the address an officer accepts, with the page it was read on as its source.
//! An accepted address never replaces one already held (a different one is reported, for a
//! person to decide), and only a candidate tied to FOI ([`Finding::foi_address`]) is ever
//! accepted.

use chrono::NaiveDate;
use foi_core::{Body, Confidence};
use foi_store::{BodyFilter, BodyUpdate, Store};
use serde::Serialize;

use crate::{Candidate, Finding, Result, Site};

/// Which bodies to visit.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// Only bodies without an FOI address.
    pub missing_email: bool,
    /// Only these codes (any body, current or not); else every body current on `today`.
    pub codes: Vec<String>,
    pub today: Option<NaiveDate>,
}

/// The sites to visit, and the bodies chosen that have no website to visit.
pub async fn sites(store: &Store, choice: &Choice) -> Result<(Vec<Site>, Vec<Body>)> {
    let filter = BodyFilter {
        missing_email: choice.missing_email,
        current_on: if choice.codes.is_empty() { choice.today } else { None },
        codes: (!choice.codes.is_empty()).then(|| choice.codes.clone()),
        ..Default::default()
    };
    let bodies = store.list_bodies(&filter).await?;
    let mut sites = Vec::new();
    let mut without = Vec::new();
    for b in bodies {
        match b.website.clone().filter(|w| !w.trim().is_empty()) {
            Some(website) => sites.push(Site { code: b.code.clone(), name: b.name.clone(), website }),
            None => without.push(b),
        }
    }
    Ok((sites, without))
}

/// What `--accept` did for one body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Accepted {
    /// The address was recorded, with its page as its source.
    Recorded { code: String, address: String, page: String },
    /// The body already has this address: its source is left as it was.
    AlreadyHeld { code: String, address: String },
    /// The body has another address: nothing changed; a person decides.
    Differs { code: String, held: String, found: String },
    /// Nothing tied to FOI was found: nothing to accept.
    NothingToAccept { code: String },
}

/// The confidence an address read by the finder is recorded with: `medium`, since no person
/// has read the page yet (a person who has raises it with `foi bodies set --confidence high`).
pub const ACCEPTED_CONFIDENCE: Confidence = Confidence::Medium;

/// The note recorded with an accepted address: how it was found and the sentence around it.
fn note(c: &Candidate) -> String {
    let how = if c.from_mailto { "a mailto link" } else { "the page's text" };
    format!("found by foi bodies find-emails in {how} (score {}): {}", c.score, c.sentence)
}

/// Records each finding's FOI address on its body, where the body has none, naming `by`.
pub async fn accept(store: &Store, findings: &[Finding], by: &str) -> Result<Vec<Accepted>> {
    let mut out = Vec::new();
    for f in findings {
        let Some(c) = f.foi_address() else {
            out.push(Accepted::NothingToAccept { code: f.code.clone() });
            continue;
        };
        let body = store.body(&f.code).await?;
        match body.foi_email.as_deref() {
            Some(held) if held.eq_ignore_ascii_case(&c.address) => {
                out.push(Accepted::AlreadyHeld { code: f.code.clone(), address: held.to_string() })
            }
            Some(held) => {
                out.push(Accepted::Differs { code: f.code.clone(), held: held.to_string(), found: c.address.clone() })
            }
            None => {
                let update = BodyUpdate {
                    foi_email: Some(c.address.clone()),
                    email_source: Some(c.page.clone()),
                    email_confidence: Some(ACCEPTED_CONFIDENCE),
                    email_note: Some(note(c)),
                    ..Default::default()
                };
                store.update_body(&body.code, &update, "foi bodies find-emails --accept", Some(by)).await?;
                out.push(Accepted::Recorded { code: f.code.clone(), address: c.address.clone(), page: c.page.clone() });
            }
        }
    }
    Ok(out)
}
