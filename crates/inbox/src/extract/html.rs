//! HTML to readable text: scripts, styles and comments dropped, block elements as line
//! breaks, table cells separated by tabs, whitespace collapsed (kept inside <pre>), character
//! references decoded by htmlize (the WHATWG rules and list). A forgiving scanner, not a
//! parser: any input gives some text, in time linear in its length (ARCHITECTURE.md, "Why
//! hand-written here", says why not html5ever).

/// Readable text from HTML.
pub fn html_to_text(html: &str) -> String {
    let mut out = Out::default();
    let mut rest = html;
    let mut pre = 0usize;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(after) = rest.strip_prefix("<!--") {
                    rest = after.find("-->").map_or("", |i| &after[i + 3..]);
                    continue;
                }
                if rest.starts_with("<!") || rest.starts_with("<?") {
                    rest = rest.find('>').map_or("", |i| &rest[i + 1..]);
                    continue;
                }
                let Some(tag) = Tag::parse(rest) else {
                    out.text('<', pre > 0);
                    rest = &rest[1..];
                    continue;
                };
                rest = &rest[tag.len..];
                let name = tag.name.as_str();
                if !tag.end && matches!(name, "script" | "style" | "title" | "template" | "xml") {
                    rest = skip_raw_text(rest, name);
                    continue;
                }
                match name {
                    "br" => out.newline(),
                    "pre" => {
                        out.block();
                        pre = if tag.end { pre.saturating_sub(1) } else { pre + 1 };
                    }
                    "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "table" | "ul" | "ol" | "dl" => {
                        out.paragraph()
                    }
                    "li" if !tag.end => {
                        out.block();
                        out.raw("- ");
                    }
                    "td" | "th" if tag.end => out.cell(),
                    "div" | "tr" | "li" | "dt" | "dd" | "hr" | "section" | "article" | "header" | "footer"
                    | "address" | "center" | "fieldset" | "figure" | "figcaption" | "form" | "main" | "nav"
                    | "aside" | "caption" | "body" | "html" => out.block(),
                    _ => {}
                }
            }
            _ => {
                // Text up to the next tag; no character reference spans a '<'.
                let first = c.len_utf8();
                let end = rest[first..].find('<').map_or(rest.len(), |i| i + first);
                for d in htmlize::unescape(&rest[..end]).chars() {
                    out.text(d, pre > 0);
                }
                rest = &rest[end..];
            }
        }
    }
    out.finish()
}

/// Skips to the end of `</name>` (case-insensitive), or to the end.
fn skip_raw_text<'a>(rest: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    let mut from = 0;
    while let Some(i) = rest[from..].find("</") {
        let at = from + i;
        let candidate = rest.get(at..at + closing.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(&closing)) {
            return rest[at..].find('>').map_or("", |j| &rest[at + j + 1..]);
        }
        from = at + 2;
    }
    ""
}

struct Tag {
    name: String,
    end: bool,
    len: usize,
}

impl Tag {
    /// A tag at the start of `s` ("<name ...>" or "</name>"), honouring quoted attributes.
    fn parse(s: &str) -> Option<Tag> {
        let bytes = s.as_bytes();
        let mut i = 1;
        let end = bytes.get(1) == Some(&b'/');
        if end {
            i += 1;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        let start = i;
        while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b':' || *b == b'-') {
            i += 1;
        }
        // Prefixed names (Outlook's <o:p>) are kept whole and so match no HTML element.
        let name = s[start..i].to_ascii_lowercase();
        let mut quote = None;
        while let Some(&b) = bytes.get(i) {
            match (quote, b) {
                (None, b'>') => return Some(Tag { name, end, len: i + 1 }),
                (None, b'"' | b'\'') => quote = Some(b),
                (Some(q), _) if q == b => quote = None,
                _ => {}
            }
            i += 1;
        }
        Some(Tag { name, end, len: s.len() })
    }
}

/// Text being built: whitespace collapsing and line structure.
#[derive(Default)]
struct Out {
    s: String,
    /// A space is owed before the next visible character.
    space: bool,
}

