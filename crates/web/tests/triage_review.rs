//! The triage page's needs-review queue: a reply the rules were unsure of waits there, matched
//! but moving nothing; an analyst sets its class and the request moves in their name; a viewer
//! cannot. On both backends, through the router.

#![allow(clippy::unwrap_used)]

mod fixture;

use axum::http::StatusCode;
use fixture::client::Client;
use foi_core::{Actor, RequestState};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_store::MessageFilter;
use foi_store::testing::each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsure_reply_waits_for_review_and_a_person_sets_its_class() {
    each_backend(|store| async move {
        let fx = fixture::build(&store).await;
        let reference = fx.triage_for.clone();
        // A one-line cover note whose attachment cannot be read: probably an answer.
        let raw = format!(
            "From: foi@body.example\r\nTo: foi+{reference}@charity.example\r\nSubject: FOI 26-0042\r\n\
             Date: Mon, 05 Oct 2026 10:00:00 +0000\r\nMessage-ID: <unsure-1@body.example>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nA reply is attached.\r\n\
             --b\r\nContent-Type: application/pdf; name=\"reply.pdf\"\r\nContent-Disposition: attachment; filename=\"reply.pdf\"\r\n\r\n\
             not a pdf\r\n--b--\r\n"
        );
        let ing = Ingestor { store: &store, classifier: Classifier::builtin(), limits: Limits::default(), echo_texts: Vec::new() };
        let out = ing.ingest(raw.as_bytes(), "test", None).await.unwrap();
        assert_eq!((out.class.as_str(), out.moved_to), ("unknown", None));
        let before = store.request(&reference).await.unwrap().state;

        let mut app = foi_web::App::new(store.clone()).unwrap();
        app.today = Some(chrono::NaiveDate::from_ymd_opt(2026, 10, 6).unwrap());
        let router = foi_web::router(app);
        let analyst = Client::sign_in(&router, "ana").await;
        let page = analyst.get("/triage").await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        let card = format!("id=\"r{}\"", out.id);
        assert!(text.contains(&card), "the message waits for review:\n{text}");
        assert!(text.contains("perhaps answer_full"), "its guess is shown");
        assert!(text.contains("<option value=\"answer_full\" selected>"), "and preselected");

        // A viewer may read but not set it.
        let viewer = Client::sign_in(&router, "vic").await;
        let csrf = viewer.csrf("/triage").await;
        let refused = viewer.post(&format!("/triage/{}/class", out.id), &format!("csrf={csrf}&class=answer_full")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // Nor may a made-up class be set.
        let csrf = analyst.csrf("/triage").await;
        let bad = analyst.post(&format!("/triage/{}/class", out.id), &format!("csrf={csrf}&class=answered")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        let done = analyst
            .post(&format!("/triage/{}/class", out.id), &format!("csrf={csrf}&class=answer_full&reason=read+the+PDF"))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let m = store
            .incoming_messages(&MessageFilter { ids: Some(vec![out.id]), ..Default::default() })
            .await
            .unwrap()
            .remove(0);
        assert_eq!((m.class.as_str(), m.needs_review), ("answer_full", false));
        assert_eq!(m.class_set_by.as_deref(), Some("person:ana"));
        let r = store.request(&reference).await.unwrap();
        if before.can_move_to(RequestState::AnsweredFull) {
            assert_eq!(r.state, RequestState::AnsweredFull);
            let last = store.request_events(r.id).await.unwrap().pop().unwrap();
            assert_eq!(last.actor, Actor::Person("ana".into()));
        }
        let text = analyst.get("/triage").await.text();
        assert!(!text.contains(&card), "reviewed, it leaves the queue");
    })
    .await;
}
