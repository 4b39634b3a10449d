//! Pacing: a global rate and a per-recipient-domain rate, so that a round of 200 requests
//! does not arrive as a burst (many NHS bodies share one mail domain, and bursts get flagged).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// How fast to send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Messages per minute overall; None: no limit.
    pub per_minute: Option<f64>,
    /// Messages per minute to any one recipient domain; None: no limit.
    pub per_domain_per_minute: Option<f64>,
}

impl Pacing {
    /// The polite defaults: 30 a minute overall, 6 a minute to one domain.
    pub const POLITE: Pacing = Pacing { per_minute: Some(30.0), per_domain_per_minute: Some(6.0) };
    /// No pacing (benchmarks, tests).
    pub const OFF: Pacing = Pacing { per_minute: None, per_domain_per_minute: None };
}

fn interval(per_minute: Option<f64>) -> Option<Duration> {
    per_minute.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(60.0 / r))
}

/// Spaces sends according to a [`Pacing`].
pub struct Pacer {
    global: Option<Duration>,
    domain: Option<Duration>,
    last: Option<Instant>,
    last_by_domain: HashMap<String, Instant>,
}

impl Pacer {
    pub fn new(p: Pacing) -> Pacer {
        Pacer {
            global: interval(p.per_minute),
            domain: interval(p.per_domain_per_minute),
            last: None,
            last_by_domain: HashMap::new(),
        }
    }

    /// How long to wait before the next send to `domain`, were it now.
    pub fn delay(&self, domain: &str, now: Instant) -> Duration {
        let after = |last: Option<&Instant>, gap: Option<Duration>| match (last, gap) {
            (Some(l), Some(g)) => (*l + g).saturating_duration_since(now),
            _ => Duration::ZERO,
        };
        after(self.last.as_ref(), self.global)
            .max(after(self.last_by_domain.get(&domain.to_ascii_lowercase()), self.domain))
    }

    /// Waits until a send to `domain` is allowed, and records it.
    pub async fn wait(&mut self, domain: &str) {
        let d = self.delay(domain, Instant::now());
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        let now = Instant::now();
        self.last = Some(now);
        if self.domain.is_some() {
            self.last_by_domain.insert(domain.to_ascii_lowercase(), now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_domain_waits_longer_than_the_global_gap() {
        let mut p = Pacer::new(Pacing { per_minute: Some(60.0), per_domain_per_minute: Some(6.0) });
        let t0 = Instant::now();
        p.last = Some(t0);
        p.last_by_domain.insert("nhs.net".into(), t0);
        assert_eq!(p.delay("nhs.net", t0), Duration::from_secs(10));
        assert_eq!(p.delay("council.gov.uk", t0), Duration::from_secs(1));
        assert_eq!(Pacer::new(Pacing::OFF).delay("x", t0), Duration::ZERO);
    }
}
