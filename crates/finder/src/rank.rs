//! What is about FOI, and how much each address is worth: the words that name freedom of
//! information in a link, a title or a sentence; an address's local part; the score that
//! puts an FOI address above general enquiries and a webmaster last.

use std::sync::LazyLock;

use regex::Regex;

/// At or above this, something ties an address to FOI (its local part or its sentence).
pub(crate) const FOI_SCORE: i32 = 40;

/// A pattern written here (every one is exercised by the tests), with ASCII word
/// boundaries: a Unicode `\b` makes the engine fall back to its slowest search on any text
/// with a non-ASCII character, and these are English words.
pub(crate) fn re(p: &str) -> Regex {
    let p = p.replace(r"\b", r"(?-u:\b)");
    Regex::new(&p).unwrap_or_else(|e| unreachable!("built-in pattern {p}: {e}"))
}

/// Words that name FOI requests, in a title, a sentence or a link.
static FOI_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bfreedom\s+of\s+information\b|\bfreedomofinformation\b|\bfoi(?:a|sa|s)?\b|\binformation\s+requests?\b|\brequests?\s+for\s+information\b|\baccess\s+to\s+information\b|\benvironmental\s+information\s+regulations\b",
    )
});

/// Words that name the information governance team, which often answers FOI requests too.
static IG_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\binformation\s+governance\b|\binformation\s+rights\b|\binformationgovernance\b"));

/// More words a link to the FOI pages is named by.
static REQUEST_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bmake\s+an?\s+(?:foi\s+)?request\b|\brequest\s+information\b|\baccesstoinformation\b"));

/// A link to pages of past answers, worth less than the page that says where to write.
static DISCLOSURES: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bdisclosure\s+logs?\b|\bdisclosurelog\b|\bresponses\b|\bpublished\b|\bprevious\b|\bsearch\b")
});

static CONTACT_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bcontact(?:\s+us)?\b|\bcontactus\b|\bcontact\s+details\b|\bget\s+in\s+touch\b"));

/// A sentence that sends requests through an online form or portal.
static WEB_FORM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:online|web|electronic|e-)\s*(?:request\s+|enquiry\s+|foi\s+)?form\b|\bform\s+online\b|\brequest\s+form\b|\b(?:online|request|foi)\s+portal\b|\b(?:submit|make)\s+(?:your|a|an)\s+(?:foi\s+)?request\s+online\b",
    )
});

/// Local parts (separators removed) of the FOI team's addresses.
const FOI_LOCAL: &[&str] =
    &["freedomofinformation", "informationrequest", "inforequest", "accesstoinformation", "foiteam", "foirequest"];

/// Local parts (separators removed) of the information governance team's addresses.
const IG_LOCAL: &[&str] = &["infogov", "informationgovernance", "informationrights", "dataprotection"];

/// Local parts of general enquiries: what to write to when there is no FOI address.
const GENERAL_LOCAL: &[&str] = &[
    "enquiries",
    "enquiry",
    "generalenquiries",
    "info",
    "information",
    "contact",
    "contactus",
    "customerservice",
    "customerservices",
    "hello",
    "general",
];

/// Local parts that are certainly not where requests go: ranked last.
const NOT_FOI_LOCAL: &[&str] = &[
    "webmaster",
    "web",
    "webteam",
    "website",
    "digital",
    "postmaster",
    "hostmaster",
    "abuse",
    "press",
    "pressoffice",
    "media",
    "communications",
    "comms",
    "news",
    "jobs",
    "recruitment",
    "careers",
    "hr",
    "marketing",
    "events",
    "sales",
    "accessibility",
];

/// Local parts of addresses no one reads: dropped.
const NEVER_LOCAL: &[&str] =
    &["noreply", "donotreply", "newsletter", "newsletters", "unsubscribe", "mailerdaemon", "bounce", "bounces"];