impl Out {
    fn text(&mut self, c: char, pre: bool) {
        if pre {
            self.space = false;
            self.s.push(c);
        } else if c.is_whitespace() && c != '\u{a0}' {
            self.space = true;
        } else {
            if self.space && !self.s.is_empty() && !self.s.ends_with(['\n', '\t']) {
                self.s.push(' ');
            }
            self.space = false;
            self.s.push(c);
        }
    }

    fn raw(&mut self, s: &str) {
        self.space = false;
        self.s.push_str(s);
    }

    fn newline(&mut self) {
        self.trim_spaces();
        self.s.push('\n');
    }

    /// Starts a new line unless already at one.
    fn block(&mut self) {
        self.trim_spaces();
        if !self.s.is_empty() && !self.s.ends_with('\n') {
            self.s.push('\n');
        }
    }

    /// A blank line before and after.
    fn paragraph(&mut self) {
        self.block();
        if !self.s.is_empty() && !self.s.ends_with("\n\n") {
            self.s.push('\n');
        }
    }

    fn cell(&mut self) {
        self.trim_spaces();
        self.s.push('\t');
    }

    fn trim_spaces(&mut self) {
        self.space = false;
        let trimmed = self.s.trim_end_matches([' ', '\t']).len();
        self.s.truncate(trimmed);
    }

    fn finish(self) -> String {
        let mut out = String::with_capacity(self.s.len());
        let mut blank = 0;
        for line in self.s.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                blank += 1;
                if blank > 1 || out.is_empty() {
                    continue;
                }
            } else {
                blank = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_text() {
        assert_eq!(html_to_text("<p>Hello\n   <b>world</b></p><p>Two</p>"), "Hello world\n\nTwo");
        assert_eq!(html_to_text("a<br>b<br/>c"), "a\nb\nc");
        assert_eq!(html_to_text("<SCRIPT type=x>if (a<b) {}</SCRIPT>ok"), "ok");
        assert_eq!(html_to_text("<!-- hidden -->shown <a href=\"x>y\">link</a>"), "shown link");
        assert_eq!(html_to_text("<ul><li>one<li>two</ul>"), "- one\n- two");
        assert_eq!(html_to_text("<pre>a  b\n c</pre>"), "a  b\n c");
        assert_eq!(
            html_to_text("5 &lt; 6 &amp;&amp; &#163;1 &#x20AC;2 &#150; &bogus; & x"),
            "5 < 6 && £1 €2 – &bogus; & x"
        );
        // The whole WHATWG list, the legacy forms without ';', and what is no reference.
        assert_eq!(
            html_to_text("&Eacute;cole &rsquo;&hearts; &notit; &amp &ampfoo &#0; &#x110000; &lt;p&gt;"),
            "École ’♥ ¬it; & &foo \u{fffd} \u{fffd} <p>"
        );
        assert_eq!(html_to_text("<o:p>Word</o:p> a < b"), "Word a < b");
        assert_eq!(html_to_text("unclosed <style>p{}"), "unclosed");
        assert_eq!(html_to_text("<p unclosed"), "");
    }

    /// What makes html5ever's tree builder or tokenizer take time growing with the square of
    /// the input (ARCHITECTURE.md, "Why hand-written here"), and a flood of '&': each read in
    /// a moment, its text kept. (html5ever takes from 7 s to minutes on each of the first
    /// three in a release build.)
    #[test]
    fn hostile_input_is_read_in_linear_time() {
        let n = 100_000;
        let attributes: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
        let misnested: String = (0..20_000).map(|i| format!("<b id={i}>")).collect();
        let inputs = [
            ("nesting", "<div>".repeat(n) + "x"),
            ("attributes", format!("<p {}>x</p>", attributes.join(" "))),
            ("misnested formatting", misnested + &"<p>x".repeat(20_000)),
            ("ampersands", "&".repeat(1_000_000) + &"&#x".repeat(300_000) + "x"),
        ];
        for (what, html) in inputs {
            let start = std::time::Instant::now();
            let text = html_to_text(&html);
            let took = start.elapsed();
            assert!(text.ends_with('x'), "{what}: {:?}", &text[text.len().saturating_sub(40)..]);
            assert!(took < std::time::Duration::from_secs(10), "{what} took {took:?}");
        }
        assert_eq!(html_to_text(&"&".repeat(1000)).len(), 1000);
    }
}
