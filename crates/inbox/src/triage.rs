//! Triage by hand: assigning a message nothing matched to its request (learning the body's
//! case reference from its subject and moving the request as the message's class says), as
//! `foi triage assign` and the web UI do it.

use chrono::NaiveDate;
use foi_core::{MessageClass, Named, RequestState};
use foi_store::{MessageFilter, Store};

use crate::Result;

/// What assigning a message did.
#[derive(Debug, Clone, Default)]
pub struct Assigned {
    /// Case references learned for the request (later replies quoting them match it).
    pub learned: Vec<String>,
    /// The request's new state, when the message moved it.
    pub moved_to: Option<RequestState>,
}

/// Assigns incoming message `message` to the request with this reference.
pub async fn assign(store: &Store, message: i64, reference: &str, today: NaiveDate) -> Result<Assigned> {
    let r = store.request(reference).await?;
    let found = store.incoming_messages(&MessageFilter { ids: Some(vec![message]), ..Default::default() }).await?;
    let m = found
        .into_iter()
        .next()
        .ok_or_else(|| foi_store::Error::NotFound { what: "incoming message", key: message.to_string() })?;
    store.assign_message(message, r.id, "manual", 1.0).await?;
    let mut out = Assigned::default();
    for cr in crate::matching::case_references(m.subject.as_deref().unwrap_or("")) {
        store.learn_case_reference(r.id, &cr, Some(message)).await?;
        out.learned.push(cr);
    }
    if let Some(class) = MessageClass::from_name(&m.class) {
        let permanent = m.bounce.as_ref().is_none_or(|b| b.permanent);
        if let Some(to) = crate::ingest::state_for(class, permanent) {
            let on = m.date.map(|d| d.date_naive()).unwrap_or(today);
            out.moved_to = store.apply_reply(r.id, to, &m.exemptions, message, on, "assigned from triage").await?;
        }
    }
    Ok(out)
}
