//! Every message of the shared real-world corpus goes through the whole ingest pipeline: no
//! panic, none lost, raw bytes kept exactly, nothing duplicated on a second import, and the
//! attachments the source projects expect. Built and run only with the `shared-corpus` feature:
//! the corpus exists only on this project's machines (`.ci/test` runs it when `../shared/corpus`
//! is there), and a fresh clone tests without it.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::PathBuf;

use foi_inbox::classify::Classifier;
use foi_inbox::extract::Limits;
use foi_inbox::{Ingestor, sources};
use foi_store::MessageFilter;
use foi_store::testing::each_backend;

/// The shared corpus beside the repository. This test is built only with the `shared-corpus`
/// feature (`.ci/test` turns it on when `../shared/corpus` exists): asked for, the corpus
/// must be there, so a missing one fails here, loudly, instead of testing nothing.
fn corpus() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        dir.join("README.md").is_file(),
        "the shared corpus is missing at {}: the `shared-corpus` feature runs these tests only \
where ../shared/corpus exists beside the repository",
        dir.display()
    );
    dir
}

/// Mail files of the corpus (expectation and licence files left out).
fn mail_files() -> Vec<PathBuf> {
    let all = sources::files(&[corpus()]).unwrap();
    let mut files: Vec<PathBuf> = walk(&corpus())
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            !(name.ends_with(".md")
                || name.ends_with(".tsv")
                || name.ends_with(".json")
                || name.starts_with("LICENSE")
                || name.ends_with(".expected")
                || p.to_string_lossy().contains("/folding/")
                || name.ends_with("_reply_text"))
        })
        .collect();
    files.sort();
    assert!(all.len() <= files.len());
    files
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_corpus_is_ingested_once_without_loss() {
    let files = mail_files();
    assert!(files.len() > 200, "found {} corpus files", files.len());
    each_backend(|store| {
        let files = files.clone();
        async move {
            let ing = Ingestor {
                store: &store,
                classifier: Classifier::builtin(),
                limits: Limits::default(),
                echo_texts: Vec::new(),
            };
            let mut ids = HashSet::new();
            let mut parse_errors = 0;
            for f in &files {
                let raw = std::fs::read(f).unwrap();
                let o = ing
                    .ingest(&raw, &f.display().to_string(), None)
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                ids.insert(o.id);
                parse_errors += usize::from(o.parse_error.is_some());
                // Byte for byte.
                if o.new {
                    assert_eq!(store.message_raw(o.id).await.unwrap(), raw, "{}", f.display());
                }
            }
            let held = store.incoming_messages(&MessageFilter::default()).await.unwrap();
            assert_eq!(held.len(), ids.len(), "every file is one stored message (or a duplicate of one)");
            // Files that share a Message-ID are the only ones folded together.
            assert!(ids.len() * 100 >= files.len() * 95, "{} messages from {} files", ids.len(), files.len());
            eprintln!(
                "corpus: {} files, {} messages stored, {} with a parse error",
                files.len(),
                ids.len(),
                parse_errors
            );
            // A second import adds nothing.
            for f in &files {
                let o = ing.ingest(&std::fs::read(f).unwrap(), "again", None).await.unwrap();
                assert!(!o.new, "{} was stored twice", f.display());
            }
            // Attachments the source projects expect.
            let by_source = |name: &str| {
                held.iter().find(|m| m.source.as_deref().is_some_and(|s| s.ends_with(name))).unwrap().clone()
            };
            let names = |name: &str| -> Vec<String> {
                by_source(name).attachments.iter().map(|a| a.filename.clone().unwrap_or_default()).collect()
            };
            assert!(names("simple-uuencoded-attachment.eml").contains(&"Happy.txt".to_string()));
            assert_eq!(
                names("incoming-request-two-same-name.eml").iter().filter(|n| *n == "hello-world.txt").count(),
                2
            );
            assert!(names("document-pdf.eml").contains(&"tiny-example.pdf".to_string()));
        }
    })
    .await;
}
