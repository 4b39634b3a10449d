//! Coding answers: one tag checked against the request's round's codebook (the question must
//! be asked of the body's kind, the answer must fit the question), and a CSV of tags imported
//! all or nothing (every bad row named by its line). Suggestions and their confirmation live
//! in foi-analysis (`suggest`).

use foi_core::{Actor, Codebook};
use foi_store::{NewTag, Store, TagOutcome};

use crate::rounds::of_request;
use crate::{Error, Result};

/// The answer in its stored form, checked against the request's round's codebook.
pub async fn checked_answer(store: &Store, reference: &str, question: &str, answer: &str) -> Result<String> {
    let r = store.request(reference).await?;
    let round = of_request(store, &r).await?;
    let book = Codebook::from_toml(&round.codebook)
        .map_err(|e| Error::Invalid(format!("the codebook of round {}: {e}", round.slug)))?;
    book.stored_answer(r.body.kind, question, answer).map_err(|e| Error::Invalid(format!("round {}: {e}", round.slug)))
}

/// One tag as a person gives it.
#[derive(Debug, Clone)]
pub struct Given {
    pub reference: String,
    pub question: String,
    pub answer: String,
    pub quote: Option<String>,
    pub note: Option<String>,
}

/// Records one tag in `by`'s name (`source`: `manual`, `web`...); returns the answer as
/// stored and what became of the earlier answer.
pub async fn tag(store: &Store, given: &Given, by: &Actor, source: &str) -> Result<(String, TagOutcome)> {
    let stored = checked_answer(store, &given.reference, &given.question, &given.answer).await?;
    let outcome = store
        .set_tags(&[NewTag {
            reference: given.reference.clone(),
            question: given.question.clone(),
            answer: stored.clone(),
            quote: given.quote.clone().filter(|q| !q.trim().is_empty()),
            note: given.note.clone().filter(|n| !n.trim().is_empty()),
            tagger: by.clone(),
            suggested: false,
            source: source.into(),
            message_id: None,
        }])
        .await?
        .into_iter()
        .next()
        .unwrap_or(TagOutcome::Unchanged);
    Ok((stored, outcome))
}

/// Imports tags from CSV bytes with columns request, question, answer[, quote, note]: every
/// row checked first; any bad row and nothing is recorded ([`Error::Rows`], each `line N:
/// ...`).
pub async fn import(store: &Store, csv_bytes: &[u8], by: &Actor) -> Result<Vec<TagOutcome>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_bytes);
    let headers = reader.headers().map_err(|e| Error::Rows(vec![format!("line 1: {e}")]))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(rc), Some(qc), Some(ac)) = (col("request"), col("question"), col("answer")) else {
        return Err(Error::Rows(vec!["line 1: the header needs request, question and answer columns".into()]));
    };
    let (quote, note) = (col("quote"), col("note"));
    let mut tags = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
        let (Some(reference), Some(question), Some(answer)) = (get(Some(rc)), get(Some(qc)), get(Some(ac))) else {
            errors.push(format!("line {line}: request, question and answer are required"));
            continue;
        };
        match checked_answer(store, reference, question, answer).await {
            Ok(stored) => tags.push(NewTag {
                reference: reference.to_string(),
                question: question.to_string(),
                answer: stored,
                quote: get(quote).map(str::to_string),
                note: get(note).map(str::to_string),
                tagger: by.clone(),
                suggested: false,
                source: "import".into(),
                message_id: None,
            }),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Rows(errors));
    }
    Ok(store.set_tags(&tags).await?)
}

/// Suggestion rules given as a file's text (and its name, for errors), else the ones shipped
/// for the round's codebook.
pub struct Rules<'a> {
    pub text: &'a str,
    pub name: &'a str,
}

/// The round a suggestion or confirmation is about: the one named, else the request's, else
/// the latest.
async fn round_for(store: &Store, round: Option<&str>, request: Option<&str>) -> Result<foi_core::Round> {
    match (round, request) {
        (None, Some(r)) => of_request(store, &store.request(r).await?).await,
        _ => crate::rounds::pick(store, round).await,
    }
}

/// Reads the round's answers (or one request's) with the suggestion rules and records a
/// suggested answer, with its evidence, for each question they can read. Suggestions never
/// count until a person confirms them.
pub async fn suggest(
    store: &Store,
    round: Option<&str>,
    request: Option<&str>,
    rules: Option<Rules<'_>>,
) -> Result<foi_analysis::suggest::SuggestRun> {
    use foi_analysis::suggest::{Suggester, suggest_round};
    let round = round_for(store, round, request).await?;
    let book = Codebook::from_toml(&round.codebook)
        .map_err(|e| Error::Invalid(format!("the codebook of round {}: {e}", round.slug)))?;
    let rules = match rules {
        Some(r) => Suggester::from_toml(r.text, r.name)?,
        None => Suggester::shipped(&book.id).ok_or_else(|| {
            Error::Invalid(format!("no suggestion rules are shipped for codebook {}: give a rules file", book.id))
        })??,
    };
    rules.check(&book)?;
    Ok(suggest_round(store, &round.slug, request, &book, &rules).await?)
}

/// Confirms suggestions as `by`'s own tags: one request's (these questions, else all), or
/// the whole round's where nobody has coded the question yet.
pub async fn confirm(
    store: &Store,
    round: Option<&str>,
    request: Option<&str>,
    questions: &[String],
    by: &Actor,
) -> Result<foi_analysis::suggest::Confirmed> {
    let round = round_for(store, round, request).await?;
    Ok(foi_analysis::suggest::confirm(store, &round.slug, request, questions, by).await?)
}
