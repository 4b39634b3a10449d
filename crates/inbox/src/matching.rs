//! Matching a reply to its request, in order of trust: (1) In-Reply-To/References naming a
//! message foi sent; (2) the request's token in a recipient address (`foi+TOKEN@`), forgiving
//! case, one mistyped character or a truncated token; (3) what foi put in its request found
//! inside a copy of it the reply carries (a bounce's attached original, `message/rfc822` or
//! `text/rfc822-headers`): its Message-ID, its reply address, its subject's token; (4) the
//! token in the subject or body, after "FOI ref" or standing alone (a token is
//! self-checking, so a bare one is trusted only exactly as written); (5) a body's own case
//! reference learned from an earlier message; (6) the address a bounce says failed, or the
//! sender's address, when it is a body's FOI address or was learned from a reply a person
//! assigned, and that body has exactly one open request; (7) the sender's organisation
//! domain (its registrable domain by the Public Suffix List, [`foi_core::domain`]), never a
//! shared one (nhs.net, webmail, case-management services), when it belongs to exactly one
//! body with exactly one open request. Every match records its method and confidence.

use foi_core::Reference;
use foi_store::InboxReads;
use serde::Serialize;

use crate::Result;
use crate::parse::Parsed;

/// A reply's request, and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub request_id: i32,
    pub reference: String,
    pub method: &'static str,
    pub confidence: f64,
}

pub use foi_core::domain::SHARED_DOMAINS;

/// The body's own case references in a subject or text (`FOI 12345`, `Our ref: ABC/2026/123`).
pub fn case_references(text: &str) -> Vec<String> {
    static_re!(
        case_reference_re,
        r"(?i)\b(?:our ref(?:erence)?|case (?:ref(?:erence)?|number)|request (?:ref(?:erence)?|number)|ref(?:erence)? (?:no|number))[.:\s]*([A-Z0-9][A-Z0-9/\-]{3,24})|\b((?:FOI|FOIA|EIR|FOISA)[\s\-/]?\d{2,}(?:[\-/]\d+)*)\b"
    );
    let r = case_reference_re();
    let mut out: Vec<String> = r
        .captures_iter(text)
        .filter_map(|c| c.get(1).or(c.get(2)))
        .map(|m| m.as_str().trim_end_matches(['/', '-']).to_ascii_uppercase().replace(' ', ""))
        .filter(|s| s.chars().any(|c| c.is_ascii_digit()))
        .collect();
    out.dedup();
    out
}

/// Looks up a token as written: exactly, corrected (one slip), or as a truncated prefix.
async fn by_token<R: InboxReads>(store: &R, token: &str) -> Result<Option<(i32, String, f64, &'static str)>> {
    let Some(n) = foi_core::reference::normalise(token) else { return Ok(None) };
    if let Ok(r) = Reference::parse(&n)
        && let Some(id) = store.request_id_by_reference(r.as_str()).await?
    {
        return Ok(Some((id, r.to_string(), 1.0, "")));
    }
    if n.len() == foi_core::reference::TOKEN_LEN {
        let mut found = Vec::new();
        for c in Reference::corrections(&n) {
            if let Some(id) = store.request_id_by_reference(c.as_str()).await? {
                found.push((id, c.to_string()));
            }
        }
        if let [(id, r)] = found.as_slice() {
            return Ok(Some((*id, r.clone(), 0.9, "_corrected")));
        }
    } else if n.len() >= 6 && n.len() < foi_core::reference::TOKEN_LEN {
        let found = store.references_starting(&n).await?;
        if let [r] = found.as_slice()
            && let Some(id) = store.request_id_by_reference(r).await?
        {
            return Ok(Some((id, r.clone(), 0.8, "_truncated")));
        }
    }
    Ok(None)
}

