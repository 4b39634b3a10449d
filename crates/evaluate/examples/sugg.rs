//! Development aid (not shipped): suggestions for a reply file.
fn main() {
    let book = foi_core::Codebook::from_toml(&std::fs::read_to_string("data/codebooks/childrens-palliative-care.toml").unwrap()).unwrap();
    let s = foi_analysis::suggest::Suggester::shipped("childrens-palliative-care").unwrap().unwrap();
    let kind: foi_core::BodyKind = std::env::args().nth(1).unwrap().parse().unwrap();
    for f in std::env::args().skip(2) {
        let raw = std::fs::read(&f).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let e = rt.block_on(foi_inbox::examine(&raw, &foi_inbox::classify::Classifier::builtin(), &Default::default(), &Default::default()));
        let mut texts = vec![e.parsed.text.clone()];
        texts.extend(e.attachments.iter().filter_map(|a| a.text.clone()));
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        println!("== {f}");
        for x in s.suggest(&book, kind, &refs) { println!("  {} = {} | {}", x.question, x.answer.as_stored(), x.evidence); }
    }
}
