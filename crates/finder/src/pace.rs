//! Turns per host: one request at a time to a host, each starting at least the host's
//! interval after the previous one ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

/// The hosts' turns, shared by every site of one search.
#[derive(Default)]
pub(crate) struct Pacer {
    /// Per host: when its last request ended (None before the first).
    hosts: Mutex<HashMap<String, Arc<AsyncMutex<Option<Instant>>>>>,
}

/// A host's turn: held while a request (and its body) is read; its end is noted on drop.
pub(crate) struct Turn {
    last: OwnedMutexGuard<Option<Instant>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        *self.last = Some(Instant::now());
    }
}

impl Pacer {
    /// Waits for `host`'s turn: until no other request to it is running and `interval` has
    /// passed since the last one ended.
    pub(crate) async fn turn(&self, host: &str, interval: Duration) -> Turn {
        let slot = {
            let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
            hosts.entry(host.to_string()).or_default().clone()
        };
        let last = slot.lock_owned().await;
        if let Some(ended) = *last {
            tokio::time::sleep_until(ended + interval).await;
        }
        Turn { last }
    }
}

/// The key a host's turns are kept under: lowercase, without a leading `www.` (the two
/// names are almost always one server).
pub(crate) fn host_key(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.strip_prefix("www.") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_host_waits_its_interval_after_the_last_request_ended() {
        let pacer = Pacer::default();
        let interval = Duration::from_millis(50);
        let start = Instant::now();
        drop(pacer.turn("a.example", interval).await);
        drop(pacer.turn("www.b.example", interval).await);
        assert!(start.elapsed() < interval, "different hosts do not wait for each other");
        drop(pacer.turn("a.example", interval).await);
        assert!(start.elapsed() >= interval);
        drop(pacer.turn("b.example", interval).await);
        assert!(start.elapsed() >= interval);
    }

    #[test]
    fn www_is_the_same_host() {
        assert_eq!(host_key("WWW.Kent.gov.uk"), "kent.gov.uk");
        assert_eq!(host_key("kent.gov.uk"), "kent.gov.uk");
        assert_eq!(host_key("www."), "www.");
        assert_eq!(host_key("127.0.0.1"), "127.0.0.1");
    }
}
