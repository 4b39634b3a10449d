//! Reading one site: robots.txt per host (obeyed, Crawl-delay included), the home page, then
//! the most promising links first (FOI before contact, nearer before deeper), same host
//! only, within the page, depth and size limits; redirects followed by hand so that each
//! hop is checked against robots.txt and waits its turn.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::Duration;

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use texting_robots::Robot;
use url::Url;

use crate::pace::{Pacer, host_key};
use crate::page::{self, Sighting};
use crate::rank::{self, LinkKind, Local, Signs};
use crate::{Candidate, Error, Finding, Options, Site};

/// Redirects followed from one address.
const MAX_REDIRECTS: usize = 5;
/// robots.txt is read up to this size (as Google does); the rest is ignored.
const MAX_ROBOTS_BYTES: usize = 500 * 1024;
/// The longest one page may take to parse (past it the page is left, its parse running on
/// to its end on a blocking thread).
const PARSE_DEADLINE: Duration = Duration::from_secs(10);
/// A Crawl-delay longer than this skips the site rather than wait.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// The proxy of the environment (`https_proxy`, `http_proxy`, `all_proxy`, in either case,
/// with `no_proxy`), as a user behind one expects; but never for a loopback address, which no
/// proxy can reach (a local mirror, the tests' fixture sites).
fn proxy() -> reqwest::Proxy {
    fn env(names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| std::env::var(n).ok()).filter(|v| !v.trim().is_empty())
    }
    reqwest::Proxy::custom(|url: &Url| {
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => true,
        };
        if loopback {
            return None;
        }
        let scheme =
            if url.scheme() == "https" { ["https_proxy", "HTTPS_PROXY"] } else { ["http_proxy", "HTTP_PROXY"] };
        env(&scheme).or_else(|| env(&["all_proxy", "ALL_PROXY"]))
    })
    .no_proxy(reqwest::NoProxy::from_env())
}

/// What every site of one search shares: the client, the options, the hosts' turns.
pub(crate) struct Context {
    client: reqwest::Client,
    opts: Options,
    /// The name robots.txt rules are read for: the user agent's first word.
    agent: String,
    pacer: Pacer,
}

impl Context {
    pub(crate) fn new(opts: &Options) -> Result<Self, Error> {
        let fail = |message: String| Error::Client { user_agent: opts.user_agent.clone(), message };
        let agent = opts.user_agent.split(['/', ' ']).next().unwrap_or_default().trim().to_string();
        if agent.is_empty() {
            return Err(fail("the user agent must start with a name (foi/VERSION ...)".into()));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"));
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-GB,en;q=0.9"));
        let client = reqwest::Client::builder()
            .user_agent(opts.user_agent.as_str())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .proxy(proxy())
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .build()
            .map_err(|e| fail(deepest(&e)))?;
        Ok(Context { client, opts: opts.clone(), agent, pacer: Pacer::default() })
    }

    /// Reads one site.
    pub(crate) async fn visit(&self, site: &Site) -> Finding {
        let mut crawl = Crawl {
            ctx: self,
            hosts: HashSet::new(),
            robots: HashMap::new(),
            visited: HashSet::new(),
            queued: HashSet::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            attempts: 0,
            pages: 0,
            sightings: Vec::new(),
            web_form: None,
            errors: Vec::new(),
            home_host: String::new(),
        };
        crawl.run(site).await;
        crawl.finish(site)
    }
}

/// What robots.txt allows on one host.
enum Rules {
    /// No robots.txt (or one that says nothing): everything.
    All,
    Robot(Box<Robot>),
}

/// A page waiting to be read: FOI links first, then nearer, then in the order met.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    kind: LinkKind,
    depth: Reverse<u8>,
    seq: Reverse<u64>,
    url: Url,
}

/// A page fetched whole.
struct Fetched {
    /// Where it was read from, after redirects.
    url: Url,
    body: Vec<u8>,
}

/// One site being read.
struct Crawl<'a> {
    ctx: &'a Context,
    /// The hosts of the site (keys as `host_key` makes them): the home page's, and those its
    /// redirects went to.
    hosts: HashSet<String>,
    /// robots.txt per host key, with the interval it asks for.
    robots: HashMap<String, (Rules, Duration)>,
    visited: HashSet<Url>,
    queued: HashSet<Url>,
    queue: BinaryHeap<Queued>,
    seq: u64,
    /// Pages requested (the home page included).
    attempts: usize,
    /// Pages read.
    pages: usize,
    /// Every address seen: the page, the sighting, whether the page is about FOI.
    sightings: Vec<(String, Sighting, bool)>,
    web_form: Option<String>,
    errors: Vec<String>,
    /// The home page's host, after redirects.
    home_host: String,
}

