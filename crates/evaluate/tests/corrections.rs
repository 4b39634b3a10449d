//! `foi inbox evaluate --corrections`: what the rules said against what people set, on a
//! real database (both backends): classes a person changed or reviewed, replies matched by
//! hand, suggested answers kept or changed.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::NaiveDate;
use foi_core::{Actor, Codebook, MessageClass};
use foi_evaluate::run::corrections;
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_simulate::Launch;
use foi_store::testing::each_backend;
use foi_store::{NewTag, Store};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn mail(to: &str, id: &str, text: &str) -> Vec<u8> {
    format!(
        "From: foi@body.example\r\nTo: {to}\r\nSubject: FOI\r\nDate: Mon, 05 Oct 2026 10:00:00 +0000\r\n\
         Message-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

async fn ingest(store: &Store, raw: &[u8]) -> i64 {
    let ing = Ingestor { store, classifier: Classifier::builtin(), limits: Limits::default(), echo_texts: Vec::new() };
    ing.ingest(raw, "test", None).await.unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_compare_the_rules_with_what_people_set() {
    each_backend(|store| async move {
        let bodies = foi_simulate::synthetic_bodies(3);
        store.import_bodies(&bodies, "test", false).await.unwrap();
        let codes: Vec<String> = bodies.iter().map(|b| b.body.code.clone()).collect();
        let outbox = tempfile::tempdir().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 7).unwrap();
        let launch = Launch::shipped(&root(), "cpc", "Children's palliative care 2026", day);
        foi_simulate::launch_round(&store, &launch, &codes, outbox.path()).await.unwrap();
        let sent = foi_simulate::sent_requests(&store, "cpc").await.unwrap();
        let person = Actor::Person("analyst".into());
        let later = NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();

        // The rules read an acknowledgement right; a person agrees (nothing to correct).
        ingest(
            &store,
            &mail(&sent[0].reply_to, "a@b", "Thank you for your request, which we received on 7 September 2026. We will respond within 20 working days."),
        )
        .await;
        // A cover note the rules are unsure of: a person reviews it.
        let unsure = ingest(&store, &mail(&sent[1].reply_to, "b@b", "Kind regards from the team.")).await;
        foi_inbox::triage::set_class(&store, unsure, MessageClass::AnswerFull, "read it", &person, later).await.unwrap();
        // A refusal the rules took for not held: a person corrects it.
        let wrong = ingest(&store, &mail(&sent[2].reply_to, "c@b", "The council does not hold this information.")).await;
        foi_inbox::triage::set_class(&store, wrong, MessageClass::Refusal, "cost limit, said on the phone", &person, later)
            .await
            .unwrap();

        // A suggested answer a person kept, and one they changed.
        let book = Codebook::from_toml(&std::fs::read_to_string(&launch.codebook).unwrap()).unwrap();
        let q = &book.questions_for(bodies[0].body.kind)[0].id;
        let tag = |answer: &str, tagger: Actor, suggested: bool, reference: &str| NewTag {
            reference: reference.to_string(),
            question: q.clone(),
            answer: answer.into(),
            quote: None,
            note: None,
            tagger,
            suggested,
            source: "test".into(),
            message_id: None,
        };
        let system = Actor::System("suggest".into());
        store
            .set_tags(&[
                tag("yes", system.clone(), true, &sent[0].reference),
                tag("no", system, true, &sent[1].reference),
                tag("yes", person.clone(), false, &sent[0].reference),
                tag("yes", person.clone(), false, &sent[1].reference),
            ])
            .await
            .unwrap();

        let c = corrections(&store, Some("cpc")).await.unwrap();
        assert_eq!((c.classes.n, c.classes.of), (0, 2), "{c:?}");
        assert_eq!(c.reviewed, 1, "{c:?}");
        assert_eq!(c.confusion["not_held"]["refusal"], 1, "{c:?}");
        assert_eq!(c.confusion["unknown"]["answer_full"], 1, "{c:?}");
        assert_eq!((c.suggestions.n, c.suggestions.of), (1, 2), "{c:?}");
        assert!(c.text().contains("<- corrected"), "{}", c.text());
        let all = corrections(&store, None).await.unwrap();
        assert_eq!(all.classes.of, 2);
    })
    .await;
}
