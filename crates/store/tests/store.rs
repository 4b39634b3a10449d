//! Storage tests: each runs on a fresh SQLite database and a fresh PostgreSQL database.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use foi_core::{Actor, BodyKind, RequestState, clock_from_events, registry};
use foi_store::testing::{backends_used, each_backend};
use foi_store::{Backend, BodyFilter, BodyUpdate, NewAttachment, NewMessage, NewRound, Store};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn import(store: &Store, file: &str) -> foi_store::BodyImportSummary {
    let report = registry::read_bodies(&data(file), None);
    assert!(report.errors.is_empty(), "{file}: {:?}", report.errors);
    store.import_bodies(&report.rows, file, false).await.unwrap()
}

#[tokio::test]
async fn both_backends_are_used_and_really_answer() {
    each_backend(|store| async move {
        let version = store.server_version().await.unwrap();
        match store.backend() {
            Backend::Sqlite => assert!(version.starts_with("SQLite 3."), "{version}"),
            Backend::Postgres => assert!(version.starts_with("PostgreSQL "), "{version}"),
        }
    })
    .await;
    let used = backends_used();
    assert!(used.contains(&Backend::Sqlite) && used.contains(&Backend::Postgres), "backends used: {used:?}");
}

#[tokio::test]
async fn shipped_lists_import_once() {
    each_backend(|store| async move {
        for (file, n) in [("icbs.csv", 48), ("upper_tier_las.csv", 153), ("ccgs_2017.csv", 207)] {
            let first = import(&store, file).await;
            assert_eq!((first.added.len(), first.updated.len()), (n, 0), "{file}");
            let second = import(&store, file).await;
            assert_eq!((second.changed(), second.unchanged), (0, n), "{file} imported twice");
        }
        let all = store.list_bodies(&BodyFilter::default()).await.unwrap();
        assert_eq!(all.len(), 48 + 153 + 207);
        let icbs = store.list_bodies(&BodyFilter { kinds: vec![BodyKind::Icb], ..Default::default() }).await.unwrap();
        assert_eq!(icbs.len(), 42 + 6, "the boards of 2022 and the six new ones of 2026");
        // Blank emails stay blank: 6 ICBs and 3 councils have a known address.
        let with_email = all.iter().filter(|b| b.foi_email.is_some()).count();
        assert_eq!(with_email, 9);
        // CCGs were abolished on 1 July 2022, and 12 boards on 1 April 2026.
        let current =
            store.list_bodies(&BodyFilter { current_on: Some(d("2026-11-23")), ..Default::default() }).await.unwrap();
        assert_eq!(current.len(), 36 + 153);
        let boards_2025 = store
            .list_bodies(&BodyFilter {
                current_on: Some(d("2025-11-23")),
                kinds: vec![BodyKind::Icb],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(boards_2025.len(), 42);
        // Each body has its NHS England region; councils their ONS region too, boards none.
        assert!(current.iter().all(|b| b.nhs_region.is_some()), "every current body has an NHS region");
        assert!(current.iter().filter(|b| !b.kind.is_nhs()).all(|b| b.ons_region.is_some()));
        assert!(current.iter().filter(|b| b.kind.is_nhs()).all(|b| b.ons_region.is_none()));
        let hartlepool = store.body("E06000001").await.unwrap();
        assert_eq!(
            (hartlepool.nhs_region.as_deref(), hartlepool.ons_region.as_deref()),
            (Some("North East and Yorkshire"), Some("North East"))
        );
        let in_2017 = store
            .list_bodies(&BodyFilter {
                current_on: Some(d("2017-10-09")),
                kinds: vec![BodyKind::Ccg],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(in_2017.len(), 207);
        let london =
            store.list_bodies(&BodyFilter { region: Some("london".into()), ..Default::default() }).await.unwrap();
        assert_eq!(london.len(), 33 + 5 + 1, "33 councils, the 5 London boards of 2022 and the merged one of 2026");
    })
    .await;
}

#[tokio::test]
async fn an_updated_file_updates_in_place_and_logs_what_changed() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        // An officer supplies an address; a re-import of the blank shipped list keeps it.
        store
            .update_body("QHG", &BodyUpdate { foi_email: Some("foi@blmk.example".into()), ..Default::default() }, "test", None)
            .await
            .unwrap();
        assert_eq!(import(&store, "icbs.csv").await.changed(), 0);
        let csv = "ods_code,name,kind,region,website\nQHG,NHS BLMK ICB,icb,East of England,https://blmk.example\nNEW,New Body,other,,\n";
        let report = registry::read_bodies(csv.as_bytes(), None);
        let dry = store.import_bodies(&report.rows, "update.csv", true).await.unwrap();
        assert_eq!((dry.added.len(), dry.updated.len()), (1, 1));
        assert!(store.body("NEW").await.is_err(), "a dry run writes nothing");
        let done = store.import_bodies(&report.rows, "update.csv", false).await.unwrap();
        assert_eq!(done.updated[0].0, "QHG");
        let fields: Vec<&str> = done.updated[0].1.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["name", "website"]);
        let b = store.body("QHG").await.unwrap();
        assert_eq!((b.name.as_str(), b.foi_email.as_deref()), ("NHS BLMK ICB", Some("foi@blmk.example")));
        let history = store.body_history("qhg").await.unwrap();
        let logged: Vec<(&str, &str)> = history.iter().map(|c| (c.field.as_str(), c.source.as_str())).collect();
        assert_eq!(
            logged,
            vec![("foi_email", "test"), ("foi_email_source", "test"), ("name", "update.csv"), ("website", "update.csv")]
        );
        assert!(store.update_body("QHG", &BodyUpdate { foi_email: Some("nope".into()), ..Default::default() }, "t", None).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn succession_files_load_and_reload() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        import(&store, "ccgs_2017.csv").await;
        let rows = registry::read_successions(&data("ccg2017_to_icb2022.csv"), None);
        assert!(rows.errors.is_empty(), "{:?}", rows.errors);
        let first = store.import_successions(&rows.rows, false).await.unwrap();
        assert_eq!((first.added, first.unknown_codes.len()), (211, 0));
        let again = store.import_successions(&rows.rows, false).await.unwrap();
        assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 211));
        let (replaced, _) = store.successions_of("QOP").await.unwrap();
        let tameside = replaced.iter().find(|s| s.predecessor_code == "01Y").unwrap();
        assert_eq!(tameside.share, Some(0.8705));
        let (_, replaced_by) = store.successions_of("01Y").await.unwrap();
        assert_eq!(replaced_by.len(), 2);

        let merged = registry::read_successions(&data("icb2022_successors_2026.csv"), None);
        assert!(merged.errors.is_empty(), "{:?}", merged.errors);
        let s = store.import_successions(&merged.rows, false).await.unwrap();
        assert_eq!(s.added, 16);
        assert!(s.unknown_codes.is_empty(), "the new boards are in icbs.csv: {:?}", s.unknown_codes);
    })
    .await;
}

