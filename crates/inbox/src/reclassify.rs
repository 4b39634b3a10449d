//! Reapplying the rules to messages already stored (`foi inbox reclassify`): after an analyst
//! extends `data/inbox-rules.toml`, every message whose class the rules set is read again
//! (from its raw bytes, with its attachments' stored text) and its class, confidence and
//! exemptions updated. A class a person set is never touched. A reply that now reads as a
//! class that moves its request moves it, as on ingest (only the moves the inbox itself may
//! make: a move backwards is not made, and such requests are listed for a person to check),
//! in the name of the person who ran it. Each message's new class and its request's move are
//! one transaction.

use chrono::{NaiveDate, Utc};
use foi_core::{Actor, MessageClass, Named, RequestState};
use foi_store::{MessageFilter, RuleClass, Store};
use serde::Serialize;

use crate::Result;
use crate::classify::{Classifier, Input};
use crate::ingest::{echo_of, state_for};

/// One message whose class changed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub confidence: f64,
    pub needs_review: bool,
    /// The matched request's reference.
    pub request: Option<String>,
    /// The request's new state, when the new class moved it.
    pub moved_to: Option<RequestState>,
    /// The new class would move the request, but the lifecycle did not allow it from where
    /// the request stands (a person should check it).
    pub check_request: bool,
}

/// What a reclassification did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reclassified {
    /// Messages read again.
    pub checked: usize,
    /// Messages left alone because a person set their class.
    pub set_by_person: usize,
    pub changed: Vec<Change>,
}

/// Reads every incoming message (of one round, by slug) again with `classifier`; moves are
/// logged in the name of `by` (the person who asked).
pub async fn reclassify(
    store: &Store,
    classifier: &Classifier,
    round: Option<&str>,
    today: NaiveDate,
    by: &Actor,
) -> Result<Reclassified> {
    let echo = echo_of(store).await?;
    let filter = MessageFilter { round: round.map(str::to_string), ..Default::default() };
    let messages = store.incoming_messages(&filter).await?;
    let mut out = Reclassified::default();
    for m in messages {
        if m.class_set_by.as_deref().is_some_and(|b| Actor::from_stored(b).is_person()) {
            out.set_by_person += 1;
            continue;
        }
        out.checked += 1;
        let raw = store.message_raw(m.id).await?;
        let p = crate::parse::parse(&raw);
        let (_, attachments) = store.message_texts(m.id).await?;
        let attachment_text: String =
            attachments.iter().filter_map(|(_, t)| t.as_deref()).flat_map(|t| [t, "\n"]).collect();
        let c = classifier.classify(&Input::of(&p, &attachment_text, attachments.len(), &echo));
        let class = c.class.name().to_string();
        let same = class == m.class
            && m.class_confidence.is_some_and(|x| (x - c.confidence).abs() < 0.005)
            && m.needs_review == c.needs_review
            && m.exemptions == c.exemptions;
        if same {
            continue;
        }
        let evidence = match c.guess {
            Some(g) => format!("unsure: perhaps {} ({:.2}): {}", g.name(), c.confidence, c.evidence),
            None => c.evidence.clone(),
        };
        let rule = RuleClass {
            class: class.clone(),
            evidence,
            confidence: c.confidence,
            needs_review: c.needs_review,
            exemptions: c.exemptions.clone(),
            bounce_address: c.bounce.as_ref().and_then(|b| b.address.clone()),
            bounce_permanent: c.bounce.as_ref().map(|b| b.permanent),
        };
        let request = match (&m.request, c.class != MessageClass::Unknown) {
            (Some(reference), true) => Some(store.request(reference).await?),
            _ => None,
        };
        let batch = store.batch().await?;
        if !batch.set_rule_class(m.id, &rule).await? {
            // A person set the class meanwhile.
            out.set_by_person += 1;
            continue;
        }
        let mut change = Change {
            id: m.id,
            from: m.class.clone(),
            to: class,
            confidence: c.confidence,
            needs_review: c.needs_review,
            request: m.request.clone(),
            moved_to: None,
            check_request: false,
        };
        if let Some(r) = &request
            && let Some(to) = state_for(c.class, c.bounce.as_ref().is_some_and(|b| b.permanent))
        {
            // Only the moves the inbox makes on its own: a person's power to correct a state
            // is not the rules'.
            if r.state != to && r.state.can_move_to(to) {
                let on = p.date.unwrap_or_else(Utc::now).date_naive().min(today);
                let why = format!(
                    "reclassified by the rules as {} ({})",
                    c.class.name(),
                    c.evidence.chars().take(120).collect::<String>()
                );
                change.moved_to =
                    crate::triage::reply_move(&batch, r.id, to, &c.exemptions, m.id, on, &why, by).await?;
            }
            change.check_request = change.moved_to.is_none() && r.state != to;
        }
        batch.commit().await?;
        out.changed.push(change);
    }
    Ok(out)
}
