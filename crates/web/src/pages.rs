//! The pages and form handlers: each reads through the store and the libraries, checks the
//! signed-in user's role (and, for a form, its CSRF token), and renders a template.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use foi_analysis::html::Section;
use foi_analysis::render::Format;
use foi_core::{Actor, AnswerType, Calendar, Codebook, MessageClass, Named, Request, RequestState, Round};
use foi_store::{BodyFilter, BodyUpdate, MessageFilter, TagFilter};
use serde::Deserialize;

use crate::auth::{self, Action, Signed};
use crate::cache::{Listed, RoundName, RoundRows};
use crate::views::{
    self, AttachmentView, BodyRow, Choice, EventRow, FoundRequest, Layout, Me, QuestionView, ReplyView, RequestPage,
    RoundPage, RoundRow, Suggestion, TagPage, ThreadMessage, TriageMessage,
};
use crate::{App, Error, Result};

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn label(s: &str) -> String {
    s.replace('_', " ")
}

/// The frame of a page for the signed-in user.
fn frame(s: &Signed, title: impl Into<String>, flash: Option<&str>) -> Layout {
    Layout { title: title.into(), me: Some(Me::of(s)), flash: flash.map(str::to_string) }
}

/// The choices of a `<select>` from (value, label) pairs.
fn choices<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>, selected: Option<&str>) -> Vec<Choice> {
    pairs
        .into_iter()
        .map(|(value, label)| Choice { value: value.to_string(), label, selected: selected == Some(value) })
        .collect()
}

/// What a finished form says on the page it returns to.
fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "assigned" => "Message assigned.",
        "dismissed" => "Message dismissed.",
        "classified" => "Class set.",
        "tagged" => "Answer saved.",
        "moved" => "State changed.",
        "saved" => "Body saved.",
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

// ---- signing in and out ----

fn signin_page(flash: Option<&str>, username: String) -> Result<Html<String>> {
    views::render(&views::SignIn {
        layout: Layout { title: "Sign in".into(), me: None, flash: flash.map(str::to_string) },
        username,
    })
}

pub async fn signin_form() -> Result<Html<String>> {
    signin_page(None, String::new())
}

#[derive(Deserialize)]
pub struct SignIn {
    username: String,
    password: String,
}

pub async fn signin(State(app): State<App>, headers: HeaderMap, Form(f): Form<SignIn>) -> Result<Response> {
    auth::same_origin(&headers)?;
    let found = match app.store.user_with_hash(f.username.trim()).await {
        Ok(u) => Some(u),
        Err(foi_store::Error::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let ok = auth::verify_user(&f.password, found.as_ref().map(|(u, hash)| (hash.as_str(), u.disabled)));
    let Some((user, _)) = found.filter(|_| ok) else {
        let html = signin_page(Some("Wrong user name or password."), f.username)?;
        return Ok((StatusCode::UNAUTHORIZED, html).into_response());
    };
    let token = auth::new_token()?;
    let csrf = auth::new_token()?;
    let expires = Utc::now() + Duration::hours(auth::SESSION_HOURS);
    app.store.add_session(user.id, &auth::token_hash(&token), &csrf, expires).await?;
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        auth::COOKIE,
        auth::SESSION_HOURS * 3600,
        if app.secure_cookie { "; Secure" } else { "" }
    );
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?);
    Ok(r)
}