#[tokio::test]
async fn succeed_closes_the_old_bodies() {
    each_backend(|store| async move {
        let old = "code,name,kind,valid_from\nQH8,NHS Mid and South Essex ICB,icb,2022-07-01\n\
                   QJG,NHS Suffolk and North East Essex ICB,icb,2022-07-01\n";
        store.import_bodies(&registry::read_bodies(old.as_bytes(), None).rows, "old.csv", false).await.unwrap();
        let csv = "code,name,kind,region\nD7T5G,NHS Essex ICB,icb,East of England\n";
        let r = registry::read_bodies(csv.as_bytes(), None);
        store.import_bodies(&r.rows, "new.csv", false).await.unwrap();
        store.record_succession(&["QH8".into(), "QJG".into()], "D7T5G", d("2026-04-01"), None, "test").await.unwrap();
        assert_eq!(store.body("QH8").await.unwrap().valid_to, Some(d("2026-03-31")));
        assert_eq!(store.body("D7T5G").await.unwrap().valid_from, Some(d("2026-04-01")));
        let (replaced, _) = store.successions_of("D7T5G").await.unwrap();
        assert_eq!(replaced.len(), 2);
        // Twice is harmless.
        store.record_succession(&["QH8".into()], "D7T5G", d("2026-04-01"), None, "test").await.unwrap();
        assert_eq!(store.successions_of("D7T5G").await.unwrap().0.len(), 2);
        assert!(store.record_succession(&["NOPE".into()], "D7T5G", d("2026-04-01"), None, "t").await.is_err());
    })
    .await;
}

