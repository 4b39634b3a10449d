//! Matching a reply to its request, in order of trust: (1) In-Reply-To/References naming a
//! message foi sent; (2) the request's token in a recipient address (`foi+TOKEN@`), forgiving
//! case, one mistyped character or a truncated token; (3) the token in the subject or body;
//! (4) a body's own case reference learned from an earlier message; (5) the sender's address,
//! or its domain unless shared (nhs.net...), when it belongs to exactly one body with exactly
//! one open request. Every match records its method and confidence.

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

/// Mail domains many organisations share: never enough on their own.
pub const SHARED_DOMAINS: &[&str] = &[
    "nhs.net",
    "nhs.uk",
    "gov.uk",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "btinternet.com",
    "infreemation.co.uk",
];

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
        ("subject_token", "") => "subject_token",
        ("subject_token", _) => "subject_token_corrected",
        ("body_token", "") => "body_token",
        (_, _) => "body_token_corrected",
    }
}

/// Finds the request a parsed reply answers, or None (it goes to triage).
pub async fn find<R: InboxReads>(store: &R, p: &Parsed) -> Result<Option<Match>> {
    if let Some(m) = find_by_reference(store, p).await? {
        return Ok(Some(m));
    }
    find_by_body(store, p).await
}

/// Steps 1 to 3: what foi itself put in its request (Message-ID, reply address, token).
/// These never change once a request is sent, so they can be looked up ahead, outside the
/// batch being written.
pub async fn find_by_reference<R: InboxReads>(store: &R, p: &Parsed) -> Result<Option<Match>> {
    // 1. Threading headers naming a message foi sent.
    if let Some((id, reference)) = store.request_by_sent_message_id(&p.thread).await? {
        return Ok(Some(Match { request_id: id, reference, method: "in_reply_to", confidence: 1.0 }));
    }
    // 2. The token in a recipient address: LOCAL+TOKEN@domain.
    for addr in &p.recipients {
        let local = addr.split('@').next().unwrap_or("");
        if let Some((_, token)) = local.split_once('+')
            && let Some((id, reference, conf, how)) = by_token(store, token).await?
        {
            return Ok(Some(Match {
                request_id: id,
                reference,
                method: method("reply_address", how),
                confidence: conf,
            }));
        }
    }
    // 3. The token in the subject, then the body.
    static_re!(token_re, r"(?i)FOI\s*ref\.?\s*:?\s*([0-9a-z][0-9a-z \-]{4,14}[0-9a-z])");
    let token_re = token_re();
    for (text, base, conf_scale) in
        [(p.subject.as_str(), "subject_token", 0.95), (p.full_text.as_str(), "body_token", 0.85)]
    {
        for c in token_re.captures_iter(text) {
            let Some(t) = c.get(1) else { continue };
            let token: String =
                t.as_str().chars().filter(|c| c.is_ascii_alphanumeric()).take(foi_core::reference::TOKEN_LEN).collect();
            if let Some((id, reference, conf, how)) = by_token(store, &token).await? {
                return Ok(Some(Match {
                    request_id: id,
                    reference,
                    method: method(base, how),
                    confidence: conf * conf_scale,
                }));
            }
        }
    }
    Ok(None)
}

/// Steps 4 and 5: what the body is known by (its case references, its domain), which the
/// batch being written may have just learned.
pub async fn find_by_body<R: InboxReads>(store: &R, p: &Parsed) -> Result<Option<Match>> {
    // 4. A case reference the body used before.
    for cr in case_references(&p.subject).into_iter().chain(case_references(&p.text)) {
        let found = store.requests_by_case_reference(&cr).await?;
        if let [reference] = found.as_slice()
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
    // 5. The sender: its domain, unless shared, with exactly one open request.
    if let Some(from) = &p.from
        && let Some((_, domain)) = from.rsplit_once('@')
    {
        let domain = domain.to_ascii_lowercase();
        let shared =
            SHARED_DOMAINS.iter().any(|s| domain == *s || domain.ends_with(&format!(".{s}")) && *s != "nhs.uk");
        if !shared {
            let open = store.open_requests_for_domain(&domain).await?;
            let mut bodies: Vec<&str> = open.iter().map(|o| o.body_code.as_str()).collect();
            bodies.dedup();
            if let ([one], [_]) = (open.as_slice(), bodies.as_slice()) {
                return Ok(Some(Match {
                    request_id: one.request_id,
                    reference: one.reference.clone(),
                    method: "sender_domain",
                    confidence: 0.6,
                }));
            }
        }
    }
    Ok(None)
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
