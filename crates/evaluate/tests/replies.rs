//! The inbox measured on the project's own real-pattern corpus (`tests/replies`: replies
//! written after real UK council and NHS correspondence, labelled): the figures the README
//! quotes must hold on every run, and none of the mistakes that matter most may come back.

use std::path::Path;

use foi_evaluate::{Report, labels, run};
use foi_inbox::classify::Classifier;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

async fn evaluate() -> Report {
    assert!(
        foi_inbox::extract::pdf_text_available(),
        "pdftotext (Debian package poppler-utils) is needed to read the corpus's PDF letters: .ci/test installs it"
    );
    let set = labels::read(&root().join("tests/replies")).unwrap_or_else(|e| panic!("{e}"));
    assert!(set.len() >= 150, "the corpus has {} labelled replies", set.len());
    let setup = run::Setup::shipped(root(), Classifier::builtin());
    run::labelled(&set, &setup).await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_corpus_is_read_as_labelled() {
    let r = evaluate().await;
    let report = r.text(false);
    let at_least = |what: &str, got: f64, want: f64| assert!(got >= want, "{what}: {got:.1}% < {want}%\n{report}");
    at_least("class agreement", r.agreement.percent(), 90.0);
    at_least("answers recognised as answers", r.answers_recognised.percent(), 90.0);
    assert!(r.false_clarifications.is_empty(), "replies that ask nothing classed clarification\n{report}");
    at_least("exemption precision", r.exemptions.precision.percent(), 95.0);
    at_least("exemption recall", r.exemptions.recall.percent(), 95.0);
    at_least("matching with the token intact", r.matched.percent(), 95.0);
    assert_eq!(r.own_domain_lost.n, r.own_domain_lost.of, "own-domain replies unmatched with the token lost\n{report}");
    assert!(r.own_domain_lost.of >= 50, "too few own-domain replies to say anything: {}", r.own_domain_lost.of);
    assert_eq!(r.matched_wrongly, 0, "replies matched to the wrong request\n{report}");
    at_least("suggestion precision", r.suggestions.precision.percent(), 80.0);
    at_least("suggestion recall", r.suggestions.recall.percent(), 70.0);
    assert_eq!(r.evidence_not_own, 0, "suggestions whose evidence is not the reply's own words\n{report}");
    // A wrong confident class is worse than unknown: mistakes stay few.
    assert!(r.wrong_and_sure * 100 <= r.replies * 6, "{} replies given a wrong class\n{report}", r.wrong_and_sure);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_rules_file_leaves_replies_unknown_and_matches_still_hold() {
    // Without text rules only structure decides (bounces, auto-replies, answers laid out
    // question by question): every other reply is unknown, to review; no class comes from a
    // phrase no rule names.
    let set = labels::read(&root().join("tests/replies/councils-process")).unwrap_or_else(|e| panic!("{e}"));
    let empty = Classifier::from_toml("", "empty.toml").unwrap_or_else(|e| panic!("{e}"));
    let setup = run::Setup::shipped(root(), std::sync::Arc::new(empty));
    let r = run::labelled(&set, &setup).await.unwrap_or_else(|e| panic!("{e}"));
    for x in &r.readings {
        assert!(
            matches!(x.class.as_str(), "unknown" | "bounce" | "auto_reply" | "answer_full"),
            "{} was given {} without a rule",
            x.file,
            x.class
        );
    }
    assert!(r.matched.percent() >= 95.0, "{}", r.matched);
}