/// How a link's text or address points at what we look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LinkKind {
    /// Nothing: not followed.
    None,
    /// Contact pages, and FOI pages of past answers.
    Contact,
    /// Freedom of information, access to information, making a request, information
    /// governance.
    Foi,
}

/// What a link names, from its text (and title) and its URL's path.
pub(crate) fn link_kind(text: &str, path: &str) -> LinkKind {
    let path = words_of_path(path);
    let foi = |s: &str| FOI_WORDS.is_match(s) || IG_WORDS.is_match(s) || REQUEST_LINK.is_match(s);
    if foi(text) || foi(&path) {
        if DISCLOSURES.is_match(text) || DISCLOSURES.is_match(&path) {
            return LinkKind::Contact;
        }
        return LinkKind::Foi;
    }
    if CONTACT_LINK.is_match(text) || CONTACT_LINK.is_match(&path) {
        return LinkKind::Contact;
    }
    LinkKind::None
}

/// Whether a page is about FOI (or information governance), from its title and headings
/// and its URL's path.
pub(crate) fn page_about_foi(title: &str, path: &str) -> bool {
    let path = words_of_path(path);
    [title, &path].iter().any(|s| FOI_WORDS.is_match(s) || IG_WORDS.is_match(s))
}

/// What a text (a sentence, a mailto link's subject) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Topic {
    #[default]
    Other,
    /// Information governance.
    InfoGov,
    /// FOI requests.
    Foi,
}

pub(crate) fn topic(text: &str) -> Topic {
    if FOI_WORDS.is_match(text) {
        Topic::Foi
    } else if IG_WORDS.is_match(text) {
        Topic::InfoGov
    } else {
        Topic::Other
    }
}

/// Whether a sentence sends requests through an online form.
pub(crate) fn names_web_form(sentence: &str) -> bool {
    WEB_FORM.is_match(sentence)
}

/// The last part of a URL path as words: `/council/freedom-of-information/` as `freedom of
/// information`. Only the last part: every page under `/access-to-information/` is not about
/// access to information.
fn words_of_path(path: &str) -> String {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    decoded.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect()
}

/// What the local part of an address says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Local {
    Foi,
    InfoGov,
    General,
    Other,
    NotFoi,
    /// Nobody reads it: dropped.
    Never,
}

pub(crate) fn local_kind(address: &str) -> Local {
    let local = address.split('@').next().unwrap_or_default().to_ascii_lowercase();
    let joined: String = local.chars().filter(char::is_ascii_alphanumeric).collect();
    let tokens: Vec<&str> = local.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect();
    if NEVER_LOCAL.iter().any(|n| joined.starts_with(n)) {
        return Local::Never;
    }
    let foi_token = tokens.iter().any(|t| matches!(*t, "foi" | "foia" | "foisa" | "eir"));
    if foi_token || FOI_LOCAL.iter().any(|f| joined.contains(f)) || joined.starts_with("foi") {
        return Local::Foi;
    }
    if tokens.iter().any(|t| matches!(*t, "ig" | "dpo")) || IG_LOCAL.iter().any(|f| joined.contains(f)) {
        return Local::InfoGov;
    }
    let names = |list: &[&str]| list.contains(&joined.as_str()) || tokens.iter().any(|t| list.contains(t));
    if names(NOT_FOI_LOCAL) {
        return Local::NotFoi;
    }
    if names(GENERAL_LOCAL) {
        return Local::General;
    }
    Local::Other
}

/// What is known about one sighting of an address.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signs {
    /// What the sentence around it (or the mailto link's subject) is about.
    pub(crate) sentence: Topic,
    /// Its page is about FOI.
    pub(crate) page_foi: bool,
    /// A mailto: link, not only text.
    pub(crate) mailto: bool,
    /// Its domain is the site's own.
    pub(crate) own_domain: bool,
}

