//! What each simulated body does with the request it received: bounce, acknowledge, reply
//! out of office, ask for clarification, answer (in the body, as a PDF letter or as a
//! spreadsheet, on time or late), refuse, say not held, or stay silent. Each request's story
//! comes from its own seeded random numbers (keyed by the body's address and the day it was
//! sent), so it is the same whatever else is simulated and however often.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use foi_core::{Answer, AnswerType, BodyKind, Calendar, Codebook, MessageClass, Regime};

use crate::mime::{self, Attachment, Mail};
use crate::phrases::{Phrases, Vars, one};
use crate::rng::Rng;
use crate::{Result, pdf, xlsx};

/// A request as the body received it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// foi's reference token.
    pub reference: String,
    pub body_name: String,
    pub kind: BodyKind,
    /// The address the request went to: the body's FOI mailbox.
    pub body_email: String,
    /// Where replies go (the request's Reply-To, `foi+TOKEN@...`).
    pub reply_to: String,
    /// The charity's plain address (the request's From), where a reply that lost the
    /// reference lands.
    pub charity: String,
    /// The request's Message-ID, without angle brackets.
    pub message_id: String,
    pub subject: String,
    /// The request's header, as a bounce quotes it.
    pub header: String,
    pub sent_on: NaiveDate,
}

/// How likely each event is. The final outcomes (answer_full, answer_partial, refusal,
/// not_held) share one draw; what is left of it is silence.
#[derive(Debug, Clone)]
pub struct Mix {
    pub bounce: f64,
    pub acknowledgement: f64,
    pub auto_reply: f64,
    pub clarification: f64,
    pub answer_full: f64,
    pub answer_partial: f64,
    pub refusal: f64,
    pub not_held: f64,
    /// Of final replies: the share sent after the 20 working days.
    pub late: f64,
    /// Of answers: the share given as a PDF letter or a spreadsheet.
    pub attachments: f64,
    /// Of answers: the share also sent as HTML.
    pub html: f64,
    /// Of final replies: the share that loses foi's reference (a case-management system
    /// writing to the charity's plain address with its own reference).
    pub lost_reference: f64,
    /// Of replies from NHS bodies: the share sent by a person from a shared nhs.net address.
    pub shared_mailbox: f64,
    /// Bodies that take no requests by email and say so (the request did not get through).
    pub web_form: f64,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix {
            bounce: 0.02,
            acknowledgement: 0.55,
            auto_reply: 0.06,
            clarification: 0.04,
            answer_full: 0.58,
            answer_partial: 0.14,
            refusal: 0.06,
            not_held: 0.05,
            late: 0.2,
            attachments: 0.45,
            html: 0.3,
            lost_reference: 0.08,
            shared_mailbox: 0.15,
            web_form: 0.01,
        }
    }
}

/// What a simulated reply is, for checking what foi made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub reference: String,
    pub class: MessageClass,
    /// Exemptions the reply cites (`s12`, `s40`, `s43`).
    pub exemptions: Vec<String>,
    /// The coded answers the reply gives, by question id (answers only).
    pub answers: Vec<(String, Answer)>,
    /// Whether the reply carries foi's reference (Reply-To address, subject or In-Reply-To).
    pub carries_reference: bool,
    /// The attachment's kind: "pdf" or "xlsx".
    pub attachment: Option<&'static str>,
    /// Working days after the request was sent.
    pub working_day: u32,
}

/// One simulated reply: its raw bytes, when it arrives and what it is.
#[derive(Debug, Clone)]
pub struct Reply {
    pub raw: Vec<u8>,
    pub at: DateTime<Utc>,
    pub expected: Expected,
}

/// A seeded simulation of the bodies' replies to a round.
#[derive(Debug)]
pub struct Simulation<'a> {
    pub seed: u64,
    pub mix: Mix,
    pub codebook: &'a Codebook,
    phrases: Phrases,
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d).unwrap_or("example.org")
}

fn org_name(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Icb => "the ICB",
        BodyKind::Ccg => "the CCG",
        _ => "the Council",
    }
}

