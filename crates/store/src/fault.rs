//! Fault injection for the crash tests of sending and ingest: `FOI_FAULT_INJECT=POINT:N`
//! aborts the process (as a kill would) the Nth time it reaches POINT: `before_smtp`,
//! `after_smtp`, `before_commit` (sending), `ingest_before_store`, `ingest_after_store`
//! (ingest). Unset, it does nothing.
//!
//! Compiled in only with the cargo feature `fault-injection`, which the tests enable (the
//! root package's dev-dependency on foi-store turns it on for the `foi` binary that
//! `cargo test` builds) and release builds never do: without it [`point`] is empty and the
//! variable is never read.

/// Marks a point in sending or ingest where a crash is tested.
#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static PLAN: OnceLock<Option<(String, usize)>> = OnceLock::new();
    static HITS: AtomicUsize = AtomicUsize::new(0);

    let plan = PLAN.get_or_init(|| {
        let v = std::env::var("FOI_FAULT_INJECT").ok()?;
        let (p, n) = v.split_once(':')?;
        Some((p.to_string(), n.parse().ok()?))
    });
    if let Some((p, n)) = plan
        && p == name
        && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *n
    {
        eprintln!("fault injection: aborting at {name} (hit {n})");
        std::process::abort();
    }
}

/// Marks a point in sending or ingest where a crash is tested: nothing, without the feature
/// `fault-injection`.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}