fn method(base: &'static str, suffix: &str) -> &'static str {
    match (base, suffix) {
        ("reply_address", "") => "reply_address",
        ("reply_address", "_corrected") => "reply_address_corrected",
        ("reply_address", _) => "reply_address_truncated",
        ("attached_original", _) => "attached_original",
        ("subject_token", "") => "subject_token",
        ("subject_token", _) => "subject_token_corrected",
        ("body_token", "") => "body_token",
        (_, _) => "body_token_corrected",
    }
}

/// Finds the request a parsed reply answers, or None (it goes to triage); `bounce_address`
/// is the address a bounce says failed.
pub async fn find<R: InboxReads>(store: &R, p: &Parsed, bounce_address: Option<&str>) -> Result<Option<Match>> {
    if let Some(m) = find_by_reference(store, p).await? {
        return Ok(Some(m));
    }
    find_by_body(store, p, bounce_address).await
}

/// Steps 1 to 4: what foi itself put in its request (Message-ID, reply address, token).
/// These never change once a request is sent, so they can be looked up ahead, outside the
/// batch being written.
pub async fn find_by_reference<R: InboxReads>(store: &R, p: &Parsed) -> Result<Option<Match>> {
    // 1. Threading headers naming a message foi sent.
    if let Some((id, reference)) = store.request_by_sent_message_id(&p.thread).await? {
        return Ok(Some(Match { request_id: id, reference, method: "in_reply_to", confidence: 1.0 }));
    }
    // 2. The token in a recipient address: LOCAL+TOKEN@domain.
    if let Some(m) = by_address_token(store, &p.recipients, "reply_address", 1.0).await? {
        return Ok(Some(m));
    }
    // 3. A copy of foi's message inside this one (a bounce's original).
    for original in &p.originals {
        let ids = message_ids(original);
        if let Some((id, reference)) = store.request_by_sent_message_id(&ids).await? {
            return Ok(Some(Match { request_id: id, reference, method: "attached_original", confidence: 0.95 }));
        }
        let addresses = crate::parse::addresses_in(original);
        if let Some(m) = by_address_token(store, &addresses, "attached_original", 0.95).await? {
            return Ok(Some(m));
        }
        if let Some(m) = by_labelled_token(store, original, "attached_original", 0.95).await? {
            return Ok(Some(m));
        }
    }
    // 4. The token in the subject, then the body: after "FOI ref", then standing alone.
    for (text, base, scale) in [(p.subject.as_str(), "subject_token", 0.95), (p.full_text.as_str(), "body_token", 0.85)]
    {
        if let Some(m) = by_labelled_token(store, text, base, scale).await? {
            return Ok(Some(m));
        }
    }
    for (text, method, confidence) in
        [(p.subject.as_str(), "subject_token", 0.9), (p.full_text.as_str(), "bare_token", 0.8)]
    {
        if let Some(m) = by_bare_token(store, text, method, confidence).await? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The token in an address `LOCAL+TOKEN@domain` among `addresses`.
async fn by_address_token<R: InboxReads>(
    store: &R,
    addresses: &[String],
    base: &'static str,
    scale: f64,
) -> Result<Option<Match>> {
    for addr in addresses {
        let local = addr.split('@').next().unwrap_or("");
        if let Some((_, token)) = local.split_once('+')
            && let Some((id, reference, conf, how)) = by_token(store, token).await?
        {
            return Ok(Some(Match { request_id: id, reference, method: method(base, how), confidence: conf * scale }));
        }
    }
    Ok(None)
}

/// The token after "FOI ref" (as foi writes it in subjects) in `text`.
async fn by_labelled_token<R: InboxReads>(
    store: &R,
    text: &str,
    base: &'static str,
    scale: f64,
) -> Result<Option<Match>> {
    static_re!(token_re, r"(?i)FOI\s*ref\.?\s*:?\s*([0-9a-z][0-9a-z \-]{4,14}[0-9a-z])");
    for c in token_re().captures_iter(text).take(20) {
        let Some(t) = c.get(1) else { continue };
        let token: String =
            t.as_str().chars().filter(|c| c.is_ascii_alphanumeric()).take(foi_core::reference::TOKEN_LEN).collect();
        if let Some((id, reference, conf, how)) = by_token(store, &token).await? {
            return Ok(Some(Match { request_id: id, reference, method: method(base, how), confidence: conf * scale }));
        }
    }
    Ok(None)
}

/// Most words a text is searched for a bare token (each one that passes the check code is a
/// look-up).
const BARE_TOKEN_LOOKUPS: usize = 40;

/// A token standing alone in `text` ("Our reference: 9p6d4eqzkw", "Your ref 9P6D4EQZKW"),
/// exactly as written but for case: a 10-character word that passes the check code and is a
/// request's reference.
async fn by_bare_token<R: InboxReads>(
    store: &R,
    text: &str,
    method: &'static str,
    confidence: f64,
) -> Result<Option<Match>> {
    static_re!(word_re, r"\b[0-9A-Za-z]{10}\b");
    let mut looked = 0;
    let mut seen = std::collections::HashSet::new();
    for w in word_re().find_iter(text) {
        let w = w.as_str().to_ascii_lowercase();
        // Real words are rarely tokens; a token almost always mixes digits and letters.
        if !w.bytes().any(|b| b.is_ascii_digit()) || !w.bytes().any(|b| b.is_ascii_alphabetic()) {
            continue;
        }
        let Ok(r) = Reference::parse(&w) else { continue };
        if r.as_str() != w || !seen.insert(w) {
            continue;
        }
        if let Some(id) = store.request_id_by_reference(r.as_str()).await? {
            return Ok(Some(Match { request_id: id, reference: r.to_string(), method, confidence }));
        }
        looked += 1;
        if looked >= BARE_TOKEN_LOOKUPS {
            break;
        }
    }
    Ok(None)
}

/// Message-IDs in a header section (`Message-ID:`, `In-Reply-To:`, `References:` lines).
fn message_ids(headers: &str) -> Vec<String> {
    static_re!(id_re, r"(?im)^(?:message-id|in-reply-to|references)[ \t]*:((?:[^\n]*)(?:\n[ \t][^\n]*)*)");
    static_re!(angle_re, r"<([^<>\s]+@[^<>\s]+)>");
    let mut out = Vec::new();
    for c in id_re().captures_iter(headers).take(8) {
        for a in angle_re().captures_iter(&c[1]).take(50) {
            out.push(a[1].to_string());
        }
    }
    out
}

/// Steps 5 to 7: what the body is known by (its case references, its addresses, its
/// domain), which the batch being written may have just learned. `bounce_address` is the
/// address a bounce says failed.
pub async fn find_by_body<R: InboxReads>(store: &R, p: &Parsed, bounce_address: Option<&str>) -> Result<Option<Match>> {
    // 5. A case reference the body used before (never from a bounce: its subject is ours).
    // Bodies number their cases alike ("FOI 26-4471" may be two councils' cases): a sender
    // whose own domain is another body's does not take that body's case.
    if bounce_address.is_none() {
        // NHSmail is the NHS's: a council's case is not answered from it.
        let nhs_mail = p
            .from
            .as_deref()
            .and_then(|f| f.rsplit_once('@'))
            .and_then(|(_, d)| foi_core::domain::registrable(d))
            .as_deref()
            == Some("nhs.net");
        let sender_body = match p.from.as_deref().and_then(foi_core::domain::organisation) {
            Some(domain) => store.open_requests_for_domain(&domain).await?,
            None => Vec::new(),
        };
        for cr in case_references(&p.subject).into_iter().chain(case_references(&p.text)) {
            let found = store.requests_by_case_reference(&cr).await?;
            if let [reference] = found.as_slice()
                && (sender_body.is_empty() || sender_body.iter().any(|o| &o.reference == reference))
                && (!nhs_mail || is_nhs(store.body_kind_of_request(reference).await?.as_deref()))
                && let Some(id) = store.request_id_by_reference(reference).await?
            {
                return Ok(Some(Match {
                    request_id: id,
                    reference: reference.clone(),
                    method: "case_reference",
                    confidence: 0.9,
                }));
            }
        }
    }
    // 6. The address that failed (a bounce), or the sender's own address.
    let (address, method, confidence) = match bounce_address {
        Some(a) => (Some(a), "bounce_recipient", 0.85),
        None => (p.from.as_deref(), "sender_address", 0.8),
    };
    if let Some(address) = address
        && let Some(one) = only_one(store.open_requests_for_sender(address).await?)
    {
        return Ok(Some(Match { request_id: one.request_id, reference: one.reference, method, confidence }));
    }
    if bounce_address.is_some() {
        // A bounce comes from a mail system, not from the body: its domain says nothing.
        return Ok(None);
    }
    // 7. The sender's organisation domain, never a shared one.
    if let Some(from) = &p.from
        && let Some(domain) = foi_core::domain::organisation(from)
        && let Some(one) = only_one(store.open_requests_for_domain(&domain).await?)
    {
        return Ok(Some(Match {
            request_id: one.request_id,
            reference: one.reference,
            method: "sender_domain",
            confidence: 0.7,
        }));
    }
    Ok(None)
}

/// Whether a stored body kind is an NHS body's.
fn is_nhs(kind: Option<&str>) -> bool {
    kind.and_then(|k| k.parse::<foi_core::BodyKind>().ok()).is_some_and(|k| k.is_nhs())
}

/// The one open request of exactly one body, if that is what `open` holds.
fn only_one(open: Vec<foi_store::OpenRequest>) -> Option<foi_store::OpenRequest> {
    let mut bodies: Vec<&str> = open.iter().map(|o| o.body_code.as_str()).collect();
    bodies.sort_unstable();
    bodies.dedup();
    match (open.len(), bodies.len()) {
        (1, 1) => open.into_iter().next(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_references_are_read() {
        assert_eq!(case_references("RE: FOI 12345 - children's palliative care"), vec!["FOI12345"]);
        assert_eq!(case_references("Our ref: ICB/2026/0457"), vec!["ICB/2026/0457"]);
        assert_eq!(case_references("Request number: EIR-26-113"), vec!["EIR-26-113"]);
        assert!(case_references("Thank you for your email").is_empty());
    }
}