/// An address-only file (`code,foi_email`) sets those addresses and nothing else, records
/// where each came from and who set it, and a file naming a code the registry does not hold
/// changes nothing.
#[tokio::test]
async fn an_address_file_sets_addresses_with_their_provenance() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        import(&store, "upper_tier_las.csv").await;
        let before = store.body("E06000001").await.unwrap();
        let patch = |csv: &str| match registry::read_body_import(csv.as_bytes(), None) {
            registry::BodyImport::Updates(r) => {
                assert!(r.errors.is_empty(), "{:?}", r.errors);
                r.rows
            }
            registry::BodyImport::Bodies(_) => panic!("read as a body list: {csv}"),
        };
        let rows = patch("code,foi_email\nE06000001,foi@hartlepool.example\nQHG,\n");
        let done = store.patch_bodies(&rows, "import addresses.csv", Some("ann"), false).await.unwrap();
        assert_eq!((done.updated.len(), done.unchanged), (1, 1), "a blank cell sets nothing");
        let after = store.body("E06000001").await.unwrap();
        assert_eq!(after.foi_email.as_deref(), Some("foi@hartlepool.example"));
        let src = after.email_source.clone().unwrap();
        assert_eq!(
            (src.source.as_str(), src.confidence, src.set_by.as_deref()),
            ("import addresses.csv", None, Some("ann"))
        );
        assert!(src.set_at.is_some());
        // Nothing else moved.
        assert_eq!(
            foi_core::Body { foi_email: None, email_source: None, ..after.clone() },
            foi_core::Body { foi_email: None, email_source: None, ..before.clone() }
        );
        // The shipped list of found addresses: each with its page and confidence.
        let found = match registry::read_body_import(&data("foi_emails_found.csv"), None) {
            registry::BodyImport::Updates(r) => r,
            registry::BodyImport::Bodies(_) => panic!("foi_emails_found.csv read as a body list"),
        };
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(found.ignored_columns, vec!["name".to_string()]);
        store.patch_bodies(&found.rows, "import foi_emails_found.csv", Some("ann"), false).await.unwrap();
        let kent = store.body("E10000016").await.unwrap();
        assert_eq!(kent.foi_email.as_deref(), Some("freedomofinformation@kent.gov.uk"));
        let src = kent.email_source.unwrap();
        assert!(src.source.starts_with("https://www.kent.gov.uk/"), "{}", src.source);
        assert_eq!(src.confidence, Some(foi_core::Confidence::High));
        assert!(src.note.is_some());
        // Importing the same file again changes nothing.
        let again = store.patch_bodies(&found.rows, "import foi_emails_found.csv", Some("bob"), false).await.unwrap();
        assert_eq!(again.changed(), 0);
        // An unknown code fails the whole file, naming its line.
        let err = store
            .patch_bodies(
                &patch("code,foi_email\nE10000016,new@kent.example\nZZZ,foi@nowhere.example\n"),
                "x",
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3: no body has code ZZZ"), "{err}");
        assert_eq!(
            store.body("E10000016").await.unwrap().foi_email.as_deref(),
            Some("freedomofinformation@kent.gov.uk")
        );
        // Clearing an address clears its source too.
        store
            .update_body(
                "E10000016",
                &BodyUpdate { foi_email: Some(String::new()), ..Default::default() },
                "t",
                Some("ann"),
            )
            .await
            .unwrap();
        let cleared = store.body("E10000016").await.unwrap();
        assert_eq!((cleared.foi_email, cleared.email_source), (None, None));
        // An edit names its page and confidence.
        let update = BodyUpdate {
            foi_email: Some("foi@kent.example".into()),
            email_source: Some("https://kent.example/foi".into()),
            email_confidence: Some(foi_core::Confidence::Medium),
            ..Default::default()
        };
        store.update_body("E10000016", &update, "foi bodies set", Some("ann")).await.unwrap();
        let src = store.body("E10000016").await.unwrap().email_source.unwrap();
        assert_eq!(
            (src.source.as_str(), src.confidence),
            ("https://kent.example/foi", Some(foi_core::Confidence::Medium))
        );
        // Requests read their body's address source too.
        store.create_round(&new_round("cpc")).await.unwrap();
        store.add_requests("cpc", &[("E10000016".into(), "REFK".into())], &Actor::Person("ann".into())).await.unwrap();
        let r = store.request("REFK").await.unwrap();
        assert_eq!(r.body.email_source.unwrap().source, "https://kent.example/foi");
        assert_eq!(r.body.ons_region.as_deref(), Some("South East"));
    })
    .await;
}

