//! The body's own words: what a reply says once our request, echoed back, and the legal
//! boilerplate every FOI letter carries are set aside. Classification, exemptions and the
//! answer layout are read from these words only, so that "please specify", "section 12" or
//! "please provide a copy" quoted from our own request never count as the body's.
//!
//! - **Our request echoed** ([`Echo`]): bodies quote our request back, in full above or below
//!   their answer, question by question between their answers, or in a table. Every sentence
//!   of the reply whose word 4-grams are mostly (at least 60%) 4-grams of a request foi sent
//!   (or of a round's codebook questions) is ours; it is replaced by the line [`QUESTION`], so
//!   the layout (a question, then the body's answer) stays visible.
//! - **Boilerplate** ([`fold_boilerplate`]): sentences about the right to an internal review
//!   and to complain to the Information Commissioner, re-use and copyright, privacy notices,
//!   and e-mail disclaimers, unless the sentence itself reports a review's outcome. Exemption
//!   explainers of acknowledgements ("exemptions may apply") go too.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// The line an echoed sentence (or run of them) becomes.
pub const QUESTION: &str = "[our question]";
/// The line a boilerplate paragraph becomes.
pub const BOILERPLATE: &str = "[boilerplate]";

/// Words per shingle.
const N: usize = 4;
/// The share of a sentence's shingles that must be ours for it to be an echo.
const ECHO_SHARE: f64 = 0.6;

/// The 4-gram fingerprints of the requests foi sent: what a reply may quote back.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    shingles: HashSet<u64>,
    /// Our short lines (2 to 6 words: list items, headings), whole: too short for 4-grams.
    lines: HashSet<String>,
}

impl Echo {
    /// An echo of these texts (sent requests, codebook questions).
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Echo {
        let mut echo = Echo::default();
        for t in texts {
            echo.add(t);
        }
        echo
    }

    /// Adds more texts.
    pub fn add(&mut self, text: &str) {
        let words = words(text);
        for w in words.windows(N) {
            self.shingles.insert(fingerprint(w));
        }
        for line in text.lines() {
            let w = words_of_line(line);
            if (2..=6).contains(&w.len()) {
                self.lines.insert(w.join(" "));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
    }

    /// Whether a sentence is (mostly) our own text.
    pub fn is_echo(&self, sentence: &str) -> bool {
        if self.shingles.is_empty() {
            return false;
        }
        let words = words(strip_numbering(sentence));
        if words.len() < N + 1 {
            return (2..=6).contains(&words.len()) && self.lines.contains(&words.join(" "));
        }
        // "Yes, the ICB has a strategy for palliative care for children..." restates the
        // question but answers it: the body's words.
        if matches!(words.first().map(String::as_str), Some("yes" | "no" | "nil" | "none")) {
            return false;
        }
        let total = words.len() - N + 1;
        let ours = words.windows(N).filter(|w| self.shingles.contains(&fingerprint(w))).count();
        ours as f64 / total as f64 >= ECHO_SHARE
    }

    /// `text` with every echoed sentence replaced: a run of them becomes one [`QUESTION`]
    /// line (on a line of its own), everything else is kept as written.
    pub fn fold(&self, text: &str) -> String {
        if self.shingles.is_empty() {
            return text.to_string();
        }
        fold_sentences(text, QUESTION, |s| self.is_echo(s))
    }
}

/// `text` with the sentences `fold` picks replaced: a run of them becomes one `marker` line
/// (on a line of its own); everything else is kept as written. Sentences run across the
/// line breaks of wrapped prose ([`sentence_spans`]).
fn fold_sentences(text: &str, marker: &str, fold: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_folded = false;
    let mut at = 0;
    for (start, end) in sentence_spans(text) {
        if end <= at {
            continue;
        }
        let start = start.max(at);
        let s = &text[start..end];
        if !s.trim().is_empty() && fold(s) {
            // What came before it, without the spaces that led up to it.
            out.push_str(text[at..start].trim_end_matches([' ', '\t']));
            if !last_folded {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(marker);
                out.push('\n');
            }
            last_folded = true;
            // Keep the sentence's line structure: a folded sentence that ended a line ends it.
            at = end;
            while at < text.len() && matches!(text.as_bytes()[at], b' ' | b'\t' | b'\r') {
                at += 1;
            }
            if at < text.len() && text.as_bytes()[at] == b'\n' {
                at += 1;
            }
        } else {
            if !s.trim().is_empty() {
                last_folded = false;
            }
            out.push_str(&text[at..end]);
            at = end;
        }
    }
    out.push_str(&text[at..]);
    out
}

static_re!(
    line_start_re,
    r"(?i)^[ \t]*(?:(?:q(?:uestion)?|request|item|part)[ \t]*\d{1,2}|\d{1,2}[.):]|\d{1,2}\t|\(?[a-h]\)|[a-h]\.[ \t]|[-*•·>]|yes\b|no\b|nil\b|none\b|n/?a\b|not held\b|£|\d[\d,.]*[ \t]*$|(?:answer|response|reply)[ \t]*\d{0,2}[ \t]*[:\-–])"
);

/// Whether a word before a full stop is an abbreviation ("s.", "e.g.", "No."), not the end
/// of a sentence.
fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '[', '"', '\'']).to_ascii_lowercase();
    (w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()))
        || matches!(
            w.as_str(),
            "s" | "ss"
                | "no"
                | "nos"
                | "e.g"
                | "i.e"
                | "etc"
                | "mr"
                | "mrs"
                | "ms"
                | "dr"
                | "st"
                | "tel"
                | "ref"
                | "sec"
                | "para"
                | "vol"
                | "approx"
                | "incl"
                | "dept"
                | "reg"
                | "regs"
                | "cf"
                | "viz"
        )
}

