//! The phrase book simulated bodies write with (`data/simulation/replies.toml`), and the
//! placeholders filled into it.

use serde::Deserialize;

use crate::rng::Rng;
use crate::{Error, Result};

const SHIPPED: &str = include_str!("../../../data/simulation/replies.toml");

#[derive(Debug, Deserialize)]
pub struct Phrases {
    pub acknowledgement: Letters,
    pub auto_reply: Letters,
    pub clarification: Letters,
    pub answer: AnswerPhrases,
    pub refusal: Refusals,
    pub not_held: Letters,
    /// Replies from addresses that take no requests by email (a bounce for foi).
    pub web_form: Letters,
    pub people: People,
}

#[derive(Debug, Deserialize)]
pub struct Letters {
    pub subjects: Vec<String>,
    pub bodies: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct AnswerPhrases {
    pub subjects: Vec<String>,
    pub lost_subjects: Vec<String>,
    pub openings: Vec<String>,
    pub late_openings: Vec<String>,
    pub attached: Vec<String>,
    pub late_attached: Vec<String>,
    pub closings: Vec<String>,
    pub partial_note: Vec<String>,
    pub withheld_s40: Vec<String>,
    pub yes_no: YesNo,
    pub number: Numbers,
    pub text: Texts,
}

#[derive(Debug, Deserialize)]
pub struct YesNo {
    pub yes: Vec<String>,
    pub no: Vec<String>,
    pub in_development: Vec<String>,
    pub not_held: Vec<String>,
    pub unclear: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Numbers {
    pub amount: Vec<String>,
    pub not_held: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Texts {
    pub text: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Refusals {
    pub subjects: Vec<String>,
    pub cost_limit: Vec<String>,
    pub personal_data: Vec<String>,
    pub commercial: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct People {
    pub names: Vec<String>,
    pub titles: Vec<String>,
}

impl Phrases {
    /// The shipped phrase book.
    pub fn shipped() -> Result<Phrases> {
        Phrases::from_toml(SHIPPED)
    }

    pub fn from_toml(text: &str) -> Result<Phrases> {
        let p: Phrases = toml::from_str(text).map_err(|e| Error::Phrases(e.to_string()))?;
        let lists: [(&str, &Vec<String>); 30] = [
            ("acknowledgement.subjects", &p.acknowledgement.subjects),
            ("acknowledgement.bodies", &p.acknowledgement.bodies),
            ("auto_reply.subjects", &p.auto_reply.subjects),
            ("auto_reply.bodies", &p.auto_reply.bodies),
            ("clarification.subjects", &p.clarification.subjects),
            ("clarification.bodies", &p.clarification.bodies),
            ("answer.subjects", &p.answer.subjects),
            ("answer.lost_subjects", &p.answer.lost_subjects),
            ("answer.openings", &p.answer.openings),
            ("answer.late_openings", &p.answer.late_openings),
            ("answer.attached", &p.answer.attached),
            ("answer.late_attached", &p.answer.late_attached),
            ("answer.closings", &p.answer.closings),
            ("answer.partial_note", &p.answer.partial_note),
            ("answer.withheld_s40", &p.answer.withheld_s40),
            ("answer.yes_no.yes", &p.answer.yes_no.yes),
            ("answer.yes_no.no", &p.answer.yes_no.no),
            ("answer.yes_no.in_development", &p.answer.yes_no.in_development),
            ("answer.yes_no.not_held", &p.answer.yes_no.not_held),
            ("answer.yes_no.unclear", &p.answer.yes_no.unclear),
            ("answer.number.amount", &p.answer.number.amount),
            ("answer.number.not_held", &p.answer.number.not_held),
            ("answer.text.text", &p.answer.text.text),
            ("refusal.subjects", &p.refusal.subjects),
            ("refusal.cost_limit", &p.refusal.cost_limit),
            ("refusal.personal_data", &p.refusal.personal_data),
            ("refusal.commercial", &p.refusal.commercial),
            ("not_held.subjects", &p.not_held.subjects),
            ("not_held.bodies", &p.not_held.bodies),
            ("people.titles", &p.people.titles),
        ];
        if let Some((name, _)) = lists.iter().find(|(_, l)| l.is_empty()) {
            return Err(Error::Phrases(format!("the list {name} is empty")));
        }
        if p.people.names.is_empty() {
            return Err(Error::Phrases("the list people.names is empty".into()));
        }
        Ok(p)
    }
}

/// The values a phrase's placeholders take.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub body: String,
    pub org: String,
    pub case: String,
    pub received: String,
    pub due: String,
    pub subject: String,
    pub service: String,
    pub amount: String,
    pub name: String,
    pub title: String,
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Fills `{placeholder}`s; `{org}` is capitalised where it starts a sentence.
pub fn fill(template: &str, v: &Vars) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let sentence_start = out.trim_end_matches(' ').is_empty()
            || out.ends_with('\n')
            || out.trim_end_matches(' ').ends_with(['.', ':', '-']);
        let value = match name {
            "body" => v.body.clone(),
            "org" if sentence_start => capitalised(&v.org),
            "org" => v.org.clone(),
            "case" => v.case.clone(),
            "received" => v.received.clone(),
            "due" => v.due.clone(),
            "subject" => v.subject.clone(),
            "service" => v.service.clone(),
            "amount" => v.amount.clone(),
            "name" => v.name.clone(),
            "title" => v.title.clone(),
            _ => format!("{{{name}}}"),
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Picks one phrase and fills it.
pub fn one(rng: &mut Rng, list: &[String], v: &Vars) -> String {
    let template: &String = rng.pick(list);
    fill(template, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_phrases_load_and_fill() {
        let p = Phrases::shipped().unwrap();
        assert!(!p.answer.yes_no.yes.is_empty());
        let v = Vars { org: "the ICB".into(), service: "short breaks".into(), ..Default::default() };
        assert_eq!(fill("{org} commissions {service}.", &v), "The ICB commissions short breaks.");
        assert_eq!(
            fill("Yes - {service} is commissioned by {org}.", &v),
            "Yes - short breaks is commissioned by the ICB."
        );
        assert_eq!(fill("Information not held: {org}", &v), "Information not held: The ICB");
        assert_eq!(fill("{unknown} {", &v), "{unknown} {");
    }
}
