//! A large import through the batched pipeline (`Ingestor::ingest_all`), on SQLite and
//! PostgreSQL: simulated replies to a launched round, with the awkward cases mixed in (the
//! same message twice in one batch, a message already held, a different message reusing a
//! Message-ID, an answer that only a case reference learned earlier in the same batch can
//! match). Every message is stored exactly once, byte for byte; every reply is matched and
//! moves its request; a second import adds nothing.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::PathBuf;

use foi_core::{Codebook, MessageClass, Named};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::ingest::Item;
use foi_simulate::{Launch, Mix, Simulation};
use foi_store::MessageFilter;
use foi_store::testing::each_backend;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn item(raw: &[u8], source: &str) -> Item {
    Item { raw: raw.to_vec(), source: source.to_string(), location: None }
}

/// A reply with only the body's own case reference: no token, no threading headers, sent
/// from a shared domain, so nothing but a learned case reference can match it.
fn case_reference_only(case: &str) -> Vec<u8> {
    format!(
        "From: Someone <someone.else@nhs.net>\r\nTo: foi@charity.example\r\nSubject: Your request {case}\r\n\
         Date: Mon, 21 Sep 2026 10:00:00 +0000\r\nMessage-ID: <case-only-{case}@nhs.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain\r\n\r\nPlease find below our response to your questions.\r\n\r\n\
         1. Needs assessment\r\nYes.\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_stores_each_message_once_and_matches_every_reply() {
    each_backend(|store| async move {
        let bodies = foi_simulate::synthetic_bodies(150);
        store.import_bodies(&bodies, "test", false).await.unwrap();
        let codes: Vec<String> = bodies.iter().map(|b| b.body.code.clone()).collect();
        let outbox = tempfile::tempdir().unwrap();
        let launch =
            Launch::shipped(&root(), "many", "Many replies", chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        assert_eq!(foi_simulate::launch_round(&store, &launch, &codes, outbox.path()).await.unwrap(), 150);
        let sent = foi_simulate::sent_requests(&store, "many").await.unwrap();
        let codebook = Codebook::from_toml(&std::fs::read_to_string(&launch.codebook).unwrap()).unwrap();
        // Every reply carries foi's reference or a case reference an acknowledgement taught.
        let mix = Mix { clarification: 0.0, lost_reference: 0.0, bounce: 0.0, acknowledgement: 1.0, ..Mix::default() };
        let sim = Simulation::new(11, mix, &codebook).unwrap();
        let replies: Vec<foi_simulate::Reply> = sent.iter().flat_map(|s| sim.replies(s)).collect();
        assert!(replies.len() > 250, "{}", replies.len());

        let ing = Ingestor {
            store: &store,
            classifier: Classifier::builtin(),
            limits: Limits::default(),
            echo_texts: Vec::new(),
        };
        // One reply imported first: held before the large import starts.
        let first = ing.ingest(&replies[0].raw, "first", None).await.unwrap();
        assert!(first.new);

        // The acknowledgement of the first request taught its case reference "FOI 26-NNNN";
        // an answer quoting only that reference follows in the same import.
        let subject = |r: &foi_simulate::Reply| {
            let text = String::from_utf8_lossy(&r.raw).to_string();
            text.lines().find(|l| l.starts_with("Subject:")).unwrap_or("").to_string()
        };
        let ack = replies
            .iter()
            .find(|r| r.expected.class == MessageClass::Acknowledgement && subject(r).contains("FOI 26-"))
            .unwrap();
        let case = case_in(&subject(ack));
        let mut items: Vec<Item> = Vec::new();
        for (i, r) in replies.iter().enumerate() {
            items.push(item(&r.raw, &format!("reply {i}")));
            if i == 40 {
                // The same message twice in one batch.
                items.push(item(&r.raw, "reply 40 again"));
            }
            if i == 60 {
                // A different message reusing reply 60's Message-ID.
                let mut other = r.raw.clone();
                other.extend_from_slice(b"\r\nSent again with a correction.\r\n");
                items.push(item(&other, "reply 60 rewritten"));
            }
        }
        items.push(item(&case_reference_only(&case), "case reference only"));
        let n = items.len();

        let mut reported = 0;
        let outcomes = ing.ingest_all(items, |_| reported += 1).await.unwrap();
        assert_eq!(outcomes.len(), n);
        assert_eq!(reported, n, "every outcome is reported once its batch is committed");
        let new: Vec<_> = outcomes.iter().filter(|o| o.new).collect();
        // Held: the one imported first and the repeat of reply 40.
        assert_eq!(new.len(), n - 2);
        let ids: HashSet<i64> = new.iter().map(|o| o.id).collect();
        assert_eq!(ids.len(), new.len(), "every new message has its own id");
        assert!(!outcomes[0].new && outcomes[0].id == first.id);
        // Every reply is matched (the last by the case reference learned in this import).
        assert!(new.iter().all(|o| o.matched.is_some()), "{:?}", new.iter().find(|o| o.matched.is_none()));
        assert_eq!(outcomes.last().unwrap().matched.as_ref().unwrap().method, "case_reference");
        // Raw bytes exactly.
        for (o, r) in outcomes.iter().zip(replies.iter()).skip(1).take(40) {
            assert_eq!(store.message_raw(o.id).await.unwrap(), r.raw);
        }
        // Requests moved: every request got at least an acknowledgement.
        let held = store.incoming_messages(&MessageFilter::default()).await.unwrap();
        assert_eq!(held.len(), n - 1);
        let requests = store.requests("many").await.unwrap();
        assert!(requests.iter().all(|r| r.state.name() != "sent"), "a request did not move");
        let answered = requests.iter().filter(|r| r.state.name().starts_with("answered")).count();
        let expected = replies
            .iter()
            .filter(|r| matches!(r.expected.class, MessageClass::AnswerFull | MessageClass::AnswerPartial));
        assert!(answered >= expected.map(|r| &r.expected.reference).collect::<HashSet<_>>().len());

        // A second import adds nothing.
        let again: Vec<Item> = replies.iter().map(|r| item(&r.raw, "again")).collect();
        let outcomes = ing.ingest_all(again, |_| {}).await.unwrap();
        assert!(outcomes.iter().all(|o| !o.new));
        assert_eq!(store.incoming_messages(&MessageFilter::default()).await.unwrap().len(), n - 1);
    })
    .await;
}

/// The body's case reference ("FOI 26-1234") in a simulated acknowledgement's subject.
fn case_in(text: &str) -> String {
    let at = text.find("FOI 26-").expect("a case reference");
    text[at..at + 11].to_string()
}