/// Where the sentences of `text` are, as byte ranges covering it. A sentence ends after
/// ". ", "? " or "! " (not after "s." or "e.g."), at a blank line, and at a line break
/// unless the text runs on as wrapped prose: a long line followed by one that does not open
/// a list item or an answer ("1.", "Q4", "a)", "Yes", "£0").
pub(crate) fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'.' | b'?' | b'!') && b.get(i + 1).is_some_and(|n| *n == b' ' || *n == b'\t') {
            let before = &text[start..i];
            let word = before.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
            let abbreviation = c == b'.' && is_abbreviation(word);
            if !abbreviation {
                out.push((start, i + 1));
                start = i + 1;
            }
        } else if c == b'\n' {
            let line_start = text[..i].rfind('\n').map_or(0, |p| p + 1);
            let line = text[line_start..i].trim();
            let next_end = text[i + 1..].find('\n').map_or(b.len(), |p| i + 1 + p);
            let next = &text[i + 1..next_end];
            let blank_next = next.trim().is_empty();
            let runs_on = line.len() >= 40
                && !blank_next
                && !line.ends_with([':', '?', ';', '.', '!'])
                && !line.contains(['\t', '|'])
                && !line_start_re().is_match(next)
                && !crate::own::is_marker(next);
            if !runs_on {
                out.push((start, i + 1));
                start = i + 1;
            }
        }
        i += 1;
    }
    if start < b.len() {
        out.push((start, b.len()));
    }
    out
}

/// A line's words without its numbering or lettering ("a. complaint" -> ["complaint"]).
fn words_of_line(line: &str) -> Vec<String> {
    words(strip_numbering(line))
}

/// Lower-case words of letters, digits and £ (punctuation and markup dropped).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '£' || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn fingerprint(w: &[String]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    w.hash(&mut h);
    h.finish()
}

/// A sentence without its leading numbering ("1.", "Q4)", "Question 3:", "a)").
fn strip_numbering(s: &str) -> &str {
    static_re!(numbering_re, r"(?i)^\s*(?:(?:q(?:uestion)?|request|item)\s*)?(?:\d{1,2}|[a-h])\s*[.):\-]\s*");
    match numbering_re().find(s) {
        Some(m) => &s[m.end()..],
        None => s,
    }
}

// ---------------------------------------------------------------------------------------------
// Boilerplate.

