//! A request moved through every state it can reach after sending, from the web's state form,
//! by an officer; the event log names the officer for each move and a `system:` component for
//! the rest; a move the lifecycle refuses changes nothing. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

mod fixture;

use axum::http::StatusCode;
use fixture::client::Client;
use foi_core::{Actor, RequestState};
use foi_store::testing::each_backend;

const BY_HAND: [&str; 11] = [
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_moves_a_request_through_every_state_and_the_log_names_them() {
    each_backend(|store| async move {
        let fx = fixture::build(&store).await;
        let router = foi_web::router(foi_web::App::new(store.clone()).unwrap());
        let olu = Client::sign_in(&router, "olu").await;
        let reference = fx.triage_for.clone();
        let r = store.request(&reference).await.unwrap();
        assert_eq!(r.state, RequestState::Sent);
        let page = format!("/requests/{reference}");
        for (i, state) in BY_HAND.iter().enumerate() {
            let csrf = olu.csrf(&page).await;
            let got = olu.post(&format!("{page}/state"), &format!("csrf={csrf}&state={state}&reason=step+{i}")).await;
            assert_eq!(got.status, StatusCode::SEE_OTHER, "{state}: {}", got.text());
            assert_eq!(store.request(&reference).await.unwrap().state.to_string(), *state);
        }
        // Refused: back to the outbox, and a move without a reason.
        let csrf = olu.csrf(&page).await;
        let got = olu.post(&format!("{page}/state"), &format!("csrf={csrf}&state=queued&reason=again")).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.text());
        let got = olu.post(&format!("{page}/state"), &format!("csrf={csrf}&state=sent&reason=+")).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.text());
        assert_eq!(store.request(&reference).await.unwrap().state, RequestState::Withdrawn);

        let events = store.request_events(r.id).await.unwrap();
        let path: Vec<String> = events.iter().map(|e| e.to.to_string()).collect();
        assert_eq!(path[..3], ["draft", "queued", "sent"], "{path:?}");
        assert_eq!(path[3..], BY_HAND, "{path:?}");
        for e in &events {
            match &e.actor {
                Actor::Person(n) => assert!(!n.is_empty()),
                Actor::System(n) => assert!(!n.is_empty(), "{e:?}"),
            }
        }
        for (e, i) in events[3..].iter().zip(0..) {
            assert_eq!(e.actor, Actor::Person("olu".into()));
            assert_eq!(e.reason.as_deref(), Some(format!("step {i}").as_str()));
        }
        // An analyst may not move requests.
        let ana = Client::sign_in(&router, "ana").await;
        let csrf = ana.csrf("/").await;
        let got = ana.post(&format!("{page}/state"), &format!("csrf={csrf}&state=sent&reason=x")).await;
        assert_eq!(got.status, StatusCode::FORBIDDEN);
    })
    .await;
}
