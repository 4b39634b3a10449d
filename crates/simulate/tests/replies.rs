//! Simulated replies read as what they are meant to be: foi's own inbox pipeline (parse,
//! attachment text, classification) agrees with the generator's intent, the PDF letters and
//! spreadsheets read back, and the same seed gives the same bytes.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use foi_core::{BodyKind, Codebook, MessageClass, Named};
use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_simulate::{Mix, Reply, Sent, Simulation};

fn codebook() -> Codebook {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/codebooks/childrens-palliative-care.toml");
    Codebook::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sent(i: usize) -> Sent {
    let kind = if i.is_multiple_of(3) { BodyKind::Icb } else { BodyKind::Unitary };
    let reference = format!("ref{i:05}");
    let header = format!(
        "From: Charity FOI <foi@charity.example>\r\nTo: foi@body{i}.example\r\nReply-To: foi+{reference}@charity.example\r\n\
         Subject: Freedom of Information request: CPC 2026 [FOI ref {reference}]\r\nMessage-ID: <{reference}.request.0@charity.example>\r\n\r\nbody\r\n"
    );
    Sent::from_raw(
        &reference,
        &format!("Body {i}"),
        kind,
        &format!("foi@body{i}.example"),
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        header.as_bytes(),
    )
    .unwrap()
}

fn simulate(seed: u64, n: usize, book: &Codebook) -> Vec<Reply> {
    let sim = Simulation::new(seed, Mix::default(), book).unwrap();
    (0..n).flat_map(|i| sim.replies(&sent(i))).collect()
}

#[test]
fn the_same_seed_gives_the_same_replies() {
    let book = codebook();
    let a = simulate(7, 40, &book);
    let b = simulate(7, 40, &book);
    let c = simulate(8, 40, &book);
    assert!(a.len() > 40);
    assert!(a.iter().zip(&b).all(|(x, y)| x.raw == y.raw && x.at == y.at));
    assert_ne!(
        a.iter().map(|r| r.raw.clone()).collect::<Vec<_>>(),
        c.iter().map(|r| r.raw.clone()).collect::<Vec<_>>()
    );
    // Every reply arrives after the request and in order per request.
    assert!(a.iter().all(|r| r.at.date_naive() >= NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn foi_reads_simulated_replies_as_intended() {
    let book = codebook();
    let replies = simulate(2026, 400, &book);
    let classifier = Classifier::builtin();
    let limits = Limits::default();
    // What the inbox sets aside as ours: the questions the replies may quote back.
    let echo = foi_inbox::own::Echo::from_texts(book.questions.iter().map(|q| q.text.as_str()));
    let mut agree = 0;
    let mut wrong = Vec::new();
    let mut attachments = 0;
    for r in &replies {
        let e = foi_inbox::examine(&r.raw, &classifier, &echo, &limits).await;
        assert!(e.parsed.parse_error.is_none(), "{:?}", e.parsed.parse_error);
        if let Some(kind) = r.expected.attachment {
            attachments += 1;
            assert_eq!(e.attachments.len(), 1);
            let a = &e.attachments[0];
            assert_eq!(a.extraction, "ok", "{kind}: {:?}", a.extraction_error);
            let text = a.text.as_deref().unwrap_or("");
            assert!(
                text.contains("Needs assessment") || text.contains("Has your organisation"),
                "{kind} attachment text: {text}"
            );
        }
        if e.classification.class == r.expected.class {
            agree += 1;
            if r.expected.class == MessageClass::Refusal {
                assert_eq!(e.classification.exemptions, r.expected.exemptions);
            }
        } else {
            wrong.push(format!(
                "{} read as {} ({}): {}\n    subject {:?}\n    text {:?}",
                r.expected.class.name(),
                e.classification.class.name(),
                e.classification.rule,
                e.classification.evidence,
                e.parsed.subject,
                e.parsed.text.chars().take(300).collect::<String>()
            ));
        }
    }
    let share = agree as f64 / replies.len() as f64;
    eprintln!(
        "{agree}/{} simulated replies classified as intended ({:.1}%), {attachments} with attachments",
        replies.len(),
        share * 100.0
    );
    for w in wrong.iter().take(30) {
        eprintln!("  {w}");
    }
    assert!(share >= 0.98, "{} of {} misread", wrong.len(), replies.len());
    // Every kind of reply is there.
    for class in [
        "acknowledgement",
        "auto_reply",
        "bounce",
        "answer_full",
        "answer_partial",
        "refusal",
        "not_held",
        "clarification",
    ] {
        assert!(replies.iter().any(|r| r.expected.class.name() == class), "no {class}");
    }
}
