//! The pages as typed data and their templates (`templates/web/*.html`, compiled into the
//! binary by askama, which escapes every value; only HTML foi itself drew, the report tables
//! and charts, is placed with `|safe`), and the stylesheet.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Html;

use crate::{Error, Result};

/// The stylesheet, `templates/web/style.css`.
pub const STYLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates/web/style.css"));

/// Renders a page.
pub fn render(t: &impl Template) -> Result<Html<String>> {
    t.render().map(Html).map_err(|e| Error::Internal(format!("drawing the page: {e}")))
}

/// What every page's frame shows: its title, who is signed in, a message after a form.
pub struct Layout {
    pub title: String,
    pub me: Option<Me>,
    pub flash: Option<String>,
}

impl Layout {
    /// The signed-in user's CSRF token, for the page's forms.
    pub fn csrf(&self) -> &str {
        self.me.as_ref().map(|m| m.csrf.as_str()).unwrap_or_default()
    }

    /// How many messages wait in triage.
    pub fn triage(&self) -> u64 {
        self.me.as_ref().map(|m| m.triage).unwrap_or_default()
    }
}

/// The signed-in user as the frame shows them.
pub struct Me {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub triage: u64,
}

impl Me {
    pub fn of(s: &crate::auth::Signed) -> Me {
        Me {
            name: s.user.display_name.clone().unwrap_or_else(|| s.user.username.clone()),
            role: foi_core::Named::name(s.user.role),
            csrf: s.csrf.clone(),
            triage: s.triage,
        }
    }
}

/// One choice of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "signin.html")]
pub struct SignIn {
    pub layout: Layout,
    pub username: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub layout: Layout,
    pub rounds: Vec<DashboardRound>,
    pub overdue: u64,
}

pub struct DashboardRound {
    pub slug: String,
    pub name: String,
    pub requests: usize,
    pub launched: String,
    pub overdue: u64,
    /// The response-rate table, drawn by `foi_analysis::html`.
    pub rates: String,
}

#[derive(Template)]
#[template(path = "round.html")]
pub struct RoundPage<'a> {
    pub layout: Layout,
    pub slug: String,
    pub codebook: String,
    pub template_set: String,
    pub total: usize,
    pub rows: Vec<&'a RoundRow>,
    pub states: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub q: String,
    pub only_overdue: bool,
}

pub struct RoundRow {
    pub reference: String,
    pub body: String,
    pub kind: &'static str,
    pub state: String,
    pub sent: String,
    pub due: String,
    pub overdue: i64,
    pub chasers: i32,
}

#[derive(Template)]
#[template(path = "request.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub reference: String,
    pub body: String,
    pub kind: &'static str,
    pub round: String,
    pub round_slug: String,
    pub state: String,
    pub due: String,
    pub overdue: i64,
    pub thread: Vec<ThreadMessage>,
    pub events: Vec<EventRow>,
    pub states: Vec<Choice>,
    pub may_move: bool,
}

/// A message of a request's thread (empty strings are left out of the page).
pub struct ThreadMessage {
    pub id: i64,
    pub direction: String,
    pub what: String,
    pub date: String,
    pub from: String,
    pub subject: String,
    pub class: String,
    pub evidence: String,
    pub outbox: String,
    pub text: String,
    pub attachments: Vec<AttachmentView>,
}

pub struct AttachmentView {
    pub index: usize,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub extraction: String,
    pub error: String,
    pub text: String,
}

pub struct EventRow {
    pub at: String,
    pub on: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "triage.html")]
pub struct Triage {
    pub layout: Layout,
    pub messages: Vec<TriageMessage>,
    /// Matched messages whose class the rules were unsure of.
    pub review: Vec<ReviewMessage>,
    pub q: String,
    pub found: Vec<FoundRequest>,
    /// The reference to offer in every assign form when the search found exactly one.
    pub pick: String,
    pub may_triage: bool,
}

pub struct TriageMessage {
    pub id: i64,
    pub date: String,
    pub class: String,
    pub from: String,
    pub subject: String,
    pub text: String,
}

pub struct ReviewMessage {
    pub id: i64,
    pub date: String,
    pub from: String,
    pub subject: String,
    pub request: String,
    /// What the rules said, with their confidence ("unsure: perhaps ... (0.55): ...").
    pub evidence: String,
    /// The classes a person may set, the one the rules leaned to selected.
    pub classes: Vec<Choice>,
    pub text: String,
}

pub struct FoundRequest {
    pub reference: String,
    pub body: String,
    pub round: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "tag.html")]
pub struct TagPage {
    pub layout: Layout,
    pub reference: String,
    pub body: String,
    pub kind: &'static str,
    pub questions: Vec<QuestionView>,
    pub replies: Vec<ReplyView>,
    pub next: Option<String>,
    pub may_tag: bool,
}

pub struct QuestionView {
    pub id: String,
    pub short: String,
    pub text: String,
    pub current: String,
    pub suggestion: Option<Suggestion>,
    pub options: Vec<Choice>,
    pub quote: String,
}

pub struct Suggestion {
    pub answer: String,
    pub evidence: String,
}

pub struct ReplyView {
    pub date: String,
    pub class: String,
    pub text: String,
    /// Each attachment with text: its name and the text.
    pub attachments: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "bodies.html")]
pub struct Bodies {
    pub layout: Layout,
    pub bodies: Vec<BodyRow>,
    pub total: usize,
    pub q: String,
    pub missing: bool,
    pub current: bool,
    pub may_edit: bool,
    pub report: Option<String>,
}

pub struct BodyRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub nhs_region: String,
    pub ons_region: String,
    pub email: String,
    /// Where the address came from: a page's address or the file or command.
    pub source: String,
    pub source_is_link: bool,
    pub confidence: String,
    pub note: String,
    /// Who recorded the address, and on what day.
    pub recorded: String,
}

/// An error page, for no one in particular (the frame shows no user).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    let page = ErrorPage { layout: Layout { title, me: None, flash: None }, message: message.to_string() };
    // Drawing it cannot fail short of running out of memory.
    render(&page)
        .unwrap_or_else(|_| Html("<!DOCTYPE html><title>Error · foi</title><p>Something went wrong.</p>".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let page = error_page(StatusCode::BAD_REQUEST, "<script>alert(1)</script>");
        assert!(page.0.contains("&#60;script&#62;") || page.0.contains("&lt;script&gt;"), "{}", page.0);
        assert!(!page.0.contains("<script>"), "{}", page.0);
        assert!(page.0.contains("<h1>Bad Request</h1>"), "{}", page.0);
    }
}
