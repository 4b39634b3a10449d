//! foi's web UI (`foi serve`): server-rendered pages for analysts and officers over the same
//! libraries as the command line: the dashboard, a round's requests, a request's whole
//! thread, triage, tagging beside the reply's text, and the body registry. Sign-in with
//! users in the database; every route checks the user's role, every form its CSRF token;
//! replies are shown as text, attachments only downloaded. No script on any page.

#![forbid(unsafe_code)]

pub mod auth;
mod cache;
mod pages;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use foi_store::Store;

pub use auth::{hash_password, verify_password};

/// What can go wrong serving a page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No session: the browser is sent to the sign-in page.
    #[error("sign in first")]
    SignIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("this form has expired or did not come from foi: reload the page and try again")]
    Csrf,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] foi_store::Error),
    #[error(transparent)]
    Inbox(#[from] foi_inbox::Error),
    #[error(transparent)]
    Analysis(#[from] foi_analysis::Error),
    #[error(transparent)]
    Mailer(#[from] foi_mailer::Error),
    #[error(transparent)]
    Codebook(#[from] foi_core::codebook::CodebookError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    App(#[from] foi_app::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Error::SignIn => StatusCode::SEE_OTHER,
            Error::Forbidden(_) | Error::Csrf => StatusCode::FORBIDDEN,
            Error::NotFound(_) | Error::Store(foi_store::Error::NotFound { .. }) => StatusCode::NOT_FOUND,
            Error::BadRequest(_)
            | Error::Codebook(_)
            | Error::Store(foi_store::Error::Invalid(_) | foi_store::Error::Transition(_))
            | Error::App(
                foi_app::Error::Invalid(_)
                | foi_app::Error::Rows(_)
                | foi_app::Error::Codebook(_)
                | foi_app::Error::Store(foi_store::Error::Invalid(_) | foi_store::Error::Transition(_)),
            ) => StatusCode::BAD_REQUEST,
            Error::App(foi_app::Error::Store(foi_store::Error::NotFound { .. })) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::SignIn = self {
            return Redirect::to("/signin").into_response();
        }
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            eprintln!("foi serve: {self}");
            format!("Something went wrong: {self}")
        } else {
            self.to_string()
        };
        let html = views::error_page(status, &message);
        (status, html).into_response()
    }
}

/// The UI's shared state.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Pretend today is this day (tests, simulations); else the local date.
    pub today: Option<NaiveDate>,
    /// Mark the session cookie `Secure` (when served behind HTTPS).
    pub secure_cookie: bool,
    /// The round page's rows of recently shown rounds, kept while each round is unchanged.
    rounds: Arc<cache::RoundCache>,
    /// Rounds' slugs and names (which never change), for the request page's link.
    round_names: Arc<cache::RoundNames>,
}

impl App {
    pub fn new(store: Store) -> Result<App> {
        Ok(App {
            store,
            today: None,
            secure_cookie: false,
            rounds: Default::default(),
            round_names: Default::default(),
        })
    }

    fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// Every page foi serves, with the security headers on each response.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/signin", get(pages::signin_form).post(pages::signin))
        .route("/signout", post(pages::signout))
        .route("/static/style.css", get(pages::style))
        .route("/rounds/{slug}", get(pages::round))
        .route("/rounds/{slug}/reports/{file}", get(pages::report))
        .route("/requests/{reference}", get(pages::request))
        .route("/requests/{reference}/state", post(pages::move_request))
        .route("/requests/{reference}/tag", get(pages::tag_form).post(pages::tag))
        .route("/messages/{id}/attachments/{index}", get(pages::attachment))
        .route("/messages/{id}/raw", get(pages::raw_message))
        .route("/triage", get(pages::triage))
        .route("/triage/{id}/assign", post(pages::assign))
        .route("/triage/{id}/dismiss", post(pages::dismiss))
        .route("/triage/{id}/class", post(pages::set_class))
        .route("/bodies", get(pages::bodies))
        .route("/bodies/import", post(pages::import_bodies))
        .route("/bodies/{code}", post(pages::edit_body))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// Replies are hostile input: no page runs a script or loads anything from elsewhere, none
/// can be framed, and no response is sniffed into another type.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    r
}

/// Serves the UI on `addr` until the process is stopped.
pub async fn serve(app: App, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(app)).await?;
    Ok(())
}