impl Crawl<'_> {
    async fn run(&mut self, site: &Site) {
        let home = match home_page(&site.website) {
            Ok(url) => url,
            Err(reason) => return self.error(Error::BadAddress { url: site.website.clone(), reason }),
        };
        self.home_host = home.host_str().unwrap_or_default().to_string();
        self.hosts.insert(host_key(&self.home_host));
        self.attempts = 1;
        match self.fetch(home, true).await {
            Ok(Some(page)) => {
                self.home_host = page.url.host_str().unwrap_or_default().to_string();
                self.read(page, 0).await;
            }
            Ok(None) => return,
            Err(e) => return self.error(e),
        }
        let max_pages = self.ctx.opts.max_pages.max(1);
        while let Some(next) = self.queue.pop() {
            if self.attempts >= max_pages {
                break;
            }
            let key = host_key(next.url.host_str().unwrap_or_default());
            let forbidden = self.robots.contains_key(&key) && !self.allowed(&key, &next.url);
            if forbidden || self.visited.contains(&next.url) {
                continue;
            }
            self.attempts += 1;
            match self.fetch(next.url, false).await {
                Ok(Some(page)) => self.read(page, next.depth.0).await,
                Ok(None) => {}
                Err(e @ (Error::RobotsUnavailable { .. } | Error::CrawlDelay { .. })) => return self.error(e),
                Err(e) => self.error(e),
            }
        }
    }

    fn error(&mut self, e: Error) {
        self.errors.push(e.to_string());
    }

    /// Reads a fetched page: its addresses, whether it is a web form, and its links to
    /// follow (when not at the deepest level).
    async fn read(&mut self, page: Fetched, depth: u8) {
        let Fetched { url, body } = page;
        let html = String::from_utf8_lossy(&body).into_owned();
        let here = url.to_string();
        // html5ever's tree building slows with the square of the nesting depth: a page
        // nested deeper than any real one is refused before it is parsed.
        if page::nesting(&html) > page::MAX_NESTING {
            return self.error(Error::TooDeep { url: here, limit: page::MAX_NESTING });
        }
        // Parsing is CPU work (and html5ever is not ours): off the async threads, with a
        // deadline, and a panic in it costs only this page.
        let at = url.clone();
        let parse = tokio::task::spawn_blocking(move || page::read(&html, &at));
        let facts = match tokio::time::timeout(PARSE_DEADLINE, parse).await {
            Ok(Ok(facts)) => facts,
            Ok(Err(e)) => {
                return self.error(Error::Unreadable { url: here, reason: format!("the HTML parser failed: {e}") });
            }
            Err(_) => {
                let reason = format!("parsing took longer than {PARSE_DEADLINE:?}");
                return self.error(Error::Unreadable { url: here, reason });
            }
        };
        self.pages += 1;
        for sighting in facts.sightings {
            self.sightings.push((here.clone(), sighting, facts.about_foi));
        }
        if facts.web_form && self.web_form.is_none() {
            self.web_form = Some(here);
        }
        if depth >= self.ctx.opts.max_depth {
            return;
        }
        for (link, kind) in facts.links {
            let on_site = link.host_str().is_some_and(|h| self.hosts.contains(&host_key(h)));
            if on_site && !self.visited.contains(&link) && self.queued.insert(link.clone()) {
                self.seq += 1;
                self.queue.push(Queued { kind, depth: Reverse(depth + 1), seq: Reverse(self.seq), url: link });
            }
        }
    }

    /// Fetches a page, following redirects on the site's hosts (any host for the home page,
    /// whose redirects name the site's real host). None: left alone (robots.txt forbids it,
    /// or it redirects off the site).
    async fn fetch(&mut self, start: Url, home: bool) -> Result<Option<Fetched>, Error> {
        let start_url = start.to_string();
        let mut chain = vec![start.clone()];
        let mut url = start;
        for _ in 0..=MAX_REDIRECTS {
            let host = url.host_str().unwrap_or_default();
            let key = host_key(host);
            if !self.hosts.contains(&key) {
                if !home || !matches!(url.scheme(), "http" | "https") || host.is_empty() {
                    return Ok(None);
                }
                self.hosts.insert(key.clone());
            }
            let interval = self.robots_for(&url, &key).await?;
            if !self.allowed(&key, &url) {
                if home {
                    return Err(Error::RobotsForbidHome { url: url.to_string() });
                }
                return Ok(None);
            }
            self.visited.insert(url.clone());
            let turn = self.ctx.pacer.turn(&key, interval).await;
            let response = self.ctx.client.get(url.clone()).send().await.map_err(|e| self.request_error(&url, &e))?;
            let status = response.status();
            if status.is_redirection() {
                let to = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| url.join(l).ok());
                let to = to.map(|mut to| {
                    to.set_fragment(None);
                    to
                });
                drop(turn);
                match to {
                    Some(to) if chain.contains(&to) => return Err(Error::RedirectLoop { url: start_url }),
                    // Already read by another link: nothing new there.
                    Some(to) if !home && self.visited.contains(&to) => return Ok(None),
                    Some(to) => {
                        url = to;
                        chain.push(url.clone());
                        continue;
                    }
                    None => return Err(Error::Status { url: url.to_string(), status: status.as_u16() }),
                }
            }
            if !status.is_success() {
                return Err(Error::Status { url: url.to_string(), status: status.as_u16() });
            }
            let content_type =
                response.headers().get(CONTENT_TYPE).and_then(|t| t.to_str().ok()).unwrap_or_default().to_string();
            if !content_type.is_empty() && !content_type.to_ascii_lowercase().contains("html") {
                return Err(Error::NotHtml { url: url.to_string(), content_type });
            }
            let body = self.body(response, &url, self.ctx.opts.max_bytes, false).await?;
            drop(turn);
            if content_type.is_empty() && !looks_like_html(&body) {
                return Err(Error::NotHtml { url: url.to_string(), content_type: "no type given".into() });
            }
            return Ok(Some(Fetched { url, body }));
        }
        Err(Error::Redirects { url: start_url, limit: MAX_REDIRECTS })
    }

    /// The interval robots.txt asks for on a host (reading it the first time), never less
    /// than the options'.
    async fn robots_for(&mut self, url: &Url, key: &str) -> Result<Duration, Error> {
        if let Some((_, interval)) = self.robots.get(key) {
            return Ok(*interval);
        }
        let (rules, interval) = self.read_robots(url).await?;
        self.robots.insert(key.to_string(), (rules, interval));
        Ok(interval)
    }

    async fn read_robots(&mut self, page: &Url) -> Result<(Rules, Duration), Error> {
        let floor = self.ctx.opts.per_host_interval;
        let mut url =
            page.join("/robots.txt").map_err(|e| Error::BadAddress { url: page.to_string(), reason: e.to_string() })?;
        let unavailable = |url: &Url, reason: String| Error::RobotsUnavailable { url: url.to_string(), reason };
        for _ in 0..=MAX_REDIRECTS {
            let key = host_key(url.host_str().unwrap_or_default());
            let turn = self.ctx.pacer.turn(&key, floor).await;
            let response = match self.ctx.client.get(url.clone()).send().await {
                Ok(response) => response,
                Err(e) => return Err(unavailable(&url, self.request_error(&url, &e).reason())),
            };
            let status = response.status();
            if status.is_redirection() {
                let to = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| url.join(l).ok());
                drop(turn);
                match to {
                    Some(to) if matches!(to.scheme(), "http" | "https") => {
                        url = to;
                        continue;
                    }
                    _ => return Ok((Rules::All, floor)),
                }
            }
            // RFC 9309: a robots.txt that is not there (4xx) allows everything; one that
            // cannot be read (5xx, 429, no answer) allows nothing.
            if status.as_u16() == 429 || status.is_server_error() {
                return Err(unavailable(&url, format!("HTTP status {}", status.as_u16())));
            }
            if !status.is_success() {
                return Ok((Rules::All, floor));
            }
            let body = match self.body(response, &url, MAX_ROBOTS_BYTES, true).await {
                Ok(body) => body,
                Err(e) => return Err(unavailable(&url, e.reason())),
            };
            drop(turn);
            let agent = self.ctx.agent.as_str();
            let Ok(Ok(robot)) = std::panic::catch_unwind(|| Robot::new(agent, &body)) else {
                // Not robots.txt at all (an HTML page served for every path): no rules.
                return Ok((Rules::All, floor));
            };
            let delay = robot.delay.filter(|d| d.is_finite() && *d > 0.0).map(|d| Duration::from_secs_f32(d.min(1e6)));
            if let Some(delay) = delay
                && delay > MAX_CRAWL_DELAY
            {
                return Err(Error::CrawlDelay { host: page.host_str().unwrap_or_default().to_string(), delay });
            }
            return Ok((Rules::Robot(Box::new(robot)), delay.map_or(floor, |d| d.max(floor))));
        }
        Ok((Rules::All, floor))
    }

    fn allowed(&self, key: &str, url: &Url) -> bool {
        match self.robots.get(key) {
            Some((Rules::Robot(robot), _)) => robot.allowed(url.as_str()),
            Some((Rules::All, _)) => true,
            None => false,
        }
    }

    /// A response's body, at most `limit` bytes: past it an error, or (`truncate`) cut.
    async fn body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
        limit: usize,
        truncate: bool,
    ) -> Result<Vec<u8>, Error> {
        let too_large = || Error::TooLarge { url: url.to_string(), limit };
        let declared = response.headers().get(CONTENT_LENGTH).and_then(|l| l.to_str().ok()?.parse::<u64>().ok());
        if !truncate && declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.request_error(url, &e))? {
            if body.len() + chunk.len() > limit {
                if truncate {
                    body.extend_from_slice(chunk.get(..limit - body.len()).unwrap_or_default());
                    break;
                }
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn request_error(&self, url: &Url, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout { url: url.to_string(), after: self.ctx.opts.timeout };
        }
        let message = if e.is_connect() { format!("cannot connect: {}", deepest(e)) } else { deepest(e) };
        Error::Request { url: url.to_string(), message }
    }

    /// The site's finding: every address once, at its best sighting, best first.
    fn finish(self, site: &Site) -> Finding {
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (page, sighting, page_foi) in self.sightings {
            let local = rank::local_kind(&sighting.address);
            if local == Local::Never {
                continue;
            }
            let signs = Signs {
                sentence: sighting.topic,
                page_foi,
                mailto: sighting.mailto,
                own_domain: rank::own_domain(&sighting.address, &self.home_host),
            };
            let score = rank::score(local, signs);
            match index.get(&sighting.address).and_then(|&i| candidates.get_mut(i)) {
                Some(seen) => {
                    seen.from_mailto |= sighting.mailto;
                    if score > seen.score {
                        seen.score = score;
                        seen.page = page;
                        seen.sentence = sighting.sentence;
                    }
                }
                None => {
                    index.insert(sighting.address.clone(), candidates.len());
                    candidates.push(Candidate {
                        address: sighting.address,
                        page,
                        sentence: sighting.sentence,
                        from_mailto: sighting.mailto,
                        score,
                    });
                }
            }
        }
        candidates.sort_by_key(|c| Reverse(c.score));
        let foi_found = candidates.iter().any(|c| c.score >= rank::FOI_SCORE);
        Finding {
            code: site.code.clone(),
            website: site.website.clone(),
            candidates,
            web_form: if foi_found { None } else { self.web_form },
            pages: self.pages,
            errors: self.errors,
        }
    }
}

impl Error {
    /// What went wrong, without the URL (for wrapping in another error).
    fn reason(&self) -> String {
        match self {
            Error::Timeout { after, .. } => format!("timed out after {after:?}"),
            Error::Request { message, .. } => message.clone(),
            Error::Status { status, .. } => format!("HTTP status {status}"),
            Error::TooLarge { limit, .. } => format!("larger than {limit} bytes"),
            other => other.to_string(),
        }
    }
}

/// The home page's URL from a registry's website: http or https with a host; without a
/// scheme (`www.kent.gov.uk`), https.
fn home_page(website: &str) -> Result<Url, String> {
    let website = website.trim();
    let url = match Url::parse(website) {
        Err(url::ParseError::RelativeUrlWithoutBase) => Url::parse(&format!("https://{website}")),
        other => other,
    }
    .map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("not http or https".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(url)
}

/// The innermost cause of an error: "Connection refused (os error 111)" rather than "error
/// sending request for url".
fn deepest(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Whether a body without a content type is HTML: its first non-blank byte opens a tag.
fn looks_like_html(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}
