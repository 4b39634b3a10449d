//! The mailer without mail servers: rendering in strict mode, composing, the outbox with the
//! file transport (the dry-run default), crash reconciliation and chasing, on both backends.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::NaiveDate;
use foi_core::{Actor, Codebook, RequestState, registry};
use foi_mailer::outbox::{self, NoSentFolder, SendOptions};
use foi_mailer::round::{self, Writer};
use foi_mailer::transport::FileOutbox;
use foi_mailer::{Pacing, Sender, TemplateSet, Transport};
use foi_store::testing::each_backend;
use foi_store::{NewRound, OutboxState, Store};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sender() -> Sender {
    Sender {
        name: "Policy team".into(),
        email: "campaigns@charity.example".into(),
        reply_local: "foi".into(),
        reply_domain: "charity.example".into(),
    }
}

fn codebook_text() -> String {
    std::fs::read_to_string(root().join("data/codebooks/childrens-palliative-care.toml")).unwrap()
}

/// Imports the ICBs (those of 2022 and of 2026) and two councils with addresses on a reserved domain, creates a round
/// and adds them.
async fn setup(store: &Store) -> usize {
    let csv = std::fs::read(root().join("data/icbs.csv")).unwrap();
    let rows = registry::read_bodies(&csv, None);
    store.import_bodies(&rows.rows, "icbs.csv", false).await.unwrap();
    let extra = "code,name,kind,foi_email\nE10000003,Cambridgeshire County Council,county_council,foi@cambs.example\nE09000033,Westminster City Council,london_borough,\n";
    let rows = registry::read_bodies(extra.as_bytes(), None);
    store.import_bodies(&rows.rows, "extra.csv", false).await.unwrap();
    for b in store.list_bodies(&Default::default()).await.unwrap() {
        if b.kind.is_nhs() {
            let email = format!("foi@{}.nhs.example", b.code.to_lowercase());
            store
                .update_body(
                    &b.code,
                    &foi_store::BodyUpdate { foi_email: Some(email), ..Default::default() },
                    "test",
                    None,
                )
                .await
                .unwrap();
        }
    }
    store
        .create_round(&NewRound {
            slug: "cpc".into(),
            name: "Children's palliative care 2026".into(),
            codebook_name: "childrens-palliative-care".into(),
            codebook: codebook_text(),
            template_set: "childrens-palliative-care".into(),
            sender_name: sender().name,
            sender_email: sender().email,
            reply_domain: Some("charity.example".into()),
            launch_date: Some(d("2026-11-02")),
        })
        .await
        .unwrap();
    // The bodies that exist on the launch day: the 36 boards of April 2026 and two councils.
    let current = foi_store::BodyFilter { current_on: Some(d("2026-11-02")), ..Default::default() };
    let codes: Vec<String> = store.list_bodies(&current).await.unwrap().into_iter().map(|b| b.code).collect();
    round::add_bodies(store, "cpc", &codes, &Actor::Person("officer".into())).await.unwrap()
}

fn opts(today: &str) -> SendOptions {
    SendOptions {
        round: Some("cpc".into()),
        pacing: Pacing::OFF,
        max_attempts: 3,
        retry_after: std::time::Duration::from_secs(60),
        today: d(today),
        connections: 1,
        actor: Actor::System("mailer".into()),
    }
}

