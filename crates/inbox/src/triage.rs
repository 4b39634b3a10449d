//! Triage by hand: assigning a message nothing matched to its request (learning the body's
//! case reference from its subject and the sender's address, and moving the request as the
//! message's class says, in the person's name), and setting a message's class, as
//! `foi triage assign`, `foi messages set-class` and the web UI do it. Each is one
//! transaction: the message, what is learned and the request's move land together or not at
//! all.

use chrono::NaiveDate;
use foi_core::{Actor, MessageClass, Named, RequestState};
use foi_store::{MessageFilter, Store};

use crate::Result;

/// What assigning a message did.
#[derive(Debug, Clone, Default)]
pub struct Assigned {
    /// Case references learned for the request (later replies quoting them match it).
    pub learned: Vec<String>,
    /// The sender's address, learned for the request's body (later replies from it match
    /// the body's open request, even on a shared domain).
    pub learned_sender: Option<String>,
    /// The request's new state, when the message moved it.
    pub moved_to: Option<RequestState>,
}

/// Assigns incoming message `message` to the request with this reference (written in any
/// case, with spaces or hyphens), in the name of `by`.
pub async fn assign(store: &Store, message: i64, reference: &str, today: NaiveDate, by: &Actor) -> Result<Assigned> {
    let reference = foi_core::reference::normalise(reference.trim()).unwrap_or_else(|| reference.trim().to_string());
    let r = store.request(&reference).await?;
    let found = store.incoming_messages(&MessageFilter { ids: Some(vec![message]), ..Default::default() }).await?;
    let m = found
        .into_iter()
        .next()
        .ok_or_else(|| foi_store::Error::NotFound { what: "incoming message", key: message.to_string() })?;
    let batch = store.batch().await?;
    batch.assign_message(message, r.id, "manual", 1.0).await?;
    let mut out = Assigned::default();
    let class = MessageClass::from_name(&m.class);
    // A bounce comes from a mail system: neither its subject nor its sender is the body's.
    if class != Some(MessageClass::Bounce) {
        for cr in crate::matching::case_references(m.subject.as_deref().unwrap_or("")) {
            batch.learn_case_reference(r.id, &cr, Some(message)).await?;
            out.learned.push(cr);
        }
        if let Some(from) = m.from.as_deref()
            && batch.learn_sender_address(from, r.id, Some(message), by).await?
        {
            out.learned_sender = Some(from.to_ascii_lowercase());
        }
    }
    if let Some(class) = class {
        let permanent = m.bounce.as_ref().is_none_or(|b| b.permanent);
        if let Some(to) = crate::ingest::state_for(class, permanent) {
            let on = m.date.map(|d| d.date_naive()).unwrap_or(today);
            out.moved_to = reply_move(&batch, r.id, to, &m.exemptions, message, on, "assigned from triage", by).await?;
        }
    }
    batch.commit().await?;
    Ok(out)
}

/// What setting a message's class by hand did.
#[derive(Debug, Clone, Default)]
pub struct Classified {
    /// The matched request's reference.
    pub request: Option<String>,
    /// The request's new state, when the class moved it.
    pub moved_to: Option<RequestState>,
}

/// A person sets a message's class (taking it off the needs-review queue); a matched request
/// moves as the class says, in that person's name, if the lifecycle allows it.
pub async fn set_class(
    store: &Store,
    message: i64,
    class: MessageClass,
    reason: &str,
    by: &Actor,
    today: NaiveDate,
) -> Result<Classified> {
    let found = store.incoming_messages(&MessageFilter { ids: Some(vec![message]), ..Default::default() }).await?;
    let Some(m) = found.into_iter().next() else {
        return Err(foi_store::Error::NotFound { what: "incoming message", key: message.to_string() }.into());
    };
    let request = match &m.request {
        Some(reference) => Some(store.request(reference).await?),
        None => None,
    };
    let batch = store.batch().await?;
    batch.set_message_class(message, class, reason, by).await?;
    let mut out = Classified { request: m.request.clone(), moved_to: None };
    if let Some(r) = &request
        && let Some(to) = crate::ingest::state_for(class, m.bounce.as_ref().is_none_or(|b| b.permanent))
    {
        let on = m.date.map(|d| d.date_naive()).unwrap_or(today).min(today);
        let why = format!("class set by hand: {reason}");
        out.moved_to = reply_move(&batch, r.id, to, &m.exemptions, message, on, &why, by).await?;
    }
    batch.commit().await?;
    Ok(out)
}

/// Moves a request as a message says, within `batch`, if the lifecycle allows it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn reply_move(
    batch: &foi_store::Batch<'_>,
    request_id: i32,
    to: RequestState,
    exemptions: &[String],
    message_id: i64,
    on: NaiveDate,
    why: &str,
    by: &Actor,
) -> Result<Option<RequestState>> {
    let m = foi_store::ReplyMove {
        request_id,
        to,
        exemptions: exemptions.to_vec(),
        message_id,
        on,
        why: why.to_string(),
        by: by.clone(),
    };
    Ok(batch.apply_replies(std::slice::from_ref(&m)).await?.into_iter().next().flatten())
}