pub async fn signout(
    State(app): State<App>,
    s: Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Result<Response> {
    s.check_form(Action::Read, &f.csrf)?;
    if let Some(token) = auth::session_token(&headers) {
        app.store.end_session(&auth::token_hash(&token)).await?;
    }
    let mut r = Redirect::to("/signin").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("foi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], views::STYLE)
        .into_response()
}

// ---- dashboard, rounds, reports ----

pub async fn dashboard(State(app): State<App>, s: Signed) -> Result<Html<String>> {
    let today = app.today();
    let at = today.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
    let cal = Calendar::uk();
    let mut rounds = Vec::new();
    let mut overdue_all = 0;
    let mut all = app.store.rounds().await?;
    all.sort_by_key(|r| std::cmp::Reverse((r.launch_date, r.id)));
    for r in all {
        let facts = app.store.round_facts_without_answers(&r.slug).await?;
        let parts = foi_analysis::reports::monthly(&facts, at, &r.name, cal)?;
        let rates = parts.into_iter().next().map(|(_, s)| s);
        let overdue = match &rates {
            Some(sec) => overdue_of(sec),
            None => 0,
        };
        overdue_all += overdue;
        rounds.push(views::DashboardRound {
            requests: facts.len(),
            launched: r.launch_date.map(|d| d.to_string()).unwrap_or_else(|| "not yet".into()),
            overdue,
            rates: rates.as_ref().map(foi_analysis::html::section).unwrap_or_default(),
            slug: r.slug,
            name: r.name,
        });
    }
    views::render(&views::Dashboard { layout: frame(&s, "Dashboard", None), rounds, overdue: overdue_all })
}

/// The "overdue" count of the all-bodies row of a response-rate table.
fn overdue_of(s: &Section) -> u64 {
    let col = s.table.columns.iter().position(|c| c == "overdue");
    let row = s.table.rows.iter().find(|r| r.first().is_some_and(|c| c.text() == "all"));
    match (col, row) {
        (Some(c), Some(r)) => match r.get(c) {
            Some(foi_analysis::Cell::CountOf { n, .. } | foi_analysis::Cell::Count(n)) => *n,
            _ => 0,
        },
        _ => 0,
    }
}

#[derive(Deserialize, Default)]
pub struct RoundQuery {
    state: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    overdue: Option<String>,
}

const SORTS: [(&str, &str); 5] =
    [("body", "body"), ("state", "state"), ("due", "due date"), ("overdue", "most overdue"), ("kind", "kind")];

pub async fn round(
    State(app): State<App>,
    s: Signed,
    Path(slug): Path<String>,
    Query(q): Query<RoundQuery>,
) -> Result<Html<String>> {
    let round = app.store.round(&slug).await?;
    let computed = round_rows(&app, &round).await?;
    let want_state = q.state.as_deref().filter(|s| !s.is_empty());
    let search = q.q.as_deref().map(str::to_lowercase).filter(|s| !s.is_empty());
    let only_overdue = q.overdue.is_some();
    let mut rows: Vec<&Listed> = computed
        .listed
        .iter()
        .filter(|l| want_state.is_none_or(|w| l.state.name() == w))
        .filter(|l| {
            search
                .as_ref()
                .is_none_or(|s| l.name_lower.contains(s) || l.row.reference.contains(s) || l.code_lower == *s)
        })
        .filter(|l| !only_overdue || l.row.overdue > 0)
        .collect();
    let sort = q.sort.as_deref().unwrap_or("body");
    let by_body = |a: &&Listed, b: &&Listed| a.row.body.cmp(&b.row.body);
    match sort {
        "state" => rows.sort_by(|a, b| a.state.name().cmp(b.state.name()).then(by_body(a, b))),
        "due" => rows.sort_by(|a, b| a.due.cmp(&b.due).then(by_body(a, b))),
        "overdue" => rows.sort_by(|a, b| b.row.overdue.cmp(&a.row.overdue).then(by_body(a, b))),
        "kind" => rows.sort_by(|a, b| a.row.kind.cmp(b.row.kind).then(by_body(a, b))),
        _ => rows.sort_by(by_body),
    }
    let states = choices(RequestState::ALL.iter().map(|st| (st.name(), label(st.name()))), want_state);
    let sorts = choices(SORTS.iter().map(|(v, l)| (*v, l.to_string())), Some(sort));
    views::render(&RoundPage {
        layout: frame(&s, round.name, None),
        slug: round.slug,
        codebook: round.codebook_name,
        template_set: round.template_set,
        total: computed.listed.len(),
        rows: rows.into_iter().map(|l| &l.row).collect(),
        states,
        sorts,
        q: q.q.unwrap_or_default(),
        only_overdue,
    })
}

/// Every request of `round` as its page lists them, today: kept from an earlier page while
/// the round's revision stays the same, else read (after the round, so never older than
/// its revision) and computed.
async fn round_rows(app: &App, round: &Round) -> Result<Arc<RoundRows>> {
    let today = app.today();
    if let Some(rows) = app.rounds.get(round, today) {
        return Ok(rows);
    }
    let (requests, mut events) =
        tokio::try_join!(app.store.requests(&round.slug), app.store.round_clock_events(&round.slug))?;
    let listed = requests
        .iter()
        .map(|r| {
            let st = foi_mailer::round::status_with(r, &events.remove(&r.id).unwrap_or_default(), today)?;
            Ok(Listed {
                state: st.state,
                due: st.due,
                name_lower: st.body_name.to_lowercase(),
                code_lower: st.body_code.to_lowercase(),
                row: RoundRow {
                    kind: r.body.kind.label(),
                    body: st.body_name,
                    state: label(st.state.name()),
                    sent: st.sent_on.map(|d| d.to_string()).unwrap_or_default(),
                    due: st.due.map(|d| d.to_string()).unwrap_or_default(),
                    overdue: st.working_days_overdue.max(0),
                    chasers: st.chasers_sent,
                    reference: st.reference,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let rows = Arc::new(RoundRows { revision: round.revision, today, listed });
    app.rounds.put(round.id, rows.clone());
    Ok(rows)
}

/// `/rounds/SLUG/reports/monthly.csv` and the like: the report as a download.
pub async fn report(
    State(app): State<App>,
    _s: Signed,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| Error::NotFound(format!("no report {file}")))?;
    let at = app.today().and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
    use foi_app::reports::Which;
    let which = match name {
        "monthly" => Which::Monthly { by: foi_analysis::rates::RegionBy::Nhs },
        "commissioning" => Which::Commissioning,
        _ => return Err(Error::NotFound(format!("no report {name}: monthly or commissioning"))),
    };
    let report = foi_app::reports::report(&app.store, Some(&slug), &which, at).await?;
    let (round, parts) = (report.round, report.parts);
    let (format, mime) = match ext {
        "csv" => (Format::Csv, "text/csv; charset=utf-8"),
        "xlsx" => (Format::Xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "html" => (Format::Html, "text/html; charset=utf-8"),
        _ => return Err(Error::NotFound(format!("no format {ext}: csv, xlsx or html"))),
    };
    let sections: Vec<Section> = parts.into_iter().map(|(_, s)| s).collect();
    let bytes = foi_analysis::reports::document(&round.name, &sections, format)?;
    Ok(download(bytes, mime, &format!("{slug}-{name}.{ext}")))
}

/// A file to save, never to show: its type as given, not sniffed, under a strict policy.
fn download(bytes: Vec<u8>, mime: &str, filename: &str) -> Response {
    let safe: String = filename
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn codebook(round: &Round) -> Result<Codebook> {
    Ok(Codebook::from_toml(&round.codebook)?)
}

/// The slug and name of round `id`: read once, then kept (they never change).
async fn round_name(app: &App, id: i32) -> Result<Arc<RoundName>> {
    if let Some(name) = app.round_names.get(id) {
        return Ok(name);
    }
    let round = app.store.round_by_id(id).await?;
    let name = Arc::new(RoundName { slug: round.slug, name: round.name });
    app.round_names.put(id, name.clone());
    Ok(name)
}

async fn round_of(app: &App, r: &Request) -> Result<Round> {
    Ok(app.store.round_by_id(r.round_id).await?)
}

// ---- a request: thread, log, state ----

pub async fn request(
    State(app): State<App>,
    s: Signed,
    Path(reference): Path<String>,
    Query(d): Query<Done>,
) -> Result<Html<String>> {
    // The parts are read at once, each on its own connection: first what the reference
    // finds, then what the request's ids find.
    let (r, thread) = tokio::try_join!(app.store.request(&reference), app.store.thread(&reference))?;
    let (round, log) =
        tokio::try_join!(round_name(&app, r.round_id), async { Ok(app.store.request_events(r.id).await?) })?;
    let status = foi_mailer::round::status_with(&r, &log, app.today())?;
    let thread: Vec<ThreadMessage> = thread
        .into_iter()
        .map(|t| {
            let m = t.message;
            let attachments = t
                .attachments
                .into_iter()
                .enumerate()
                .map(|(index, (a, text))| AttachmentView {
                    index,
                    name: a.filename.unwrap_or_else(|| "(no name)".into()),
                    content_type: a.content_type,
                    size: a.size,
                    extraction: a.extraction,
                    error: a.extraction_error.unwrap_or_default(),
                    text: text.unwrap_or_default(),
                })
                .collect();
            ThreadMessage {
                id: m.id,
                what: if m.direction == "incoming" { "reply".to_string() } else { label(&m.kind) },
                direction: m.direction,
                date: date(m.date),
                from: m.from_addr.unwrap_or_default(),
                subject: m.subject.unwrap_or_default(),
                class: t.class.as_deref().map(label).unwrap_or_default(),
                evidence: t.class_evidence.unwrap_or_default(),
                outbox: m.outbox_state.as_deref().map(label).unwrap_or_default(),
                text: t.text.unwrap_or_default(),
                attachments,
            }
        })
        .collect();
    let events: Vec<EventRow> = log
        .iter()
        .map(|e| EventRow {
            at: date(Some(e.at)),
            on: e.on.to_string(),
            from: e.from.map(|f| label(f.name())).unwrap_or_default(),
            to: label(e.to.name()),
            actor: e.actor.to_stored(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let states = choices(
        RequestState::ALL.iter().filter(|st| r.state.can_move_to(**st)).map(|st| (st.name(), label(st.name()))),
        None,
    );
    views::render(&RequestPage {
        layout: frame(&s, format!("Request {} · {}", r.reference, r.body.name), done_message(d.done.as_deref())),
        may_move: auth::may(s.user.role, Action::Officer) && !states.is_empty(),
        kind: r.body.kind.label(),
        round: round.name.clone(),
        round_slug: round.slug.clone(),
        state: label(r.state.name()),
        due: status.due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: status.working_days_overdue.max(0),
        thread,
        events,
        states,
        body: r.body.name,
        reference: r.reference,
    })
}

#[derive(Deserialize)]
pub struct Move {
    #[serde(default)]
    csrf: String,
    state: String,
    reason: String,
}

pub async fn move_request(
    State(app): State<App>,
    s: Signed,
    Path(reference): Path<String>,
    Form(f): Form<Move>,
) -> Result<Response> {
    s.check_form(Action::Officer, &f.csrf)?;
    let to = RequestState::from_name(&f.state).ok_or_else(|| Error::BadRequest(format!("no state {}", f.state)))?;
    let actor = Actor::Person(s.user.username.clone());
    foi_app::requests::move_by_hand(&app.store, &reference, to, &f.reason, &actor, app.today()).await?;
    Ok(Redirect::to(&format!("/requests/{reference}?done=moved")).into_response())
}

pub async fn attachment(State(app): State<App>, _s: Signed, Path((id, index)): Path<(i64, usize)>) -> Result<Response> {
    let found = app.store.incoming_messages(&MessageFilter { ids: Some(vec![id]), ..Default::default() }).await?;
    let m = found.into_iter().next().ok_or_else(|| Error::NotFound(format!("no message {id}")))?;
    let info =
        m.attachments.get(index).ok_or_else(|| Error::NotFound(format!("message {id} has no attachment {index}")))?;
    let bytes = app
        .store
        .attachment_contents(id)
        .await?
        .into_iter()
        .nth(index)
        .ok_or_else(|| Error::NotFound(format!("message {id} has no attachment {index}")))?;
    let name = info.filename.clone().unwrap_or_else(|| format!("attachment-{id}-{index}"));
    // Whatever it claims to be, it is served as bytes to save.
    Ok(download(bytes, "application/octet-stream", &name))
}

pub async fn raw_message(State(app): State<App>, _s: Signed, Path(id): Path<i64>) -> Result<Response> {
    let raw = app.store.message_raw(id).await?;
    Ok(download(raw, "application/octet-stream", &format!("message-{id}.eml")))
}

// ---- triage ----

#[derive(Deserialize, Default)]
pub struct TriageQuery {
    q: Option<String>,
    done: Option<String>,
}

pub async fn triage(State(app): State<App>, s: Signed, Query(q): Query<TriageQuery>) -> Result<Html<String>> {
    let msgs = app.store.incoming_messages(&MessageFilter { unmatched: true, ..Default::default() }).await?;
    let mut messages = Vec::new();
    for m in msgs.iter().take(100) {
        let (text, _) = app.store.message_texts(m.id).await?;
        messages.push(TriageMessage {
            id: m.id,
            date: date(m.date),
            class: label(&m.class),
            from: m.from.clone().unwrap_or_default(),
            subject: m.subject.clone().unwrap_or_default(),
            text: text.map(|t| t.chars().take(3000).collect::<String>()).unwrap_or_default(),
        });
    }
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let mut found = Vec::new();
    if let Some(needle) = &search {
        'rounds: for round in app.store.rounds().await? {
            for r in app.store.requests(&round.slug).await? {
                if r.body.name.to_lowercase().contains(needle) || r.reference == *needle {
                    found.push(FoundRequest {
                        state: label(r.state.name()),
                        reference: r.reference,
                        body: r.body.name,
                        round: round.name.clone(),
                    });
                    if found.len() >= 50 {
                        break 'rounds;
                    }
                }
            }
        }
    }
    let pick = if found.len() == 1 { found[0].reference.clone() } else { String::new() };
    let unsure = app.store.incoming_messages(&MessageFilter { needs_review: true, ..Default::default() }).await?;
    let mut review = Vec::new();
    for m in unsure.iter().filter(|m| m.request.is_some()).take(100) {
        let (text, _) = app.store.message_texts(m.id).await?;
        let evidence = m.class_evidence.clone().unwrap_or_default();
        let guess = evidence.strip_prefix("unsure: perhaps ").and_then(|e| e.split_whitespace().next());
        let classes = choices(
            MessageClass::ALL.iter().filter(|c| **c != MessageClass::Unknown).map(|c| (c.name(), label(c.name()))),
            guess,
        );
        review.push(views::ReviewMessage {
            id: m.id,
            date: date(m.date),
            from: m.from.clone().unwrap_or_default(),
            subject: m.subject.clone().unwrap_or_default(),
            request: m.request.clone().unwrap_or_default(),
            evidence: evidence.clone(),
            classes,
            text: text.map(|t| t.chars().take(3000).collect::<String>()).unwrap_or_default(),
        });
    }
    views::render(&views::Triage {
        layout: frame(
            &s,
            format!("Triage: {} to match, {} to review", msgs.len(), review.len()),
            done_message(q.done.as_deref()),
        ),
        messages,
        review,
        q: q.q.unwrap_or_default(),
        found,
        pick,
        may_triage: auth::may(s.user.role, Action::Triage),
    })
}

#[derive(Deserialize)]
pub struct Assign {
    #[serde(default)]
    csrf: String,
    reference: String,
}

pub async fn assign(State(app): State<App>, s: Signed, Path(id): Path<i64>, Form(f): Form<Assign>) -> Result<Response> {
    s.check_form(Action::Triage, &f.csrf)?;
    let by = Actor::Person(s.user.username.clone());
    foi_inbox::triage::assign(&app.store, id, f.reference.trim(), app.today(), &by).await?;
    Ok(Redirect::to("/triage?done=assigned").into_response())
}

#[derive(Deserialize)]
pub struct SetClass {
    #[serde(default)]
    csrf: String,
    class: String,
    #[serde(default)]
    reason: String,
}

/// A person sets the class of a message the rules were unsure of.
pub async fn set_class(
    State(app): State<App>,
    s: Signed,
    Path(id): Path<i64>,
    Form(f): Form<SetClass>,
) -> Result<Response> {
    s.check_form(Action::Triage, &f.csrf)?;
    let class = MessageClass::from_name(f.class.trim())
        .filter(|c| *c != MessageClass::Unknown)
        .ok_or_else(|| Error::BadRequest(format!("unknown class {:?}", f.class)))?;
    let by = Actor::Person(s.user.username.clone());
    let reason = if f.reason.trim().is_empty() { "reviewed on the triage page" } else { f.reason.trim() };
    foi_inbox::triage::set_class(&app.store, id, class, reason, &by, app.today()).await?;
    Ok(Redirect::to("/triage?done=classified").into_response())
}

#[derive(Deserialize)]
pub struct Dismiss {
    #[serde(default)]
    csrf: String,
    reason: String,
}

pub async fn dismiss(
    State(app): State<App>,
    s: Signed,
    Path(id): Path<i64>,
    Form(f): Form<Dismiss>,
) -> Result<Response> {
    s.check_form(Action::Triage, &f.csrf)?;
    if f.reason.trim().is_empty() {
        return Err(Error::BadRequest("say why the message is dismissed".into()));
    }
    app.store.dismiss_message(id, &format!("{} (by {})", f.reason.trim(), s.user.username)).await?;
    Ok(Redirect::to("/triage?done=dismissed").into_response())
}

// ---- tagging ----

/// The next request of the round with an answer and no coded question, after `reference`.
async fn next_untagged(app: &App, round: &Round, reference: &str) -> Result<Option<String>> {
    let facts = app.store.round_facts(&round.slug).await?;
    let answered = |f: &foi_store::RequestFacts| {
        f.answers.is_empty()
            && f.replies
                .iter()
                .any(|r| matches!(r.class, foi_core::MessageClass::AnswerFull | foi_core::MessageClass::AnswerPartial))
    };
    let pos = facts.iter().position(|f| f.request.reference == reference).unwrap_or(0);
    Ok(facts
        .iter()
        .skip(pos + 1)
        .chain(facts.iter().take(pos))
        .find(|f| answered(f))
        .map(|f| f.request.reference.clone()))
}

pub async fn tag_form(
    State(app): State<App>,
    s: Signed,
    Path(reference): Path<String>,
    Query(d): Query<Done>,
) -> Result<Html<String>> {
    let r = app.store.request(&reference).await?;
    let round = round_of(&app, &r).await?;
    let book = codebook(&round)?;
    let tags = app
        .store
        .tags(&TagFilter { reference: Some(reference.clone()), suggestions: true, ..Default::default() })
        .await?;
    let current = |q: &str| {
        tags.iter()
            .filter(|t| t.question == q && t.status == "confirmed" && t.superseded_at.is_none())
            .max_by_key(|t| (t.created_at, t.id))
    };
    let suggestion = |q: &str| {
        tags.iter()
            .filter(|t| t.question == q && t.status == "suggested" && t.superseded_at.is_none())
            .max_by_key(|t| (t.created_at, t.id))
    };
    let questions: Vec<QuestionView> = book
        .questions_for(r.body.kind)
        .into_iter()
        .map(|q| {
            let cur = current(&q.id);
            let sug = suggestion(&q.id);
            let chosen = cur.map(|t| t.answer.as_str()).or(sug.map(|t| t.answer.as_str()));
            let options = match &q.answer {
                AnswerType::YesNo => choices(
                    ["yes", "no", "in_development", "not_held", "unclear"].into_iter().map(|o| (o, label(o))),
                    chosen,
                ),
                AnswerType::Choice(list) => choices(
                    list.iter()
                        .map(|o| (o.as_str(), o.clone()))
                        .chain(["not_held", "unclear"].into_iter().map(|o| (o, label(o)))),
                    chosen,
                ),
                AnswerType::Number | AnswerType::Text => Vec::new(),
            };
            QuestionView {
                id: q.id.clone(),
                short: q.short.clone(),
                text: q.text.clone(),
                current: cur.map(|t| label(&t.answer)).unwrap_or_default(),
                suggestion: sug
                    .map(|t| Suggestion { answer: t.answer.clone(), evidence: t.quote.clone().unwrap_or_default() }),
                options,
                quote: cur
                    .and_then(|t| t.quote.clone())
                    .or_else(|| sug.and_then(|t| t.quote.clone()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let replies: Vec<ReplyView> = app
        .store
        .thread(&reference)
        .await?
        .into_iter()
        .filter(|t| matches!(t.class.as_deref(), Some("answer_full" | "answer_partial" | "refusal" | "not_held")))
        .map(|t| ReplyView {
            date: date(t.message.date),
            class: t.class.as_deref().map(label).unwrap_or_default(),
            text: t.text.unwrap_or_default(),
            attachments: t
                .attachments
                .into_iter()
                .filter_map(|(a, t)| t.map(|t| (a.filename.unwrap_or_default(), t)))
                .collect(),
        })
        .collect();
    views::render(&TagPage {
        layout: frame(&s, format!("Tag {} · {}", r.reference, r.body.name), done_message(d.done.as_deref())),
        next: next_untagged(&app, &round, &reference).await?,
        may_tag: auth::may(s.user.role, Action::Tag),
        kind: r.body.kind.label(),
        questions,
        replies,
        body: r.body.name,
        reference: r.reference,
    })
}

#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    csrf: String,
    question: String,
    answer: String,
    quote: Option<String>,
    then: Option<String>,
}

pub async fn tag(
    State(app): State<App>,
    s: Signed,
    Path(reference): Path<String>,
    Form(f): Form<TagForm>,
) -> Result<Response> {
    s.check_form(Action::Tag, &f.csrf)?;
    let r = app.store.request(&reference).await?;
    let round = round_of(&app, &r).await?;
    let given = foi_app::tags::Given {
        reference: reference.clone(),
        question: f.question,
        answer: f.answer,
        quote: f.quote,
        note: None,
    };
    foi_app::tags::tag(&app.store, &given, &Actor::Person(s.user.username.clone()), "web").await?;
    let to = match f.then.as_deref() {
        Some("next") => match next_untagged(&app, &round, &reference).await? {
            Some(next) => format!("/requests/{next}/tag?done=tagged"),
            None => format!("/rounds/{}?done=tagged", round.slug),
        },
        _ => format!("/requests/{reference}/tag?done=tagged"),
    };
    Ok(Redirect::to(&to).into_response())
}

// ---- bodies ----

#[derive(Deserialize, Default)]
pub struct BodiesQuery {
    q: Option<String>,
    done: Option<String>,
    /// Only bodies without an FOI address (what an officer works through before a launch).
    missing: Option<String>,
    /// Only bodies that exist today.
    current: Option<String>,
}

impl BodiesQuery {
    fn on(v: &Option<String>) -> bool {
        v.as_deref().is_some_and(|v| !v.is_empty() && v != "0")
    }
}

async fn bodies_page(
    app: &App,
    s: &Signed,
    q: &BodiesQuery,
    flash: Option<&str>,
    report: Option<String>,
) -> Result<Html<String>> {
    let search = q.q.clone().filter(|s| !s.trim().is_empty());
    let (missing, current) = (BodiesQuery::on(&q.missing), BodiesQuery::on(&q.current));
    let total = app.store.list_bodies(&BodyFilter::default()).await?.len();
    let filter = BodyFilter {
        search: search.clone(),
        missing_email: missing,
        current_on: current.then(|| app.today()),
        ..Default::default()
    };
    let found = app.store.list_bodies(&filter).await?;
    let bodies: Vec<BodyRow> = found
        .into_iter()
        .take(500)
        .map(|b| {
            let src = b.email_source.as_ref();
            BodyRow {
                kind: b.kind.label(),
                nhs_region: b.nhs_region.clone().unwrap_or_default(),
                ons_region: b.ons_region.clone().unwrap_or_default(),
                email: b.foi_email.clone().unwrap_or_default(),
                source: src.map(|s| s.source.clone()).unwrap_or_default(),
                source_is_link: src
                    .is_some_and(|s| s.source.starts_with("https://") || s.source.starts_with("http://")),
                confidence: src.and_then(|s| s.confidence).map(|c| c.to_string()).unwrap_or_default(),
                note: src.and_then(|s| s.note.clone()).unwrap_or_default(),
                recorded: src
                    .map(|s| {
                        let by = s.set_by.as_deref().unwrap_or("unknown");
                        match s.set_at {
                            Some(at) => format!("{by}, {}", at.format("%Y-%m-%d")),
                            None => by.to_string(),
                        }
                    })
                    .unwrap_or_default(),
                code: b.code,
                name: b.name,
            }
        })
        .collect();
    views::render(&views::Bodies {
        layout: frame(s, "Bodies", flash),
        bodies,
        total,
        q: q.q.clone().unwrap_or_default(),
        missing,
        current,
        may_edit: auth::may(s.user.role, Action::Admin),
        report,
    })
}

pub async fn bodies(State(app): State<App>, s: Signed, Query(q): Query<BodiesQuery>) -> Result<Html<String>> {
    bodies_page(&app, &s, &q, done_message(q.done.as_deref()), None).await
}

#[derive(Deserialize)]
pub struct EditBody {
    #[serde(default)]
    csrf: String,
    email: String,
    /// The page the address was read on.
    #[serde(default)]
    source: String,
    #[serde(default)]
    confidence: String,
}

pub async fn edit_body(
    State(app): State<App>,
    s: Signed,
    Path(code): Path<String>,
    Form(f): Form<EditBody>,
) -> Result<Response> {
    s.check_form(Action::Admin, &f.csrf)?;
    let confidence = match f.confidence.trim() {
        "" => None,
        c => Some(c.parse::<foi_core::Confidence>().map_err(|e| Error::BadRequest(e.to_string()))?),
    };
    let source = f.source.trim();
    let update = BodyUpdate {
        foi_email: Some(f.email.trim().to_string()),
        email_source: (!source.is_empty()).then(|| source.to_string()),
        email_confidence: confidence,
        ..Default::default()
    };
    let by = s.user.username.clone();
    app.store.update_body(&code, &update, &format!("web:{by}"), Some(&by)).await?;
    Ok(Redirect::to(&format!("/bodies?q={code}&done=saved")).into_response())
}

pub async fn import_bodies(
    State(app): State<App>,
    s: Signed,
    Query(c): Query<CsrfOnly>,
    mut form: Multipart,
) -> Result<Response> {
    s.check_form(Action::Admin, &c.csrf)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| Error::BadRequest(format!("the upload: {e}")))? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload.csv").to_string();
            let bytes = field.bytes().await.map_err(|e| Error::BadRequest(format!("the upload: {e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = file.ok_or_else(|| Error::BadRequest("choose a CSV file to import".into()))?;
    let by = s.user.username.clone();
    let source = format!("web import {name} by {by}");
    let (ok, report) = match foi_app::bodies::import_file(&app.store, &bytes, None, &source, Some(&by), false).await? {
        foi_app::bodies::Imported::Refused(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| e.located(&name)).collect();
            (false, format!("{}\n{name}: {} errors; nothing was imported", lines.join("\n"), errors.len()))
        }
        foi_app::bodies::Imported::Done { summary: sum, .. } => (
            true,
            format!("{name}: {} added, {} updated, {} unchanged", sum.added.len(), sum.updated.len(), sum.unchanged),
        ),
    };
    let status = if ok { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, bodies_page(&app, &s, &BodiesQuery::default(), None, Some(report)).await?).into_response())
}