/// The score of one sighting: the stronger of what its local part and its sentence say
/// (evidence of one thing, not added up), plus its page and smaller things. An FOI local
/// part or an FOI sentence alone reaches [`FOI_SCORE`]; addresses that are certainly not
/// the FOI team's go below zero whatever surrounds them.
pub(crate) fn score(local: Local, signs: Signs) -> i32 {
    let named = match local {
        Local::Foi => 60,
        Local::InfoGov => 45,
        Local::General => 10,
        Local::Other => 0,
        Local::NotFoi | Local::Never => -100,
    };
    let said = match signs.sentence {
        Topic::Foi => FOI_SCORE,
        Topic::InfoGov => 25,
        Topic::Other => 0,
    };
    let mut score = if named < 0 { named } else { named.max(said) };
    if signs.page_foi {
        score += 20;
    }
    if signs.own_domain {
        score += 5;
    }
    if signs.mailto {
        score += 2;
    }
    score
}

/// Whether an address's domain is the site's organisation's (Public Suffix List: the same
/// registrable domain; never a shared one such as nhs.net).
pub(crate) fn own_domain(address: &str, host: &str) -> bool {
    match (foi_core::domain::organisation(address), foi_core::domain::organisation(host)) {
        (Some(a), Some(h)) => a == h,
        _ => false,
    }
}

/// Whether a host is a case-management service that takes FOI requests through its own
/// forms for many bodies (iCasework, Infreemation).
pub(crate) fn request_portal(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    PORTALS.iter().any(|p| host == *p || host.ends_with(&format!(".{p}")))
}