static_re!(
    rights_re,
    r"(?i)\b(?:if|should) you (?:are|were|remain|feel|be)? ?(?:unhappy|dissatisfied|not (?:happy|satisfied)|wish to (?:complain|request|ask|appeal|make a complaint)|want to (?:complain|request|ask)|disagree)\b|\byou (?:have|may have|also have) (?:the|a) right to (?:request|ask|complain|apply|appeal|seek)\b|\bright to (?:request|ask for|seek) an? (?:internal )?review\b|\binformation commissioner\b|\bico\.org\.uk\b|\bthe ICO\b|\bICO\b[^.]*\b(?:complain|expect|review|contact|address|website)|\bwycliffe house\b|\bwater lane,? wilmslow\b|\bsection 50 of the\b|\bwithin (?:40|forty) (?:working|calendar)? ?days\b[^.]*\breview\b|\bcomplaints? procedure\b"
);
static_re!(
    outcome_re,
    r"(?i)\b(?:i|we) have (?:now )?(?:completed|concluded|carried out|conducted|undertaken|reviewed|reconsidered|looked again)\b|\b(?:is|are|was|been) (?:not |partially |partly )?upheld\b|\boutcome of (?:the|my|this|your) (?:internal )?review\b|\bthe review (?:found|concluded|has found)\b|\boriginal (?:decision|response) (?:was|is|should)\b"
);
static_re!(
    reuse_re,
    r"(?i)\bcopyright\b|\bre-?use (?:of )?(?:public sector )?information\b|\bre-?use the information\b|\bopen government licen[cs]e\b|\bthe re-use of public sector information regulations\b|\bprivacy (?:notice|policy|statement)\b|\bhow we (?:use|handle|process) your (?:personal )?(?:data|information)\b|\bdata protection (?:act|legislation)\b[^.]*\b(?:your personal|privacy)\b"
);
static_re!(
    disclaimer_re,
    r"(?i)\bintended recipient\b|\b(?:is|are|may be) (?:strictly )?confidential and (?:may be )?(?:legally )?privileged\b|\b(?:scanned|checked) for (?:all )?(?:known )?viruses\b|\bvirus[- ]?(?:free|checked|scan)\b|\be-?mails? (?:sent (?:to|from) [^.]*)?(?:may|will) be (?:monitored|recorded|intercepted)\b|\bthis (?:e-?mail|message) (?:and any (?:files|attachments)[^.]*)?(?:is|are|may be|contains?) (?:confidential|private|intended)\b|\bnhsmail is\b|\bsecure email service\b"
);
static_re!(
    explainer_re,
    r"(?i)\bexemptions? (?:which|that) may (?:apply|prevent)\b|\bif any (?:of the )?exemptions? (?:categories )?appl(?:y|ies)\b|\bwe will (?:assess|consider|decide) whether (?:any )?(?:exemptions?|the information)\b|\bthere may be a fee\b|\bfee (?:may be|must be) (?:payable|paid)\b|\bwe will (?:let you know|contact you|inform you|tell you) if\b[^.]*\b(?:exempt|exemptions?|fee|cost limit|section 12|appropriate limit)\b|\bif (?:we|the council|the icb|the board|the trust) (?:estimate|consider|find|decide|believe)s?\b[^.]*\b(?:exceed|exempt)"
);

/// `text` with boilerplate sentences (review rights, the ICO, re-use and copyright, privacy
/// notices, disclaimers, exemption explainers) replaced by the line [`BOILERPLATE`]. A
/// sentence that reports a review's outcome is kept whatever else it says.
pub fn fold_boilerplate(text: &str) -> String {
    fold_sentences(text, BOILERPLATE, is_boilerplate)
}

static_re!(if_you_re, r"(?i)^[\s*•\-]*(?:if|should|where|in the event that|once) you\b");

/// Whether a sentence is boilerplate.
fn is_boilerplate(s: &str) -> bool {
    // "If you are not satisfied with the outcome of this review, you may complain to the
    // ICO" is the tail of every outcome letter, not its outcome.
    if if_you_re().is_match(s) && rights_re().is_match(s) {
        return true;
    }
    if outcome_re().is_match(s) {
        return false;
    }
    rights_re().is_match(s) || reuse_re().is_match(s) || disclaimer_re().is_match(s) || explainer_re().is_match(s)
}

/// The body's own words in `text`: our echoed request and boilerplate set aside, and
/// wrapped sentences joined onto one line (so that "does\nnot hold" reads "does not hold";
/// lists, answers and paragraphs keep their lines).
pub fn own_words(text: &str, echo: Option<&Echo>) -> String {
    let folded = match echo {
        Some(e) => e.fold(text),
        None => text.to_string(),
    };
    flow(&fold_boilerplate(&folded))
}

/// `text` with the line breaks inside sentences that run across lines turned into spaces.
pub fn flow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (start, end) in sentence_spans(text) {
        let s = &text[start..end];
        let (body, tail) = match s.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (s, ""),
        };
        if body.contains('\n') {
            let joined: Vec<&str> = body.split('\n').map(|l| l.trim_end_matches('\r')).collect();
            let mut first = true;
            for l in joined {
                if !first {
                    out.push(' ');
                    out.push_str(l.trim_start());
                } else {
                    out.push_str(l);
                }
                first = false;
            }
        } else {
            out.push_str(body);
        }
        out.push_str(tail);
    }
    out
}

