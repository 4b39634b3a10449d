//! Suggested answers read from simulated replies (their body, PDF letter or spreadsheet, as
//! foi's inbox extracts them) agree with the answers the generator wrote.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use foi_analysis::suggest::Suggester;
use foi_analysis::suggest::{confirm, suggest_round};
use foi_core::Actor;
use foi_core::{Answer, BodyKind, Codebook};
use foi_inbox::Ingestor;
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::ingest::Item;
use foi_simulate::{Launch, Mix, Sent, Simulation};
use foi_store::TagFilter;
use foi_store::testing::each_backend;

fn codebook() -> Codebook {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/codebooks/childrens-palliative-care.toml");
    Codebook::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sent(i: usize) -> Sent {
    let kind = if i.is_multiple_of(3) { BodyKind::Icb } else { BodyKind::CountyCouncil };
    let reference = format!("ref{i:05}");
    let header = format!(
        "From: Charity FOI <foi@charity.example>\r\nTo: foi@body{i}.example\r\nReply-To: foi+{reference}@charity.example\r\n\
         Subject: Freedom of Information request [FOI ref {reference}]\r\nMessage-ID: <{reference}.request.0@charity.example>\r\n\r\nbody\r\n"
    );
    let on = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    Sent::from_raw(&reference, &format!("Body {i}"), kind, &format!("foi@body{i}.example"), on, header.as_bytes())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_agree_with_what_the_replies_say() {
    let book = codebook();
    let rules = Suggester::shipped(&book.id).unwrap().unwrap();
    rules.check(&book).unwrap();
    let sim = Simulation::new(11, Mix::default(), &book).unwrap();
    let (mut expected, mut suggested, mut right) = (0, 0, 0);
    let mut wrong = Vec::new();
    let mut answers = 0;
    for i in 0..300 {
        let s = sent(i);
        for reply in sim.replies(&s) {
            if reply.expected.answers.is_empty() {
                continue;
            }
            answers += 1;
            let e = foi_inbox::examine(
                &reply.raw,
                &Classifier::builtin(),
                &foi_inbox::own::Echo::default(),
                &Limits::default(),
            )
            .await;
            let mut texts = vec![e.parsed.text.as_str()];
            texts.extend(e.attachments.iter().filter_map(|a| a.text.as_deref()));
            let got = rules.suggest(&book, s.kind, &texts);
            for (q, want) in &reply.expected.answers {
                if *want != Answer::Unclear {
                    expected += 1;
                }
                let Some(g) = got.iter().find(|g| &g.question == q) else { continue };
                suggested += 1;
                if g.answer == *want {
                    right += 1;
                } else {
                    wrong.push(format!("{q}: suggested {} for {want} from {:?}", g.answer, g.evidence));
                }
            }
        }
    }
    let precision = right as f64 / suggested as f64;
    let coverage = right as f64 / expected as f64;
    eprintln!(
        "{answers} answers: {suggested} suggestions, {right} right ({:.1}% precision), {:.1}% of the {expected} clear answers found",
        precision * 100.0,
        coverage * 100.0
    );
    for w in wrong.iter().take(20) {
        eprintln!("  {w}");
    }
    assert!(answers > 50);
    assert!(precision >= 0.98, "{} wrong suggestions", wrong.len());
    assert!(coverage >= 0.90);
}

/// Through the store: suggestions are recorded with their evidence, count for nothing until
/// a person confirms them, and running again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_count_only_once_confirmed() {
    each_backend(|store| async move {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let rows = foi_simulate::synthetic_bodies(40);
        store.import_bodies(&rows, "test", false).await.unwrap();
        let codes: Vec<String> = rows.iter().map(|b| b.body.code.clone()).collect();
        let outbox = tempfile::tempdir().unwrap();
        let launch = Launch::shipped(&root, "cpc", "CPC", NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        foi_simulate::launch_round(&store, &launch, &codes, outbox.path()).await.unwrap();
        let book = codebook();
        let sim = Simulation::new(5, Mix::default(), &book).unwrap();
        let mut items = Vec::new();
        for s in foi_simulate::sent_requests(&store, "cpc").await.unwrap() {
            for r in sim.replies(&s) {
                items.push(Item { raw: r.raw, source: s.reference.clone(), location: None });
            }
        }
        let ing = Ingestor {
            store: &store,
            classifier: Classifier::builtin(),
            limits: Limits::default(),
            echo_texts: Vec::new(),
        };
        ing.ingest_all(items, |_| {}).await.unwrap();

        let rules = Suggester::shipped(&book.id).unwrap().unwrap();
        let run = suggest_round(&store, "cpc", None, &book, &rules).await.unwrap();
        assert!(run.answers > 5 && run.suggestions > 50 && run.added == run.suggestions, "{run:?}");
        let stored = store.tags(&TagFilter { suggestions: true, ..Default::default() }).await.unwrap();
        assert_eq!(stored.len(), run.suggestions);
        assert!(stored.iter().all(|t| t.status == "suggested" && t.tagger == "system:suggest"));
        assert!(stored.iter().all(|t| t.quote.as_deref().is_some_and(|q| !q.is_empty()) && t.message_id.is_some()));

        // Not counted: the commissioning table has no coded answer yet.
        let at = chrono::Utc::now() + chrono::Duration::days(365);
        let coded = |facts: &[foi_store::RequestFacts]| facts.iter().map(|f| f.answers.len()).sum::<usize>();
        let facts = store.round_facts("cpc").await.unwrap();
        assert_eq!(coded(&facts), 0);
        let before = foi_analysis::commissioning::commissioning(&facts, &book, at, "CPC").unwrap();
        let yes = |t: &foi_analysis::Table| {
            t.rows.iter().flatten().filter(|c| matches!(c, foi_analysis::Cell::Text(s) if s == "yes")).count()
        };
        assert_eq!(yes(&before), 0);

        // A person confirms one request's two questions, then everything else.
        let first = stored[0].reference.clone();
        let ana = Actor::Person("ana".into());
        let one = confirm(&store, "cpc", Some(&first), &[stored[0].question.clone()], &ana).await.unwrap();
        assert_eq!(one.confirmed, 1);
        let all = confirm(&store, "cpc", None, &[], &ana).await.unwrap();
        assert_eq!((all.confirmed, all.already_coded), (run.suggestions - 1, 1));
        let facts = store.round_facts("cpc").await.unwrap();
        assert_eq!(coded(&facts), run.suggestions);
        // (The replies are dated after today, when the round was written out.)
        let later = chrono::Utc::now() + chrono::Duration::days(365);
        let after = foi_analysis::commissioning::commissioning(&facts, &book, later, "CPC").unwrap();
        assert!(
            yes(&after) > 10,
            "{}",
            foi_analysis::render::render(&after, foi_analysis::render::Format::Csv).unwrap()
        );

        // The coded answers the store keeps beside the tags follow the tags, also when
        // another analyst changes one of them.
        let change = stored.iter().find(|t| t.answer == "yes").unwrap();
        let bob = Actor::Person("bob".into());
        for answer in ["no", "in_development"] {
            let tag = foi_store::NewTag {
                reference: change.reference.clone(),
                question: change.question.clone(),
                answer: answer.into(),
                quote: None,
                note: None,
                tagger: bob.clone(),
                suggested: false,
                source: "manual".into(),
                message_id: None,
            };
            store.set_tags(&[tag]).await.unwrap();
        }
        let with_tags = store.round_facts_with_tags("cpc").await.unwrap();
        for f in &with_tags {
            assert_eq!(f.answers, foi_store::current_answers(&f.tags), "{}", f.request.reference);
        }
        let changed = with_tags.iter().find(|f| f.request.reference == change.reference).unwrap();
        assert_eq!(&*changed.answers[change.question.as_str()], "in_development");

        // Again: nothing changes.
        let again = suggest_round(&store, "cpc", None, &book, &rules).await.unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, run.suggestions));
        let none = confirm(&store, "cpc", None, &[], &ana).await.unwrap();
        assert_eq!((none.confirmed, none.already_coded), (0, run.suggestions));
    })
    .await;
}