const PORTALS: &[&str] = &["icasework.com", "infreemation.co.uk"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_named_for_foi_or_contact() {
        let check = |text: &str, path: &str, want: LinkKind| {
            assert_eq!(link_kind(text, path), want, "{text:?} {path:?}");
        };
        check("Freedom of Information", "/x", LinkKind::Foi);
        check("FOI requests", "/x", LinkKind::Foi);
        check("Make a request", "/x", LinkKind::Foi);
        check("Access to information", "/x", LinkKind::Foi);
        check("Information governance", "/x", LinkKind::Foi);
        check("Read more", "/council/freedom-of-information/", LinkKind::Foi);
        check("Read more", "/about/foi", LinkKind::Foi);
        check("Your personal data", "/access-to-information/data-protection", LinkKind::None);
        check("Read more", "/about/FreedomOfInformation.aspx", LinkKind::Foi);
        check("FOI disclosure log", "/foi/log", LinkKind::Contact);
        check("Contact us", "/x", LinkKind::Contact);
        check("Get in touch", "/x", LinkKind::Contact);
        check("Read more", "/contact-us", LinkKind::Contact);
        check("Bins and recycling", "/bins", LinkKind::None);
        check("Foil packaging", "/foil", LinkKind::None);
        check("News", "/news/information-about-roadworks", LinkKind::None);
    }

    #[test]
    fn local_parts() {
        let check = |address: &str, want: Local| assert_eq!(local_kind(address), want, "{address}");
        check("foi@kent.gov.uk", Local::Foi);
        check("nenicb.foi@nhs.net", Local::Foi);
        check("FOI.Requests@council.example", Local::Foi);
        check("foirequests@council.example", Local::Foi);
        check("freedomofinformation@council.example", Local::Foi);
        check("information.requests@council.example", Local::Foi);
        check("infogov@council.example", Local::InfoGov);
        check("information-governance@icb.example", Local::InfoGov);
        check("dpo@council.example", Local::InfoGov);
        check("enquiries@council.example", Local::General);
        check("customer.services@council.example", Local::General);
        check("kent.enquiries@council.example", Local::General);
        check("council.webmaster@council.example", Local::NotFoi);
        check("webmaster@council.example", Local::NotFoi);
        check("press.office@council.example", Local::NotFoi);
        check("no-reply@council.example", Local::Never);
        check("newsletter@council.example", Local::Never);
        check("jane.smith@council.example", Local::Other);
        check("foioffice@council.example", Local::Foi);
        check("comms@council.example", Local::NotFoi);
    }

    #[test]
    fn foi_above_general_above_webmaster() {
        let plain = Signs::default();
        let everything = Signs { sentence: Topic::Foi, page_foi: true, mailto: true, own_domain: true };
        let foi = score(Local::Foi, plain);
        let foi_on_foi_page = score(Local::Foi, Signs { page_foi: true, ..plain });
        let infogov_in_ig_sentence_on_foi_page =
            score(Local::InfoGov, Signs { sentence: Topic::InfoGov, page_foi: true, ..plain });
        let general_on_foi_page =
            score(Local::General, Signs { page_foi: true, mailto: true, own_domain: true, ..plain });
        let general_in_foi_sentence = score(Local::General, Signs { sentence: Topic::Foi, ..plain });
        let general = score(Local::General, Signs { mailto: true, own_domain: true, ..plain });
        let person = score(Local::Other, Signs { mailto: true, own_domain: true, ..plain });
        let webmaster = score(Local::NotFoi, everything);
        assert!(foi_on_foi_page > infogov_in_ig_sentence_on_foi_page, "the FOI address above the IG team's");
        assert!(foi > general_on_foi_page && general_on_foi_page > general && general > person && person > webmaster);
        assert!(foi >= FOI_SCORE && general_in_foi_sentence >= FOI_SCORE);
        assert!(score(Local::InfoGov, plain) >= FOI_SCORE);
        assert!(general_on_foi_page < FOI_SCORE, "an FOI page alone does not make an FOI address");
        assert_eq!(
            score(Local::Foi, Signs { sentence: Topic::Foi, ..plain }),
            foi,
            "evidence of one thing is not added up"
        );
        assert!(webmaster < 0);
    }

    #[test]
    fn sentences_about_foi_and_web_forms() {
        assert_eq!(topic("Send your Freedom of Information request to"), Topic::Foi);
        assert_eq!(topic("For FOI requests email"), Topic::Foi);
        assert_eq!(topic("requests for information under the Act"), Topic::Foi);
        assert_eq!(topic("the Information Governance team"), Topic::InfoGov);
        assert_eq!(topic("For general enquiries email"), Topic::Other);
        assert_eq!(topic("information about bins"), Topic::Other);
        assert!(names_web_form("We only accept requests through our online form."));
        assert!(names_web_form("Please use the online request form"));
        assert!(names_web_form("Submit your request online"));
        assert!(names_web_form("Use our FOI portal to make a request"));
        assert!(!names_web_form("Send your request by email or post"));
        assert!(!names_web_form("platform information"));
        assert!(page_about_foi("Information governance", "/x"));
        assert!(page_about_foi("Home", "/about/freedom-of-information"));
        assert!(!page_about_foi("Bins", "/bins"));
    }

    #[test]
    fn own_domains() {
        assert!(own_domain("foi@kent.gov.uk", "www.kent.gov.uk"));
        assert!(own_domain("foi@council.kent.gov.uk", "www.kent.gov.uk"));
        assert!(own_domain("foi@kent.gov.uk", "democracy.kent.gov.uk"));
        assert!(!own_domain("foi@nhs.net", "www.kent.gov.uk"));
        assert!(!own_domain("foi@notkent.gov.uk", "kent.gov.uk"));
        assert!(!own_domain("foi@gov.uk", "kent.gov.uk"));
        assert!(!own_domain("foi@nhs.net", "nhs.net"));
        assert!(own_domain("foi@x.icb.nhs.uk", "www.x.icb.nhs.uk"));
        assert!(!own_domain("foi@y.icb.nhs.uk", "www.x.icb.nhs.uk"));
        assert!(request_portal("kent.icasework.com"));
        assert!(!request_portal("icasework.com.example"));
    }
}
