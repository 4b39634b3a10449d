//! RTF to plain text, simply: control words dropped, \par and \line as new lines, \tab and
//! \cell as tabs, \'hh bytes in the document's code page, \uN characters, and the groups that
//! hold no body text (font and colour tables, stylesheets, pictures, \* destinations) skipped.

use super::Sink;
use super::text::decode_codepage;

/// Destinations whose content is not body text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "fldinst",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "filetbl",
    "revtbl",
    "mmathPr",
    "private",
    "pgdsctbl",
];

#[derive(Clone, Copy)]
struct Group {
    skip: bool,
    /// Fallback characters after \uN (\ucN).
    uc: usize,
}

/// The text of an RTF document, at most `max_chars` (+1) characters.
pub(crate) fn rtf_to_text(rtf: &[u8], max_chars: usize) -> String {
    let mut sink = Sink::new(max_chars);
    let mut stack: Vec<Group> = Vec::new();
    let mut group = Group { skip: false, uc: 1 };
    let mut codepage = 1252u32;
    // Bytes from \'hh, decoded together so multi-byte code pages work.
    let mut pending: Vec<u8> = Vec::new();
    // Fallback characters still to drop after a \uN.
    let mut drop_fallback = 0usize;
    let mut i = 0;
    let flush = |pending: &mut Vec<u8>, sink: &mut Sink, codepage: u32| {
        if !pending.is_empty() {
            sink.push(&decode_codepage(pending, codepage));
            pending.clear();
        }
    };
    while i < rtf.len() && !sink.is_full() {
        let b = rtf[i];
        if b < 0x80 && (b != b'\\' || rtf.get(i + 1) != Some(&b'\'')) {
            flush(&mut pending, &mut sink, codepage);
        }
        match b {
            b'{' => {
                stack.push(group);
                drop_fallback = 0;
                i += 1;
            }
            b'}' => {
                group = stack.pop().unwrap_or(Group { skip: false, uc: 1 });
                drop_fallback = 0;
                i += 1;
            }
            b'\r' | b'\n' => i += 1,
            b'\\' => {
                let Some(&next) = rtf.get(i + 1) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i + 1;
                    let mut j = start;
                    while j < rtf.len() && rtf[j].is_ascii_alphabetic() {
                        j += 1;
                    }
                    let word = String::from_utf8_lossy(&rtf[start..j]).into_owned();
                    let num_start = j;
                    if j < rtf.len() && rtf[j] == b'-' {
                        j += 1;
                    }
                    while j < rtf.len() && rtf[j].is_ascii_digit() && j - num_start < 11 {
                        j += 1;
                    }
                    let param = std::str::from_utf8(&rtf[num_start..j]).ok().and_then(|p| p.parse::<i64>().ok());
                    if rtf.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    i = j;
                    if word == "bin" {
                        // Binary data follows: skip it.
                        i = i.saturating_add(usize::try_from(param.unwrap_or(0).max(0)).unwrap_or(usize::MAX));
                        continue;
                    }
                    if SKIPPED.contains(&word.as_str()) {
                        group.skip = true;
                        continue;
                    }
                    match word.as_str() {
                        "ansicpg" => codepage = param.and_then(|p| u32::try_from(p).ok()).unwrap_or(1252),
                        "uc" => group.uc = param.and_then(|p| usize::try_from(p).ok()).unwrap_or(1),
                        _ => {}
                    }
                    if group.skip {
                        continue;
                    }
                    drop_fallback = 0;
                    match word.as_str() {
                        "par" | "line" | "row" | "sect" | "page" => {
                            if word == "row" {
                                sink.trim_end_matches(|c| c == '\t');
                            }
                            sink.push_char('\n');
                        }
                        "tab" | "cell" => {
                            sink.push_char('\t');
                        }
                        "u" => {
                            if let Some(p) = param {
                                // Negative values are code points above 32767 as signed 16-bit.
                                let code = if p < 0 { p + 65536 } else { p };
                                let c = u32::try_from(code).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
                                sink.push_char(c);
                                drop_fallback = group.uc;
                            }
                        }
                        "emdash" => {
                            sink.push_char('—');
                        }
                        "endash" => {
                            sink.push_char('–');
                        }
                        "bullet" => {
                            sink.push_char('•');
                        }
                        "lquote" => {
                            sink.push_char('‘');
                        }
                        "rquote" => {
                            sink.push_char('’');
                        }
                        "ldblquote" => {
                            sink.push_char('“');
                        }
                        "rdblquote" => {
                            sink.push_char('”');
                        }
                        _ => {}
                    }
                } else {
                    i += 2;
                    match next {
                        b'\'' => {
                            let hex = rtf.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                            i += 2;
                            if group.skip {
                                continue;
                            }
                            if drop_fallback > 0 {
                                drop_fallback -= 1;
                                continue;
                            }
                            if let Some(byte) = byte {
                                pending.push(byte);
                            }
                        }
                        b'*' => group.skip = true,
                        _ if group.skip => {}
                        b'~' => {
                            sink.push_char('\u{a0}');
                        }
                        b'_' => {
                            sink.push_char('-');
                        }
                        b'\\' | b'{' | b'}' => {
                            if drop_fallback > 0 {
                                drop_fallback -= 1;
                            } else {
                                sink.push_char(next as char);
                            }
                        }
                        // "\-" optional hyphen, "\\n" a paragraph (some writers), others ignored.
                        b'\n' | b'\r' => {
                            sink.push_char('\n');
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                i += 1;
                if group.skip {
                    continue;
                }
                if drop_fallback > 0 {
                    drop_fallback -= 1;
                    continue;
                }
                if b < 0x80 {
                    sink.push_char(b as char);
                } else {
                    // Raw 8-bit text (not strictly RTF, but written): the code page.
                    pending.push(b);
                }
            }
        }
    }
    flush(&mut pending, &mut sink, codepage);
    sink.into_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_out_of_rtf() {
        let rtf = br#"{\rtf1\ansi{\fonttbl{\f0\fswiss Helvetica;}}{\*\expandedcolortbl;;}
{\pict\pngblip 89504e47}\f0 Hello \b world\b0 .\line Tab\tab x\par
\u8364?5 and \uc2\u8212 xx dash \{braces\}\par
{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link text}}\par
\trowd\cell A\cell B\cell\row}"#;
        assert_eq!(rtf_to_text(rtf, 1000), "Hello world.\nTab\tx\n€5 and — dash {braces}\nlink text\n\tA\tB\n");
    }

    #[test]
    fn garbage_does_not_panic() {
        for input in
            [&b"{\\rtf1 \\'"[..], b"{\\rtf1 \\'zz\\u-", b"}}}{{{\\", b"\\bin999999999999999999 x", b"\\u99999999999 x"]
        {
            let _ = rtf_to_text(input, 100);
        }
        assert_eq!(rtf_to_text(br"{\rtf1 abcdef}", 3), "abcd");
    }
}
