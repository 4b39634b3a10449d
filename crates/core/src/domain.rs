//! Mail domains as organisations: which part of a sender's domain names the organisation that
//! owns it (its registrable domain, from the Public Suffix List through the `psl` crate), and
//! which domains many organisations share and so never identify one.
//!
//! `foi.kent.gov.uk` and `kent.gov.uk` are both Kent County Council's (`gov.uk` is a public
//! suffix, so `kent.gov.uk` is registrable); `nhs.net` is registrable but shared by every NHS
//! body; `*.icb.nhs.uk` names one board each, though the list makes `icb.nhs.uk` the
//! registrable domain, so foi treats `icb.nhs.uk` as a suffix too.

/// Domains whose mailboxes belong to many organisations: NHSmail, webmail providers, and the
/// case-management services that send on behalf of many councils. An address on one of them
/// identifies a body only once a person has assigned a reply from it (learned addresses).
pub const SHARED_DOMAINS: &[&str] = &[
    "nhs.net",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "live.co.uk",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "me.com",
    "aol.com",
    "btinternet.com",
    "sky.com",
    "protonmail.com",
    "proton.me",
    "infreemation.co.uk",
    "icasework.com",
    "granicus.com",
    "govdelivery.com",
    "onmicrosoft.com",
    "mimecast.com",
    "whatdotheyknow.com",
];

/// Suffixes the Public Suffix List does not list but which foi treats as such: under each,
/// one more label names one organisation.
const EXTRA_SUFFIXES: &[&str] = &["icb.nhs.uk", "gcsx.gov.uk", "cjsm.net"];

/// The registrable domain of `domain` (lower case, no trailing dot), or None for a bare
/// public suffix or something that is not a domain.
pub fn registrable(domain: &str) -> Option<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if d.is_empty() || d.contains(|c: char| c.is_whitespace() || c == '@') {
        return None;
    }
    for extra in EXTRA_SUFFIXES {
        if d == *extra {
            return None;
        }
        if let Some(head) = d.strip_suffix(extra).and_then(|h| h.strip_suffix('.')) {
            let label = head.rsplit('.').next().unwrap_or("");
            return (!label.is_empty()).then(|| format!("{label}.{extra}"));
        }
    }
    psl::domain_str(&d).map(str::to_string)
}

/// The domain that identifies an organisation, for a domain or an address: its registrable
/// domain unless that is shared (None then, and for anything that is not a domain).
pub fn organisation(domain_or_address: &str) -> Option<String> {
    let domain = domain_or_address.rsplit_once('@').map_or(domain_or_address, |(_, d)| d);
    let r = registrable(domain)?;
    (!SHARED_DOMAINS.contains(&r.as_str())).then_some(r)
}

/// The organisation domain of a website address (`https://www.kent.gov.uk/foi`).
pub fn of_website(url: &str) -> Option<String> {
    let rest = url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    organisation(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn councils_are_their_own_domain() {
        assert_eq!(organisation("foi@kent.gov.uk").as_deref(), Some("kent.gov.uk"));
        assert_eq!(organisation("information.governance@mail.kent.gov.uk").as_deref(), Some("kent.gov.uk"));
        assert_eq!(of_website("http://www.kent.gov.uk/").as_deref(), Some("kent.gov.uk"));
        assert_eq!(of_website("https://www.bcpcouncil.gov.uk").as_deref(), Some("bcpcouncil.gov.uk"));
    }

    #[test]
    fn shared_domains_identify_nobody() {
        assert_eq!(organisation("someone@nhs.net"), None);
        assert_eq!(organisation("gov.uk"), None);
        assert_eq!(organisation("nhs.uk"), None);
        assert_eq!(organisation("westsussex@infreemation.co.uk"), None);
        assert_eq!(organisation("a@foi.infreemation.co.uk"), None);
        assert_eq!(organisation("x@gmail.com"), None);
        assert_eq!(organisation("not an address"), None);
        assert_eq!(organisation(""), None);
    }

    #[test]
    fn boards_on_icb_nhs_uk_are_one_each() {
        assert_eq!(
            of_website("https://bedfordshirelutonandmiltonkeynes.icb.nhs.uk").as_deref(),
            Some("bedfordshirelutonandmiltonkeynes.icb.nhs.uk")
        );
        assert_eq!(organisation("icb.nhs.uk"), None);
        assert_eq!(organisation("foi@kernowccg.nhs.uk").as_deref(), Some("kernowccg.nhs.uk"));
    }
}
