//! Development aid (not shipped): prints what the classifier reads of a reply file.
use foi_inbox::classify::{Classifier, Input};
fn main() {
    let echo_texts: Vec<String> = ["/tmp/foi-research/request-icb.txt", "/tmp/foi-research/request-council.txt"]
        .iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    let mut echo = foi_inbox::own::Echo::default();
    for t in &echo_texts { echo.add(t); }
    let c = Classifier::builtin();
    for f in std::env::args().skip(1) {
        let raw = std::fs::read(&f).unwrap();
        let p = foi_inbox::parse::parse(&raw);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let e = rt.block_on(foi_inbox::examine(&raw, &c, &echo, &Default::default()));
        let att: String = e.attachments.iter().filter_map(|a| a.text.clone()).collect::<Vec<_>>().join("\n");
        println!("==== {f}\n--- own text:\n{}", foi_inbox::own::own_words(&p.text, Some(&echo)));
        if !att.is_empty() { println!("--- own attachments:\n{}", foi_inbox::own::own_words(&att, Some(&echo))); }
        let _ = Input::default();
        println!("--- => {:?} {:.2} {:?} | {}", e.classification.class, e.classification.confidence, e.classification.guess, e.classification.evidence);
    }
}
