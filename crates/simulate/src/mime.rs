//! Puts simulated replies together as raw mail: headers (RFC 2047 where needed), a text
//! part, sometimes an HTML alternative as Outlook sends, base64 attachments, and delivery
//! status reports for bounces. Lines end in CRLF.

use base64::Engine as _;
use chrono::{DateTime, Utc};

/// An attached file.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// One message to put together.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: DateTime<Utc>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Extra header lines, e.g. `Auto-Submitted: auto-replied`.
    pub headers: Vec<String>,
    pub text: String,
    /// Also send the text as HTML (multipart/alternative).
    pub html: bool,
    pub attachments: Vec<Attachment>,
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// A header value, encoded as RFC 2047 UTF-8 base64 when it is not plain ASCII.
fn header_value(v: &str) -> String {
    if v.is_ascii() {
        return v.to_string();
    }
    format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(v))
}

fn base64_lines(bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / 38);
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// A text part: 7bit when ASCII, else base64 UTF-8.
fn text_part(content_type: &str, text: &str) -> String {
    if text.is_ascii() {
        format!(
            "Content-Type: {content_type}; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{}\r\n",
            crlf(text)
        )
    } else {
        format!(
            "Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            base64_lines(crlf(text).as_bytes())
        )
    }
}

fn html_of(text: &str) -> String {
    let mut html = String::from("<html><head><meta charset=\"utf-8\"></head><body>");
    for para in text.split("\n\n") {
        let escaped = para.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>\n");
        html.push_str(&format!("<p class=\"MsoNormal\">{escaped}</p>\n"));
    }
    html.push_str("</body></html>");
    html
}

fn boundary(m: &Mail, n: u32) -> String {
    let id: String = m.message_id.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
    format!("_{n:03}_{id}_")
}

impl Mail {
    fn head(&self) -> String {
        let mut h = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}>\r\n",
            header_value(&self.from),
            self.to,
            header_value(&self.subject),
            self.date.format("%a, %d %b %Y %H:%M:%S +0000"),
            self.message_id
        );
        if let Some(r) = &self.in_reply_to {
            h.push_str(&format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n"));
        }
        for line in &self.headers {
            h.push_str(line);
            h.push_str("\r\n");
        }
        h.push_str("MIME-Version: 1.0\r\n");
        h
    }

    fn body_part(&self) -> String {
        if !self.html {
            return text_part("text/plain", &self.text);
        }
        let b = boundary(self, 2);
        format!(
            "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n{}--{b}\r\n{}--{b}--\r\n",
            text_part("text/plain", &self.text),
            text_part("text/html", &html_of(&self.text))
        )
    }

    /// The raw message.
    pub fn render(&self) -> Vec<u8> {
        let mut m = self.head();
        if self.attachments.is_empty() {
            m.push_str(&self.body_part());
            return m.into_bytes();
        }
        let b = boundary(self, 1);
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--{b}\r\n"));
        m.push_str(&self.body_part());
        for a in &self.attachments {
            m.push_str(&format!(
                "--{b}\r\nContent-Type: {ct}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                base64_lines(&a.bytes),
                ct = a.content_type,
                name = a.filename,
            ));
        }
        m.push_str(&format!("--{b}--\r\n"));
        m.into_bytes()
    }
}

/// A permanent delivery failure report (RFC 3464) for `failed`, returning the headers of the
/// message that could not be delivered.
pub fn bounce(
    reporting_domain: &str,
    to: &str,
    failed: &str,
    original_headers: &str,
    date: DateTime<Utc>,
    message_id: &str,
) -> Vec<u8> {
    let b = format!("_dsn_{}", message_id.chars().filter(char::is_ascii_alphanumeric).take(20).collect::<String>());
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@{reporting_domain}>\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\nMessage-ID: <{message_id}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"\r\n\r\n\
         --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail system at host mx.{reporting_domain}.\r\n\r\n\
         I'm sorry to have to inform you that your message could not be delivered to one or more recipients.\r\n\r\n\
         <{failed}>: host mx.{reporting_domain} said: 550 5.1.1 <{failed}>: Recipient address rejected: User unknown\r\n\r\n\
         --{b}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.{reporting_domain}\r\n\r\n\
         Final-Recipient: rfc822; {failed}\r\nOriginal-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown\r\n\r\n\
         --{b}\r\nContent-Type: text/rfc822-headers\r\n\r\n{}\r\n--{b}--\r\n",
        crlf(original_headers.trim_end()),
        date = date.format("%a, %d %b %Y %H:%M:%S +0000"),
    )
    .into_bytes()
}