fn pounds(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::from("£");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

enum Outcome {
    Full,
    Partial,
    Refusal,
    NotHeld,
    Silent,
}

/// One story being told: the request, its random numbers and the replies so far.
struct Story<'s> {
    sim: &'s Simulation<'s>,
    sent: &'s Sent,
    rng: Rng,
    vars: Vars,
    /// The address the body writes from.
    from: String,
    replies: Vec<Reply>,
}

impl<'a> Simulation<'a> {
    pub fn new(seed: u64, mix: Mix, codebook: &'a Codebook) -> Result<Simulation<'a>> {
        Ok(Simulation { seed, mix, codebook, phrases: Phrases::shipped()? })
    }

    /// Every reply the body that received `sent` will write, in the order they arrive.
    pub fn replies(&self, sent: &Sent) -> Vec<Reply> {
        // Keyed by the body and the day, not foi's (random) reference: the same seed and
        // round give the same replies, run after run.
        let mut rng = Rng::for_item(self.seed, &format!("{}|{}", sent.body_email, sent.sent_on));
        let case = format!("FOI {:02}-{:04}", sent.sent_on.format("%y"), rng.between(1000, 9999));
        let cal = Calendar::uk();
        let due = cal.due_date(Regime::Foia, sent.sent_on).unwrap_or(sent.sent_on + chrono::Days::new(28));
        let vars = Vars {
            body: sent.body_name.clone(),
            org: org_name(sent.kind).into(),
            case,
            received: sent.sent_on.format("%-d %B %Y").to_string(),
            due: due.format("%-d %B %Y").to_string(),
            subject: sent.subject.clone(),
            ..Default::default()
        };
        let mut story = Story { sim: self, sent, rng, vars, from: sent.body_email.clone(), replies: Vec::new() };
        story.tell();
        story.replies.sort_by_key(|r| r.at);
        story.replies
    }
}

impl Story<'_> {
    fn tell(&mut self) {
        let sim = self.sim;
        let mix = &sim.mix;
        if self.rng.chance(mix.bounce) {
            self.bounce();
            return;
        }
        if self.rng.chance(mix.web_form) {
            self.web_form();
            return;
        }
        if self.sent.kind.is_nhs() && self.rng.chance(mix.shared_mailbox) {
            let name = self.rng.pick(&self.sim.phrases.people.names).to_lowercase().replace(' ', ".");
            self.from = format!("{name}@nhs.net");
        }
        let mut ack = false;
        if self.rng.chance(mix.acknowledgement) {
            let day = self.rng.between(0, 2);
            self.letter(MessageClass::Acknowledgement, day, true);
            ack = true;
        }
        if self.rng.chance(mix.auto_reply) {
            self.letter(MessageClass::AutoReply, 0, true);
        }
        let mut start = 0;
        if self.rng.chance(mix.clarification) {
            let day = self.rng.between(3, 8);
            self.letter(MessageClass::Clarification, day, true);
            start = day + 3; // the charity's clarification takes a few days
        }
        let draw = self.rng.unit();
        let mut at = 0.0;
        let mut outcome = Outcome::Silent;
        for (share, o) in [
            (mix.answer_full, Outcome::Full),
            (mix.answer_partial, Outcome::Partial),
            (mix.refusal, Outcome::Refusal),
            (mix.not_held, Outcome::NotHeld),
        ] {
            at += share;
            if draw < at {
                outcome = o;
                break;
            }
        }
        let late = self.rng.chance(mix.late);
        let day = if late { start + self.rng.between(21, 45) } else { start + self.rng.between(5, 20) };
        // A case-management system may drop foi's reference; an earlier acknowledgement
        // taught its own.
        let keep = !(ack && self.rng.chance(mix.lost_reference));
        match outcome {
            Outcome::Silent => {}
            Outcome::Full => self.answer(day, late, keep, false),
            Outcome::Partial => self.answer(day, late, keep, true),
            Outcome::Refusal => self.refusal(day, keep),
            Outcome::NotHeld => self.letter(MessageClass::NotHeld, day, keep),
        }
    }

