//! Pulling mail from IMAP folders into the store: each folder's new messages since the last
//! UID remembered (a changed UIDVALIDITY reads the folder again; deduplication keeps that from
//! adding anything twice), progress saved after every chunk; and watching, which stays
//! connected and waits in IDLE for new mail, reconnecting with backoff when the server fails.

use std::time::Duration;

use foi_imap::{Idle, ImapSettings, Session};

use crate::ingest::{Ingestor, Item, Outcome};
use crate::{Error, Result};

/// Messages fetched (and ingested, and remembered) at a time.
const CHUNK: usize = 50;

/// How `watch` behaves.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    /// Longest wait in IDLE before checking again (RFC 2177: under 29 minutes).
    pub idle: Duration,
    /// How often to check a server that does not offer IDLE.
    pub poll: Duration,
    /// First wait after a failure; doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Watch {
    fn default() -> Watch {
        Watch {
            idle: Duration::from_secs(25 * 60),
            poll: Duration::from_secs(30),
            backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Ingests every folder's new messages over an open session.
pub async fn sync_folders(ing: &Ingestor<'_>, session: &mut Session, folders: &[String]) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for folder in folders {
        let remembered = ing.store.folder_state(folder).await?;
        let mut after = remembered.map(|(_, last)| last).unwrap_or(0);
        let (mut uidvalidity, mut uids) = session.uids_after(folder, after).await?;
        // A changed UIDVALIDITY means the UIDs were renumbered: read the whole folder again.
        if remembered.is_some_and(|(v, _)| v != uidvalidity) && after > 0 {
            after = 0;
            (uidvalidity, uids) = session.uids_after(folder, 0).await?;
        }
        let mut last = after;
        for chunk in uids.chunks(CHUNK) {
            let fetched = session.fetch_raw(folder, chunk).await?;
            let items: Vec<Item> = fetched
                .into_iter()
                .map(|(uid, raw)| {
                    last = last.max(uid);
                    Item { raw, source: format!("imap:{folder}"), location: Some((folder.clone(), uidvalidity, uid)) }
                })
                .collect();
            outcomes.extend(ing.ingest_all(items, |_| {}).await?);
            // Remember progress only once the chunk is stored: a sync stopped mid-way resumes here.
            ing.store.set_folder_state(folder, uidvalidity, last).await?;
        }
        ing.store.set_folder_state(folder, uidvalidity, last).await?;
    }
    Ok(outcomes)
}

/// Connects, ingests every folder's new messages, logs out.
pub async fn sync(ing: &Ingestor<'_>, settings: &ImapSettings, folders: &[String]) -> Result<Vec<Outcome>> {
    let mut session = Session::connect(settings).await?;
    let outcomes = sync_folders(ing, &mut session, folders).await?;
    let _ = session.logout().await;
    Ok(outcomes)
}

/// Syncs, then waits for new mail in IDLE on the first folder (or polls a server without
/// IDLE) and syncs again, forever; hands each sync's outcomes to `report`. A failure (server
/// down, connection lost) is reported through `failed` with the wait before the next attempt,
/// which grows from `backoff` to `max_backoff`; the watch never gives up. Returns only on an
/// error of the store.
pub async fn watch(
    ing: &Ingestor<'_>,
    settings: &ImapSettings,
    folders: &[String],
    w: Watch,
    mut report: impl FnMut(&[Outcome]),
    mut failed: impl FnMut(&Error, Duration),
) -> Result<()> {
    let mut backoff = w.backoff;
    let first = folders.first().cloned().unwrap_or_else(|| "INBOX".into());
    loop {
        let run = async {
            let mut session = Session::connect(settings).await?;
            loop {
                let outcomes = sync_folders(ing, &mut session, folders).await?;
                report(&outcomes);
                backoff = w.backoff;
                match session.idle(&first, w.idle).await {
                    Ok(Idle::NewMail | Idle::Quiet) => {}
                    Err(foi_imap::Error::Unsupported { .. }) => tokio::time::sleep(w.poll).await,
                    Err(e) => return Err(Error::from(e)),
                }
            }
        };
        let e: Error = match run.await {
            Ok(()) => continue,
            Err(e) => e,
        };
        if matches!(e, Error::Store(_)) {
            return Err(e);
        }
        failed(&e, backoff);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(w.max_backoff);
    }
}