#[tokio::test]
async fn a_round_is_rendered_queued_and_written_exactly_once() {
    each_backend(|store| async move {
        assert_eq!(setup(&store).await, 38);
        let round = store.round("cpc").await.unwrap();
        let set = TemplateSet::load(&root().join("templates/childrens-palliative-care")).unwrap();
        let cb = Codebook::from_toml(&round.codebook).unwrap();
        let s = sender();
        let w = Writer { round: &round, templates: &set, codebook: &cb, sender: &s, today: d("2026-11-02") };
        let p = round::prepare(&store, &w, None).await.unwrap();
        assert_eq!(p.ready.len(), 37);
        assert_eq!(p.no_address.iter().map(|b| b.code.as_str()).collect::<Vec<_>>(), vec!["E09000033"]);
        // The questions in the email are the codebook's questions for the body's kind.
        let icb = p.ready.iter().find(|x| x.request.body.code == "QE1").unwrap();
        let text = icb.message.body_text.as_deref().unwrap();
        for q in cb.questions_for(foi_core::BodyKind::Icb) {
            assert!(text.contains(q.text.trim()), "question {} missing from the ICB request", q.id);
        }
        let raw = String::from_utf8_lossy(&icb.message.raw).to_string();
        let reference = &icb.request.reference;
        assert!(raw.contains(&format!("Reply-To: foi+{reference}@charity.example")), "{raw}");
        assert!(raw.contains(&format!("Message-ID: <{reference}.request.0@charity.example>")), "{raw}");
        assert!(raw.contains(&format!("[FOI ref {reference}]")), "{raw}");
        assert!(raw.contains("To: foi@qe1.nhs.example"), "{raw}");
        assert!(raw.contains("definitions.pdf"), "the definitions are attached");
        assert!(!text.contains("&amp;") && !text.contains("&#x27;"), "text mail is not HTML-escaped");

        assert_eq!(
            round::queue(&store, &p.ready, &Actor::Person("officer".into()), d("2026-11-02")).await.unwrap(),
            37
        );
        let (preview, stored) = round::preview(&store, &w, "QE1").await.unwrap();
        assert!(stored);
        let dir = tempfile::tempdir().unwrap();
        let mut t = Transport::File(FileOutbox::new(dir.path()).unwrap());
        let sum = outbox::send(&store, &mut t, &mut NoSentFolder, &opts("2026-11-02"), |_, _, _| {}).await.unwrap();
        assert_eq!(sum.sent.len(), 37);
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .collect();
        assert_eq!(files.len(), 37);
        // Exactly the previewed bytes went out.
        assert!(files.iter().any(|f| std::fs::read(f.path()).unwrap() == preview), "preview bytes are what was sent");
        // Sending again sends nothing; preparing again finds nothing to queue.
        let again = outbox::send(&store, &mut t, &mut NoSentFolder, &opts("2026-11-02"), |_, _, _| {}).await.unwrap();
        assert_eq!(again.sent.len(), 0);
        assert_eq!(round::prepare(&store, &w, None).await.unwrap().ready.len(), 0);
        let r = store.request(reference).await.unwrap();
        assert_eq!(r.state, RequestState::Sent);
        let st = round::status(&store, "cpc", d("2026-12-10")).await.unwrap();
        let qe1 = st.iter().find(|s| s.body_code == "QE1").unwrap();
        // Sent Mon 2 Nov 2026; St Andrew's Day (Mon 30 Nov, Scotland) skipped: due Tue 1 Dec.
        assert_eq!(qe1.due, Some(d("2026-12-01")));
        assert_eq!(qe1.working_days_overdue, 7);
    })
    .await;
}

#[tokio::test]
async fn a_missing_field_names_the_template_the_field_and_the_body() {
    each_backend(|store| async move {
        setup(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let src = root().join("templates/childrens-palliative-care");
        for e in std::fs::read_dir(&src).unwrap().flatten() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        let t = dir.path().join("request-nhs.txt.hbs");
        let text = std::fs::read_to_string(&t).unwrap();
        std::fs::write(&t, text.replacen("{{body.name}}", "{{body.chief_executive}}", 1)).unwrap();
        let set = TemplateSet::load(dir.path()).unwrap();
        let round = store.round("cpc").await.unwrap();
        let cb = Codebook::from_toml(&round.codebook).unwrap();
        let s = sender();
        let w = Writer { round: &round, templates: &set, codebook: &cb, sender: &s, today: d("2026-11-02") };
        let err = round::prepare(&store, &w, None).await.err().unwrap().to_string();
        assert!(err.contains("request-nhs.txt.hbs"), "{err}");
        assert!(err.contains("missing field \"body.chief_executive\""), "{err}");
        assert!(err.contains("Integrated Care Board (Q"), "names the body: {err}");
        // Nothing was queued.
        assert!(store.outbox(None, &[OutboxState::Queued]).await.unwrap().is_empty());
    })
    .await;
}
