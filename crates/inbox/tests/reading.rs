//! Reading replies the way real ones arrive, on SQLite and PostgreSQL: matching without the
//! token (a council's own domain, a body's FOI address, an address learned from triage, a
//! bare token in the text), never on a shared domain; classes the rules are unsure of moving
//! nothing until a person sets them (the event names that person); reclassification that
//! never overrides a person.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use foi_core::{Actor, MessageClass, RequestState, registry};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_simulate::Launch;
use foi_store::testing::each_backend;
use foi_store::{MessageFilter, Store};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const BODIES: &str = "code,name,kind,region,website,foi_email\n\
E10000016,Kent County Council,county_council,South East,https://www.kent.gov.uk,foi@kent.gov.uk\n\
QHG,NHS Example Integrated Care Board,icb,East of England,https://example.icb.nhs.uk,example.icb.foi@nhs.net\n\
E10000012,Essex County Council,county_council,East of England,https://www.essex.gov.uk,essex@infreemation.co.uk\n\
E10000034,Worcestershire County Council,county_council,West Midlands,https://www.worcestershire.gov.uk,foi@worcestershire.gov.uk\n";

/// A round to the four bodies; their references by code.
async fn launched(store: &Store) -> std::collections::HashMap<String, String> {
    let rows = registry::read_bodies(BODIES.as_bytes(), None);
    assert!(rows.errors.is_empty(), "{:?}", rows.errors);
    store.import_bodies(&rows.rows, "test", false).await.unwrap();
    let outbox = tempfile::tempdir().unwrap();
    let launch = Launch::shipped(&root(), "cpc", "Children's palliative care 2026", day(2026, 9, 7));
    let codes: Vec<String> = rows.rows.iter().map(|r| r.body.code.clone()).collect();
    foi_simulate::launch_round(store, &launch, &codes, outbox.path()).await.unwrap();
    store.requests("cpc").await.unwrap().into_iter().map(|r| (r.body.code, r.reference)).collect()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn mail(from: &str, subject: &str, id: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: foi@charity.example\r\nSubject: {subject}\r\nDate: Mon, 05 Oct 2026 10:00:00 +0000\r\n\
         Message-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

async fn ingest(store: &Store, classifier: Arc<Classifier>, raw: &[u8]) -> foi_inbox::Outcome {
    let ing = Ingestor { store, classifier, limits: Limits::default(), echo_texts: Vec::new() };
    ing.ingest(raw, "test", None).await.unwrap()
}

async fn message(store: &Store, id: i64) -> foi_store::IncomingMessage {
    store.incoming_messages(&MessageFilter { ids: Some(vec![id]), ..Default::default() }).await.unwrap().remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_without_the_token_match_by_what_identifies_their_body() {
    each_backend(|store| async move {
        let refs = launched(&store).await;
        let b = Classifier::builtin();
        let answer = "Thank you for your request. The council does not hold this information.";

        // A council's own domain (a mailbox other than the one we wrote to) identifies it.
        let o = ingest(
            &store,
            b.clone(),
            &mail("Info Gov <information.governance@kent.gov.uk>", "FOI 11", "a@kent.gov.uk", answer),
        )
        .await;
        let m = o.matched.unwrap();
        assert_eq!((m.reference.as_str(), m.method), (refs["E10000016"].as_str(), "sender_domain"));
        // The body's own FOI address identifies it even on a shared domain.
        let o = ingest(&store, b.clone(), &mail("example.icb.foi@nhs.net", "FOI 12", "b@nhs.net", answer)).await;
        let m = o.matched.unwrap();
        assert_eq!((m.reference.as_str(), m.method), (refs["QHG"].as_str(), "sender_address"));
        // Another NHSmail address says nothing: triage.
        let o = ingest(&store, b.clone(), &mail("someone.else@nhs.net", "Your request", "c@nhs.net", answer)).await;
        assert!(o.matched.is_none(), "{o:?}");
        // Nor does a case-management service's domain.
        let o = ingest(&store, b.clone(), &mail("noreply@infreemation.co.uk", "Request FOI/9", "d@inf", answer)).await;
        assert!(o.matched.is_none(), "{o:?}");
        // Our reference quoted bare in the text.
        let text = format!("Dear requester\n\nYour ref: {}\n\n{answer}", refs["E10000012"]);
        let o = ingest(&store, b.clone(), &mail("x@gmail.com", "Re: request", "e@gmail", &text)).await;
        let m = o.matched.unwrap();
        assert_eq!((m.reference.as_str(), m.method), (refs["E10000012"].as_str(), "bare_token"));

        // A person assigns the NHSmail reply: its sender is learned for the ICB, in their name.
        let unmatched =
            store.incoming_messages(&MessageFilter { unmatched: true, ..Default::default() }).await.unwrap();
        let nhs = unmatched.iter().find(|m| m.from.as_deref() == Some("someone.else@nhs.net")).unwrap();
        let by = Actor::Person("analyst".into());
        let done = foi_inbox::triage::assign(&store, nhs.id, &refs["QHG"].to_uppercase(), day(2026, 10, 6), &by)
            .await
            .unwrap();
        assert_eq!(done.learned_sender.as_deref(), Some("someone.else@nhs.net"));
        let o = ingest(&store, b.clone(), &mail("someone.else@nhs.net", "Further", "f@nhs.net", answer)).await;
        let m = o.matched.unwrap();
        assert_eq!((m.reference.as_str(), m.method), (refs["QHG"].as_str(), "sender_address"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsure_classes_move_nothing_until_a_person_sets_them() {
    each_backend(|store| async move {
        let refs = launched(&store).await;
        let reference = &refs["E10000034"];
        // A cover note whose attachment could not be read: probably an answer, not sure.
        let raw = format!(
            "From: foi@worcestershire.gov.uk\r\nTo: foi+{reference}@charity.example\r\nSubject: FOI 26-77\r\n\
             Date: Mon, 05 Oct 2026 10:00:00 +0000\r\nMessage-ID: <note@worcestershire.gov.uk>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nA reply is attached.\r\n\
             --b\r\nContent-Type: application/pdf; name=\"reply.pdf\"\r\nContent-Disposition: attachment; filename=\"reply.pdf\"\r\n\r\n\
             not really a pdf\r\n--b--\r\n"
        );
        let o = ingest(&store, Classifier::builtin(), raw.as_bytes()).await;
        assert_eq!(o.class, "unknown", "{o:?}");
        assert_eq!(o.moved_to, None);
        let m = message(&store, o.id).await;
        assert!(m.needs_review, "{m:?}");
        assert!(m.class_evidence.as_deref().unwrap_or("").starts_with("unsure: perhaps answer_full"), "{m:?}");
        assert_eq!(store.request(reference).await.unwrap().state, RequestState::Sent);
        let queue = store.incoming_messages(&MessageFilter { needs_review: true, ..Default::default() }).await.unwrap();
        assert_eq!(queue.iter().map(|m| m.id).collect::<Vec<_>>(), [o.id]);
        assert_eq!(store.triage_count().await.unwrap(), 1);

        // A person reads it and sets the class: the request moves in their name.
        let by = Actor::Person("officer".into());
        let done = foi_inbox::triage::set_class(&store, o.id, MessageClass::AnswerFull, "read the PDF", &by, day(2026, 10, 6))
            .await
            .unwrap();
        assert_eq!(done.moved_to, Some(RequestState::AnsweredFull));
        let r = store.request(reference).await.unwrap();
        let events = store.request_events(r.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!((last.to, &last.actor), (RequestState::AnsweredFull, &by));
        let m = message(&store, o.id).await;
        assert!(!m.needs_review);
        assert_eq!((m.rule_class.as_deref(), m.class.as_str()), (Some("unknown"), "answer_full"));
        assert_eq!(store.triage_count().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reclassification_applies_new_rules_but_never_over_a_person() {
    each_backend(|store| async move {
        let refs = launched(&store).await;
        let empty = Arc::new(Classifier::from_toml("", "empty.toml").unwrap());
        let text = "Thank you for your request. The council does not hold this information.";
        let to = |code: &str| format!("Re: request [FOI ref {}]", refs[code]);
        let a = ingest(&store, empty.clone(), &mail("foi@kent.gov.uk", &to("E10000016"), "r1@kent", text)).await;
        let b = ingest(&store, empty.clone(), &mail("foi@essex.gov.uk", &to("E10000012"), "r2@essex", text)).await;
        assert_eq!((a.class.as_str(), b.class.as_str()), ("unknown", "unknown"));
        // A person classes the second one differently from what the rules will say.
        let by = Actor::Person("analyst".into());
        foi_inbox::triage::set_class(&store, b.id, MessageClass::Refusal, "it is a refusal", &by, day(2026, 10, 6))
            .await
            .unwrap();

        let done =
            foi_inbox::reclassify::reclassify(&store, &Classifier::builtin(), Some("cpc"), day(2026, 10, 7), &by)
                .await
                .unwrap();
        assert_eq!((done.checked, done.set_by_person), (1, 1));
        assert_eq!(done.changed.len(), 1);
        assert_eq!((done.changed[0].from.as_str(), done.changed[0].to.as_str()), ("unknown", "not_held"));
        assert_eq!(done.changed[0].moved_to, Some(RequestState::NotHeld));
        // The move names the person who ran the reclassification.
        let kent = store.request(&refs["E10000016"]).await.unwrap();
        let last = store.request_events(kent.id).await.unwrap().pop().unwrap();
        assert_eq!((last.to, last.actor.to_stored()), (RequestState::NotHeld, "person:analyst".to_string()));
        assert!(last.reason.as_deref().is_some_and(|r| r.starts_with("reclassified by the rules as not_held")));
        assert_eq!(message(&store, b.id).await.class, "refusal");
        assert_eq!(store.request(&refs["E10000012"]).await.unwrap().state, RequestState::Refused);
        // Again: nothing left to change.
        let again = foi_inbox::reclassify::reclassify(&store, &Classifier::builtin(), None, day(2026, 10, 7), &by)
            .await
            .unwrap();
        assert!(again.changed.is_empty(), "{:?}", again.changed);
    })
    .await;
}
