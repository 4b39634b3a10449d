//! The values templates see: the body, the round, the sender, the reference and the
//! codebook's questions for the body's kind (so the email and the codebook are one source).

use chrono::NaiveDate;
use foi_core::{Body, Codebook, Named, Reference, Round};
use serde_json::{Value, json};

use crate::Sender;

/// A date as a letter writes it: `23 November 2026`.
pub fn letter_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The context of a request to `body`.
pub fn request(
    body: &Body,
    round: &Round,
    sender: &Sender,
    reference: &Reference,
    codebook: &Codebook,
    today: NaiveDate,
) -> Value {
    let questions: Vec<Value> = codebook
        .questions_for(body.kind)
        .iter()
        .enumerate()
        .map(|(i, q)| json!({"number": i + 1, "id": q.id, "text": q.text, "pair_of": q.pair_of.clone().unwrap_or_default()}))
        .collect();
    json!({
        "body": {
            "name": body.name,
            "code": body.code,
            "kind": body.kind.name(),
            "kind_label": body.kind.label(),
            "region": body.region.clone().unwrap_or_default(),
        },
        "round": {"name": round.name, "slug": round.slug},
        "sender": {"name": sender.name, "email": sender.email},
        "reference": reference.as_str(),
        "reply_to": sender.reply_address(reference),
        "date": letter_date(today),
        "questions": questions,
    })
}

/// What a follow-up says about the original request.
#[derive(Debug, Clone)]
pub struct Original {
    pub sent: NaiveDate,
    pub subject: String,
    pub due: Option<NaiveDate>,
    pub working_days_overdue: i64,
}

/// The context of a chaser, internal review request or clarification: the request's context
/// plus `original`, `chaser_number`, `clarification_text` and `review_reason`.
pub fn followup(
    mut base: Value,
    original: &Original,
    chaser_number: u32,
    clarification_text: &str,
    review_reason: &str,
) -> Value {
    if let Some(map) = base.as_object_mut() {
        map.insert(
            "original".into(),
            json!({
                "sent_date": letter_date(original.sent),
                "subject": original.subject,
                "due_date": original.due.map(letter_date).unwrap_or_default(),
                "working_days_overdue": original.working_days_overdue,
            }),
        );
        map.insert("chaser_number".into(), json!(chaser_number));
        map.insert("clarification_text".into(), json!(clarification_text));
        map.insert("review_reason".into(), json!(review_reason));
    }
    base
}