fn new_round(slug: &str) -> NewRound {
    NewRound {
        slug: slug.into(),
        name: "Children's palliative care 2026".into(),
        codebook_name: "cpc".into(),
        codebook: "# codebook".into(),
        template_set: "cpc".into(),
        sender_name: "Campaigns".into(),
        sender_email: "campaigns@charity.example".into(),
        reply_domain: Some("charity.example".into()),
        launch_date: Some(d("2026-11-02")),
    }
}

#[tokio::test]
async fn a_request_moves_through_its_lifecycle_and_logs_every_move() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        store.create_round(&new_round("cpc-2026")).await.unwrap();
        assert!(store.create_round(&new_round("cpc-2026")).await.is_err(), "slugs are unique");
        let officer = Actor::Person("officer".into());
        let items = vec![("QHG".to_string(), "REF1".to_string()), ("QUE".to_string(), "REF2".to_string())];
        assert_eq!(store.add_requests("cpc-2026", &items, &officer).await.unwrap(), 2);
        assert_eq!(store.add_requests("cpc-2026", &items, &officer).await.unwrap(), 0, "adding again adds nothing");
        let r = store.request("REF1").await.unwrap();
        assert_eq!(r.state, RequestState::Draft);
        let sys = Actor::System("mailer".into());
        store.move_request(r.id, RequestState::Queued, &sys, None, d("2025-03-31"), None).await.unwrap();
        store.move_request(r.id, RequestState::Sent, &sys, None, d("2025-04-01"), None).await.unwrap();
        store
            .move_request(r.id, RequestState::ClarificationRequested, &sys, None, d("2025-04-03"), None)
            .await
            .unwrap();
        let err = store.move_request(r.id, RequestState::Draft, &sys, None, d("2025-04-03"), None).await.unwrap_err();
        assert_eq!(err.to_string(), "a request cannot move from clarification_requested to draft");
        assert!(
            store.move_request(r.id, RequestState::Withdrawn, &officer, None, d("2025-04-03"), None).await.is_err(),
            "a person must give a reason"
        );
        store
            .move_request(
                r.id,
                RequestState::ClarificationProvided,
                &officer,
                Some("sent the clarification"),
                d("2025-04-07"),
                None,
            )
            .await
            .unwrap();
        let events = store.request_events(r.id).await.unwrap();
        let moves: Vec<RequestState> = events.iter().map(|e| e.to).collect();
        use RequestState::*;
        assert_eq!(moves, vec![Draft, Queued, Sent, ClarificationRequested, ClarificationProvided]);
        assert_eq!(events[4].actor, officer);
        assert_eq!(events[4].from, Some(ClarificationRequested));
        let clock = clock_from_events(&events).unwrap();
        let cal = foi_core::Calendar::uk();
        // 20 working days after the clarification (Mon 7 Apr 2025), skipping Good Friday
        // 18 Apr, Easter Monday 21 Apr and the early May bank holiday 5 May 2025: Thu 8 May.
        assert_eq!(clock.due(cal, foi_core::Regime::Foia).unwrap(), Some(d("2025-05-08")));
        let r = store.request("REF1").await.unwrap();
        assert_eq!(r.state, ClarificationProvided);
        assert!(r.sent_at.is_some());
        assert_eq!(store.requests("cpc-2026").await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn messages_keep_their_bytes_and_are_stored_once() {
    each_backend(|store| async move {
        // Bytes that are not UTF-8, with CRLF and a NUL: kept exactly.
        let raw: Vec<u8> = b"Message-ID: <a@b>\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\n\r\nbody \xe9\x00\r\n".to_vec();
        let msg = NewMessage {
            direction: "incoming".into(),
            kind: "reply".into(),
            message_id: Some("a@b".into()),
            content_hash: "hash1".into(),
            raw: raw.clone(),
            attachments: vec![NewAttachment {
                filename: Some("answer.pdf".into()),
                content_type: "application/pdf".into(),
                sha256: "x".into(),
                content: vec![0, 1, 2, 255],
                extraction: "ok".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let (id, inserted) = store.store_message(&msg).await.unwrap();
        assert!(inserted);
        assert_eq!(store.message_raw(id).await.unwrap(), raw);
        assert_eq!(store.attachment_contents(id).await.unwrap(), vec![vec![0, 1, 2, 255]]);
        let (again, inserted) = store.store_message(&msg).await.unwrap();
        assert_eq!((again, inserted), (id, false));
        // Without a Message-ID the content hash identifies the message.
        let anon = NewMessage { message_id: None, content_hash: "hash2".into(), ..msg.clone() };
        let (a1, i1) = store.store_message(&anon).await.unwrap();
        let (a2, i2) = store.store_message(&anon).await.unwrap();
        assert!(i1 && !i2 && a1 == a2 && a1 != id);
    })
    .await;
}

#[tokio::test]
async fn a_thread_reads_every_message_of_its_request_in_order_with_the_replies_texts() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        store.create_round(&new_round("cpc-2026")).await.unwrap();
        let officer = Actor::Person("officer".into());
        let items = vec![("QHG".to_string(), "REF1".to_string()), ("QUE".to_string(), "REF2".to_string())];
        store.add_requests("cpc-2026", &items, &officer).await.unwrap();
        let (one, two) = (store.request("REF1").await.unwrap(), store.request("REF2").await.unwrap());
        let message =
            |request: Option<i32>, direction: &str, hash: &str, text: &str, files: &[(&str, Option<&str>)]| {
                NewMessage {
                    request_id: request,
                    direction: direction.into(),
                    kind: if direction == "incoming" { "reply" } else { "request" }.into(),
                    message_id: Some(format!("{hash}@example")),
                    content_hash: hash.into(),
                    raw: text.as_bytes().to_vec(),
                    body_text: Some(text.into()),
                    class: (direction == "incoming").then(|| "answer_full".to_string()),
                    class_evidence: (direction == "incoming").then(|| "we commission".to_string()),
                    attachments: files
                        .iter()
                        .map(|(name, text)| NewAttachment {
                            filename: Some(name.to_string()),
                            content_type: "application/pdf".into(),
                            sha256: name.to_string(),
                            content: name.as_bytes().to_vec(),
                            extraction: "ok".into(),
                            text: text.map(str::to_string),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }
            };
        store.store_message(&message(Some(one.id), "outgoing", "m1", "Dear ICB", &[])).await.unwrap();
        store.store_message(&message(Some(two.id), "incoming", "m2", "another request's", &[])).await.unwrap();
        store.store_message(&message(None, "incoming", "m3", "nobody's", &[])).await.unwrap();
        let files = [("b.pdf", Some("second")), ("a.pdf", None), ("c.pdf", Some("third"))];
        store.store_message(&message(Some(one.id), "incoming", "m4", "We do.", &files)).await.unwrap();

        let thread = store.thread("REF1").await.unwrap();
        let what: Vec<_> = thread.iter().map(|t| (t.message.direction.as_str(), t.text.as_deref())).collect();
        assert_eq!(what, [("outgoing", None), ("incoming", Some("We do."))], "oldest first, only REF1's");
        let reply = &thread[1];
        assert_eq!(reply.class.as_deref(), Some("answer_full"));
        assert_eq!(reply.class_evidence.as_deref(), Some("we commission"));
        let atts: Vec<_> = reply.attachments.iter().map(|(a, t)| (a.filename.as_deref(), t.as_deref())).collect();
        assert_eq!(atts, [(Some("b.pdf"), Some("second")), (Some("a.pdf"), None), (Some("c.pdf"), Some("third"))]);
        assert_eq!(reply.attachments[2].0.text_chars, 5);
        assert!(store.thread("NO-SUCH").await.unwrap().is_empty());

        // The session brings the length of the triage queue with it.
        let user = store.add_user("ana", None, foi_core::Role::Analyst, "$argon2id$x").await.unwrap();
        store.add_session(user.id, "h", "c", chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
        assert_eq!(store.session("h").await.unwrap().unwrap().triage_queue, 1);
        assert_eq!(store.triage_count().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_rounds_revision_moves_whenever_its_requests_their_events_or_their_bodies_change() {
    each_backend(|store| async move {
        import(&store, "icbs.csv").await;
        let revision = |slug: &'static str| {
            let store = store.clone();
            async move { store.round(slug).await.unwrap().revision }
        };
        store.create_round(&new_round("a")).await.unwrap();
        store.create_round(&new_round("b")).await.unwrap();
        let (a0, b0) = (revision("a").await, revision("b").await);
        let officer = Actor::Person("officer".into());
        let sys = Actor::System("mailer".into());
        let items: Vec<_> = ["QHG", "QUE", "QWU", "QE1"].iter().map(|c| (c.to_string(), format!("A-{c}"))).collect();
        store.add_requests("a", &items, &officer).await.unwrap();
        let a1 = revision("a").await;
        assert!(a1 > a0, "adding requests moves the round: {a0} -> {a1}");
        assert_eq!(revision("b").await, b0, "and no other round");

        // A move (the request and its event).
        let r = store.request("A-QHG").await.unwrap();
        store.move_request(r.id, RequestState::Queued, &sys, None, d("2026-11-02"), None).await.unwrap();
        let a2 = revision("a").await;
        assert!(a2 > a1);
        // A move that is refused changes nothing.
        assert!(store.move_request(r.id, RequestState::Queued, &sys, None, d("2026-11-02"), None).await.is_err());
        assert_eq!(revision("a").await, a2);

        // A body of the round renamed; a body in no round renamed moves nothing.
        let rename = |name: &str| BodyUpdate { name: Some(name.into()), ..Default::default() };
        store.update_body("QUE", &rename("Renamed ICB"), "test", None).await.unwrap();
        let a3 = revision("a").await;
        assert!(a3 > a2);
        store.update_body("QOX", &rename("Elsewhere ICB"), "test", None).await.unwrap();
        assert_eq!((revision("a").await, revision("b").await), (a3, b0));

        // Writers to the same round at once all land (on PostgreSQL the round's row is
        // locked only at commit: no deadlock between them), each moving the revision.
        let requests = store.requests("a").await.unwrap();
        let moves: Vec<_> = requests
            .iter()
            .map(|r| {
                let (store, id) = (store.clone(), r.id);
                let to = if r.state == RequestState::Draft { RequestState::Queued } else { RequestState::Sent };
                tokio::spawn(async move {
                    store.move_request(id, to, &Actor::System("mailer".into()), None, d("2026-11-03"), None).await
                })
            })
            .collect();
        for m in moves {
            m.await.unwrap().unwrap();
        }
        assert!(revision("a").await >= a3 + requests.len() as i64);
        assert_eq!(revision("b").await, b0);
    })
    .await;
}
