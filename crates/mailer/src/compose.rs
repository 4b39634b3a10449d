//! Turning a rendered message into the exact MIME bytes that are stored and sent: From,
//! To, Reply-To with the request's token, a Message-ID foi chose, threading headers.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue, InReplyTo, References};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};

use crate::template::Rendered;
use crate::{Error, Result};

/// The envelope and threading of one outgoing message.
#[derive(Debug, Clone)]
pub struct Headers {
    pub from: Mailbox,
    pub to: String,
    pub reply_to: String,
    /// Without angle brackets.
    pub message_id: String,
    /// Message-IDs (without angle brackets) this message replies to, oldest first.
    pub thread: Vec<String>,
    pub date: DateTime<Utc>,
}

fn mailbox(s: &str, what: &str) -> Result<Mailbox> {
    s.parse().map_err(|e| Error::Address { address: s.to_string(), what: what.to_string(), message: format!("{e}") })
}

/// The MIME bytes of `r` with `h`: text/plain, or multipart/alternative with the HTML, inside
/// multipart/mixed when there are attachments.
pub fn compose(r: &Rendered, h: &Headers) -> Result<Vec<u8>> {
    let mut b = lettre::Message::builder()
        .from(h.from.clone())
        .to(mailbox(&h.to, "recipient")?)
        .reply_to(mailbox(&h.reply_to, "reply-to")?)
        .subject(r.subject.clone())
        .message_id(Some(format!("<{}>", h.message_id)))
        .date(h.date.into())
        .header(AutoSubmittedNo);
    if let Some(last) = h.thread.last() {
        b = b.header(InReplyTo::from(format!("<{last}>")));
        let refs = h.thread.iter().map(|m| format!("<{m}>")).collect::<Vec<_>>().join(" ");
        b = b.header(References::from(refs));
    }
    let text = || SinglePart::builder().header(ContentType::TEXT_PLAIN).body(r.text.clone());
    let alternative = r.html.as_ref().map(|html| {
        MultiPart::alternative()
            .singlepart(text())
            .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()))
    });
    let msg = match (alternative, r.attachments.is_empty()) {
        (None, true) => b.singlepart(text()),
        (Some(alt), true) => b.multipart(alt),
        (alt, false) => {
            let mut mixed = match alt {
                Some(alt) => MultiPart::mixed().multipart(alt),
                None => MultiPart::mixed().singlepart(text()),
            };
            for a in &r.attachments {
                let ct =
                    ContentType::parse(&a.content_type).map_err(|e| Error::Compose(format!("{}: {e}", a.filename)))?;
                mixed = mixed.singlepart(MimeAttachment::new(a.filename.clone()).body(a.content.clone(), ct));
            }
            b.multipart(mixed)
        }
    };
    let mut raw = msg.map_err(|e| Error::Compose(e.to_string()))?.formatted();
    // SMTP delivers a message ending in CRLF: store exactly what will arrive.
    if !raw.ends_with(b"\r\n") {
        raw.extend_from_slice(b"\r\n");
    }
    Ok(raw)
}

/// `Auto-Submitted: no`: a person's request, so auto-responders may answer it.
#[derive(Debug, Clone, Copy)]
struct AutoSubmittedNo;

impl lettre::message::header::Header for AutoSubmittedNo {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmittedNo)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "no".to_string())
    }
}
