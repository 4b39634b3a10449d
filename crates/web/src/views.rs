//! The page templates (`templates/web/*.hbs`, built into the binary) and the stylesheet.
//! Handlebars escapes every value; only HTML foi itself drew (report tables and charts) is
//! placed with triple braces.

use axum::http::StatusCode;
use axum::response::Html;
use handlebars::Handlebars;
use serde_json::{Value, json};

use crate::{Error, Result};

macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates/web/", $name, ".hbs")))
    };
}

const TEMPLATES: [(&str, &str); 9] = [
    template!("layout"),
    template!("signin"),
    template!("error"),
    template!("dashboard"),
    template!("round"),
    template!("request"),
    template!("triage"),
    template!("tag"),
    template!("bodies"),
];

/// The stylesheet, `templates/web/style.css`.
pub const STYLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates/web/style.css"));

pub struct Views {
    hb: Handlebars<'static>,
}

impl Views {
    pub fn load() -> Result<Views> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(false);
        for (name, text) in TEMPLATES {
            hb.register_template_string(name, text)
                .map_err(|e| Error::Internal(format!("templates/web/{name}.hbs: {e}")))?;
        }
        Ok(Views { hb })
    }

    /// Renders a page.
    pub fn page(&self, name: &str, data: &Value) -> Result<Html<String>> {
        self.hb.render(name, data).map(Html).map_err(|e| Error::Internal(format!("templates/web/{name}.hbs: {e}")))
    }
}

/// An error page, drawn without the template registry (it may be what failed).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let title = status.canonical_reason().unwrap_or("Error");
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · foi</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><header><nav><a href=\"/\" class=\"brand\">foi</a>\
         </nav></header><main><h1>{title}</h1><p class=\"error\" id=\"error\">{}</p><p><a href=\"/\">Back to the dashboard</a></p>\
         </main></body></html>",
        handlebars::html_escape(message)
    ))
}

/// The signed-in user as the layout shows them.
pub fn me(s: &crate::auth::Signed, triage: u64) -> Value {
    json!({
        "name": s.user.display_name.clone().unwrap_or_else(|| s.user.username.clone()),
        "role": foi_core::Named::name(s.user.role),
        "csrf": s.csrf,
        "triage": triage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_escapes() {
        let v = Views::load().unwrap_or_else(|e| panic!("{e}"));
        let page = v
            .page("error", &json!({"title": "T", "message": "<script>alert(1)</script>"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.0.contains("&lt;script&gt;") && !page.0.contains("<script>"), "{}", page.0);
    }
}
