//! foi's address finder: reads a public body's own website for the address its Freedom of
//! Information requests go to, and ranks every address it sees (an FOI address above general
//! enquiries, a webmaster's lowest).
//!
//! [`find`] visits each [`Site`] politely: robots.txt first (obeyed, Crawl-delay included),
//! then the home page, then only links whose text or address names freedom of information,
//! FOI, access to information, making a request, information governance or contact, up to
//! [`Options::max_depth`] levels and [`Options::max_pages`] pages, on the site's own host.
//! One request at a time per host, [`Options::per_host_interval`] apart (measured from the end
//! of one to the start of the next); sites on different hosts are read in parallel. Every
//! request has a timeout and every page a size limit; what goes wrong on a page is written in
//! that site's [`Finding::errors`] and the rest goes on.
//!
//! `crawl.rs` fetches (redirects, robots.txt, the page queue), `pace.rs` keeps the hosts'
//! turns, `page.rs` reads a page's text, links and addresses, `rank.rs` says what is about
//! FOI and scores each address, `registry.rs` is the use case the CLI calls: which bodies to
//! visit, and recording an accepted address with its page as its source.

#![forbid(unsafe_code)]

mod crawl;
mod pace;
mod page;
mod rank;
pub mod registry;

use std::time::Duration;

use futures_util::StreamExt;

/// A public body's website to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The body's code in foi's registry, carried into its [`Finding`].
    pub code: String,
    pub name: String,
    /// The home page: `https://www.kent.gov.uk/` (`www.kent.gov.uk` is read as https).
    pub website: String,
}

/// How [`find`] reads the sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Sent with every request, and its first word is the name robots.txt rules are read
    /// for: the CLI sends `foi/VERSION (FOI request tool; contact: SENDER_EMAIL)`.
    pub user_agent: String,
    /// The least time between the end of one request to a host and the start of the next
    /// (a longer Crawl-delay in the host's robots.txt wins).
    pub per_host_interval: Duration,
    /// The longest a request may take, connection to last byte.
    pub timeout: Duration,
    /// Pages requested per site at most, the home page included (robots.txt not counted).
    pub max_pages: usize,
    /// How many links deep from the home page: 2 reads the home page, the pages it links to
    /// and the pages those link to.
    pub max_depth: u8,
    /// The largest page read; a larger one is an error and is not read.
    pub max_bytes: usize,
    /// Sites read at the same time (each host still one request at a time).
    pub parallel_sites: usize,
}

impl Options {
    /// The defaults: one request a second per host, 15 s timeout, 25 pages and 2 levels per
    /// site, 2 MiB per page, 4 sites at a time.
    pub fn new(user_agent: impl Into<String>) -> Self {
        Options {
            user_agent: user_agent.into(),
            per_host_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(15),
            max_pages: 25,
            max_depth: 2,
            max_bytes: 2 * 1024 * 1024,
            parallel_sites: 4,
        }
    }
}

/// What was found on one site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub code: String,
    pub website: String,
    /// Every address seen, once each, best first.
    pub candidates: Vec<Candidate>,
    /// The page that says requests are made through an online form, when no address tied
    /// to FOI was found.
    pub web_form: Option<String>,
    /// Pages read (fetched whole and parsed as HTML).
    pub pages: usize,
    /// What went wrong, one line each, naming the URL.
    pub errors: Vec<String>,
}

impl Finding {
    /// The best candidate when something ties it to FOI (its name, its sentence or its
    /// page): the address to send requests to, subject to a person's look.
    pub fn foi_address(&self) -> Option<&Candidate> {
        self.candidates.first().filter(|c| c.score >= FOI_SCORE)
    }
}

/// A candidate at or above this score has something tying it to FOI: its local part
/// (`foi@`, `informationgovernance@`) or the sentence it stands in. An FOI page alone is
/// not enough (a general address in the footer is on every page).
pub const FOI_SCORE: i32 = rank::FOI_SCORE;

/// An address seen on a site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    /// Lowercase.
    pub address: String,
    /// The page of its best sighting.
    pub page: String,
    /// The text around its best sighting (at most about 240 characters).
    pub sentence: String,
    /// Whether it was a `mailto:` link anywhere on the site (else only text).
    pub from_mailto: bool,
    /// Higher is likelier the FOI address: see [`FOI_SCORE`]; negative for addresses that
    /// are certainly not (webmaster, press office, jobs).
    pub score: i32,
}

/// What goes wrong. [`find`] itself fails only with [`Error::Client`]; the rest are about one
/// site's robots.txt or one of its pages, and are written (as text) in that site's
/// [`Finding::errors`] while the search goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("cannot set up the HTTP client (user agent {user_agent:?}): {message}")]
    Client { user_agent: String, message: String },
    #[error("{url}: not a web address ({reason})")]
    BadAddress { url: String, reason: String },
    #[error("{url}: timed out after {after:?}")]
    Timeout { url: String, after: Duration },
    #[error("{url}: {message}")]
    Request { url: String, message: String },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: larger than {limit} bytes, not read")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: HTML nested more than {limit} elements deep, not read")]
    TooDeep { url: String, limit: usize },
    #[error("{url}: not read: {reason}")]
    Unreadable { url: String, reason: String },
    #[error("{url}: not HTML ({content_type}), not read")]
    NotHtml { url: String, content_type: String },
    #[error("{url}: more than {limit} redirects")]
    Redirects { url: String, limit: usize },
    #[error("{url}: redirects in a loop")]
    RedirectLoop { url: String },
    #[error("{url}: robots.txt could not be read ({reason}), so the site was not read")]
    RobotsUnavailable { url: String, reason: String },
    #[error("{url}: robots.txt forbids the home page")]
    RobotsForbidHome { url: String },
    #[error("{host}: robots.txt asks for {delay:?} between requests, more than foi waits, so the site was not read")]
    CrawlDelay { host: String, delay: Duration },
    /// The registry could not be read or written (its message: the store's error).
    #[error("{0}")]
    Store(String),
}

impl From<foi_store::Error> for Error {
    fn from(e: foi_store::Error) -> Self {
        Error::Store(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads every site and returns one [`Finding`] per site, in the order given; `on_site` is
/// called with each as soon as it is done (in the order they finish). Fails only when the
/// HTTP client cannot be built (a user agent that is not a valid header value).
pub async fn find(sites: &[Site], opts: &Options, mut on_site: impl FnMut(&Finding)) -> Result<Vec<Finding>> {
    let ctx = crawl::Context::new(opts)?;
    let mut done: Vec<Option<Finding>> = vec![None; sites.len()];
    let mut waiting = sites.iter().enumerate();
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        while running.len() < opts.parallel_sites.max(1) {
            let Some((i, site)) = waiting.next() else { break };
            running.push(visit(&ctx, i, site));
        }
        let Some((i, finding)) = running.next().await else { break };
        on_site(&finding);
        if let Some(slot) = done.get_mut(i) {
            *slot = Some(finding);
        }
    }
    Ok(done.into_iter().flatten().collect())
}

async fn visit(ctx: &crawl::Context, i: usize, site: &Site) -> (usize, Finding) {
    (i, ctx.visit(site).await)
}
