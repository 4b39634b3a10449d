//! Every state a request can be in, reached from the command line, and the event log that
//! says who made each move: a person (`--user`) or a `system:` component, never nobody. On
//! SQLite and PostgreSQL.

use foi_store::testing::each_backend_url;

use crate::util::{bodies_csv, foi, workspace};

/// The moves a person makes by hand after the request has gone, each to a state not yet
/// visited: with sending (draft, queued, sent) they cover every state of the lifecycle.
pub const BY_HAND: [&str; 11] = [
    "acknowledged",
    "clarification_requested",
    "clarification_provided",
    "answered_partial",
    "internal_review_requested",
    "internal_review_answered",
    "answered_full",
    "refused",
    "not_held",
    "delivery_failed",
    "withdrawn",
];

#[tokio::test]
async fn a_request_goes_through_every_state_from_the_cli_and_the_log_names_who_moved_it() {
    for (backend, url, db) in each_backend_url().await {
        let dir = workspace(None);
        let run = |args: &[&str]| foi(dir.path(), Some(&url), args);
        let csv = bodies_csv(dir.path(), 1, "lc");
        run(&["bodies", "import", &csv]).ok();
        run(&["round", "new", "cpc", "--name", "CPC", "--launch", "2026-11-02"]).ok();
        run(&["--user", "ann", "round", "add-bodies", "cpc", "--all-current"]).ok();
        let status = run(&["round", "status", "cpc", "--format", "json"]).ok().json();
        let reference = status[0]["reference"].as_str().unwrap().to_string();
        // Nothing un-sends a request: a draft cannot be marked sent by hand.
        let err = run(&["--user", "ann", "request", "move", &reference, "sent", "--reason", "posted"]).fails().stderr;
        assert!(err.contains("cannot move from draft to sent"), "{backend:?}: {err}");
        // Sending: draft -> queued -> sent, in the name of the officer who ran it.
        run(&["--user", "ann", "--today", "2026-11-02", "send", "--no-pacing"]).ok();
        // A move by hand needs a reason.
        let err =
            run(&["--user", "ann", "request", "move", &reference, "acknowledged", "--reason", " "]).fails().stderr;
        assert!(err.contains("a reason is required"), "{backend:?}: {err}");
        for (i, state) in BY_HAND.iter().enumerate() {
            let reason = format!("step {i}");
            let out = run(&[
                "--user",
                "ann",
                "--today",
                "2026-11-03",
                "request",
                "move",
                &reference,
                state,
                "--reason",
                &reason,
            ])
            .ok()
            .stdout;
            assert!(out.contains(&format!("-> {state}")), "{backend:?}: {out}");
        }
        // Nothing moves a request that went back to the outbox or to a draft, not even a person.
        for back in ["queued", "draft"] {
            let err = run(&["--user", "ann", "request", "move", &reference, back, "--reason", "oops"]).fails().stderr;
            assert!(err.contains(&format!("cannot move from withdrawn to {back}")), "{backend:?}: {err}");
        }

        let show = run(&["request", "show", &reference, "--json"]).ok().json();
        let events = show["events"].as_array().unwrap();
        let path: Vec<&str> = events.iter().map(|e| e["to"].as_str().unwrap()).collect();
        let mut want = vec!["draft", "queued", "sent"];
        want.extend(BY_HAND);
        assert_eq!(path, want, "{backend:?}");
        for e in events {
            let actor = &e["actor"];
            let named = match actor["kind"].as_str() {
                Some("person") => actor["name"] == "ann",
                Some("system") => actor["name"].as_str().is_some_and(|n| !n.is_empty()),
                _ => false,
            };
            assert!(named, "{backend:?}: an event without a person or system: {e}");
        }
        // Every move by hand is the person's, with the reason given.
        for (e, i) in events[3..].iter().zip(0..) {
            assert_eq!(
                (e["actor"]["kind"].as_str(), e["reason"].as_str()),
                (Some("person"), Some(format!("step {i}").as_str()))
            );
        }
        // The move to sent is the send itself (its reason is the transport's reply).
        assert!(events[2]["reason"].as_str().is_some_and(|r| r.starts_with("sent")), "{backend:?}: {}", events[2]);
        assert!(events[2]["message_id"].is_number(), "{backend:?}: the send names its message: {}", events[2]);
        db.remove().await;
    }
}
