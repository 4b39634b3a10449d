//! A request's state changed by hand: by a person, with a reason, the way the CLI's
//! `foi request move` and the web's state form both do it. The lifecycle (foi-core) decides
//! what is allowed; the store writes the state and its event, naming the person, in one
//! transaction.

use chrono::NaiveDate;
use foi_core::{Actor, RequestState};
use foi_store::Store;

use crate::{Error, Result};

/// Moves request `reference` to `to` in `by`'s name; returns the state it left.
pub async fn move_by_hand(
    store: &Store,
    reference: &str,
    to: RequestState,
    reason: &str,
    by: &Actor,
    today: NaiveDate,
) -> Result<RequestState> {
    if !by.is_person() {
        return Err(Error::Invalid("only a person moves a request by hand".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("a reason is required when a person changes a request's state".into()));
    }
    let r = store.request(reference).await?;
    store.move_request(r.id, to, by, Some(reason), today, None).await?;
    Ok(r.state)
}