    /// When a reply sent `day` working days after the request arrives.
    fn at(&mut self, day: u32) -> DateTime<Utc> {
        let date = Calendar::uk()
            .add_working_days(Regime::Foia, self.sent.sent_on, day)
            .unwrap_or(self.sent.sent_on + chrono::Days::new(u64::from(day) * 7 / 5));
        let minutes = self.rng.between(8 * 60 + 30, 17 * 60 + 30);
        let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, self.rng.between(0, 59)).unwrap_or_default();
        Utc.from_utc_datetime(&date.and_time(time))
    }

    fn message_id(&mut self) -> String {
        format!(
            "{}.{:016x}@{}",
            self.replies.len() + 1,
            self.rng.next_u64(),
            domain_of(&self.from).replace("nhs.net", "mail.nhs.net")
        )
    }

    /// A mail from the body: a reply to the request (reference kept), or a fresh mail to the
    /// charity's plain address with the body's own reference.
    fn mail(&mut self, day: u32, subject: String, text: String, keep: bool) -> Mail {
        let date = self.at(day);
        Mail {
            from: format!("{} <{}>", self.sent.body_name.replace(['"', '<', '>', ','], ""), self.from),
            to: if keep { self.sent.reply_to.clone() } else { self.sent.charity.clone() },
            subject,
            date,
            message_id: self.message_id(),
            in_reply_to: keep.then(|| self.sent.message_id.clone()),
            text,
            ..Default::default()
        }
    }

    fn push(&mut self, mail: Mail, day: u32, class: MessageClass, exemptions: &[&str], answers: Vec<(String, Answer)>) {
        let attachment = mail.attachments.first().map(|a| if a.filename.ends_with(".pdf") { "pdf" } else { "xlsx" });
        let carries_reference = mail.in_reply_to.is_some();
        self.replies.push(Reply {
            raw: mail.render(),
            at: mail.date,
            expected: Expected {
                reference: self.sent.reference.clone(),
                class,
                exemptions: exemptions.iter().map(|e| e.to_string()).collect(),
                answers,
                carries_reference,
                attachment,
                working_day: day,
            },
        });
    }

    fn bounce(&mut self) {
        let date = self.at(0);
        let id = self.message_id();
        let raw = mime::bounce(
            domain_of(&self.sent.body_email),
            &self.sent.charity,
            &self.sent.body_email,
            &self.sent.header,
            date,
            &id,
        );
        self.replies.push(Reply {
            raw,
            at: date,
            expected: Expected {
                reference: self.sent.reference.clone(),
                class: MessageClass::Bounce,
                exemptions: vec![],
                answers: vec![],
                carries_reference: true,
                attachment: None,
                working_day: 0,
            },
        });
    }

    /// "This address takes no requests: use our online form": the request did not get
    /// through, which foi reads as a bounce.
    fn web_form(&mut self) {
        let p = &self.sim.phrases.web_form;
        let subject = one(&mut self.rng, &p.subjects, &self.vars);
        let text = one(&mut self.rng, &p.bodies, &self.vars);
        let mut mail = self.mail(0, subject, text, true);
        mail.headers = vec!["Auto-Submitted: auto-replied".into()];
        self.push(mail, 0, MessageClass::Bounce, &[], vec![]);
    }

    /// A letter with no answers: acknowledgement, out of office, clarification, not held.
    fn letter(&mut self, class: MessageClass, day: u32, keep: bool) {
        let sim = self.sim;
        let p = &sim.phrases;
        let letters = match class {
            MessageClass::Acknowledgement => &p.acknowledgement,
            MessageClass::AutoReply => &p.auto_reply,
            MessageClass::Clarification => &p.clarification,
            _ => &p.not_held,
        };
        if class == MessageClass::Clarification {
            let questions = self.sim.codebook.questions_for(self.sent.kind);
            if !questions.is_empty() {
                self.vars.service = self.rng.pick(&questions).short.to_lowercase();
            }
        }
        let subject = if keep {
            one(&mut self.rng, &letters.subjects, &self.vars)
        } else {
            one(&mut self.rng, &p.answer.lost_subjects, &self.vars)
        };
        let text = one(&mut self.rng, &letters.bodies, &self.vars);
        let mut mail = self.mail(day, subject, text, keep);
        if class == MessageClass::AutoReply {
            mail.headers = vec!["Auto-Submitted: auto-replied".into(), "X-Autoreply: yes".into()];
            mail.from = format!("{} <{}>", self.rng.pick(&p.people.names), self.from);
        } else if class == MessageClass::Acknowledgement && self.rng.chance(0.5) {
            mail.headers = vec!["Auto-Submitted: auto-generated".into()];
        }
        self.push(mail, day, class, &[], vec![]);
    }

    fn refusal(&mut self, day: u32, keep: bool) {
        let sim = self.sim;
        let p = &sim.phrases;
        let (list, exemption) = match self.rng.below(20) {
            0..=11 => (&p.refusal.cost_limit, "s12"),
            12..=16 => (&p.refusal.personal_data, "s40"),
            _ => (&p.refusal.commercial, "s43"),
        };
        let subject = if keep {
            one(&mut self.rng, &p.refusal.subjects, &self.vars)
        } else {
            one(&mut self.rng, &p.answer.lost_subjects, &self.vars)
        };
        let text = format!(
            "{}\n\n{}",
            one(&mut self.rng, list, &self.vars),
            one(&mut self.rng, &p.answer.closings, &self.vars)
        );
        let mail = self.mail(day, subject, text, keep);
        self.push(mail, day, MessageClass::Refusal, &[exemption], vec![]);
    }

    /// The coded answers, the text answering each question (its short label, its wording, the
    /// answer), and whether something was withheld under s.40.
    #[allow(clippy::type_complexity)]
    fn answers(&mut self, partial: bool) -> (Vec<(String, Answer)>, Vec<(String, String, String)>, bool) {
        let sim = self.sim;
        let p = &sim.phrases.answer;
        let mut coded: Vec<(String, Answer)> = Vec::new();
        let mut written = Vec::new();
        let mut withheld = false;
        let mut any_not_held = false;
        let questions = self.sim.codebook.questions_for(self.sent.kind);
        let n = questions.len();
        for (i, q) in questions.into_iter().enumerate() {
            self.vars.service = q.short.to_lowercase();
            // A partial answer does not hold some of it (at least the last question).
            let not_held = partial && (self.rng.chance(0.25) || (i + 1 == n && !any_not_held));
            let paired_no = q
                .pair_of
                .as_ref()
                .and_then(|base| coded.iter().find(|(id, _)| id == base))
                .is_some_and(|(_, a)| *a != Answer::Yes);
            let (answer, text) = match &q.answer {
                _ if not_held => {
                    any_not_held = true;
                    let list = if q.answer == AnswerType::Number { &p.number.not_held } else { &p.yes_no.not_held };
                    (Answer::NotHeld, one(&mut self.rng, list, &self.vars))
                }
                AnswerType::YesNo if paired_no => (Answer::No, one(&mut self.rng, &p.yes_no.no, &self.vars)),
                AnswerType::YesNo => {
                    let (a, list) = match self.rng.below(100) {
                        0..=57 => (Answer::Yes, &p.yes_no.yes),
                        58..=89 => (Answer::No, &p.yes_no.no),
                        90..=95 => (Answer::InDevelopment, &p.yes_no.in_development),
                        _ => (Answer::Unclear, &p.yes_no.unclear),
                    };
                    (a, one(&mut self.rng, list, &self.vars))
                }
                AnswerType::Number => {
                    let amount = self.rng.between(20, 900) as u64 * 1000 + self.rng.below(1000);
                    self.vars.amount = pounds(amount);
                    (Answer::Number(amount as f64), one(&mut self.rng, &p.number.amount, &self.vars))
                }
                AnswerType::Text | AnswerType::Choice(_) => {
                    self.vars.title = self.rng.pick(&self.sim.phrases.people.titles).clone();
                    if partial && q.id == "named_lead" && self.rng.chance(0.5) {
                        withheld = true;
                    }
                    (Answer::Text(self.vars.title.clone()), one(&mut self.rng, &p.text.text, &self.vars))
                }
            };
            coded.push((q.id.clone(), answer));
            written.push((q.short.clone(), q.text.clone(), text));
        }
        (coded, written, withheld)
    }

    fn answer(&mut self, day: u32, late: bool, keep: bool, partial: bool) {
        let (coded, written, withheld) = self.answers(partial);
        let sim = self.sim;
        let p = &sim.phrases.answer;
        let subject = if keep {
            one(&mut self.rng, &p.subjects, &self.vars)
        } else {
            one(&mut self.rng, &p.lost_subjects, &self.vars)
        };
        let closing = one(&mut self.rng, &p.closings, &self.vars);
        let mut notes = String::new();
        if partial {
            notes.push_str(&one(&mut self.rng, &p.partial_note, &self.vars));
            notes.push_str("\n\n");
        }
        if withheld {
            notes.push_str(&one(&mut self.rng, &p.withheld_s40, &self.vars));
            notes.push_str("\n\n");
        }
        let attach = self.rng.chance(self.sim.mix.attachments);
        let spreadsheet = attach && self.rng.chance(0.4);
        let html = self.rng.chance(self.sim.mix.html);
        let class = if partial { MessageClass::AnswerPartial } else { MessageClass::AnswerFull };
        let exemptions: &[&str] = if withheld { &["s40"] } else { &[] };
        let opening_list = if late { &p.late_openings } else { &p.openings };
        let opening = one(&mut self.rng, opening_list, &self.vars);
        // Bodies lay their answers out in many ways (tests/replies/*/PATTERNS.md).
        let mut qa = String::new();
        match self.rng.below(4) {
            // "1. Needs assessment" then the answer.
            0 => {
                for (i, (short, _, a)) in written.iter().enumerate() {
                    qa.push_str(&format!("{}. {short}\n{a}\n\n", i + 1));
                }
            }
            // Our question quoted back in full, then "Response:".
            1 => {
                for (i, (_, text, a)) in written.iter().enumerate() {
                    qa.push_str(&format!("{}. {text}\n\nResponse: {a}\n\n", i + 1));
                }
            }
            // Every question, then every answer.
            2 => {
                qa.push_str("You asked:\n\n");
                for (i, (_, text, _)) in written.iter().enumerate() {
                    qa.push_str(&format!("{}. {text}\n\n", i + 1));
                }
                qa.push_str("Our answers:\n\n");
                for (i, (_, _, a)) in written.iter().enumerate() {
                    qa.push_str(&format!("{}. {a}\n", i + 1));
                }
                qa.push('\n');
            }
            // The body's own lettering, with short titles.
            _ => {
                for (i, (short, _, a)) in written.iter().enumerate() {
                    let letter = char::from(b'a' + (i % 26) as u8);
                    qa.push_str(&format!("{letter}) {short}: {a}\n"));
                }
                qa.push('\n');
            }
        }
        let letter = format!("{opening}\n\n{qa}{notes}{closing}");
        if !attach {
            let mut mail = self.mail(day, subject, letter, keep);
            mail.html = html;
            self.push(mail, day, class, exemptions, coded);
            return;
        }
        let covering_list = if late { &p.late_attached } else { &p.attached };
        let covering = format!("{}\n\n{notes}{closing}", one(&mut self.rng, covering_list, &self.vars));
        let file = self.vars.case.replace(' ', "-");
        let attachment = if spreadsheet {
            let mut rows = vec![vec!["Question".to_string(), "Topic".to_string(), "Response".to_string()]];
            for (i, (q, _, a)) in written.iter().enumerate() {
                rows.push(vec![(i + 1).to_string(), q.clone(), a.clone()]);
            }
            Attachment {
                filename: format!("{file} response.xlsx"),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes: xlsx::workbook("Response", &rows),
            }
        } else {
            Attachment {
                filename: format!("{file} response.pdf"),
                content_type: "application/pdf",
                bytes: pdf::letter(&format!("Response to request {}", self.vars.case), &letter),
            }
        };
        let mut mail = self.mail(day, subject, covering, keep);
        mail.html = html;
        mail.attachments.push(attachment);
        self.push(mail, day, class, exemptions, coded);
    }
}
