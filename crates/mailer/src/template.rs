//! Template sets (`templates/<set>/set.toml` and handlebars files): rendering a request, a
//! chaser, an internal review request or a clarification for one body, in strict mode so
//! that a missing field is an error naming the template, the field and the body.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderErrorReason, no_escape};
use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Result};

/// `set.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    codebook: String,
    request: RequestPart,
    chaser: Part,
    internal_review: Part,
    clarification: Part,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestPart {
    subject: String,
    /// Text template per body group (`nhs`, `councils`) or kind name; `default` for the rest.
    text: BTreeMap<String, String>,
    html: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Part {
    subject: String,
    text: String,
    html: Option<String>,
}

/// Which follow-up message to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followup {
    Chaser,
    InternalReview,
    Clarification,
}

impl Followup {
    /// The message kind stored in the outbox.
    pub fn kind(self) -> &'static str {
        match self {
            Followup::Chaser => "chaser",
            Followup::InternalReview => "internal_review",
            Followup::Clarification => "clarification",
        }
    }
}

/// A file attached to every request of a set.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A message rendered for one body, before it becomes MIME.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A loaded template set.
pub struct TemplateSet {
    dir: PathBuf,
    manifest: Manifest,
    text: Handlebars<'static>,
    html: Handlebars<'static>,
    attachments: Vec<Attachment>,
}

fn content_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next().map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain; charset=utf-8",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl TemplateSet {
    /// Loads `dir/set.toml`, every template it names and its attachments. Template syntax
    /// errors are found here, naming the file and line.
    pub fn load(dir: &Path) -> Result<TemplateSet> {
        let manifest_path = dir.join("set.toml");
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| Error::Template {
            template: manifest_path.display().to_string(),
            body: None,
            message: e.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
        })?;
        let mut set = TemplateSet {
            dir: dir.to_path_buf(),
            manifest,
            text: Handlebars::new(),
            html: Handlebars::new(),
            attachments: Vec::new(),
        };
        set.text.set_strict_mode(true);
        set.text.register_escape_fn(no_escape);
        set.html.set_strict_mode(true);
        let m = set.manifest.clone();
        let subjects = [
            ("request.subject", &m.request.subject),
            ("chaser.subject", &m.chaser.subject),
            ("internal_review.subject", &m.internal_review.subject),
            ("clarification.subject", &m.clarification.subject),
        ];
        for (name, tpl) in subjects {
            set.text.register_template_string(name, tpl).map_err(|e| set.syntax_error(name, e))?;
        }
        let mut text_files: Vec<&String> = m.request.text.values().collect();
        text_files.extend([&m.chaser.text, &m.internal_review.text, &m.clarification.text]);
        for f in text_files {
            set.register_file(false, f)?;
        }
        for f in [&m.request.html, &m.chaser.html, &m.internal_review.html, &m.clarification.html].into_iter().flatten()
        {
            set.register_file(true, f)?;
        }
        for name in &m.request.attachments {
            let path = dir.join(name);
            let content = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            set.attachments.push(Attachment {
                filename: name.clone(),
                content_type: content_type_of(name).into(),
                content,
            });
        }
        Ok(set)
    }

    fn syntax_error(&self, name: &str, e: handlebars::TemplateError) -> Error {
        Error::Template {
            template: self.dir.join(name).display().to_string(),
            body: None,
            message: e.to_string().lines().next().unwrap_or("syntax error").to_string(),
        }
    }

    fn register_file(&mut self, html: bool, file: &str) -> Result<()> {
        let path = self.dir.join(file);
        let src = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let reg = if html { &mut self.html } else { &mut self.text };
        if let Err(e) = reg.register_template_string(file, src) {
            return Err(self.syntax_error(file, e));
        }
        Ok(())
    }

    /// The set's name, from `set.toml`.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The codebook the set's questions come from (a file name under `data/codebooks/`).
    pub fn codebook(&self) -> &str {
        &self.manifest.codebook
    }

    fn render(&self, html: bool, name: &str, ctx: &Value, body: &str) -> Result<String> {
        let reg = if html { &self.html } else { &self.text };
        reg.render(name, ctx).map_err(|e| {
            let message = match e.reason() {
                RenderErrorReason::MissingVariable(Some(field)) => format!("missing field \"{field}\""),
                other => other.to_string(),
            };
            let line = e.line_no.map(|l| format!(":{l}")).unwrap_or_default();
            Error::Template {
                template: format!("{}{line}", self.dir.join(name).display()),
                body: Some(body.to_string()),
                message,
            }
        })
    }

    /// Which text template a body of `kind` gets: its kind name, else its group, else `default`.
    fn request_text_for(&self, kind: foi_core::BodyKind) -> Result<&str> {
        let group = if kind.is_nhs() { "nhs" } else { "councils" };
        [foi_core::Named::name(kind), group, "default"]
            .iter()
            .find_map(|k| self.manifest.request.text.get(*k))
            .map(String::as_str)
            .ok_or_else(|| Error::Template {
                template: self.dir.join("set.toml").display().to_string(),
                body: None,
                message: format!("[request] text has no template for {kind} bodies (add {kind}, {group} or default)"),
            })
    }

    /// Renders the request for one body. `ctx` is the context from [`crate::context`];
    /// `body_label` names the body in errors.
    pub fn render_request(&self, kind: foi_core::BodyKind, ctx: &Value, body_label: &str) -> Result<Rendered> {
        let text_name = self.request_text_for(kind)?;
        Ok(Rendered {
            subject: one_line(&self.render(false, "request.subject", ctx, body_label)?),
            text: self.render(false, text_name, ctx, body_label)?,
            html: match &self.manifest.request.html {
                Some(h) => Some(self.render(true, h, ctx, body_label)?),
                None => None,
            },
            attachments: self.attachments.clone(),
        })
    }

    /// Renders a chaser, an internal review request or a clarification.
    pub fn render_followup(&self, which: Followup, ctx: &Value, body_label: &str) -> Result<Rendered> {
        let (part, subject) = match which {
            Followup::Chaser => (&self.manifest.chaser, "chaser.subject"),
            Followup::InternalReview => (&self.manifest.internal_review, "internal_review.subject"),
            Followup::Clarification => (&self.manifest.clarification, "clarification.subject"),
        };
        Ok(Rendered {
            subject: one_line(&self.render(false, subject, ctx, body_label)?),
            text: self.render(false, &part.text, ctx, body_label)?,
            html: match &part.html {
                Some(h) => Some(self.render(true, h, ctx, body_label)?),
                None => None,
            },
            attachments: Vec::new(),
        })
    }
}

/// Subjects are one line: newlines in a rendered subject become spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