/// Whether a line is one of the markers this module writes.
pub fn is_marker(line: &str) -> bool {
    let l = line.trim();
    l == QUESTION || l == BOILERPLATE || l == crate::folding::MARKER
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = "Freedom of Information request: Children's palliative care 2026\n\n\
1. Has your organisation, alone or jointly with other organisations (for example as part of a Joint \
Strategic Needs Assessment), carried out an assessment of the number and needs of children and young \
people with life-limiting or life-threatening conditions in its area? If yes, please provide a copy of, \
or a link to, the most recent assessment and the date it was completed.\n\n\
If any part of this request is unclear, or if answering it in full would exceed the cost limit in \
section 12 of the Act, please contact us as soon as possible so that we can clarify or narrow it.";

    #[test]
    fn our_request_quoted_back_is_folded() {
        let echo = Echo::from_texts([REQUEST]);
        let reply = "Dear Sir\n\nThank you for your request.\n\n1. Has your organisation, alone or jointly with other \
organisations (for example as part of a Joint Strategic Needs Assessment), carried out an assessment of the number \
and needs of children and young people with life-limiting or life-threatening conditions in its area?\n\
Yes. The 2024 JSNA has a chapter on it.\n\nIf any part of this request is unclear, or if answering it in full \
would exceed the cost limit in section 12 of the Act, please contact us as soon as possible.\n";
        let own = echo.fold(reply);
        assert!(own.contains("Thank you for your request."), "{own}");
        assert!(own.contains("Yes. The 2024 JSNA has a chapter on it."), "{own}");
        assert!(!own.contains("cost limit"), "{own}");
        assert!(!own.contains("Joint Strategic"), "{own}");
        assert_eq!(own.matches(QUESTION).count(), 2, "{own}");
    }

    #[test]
    fn an_answer_restating_the_question_is_the_body_s() {
        let echo = Echo::from_texts([REQUEST]);
        assert!(!echo.is_echo(
            "Yes, our organisation has carried out an assessment of the number and needs of children and young people"
        ));
        assert!(echo.is_echo(
            "Q1) has your organisation, alone or jointly with other organisations, carried out an assessment of the number and needs of children"
        ));
    }

    #[test]
    fn boilerplate_is_folded_but_outcomes_stay() {
        let text = "The council does not hold this information.\n\n\
If you are unhappy with this response you may ask for an internal review within 40 working days. \
You may then complain to the Information Commissioner, Wycliffe House.\n\n\
I have now completed the internal review and the original decision is upheld. If you remain dissatisfied \
you may complain to the Information Commissioner.\n";
        let own = fold_boilerplate(text);
        assert!(own.contains("does not hold"), "{own}");
        assert!(!own.contains("40 working days"), "{own}");
        assert!(own.contains("original decision is upheld"), "{own}");
    }

    /// A small deterministic generator for the no-panic test.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn own_words_never_panic_and_keep_what_is_not_folded() {
        // Pieces that hit every branch: sentence ends, abbreviations, list markers, tabs,
        // markers, multi-byte characters, our request's words.
        const PIECES: &[&str] = &[
            ". ",
            "? ",
            "! ",
            "\n",
            "\n\n",
            "\t",
            "s. ",
            "e.g. ",
            "1. ",
            "Q4 ",
            "a) ",
            "- ",
            "• ",
            "£",
            "’",
            "é",
            "😀",
            "\r\n",
            "Yes",
            "No",
            "If you are unhappy ",
            "Information Commissioner",
            "intended recipient ",
            "Has your organisation, alone or jointly with other organisations ",
            "please provide a copy of ",
            "[our question]",
            "FOLDED_QUOTED_SECTION",
            "    ",
            "...",
            "?\n",
            "x",
            "word ",
            "section 12 ",
        ];
        let echo = Echo::from_texts([REQUEST]);
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let n = (rng.next() % 40) as usize;
            let text: String = (0..n).map(|_| PIECES[(rng.next() % PIECES.len() as u64) as usize]).collect();
            let own = own_words(&text, Some(&echo));
            let _ = flow(&text);
            let spans = sentence_spans(&text);
            // The spans cover the text, in order, without gaps.
            let mut at = 0;
            for (a, b) in &spans {
                assert_eq!(*a, at, "{text:?}");
                assert!(b > a && text.is_char_boundary(*b), "{text:?}");
                at = *b;
            }
            assert_eq!(at, text.len(), "{text:?}");
            // Nothing the body wrote (here: a word no rule folds) is lost.
            let foldable = ["Has your", "please provide", "intended", "unhappy", "Commissioner"];
            if text.contains('x') && !foldable.iter().any(|f| text.contains(f)) {
                assert!(own.contains('x'), "{text:?} -> {own:?}");
            }
        }
    }
}
