//! Inline uuencoded files in a message body ("begin 644 name" ... "end"): decoded leniently
//! (bad characters and short lines never panic) and cut out of the text.

/// Inline uuencoded files in a text body: ("begin 644 name" ... "end"), decoded; and the text
/// with those blocks removed. A "begin" without an "end" counts only if valid uuencoded lines
/// follow it (they are decoded to the first line that is not one).
pub fn uuencoded(text: &str) -> (String, Vec<(String, Vec<u8>)>) {
    if !text.contains("begin ") {
        return (text.to_string(), Vec::new());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut kept = String::with_capacity(text.len());
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = begin_line(lines[i]) else {
            kept.push_str(lines[i]);
            i += 1;
            continue;
        };
        let body_start = i + 1;
        let end = lines[body_start..]
            .iter()
            .position(|l| l.trim_end() == "end" || begin_line(l).is_some())
            .map(|p| body_start + p)
            .filter(|&e| lines[e].trim_end() == "end");
        let (body_end, next) = match end {
            Some(e) => (e, e + 1),
            None => {
                let valid = lines[body_start..].iter().take_while(|l| is_valid_line(l)).count();
                if valid == 0 {
                    kept.push_str(lines[i]);
                    i += 1;
                    continue;
                }
                (body_start + valid, body_start + valid)
            }
        };
        let mut data = Vec::new();
        for line in &lines[body_start..body_end] {
            decode_line(line, &mut data);
        }
        files.push((name, data));
        i = next;
    }
    (kept, files)
}

/// "begin MODE NAME" with an octal mode: the file name (without any directory).
fn begin_line(line: &str) -> Option<String> {
    let rest = line.trim_end().strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    if !(3..=4).contains(&mode.len()) || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let name = name.trim();
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    (!base.is_empty()).then(|| base.to_string())
}

/// Decodes one line into `out`: the first character gives the byte count, each further four
/// characters three bytes; characters are taken modulo 64 and missing ones (stripped trailing
/// spaces) count as zero.
fn decode_line(line: &str, out: &mut Vec<u8>) {
    let bytes = line.trim_end_matches(['\r', '\n']).as_bytes();
    let Some((&first, rest)) = bytes.split_first() else { return };
    let count = usize::from(sixbit(first));
    let mut produced = 0;
    let mut chunks = rest.chunks(4);
    while produced < count {
        let mut group = [0u8; 4];
        if let Some(chunk) = chunks.next() {
            for (slot, &c) in group.iter_mut().zip(chunk) {
                *slot = sixbit(c);
            }
        }
        let three = [group[0] << 2 | group[1] >> 4, group[1] << 4 | group[2] >> 2, group[2] << 6 | group[3]];
        for b in three {
            if produced < count {
                out.push(b);
                produced += 1;
            }
        }
    }
}

fn sixbit(c: u8) -> u8 {
    c.wrapping_sub(b' ') & 0x3f
}

/// A line whose length matches its count character (within the slack of stripped spaces).
fn is_valid_line(line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    let bytes = line.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else { return false };
    if !(b' '..=b'`').contains(&first) || !rest.iter().all(|c| (b' '..=b'`').contains(c)) {
        return false;
    }
    let count = usize::from(sixbit(first));
    let needed = count.div_ceil(3) * 4;
    rest.len() <= needed + 1 && rest.len() + 4 >= needed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uuencoding of one 6-bit value (zero as "`", as most encoders write it).
    fn uu_char(v: u8) -> char {
        if v == 0 { '`' } else { char::from(v + b' ') }
    }

    /// A uuencoder: "begin MODE NAME", lines of up to 45 bytes (a count character, then four
    /// characters for each three bytes), the "`" line of zero bytes, "end".
    fn uuencode(mode: &str, name: &str, data: &[u8]) -> String {
        let mut out = format!("begin {mode} {name}\n");
        for line in data.chunks(45) {
            out.push(uu_char(line.len() as u8));
            for group in line.chunks(3) {
                let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
                for v in [b[0] >> 2, (b[0] << 4 | b[1] >> 4) & 0x3f, (b[1] << 2 | b[2] >> 6) & 0x3f, b[2] & 0x3f] {
                    out.push(uu_char(v));
                }
            }
            out.push('\n');
        }
        out.push_str("`\nend\n");
        out
    }

    /// A plain-text message whose body is `body`, parsed as the ingest parses it: the body
    /// as mailparse gives it.
    fn mail_body(body: &str) -> String {
        let raw = format!(
            "From: Records Unit <records@council.example>\nTo: foi@charity.example\n\
Date: Tue, 3 Mar 2026 11:39:55 +0000\nSubject: Re: Freedom of Information request\n\n{body}"
        );
        mailparse::parse_mail(raw.as_bytes()).unwrap().get_body().unwrap()
    }

    const MINUTES: &[u8] = b"Minutes of the licensing committee, 4 March: all three applications approved.\n";

    #[test]
    fn the_encoder_agrees_with_the_known_encoding() {
        assert_eq!(uuencode("644", "abc.txt", b"abc"), "begin 644 abc.txt\n#86)C\n`\nend\n");
        // 45 bytes make one full line ("M"), the rest a second, shorter one.
        let encoded = uuencode("644", "m.txt", MINUTES);
        let lines: Vec<&str> = encoded.lines().collect();
        assert_eq!(lines.len(), 5, "{encoded}");
        assert!(lines[1].starts_with('M') && lines[1].len() == 61, "{encoded}");
    }

    #[test]
    fn simple_uuencoded_attachment() {
        let body =
            format!("Good morning.\n\n{}\nBest wishes,\n\nRecords Unit\n", uuencode("644", "Minutes.txt", MINUTES));
        let (text, files) = uuencoded(&mail_body(&body));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "Minutes.txt");
        assert_eq!(files[0].1, MINUTES);
        assert!(text.contains("Good morning.") && text.contains("Best wishes,"), "{text}");
        assert!(!text.contains("begin 644") && !text.contains("\nend\n"), "{text}");
    }

    #[test]
    fn bad_uuencoding_does_not_panic() {
        // Mode 600, and a damaged last line: its padding written as spaces and then stripped
        // (as mail software strips trailing spaces), one character outside the uuencoding
        // range, and no "`" line before "end".
        let data = b"Goats are not as calm as tortoises.\nThe second line is a bit longer, too.\n";
        assert_eq!(data.len() % 3, 2, "the last group is padded");
        let encoded = uuencode("600", "goats.txt", data);
        let mut lines: Vec<String> = encoded.lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 5, "{encoded}");
        assert!(lines[2].ends_with('`'), "{encoded}");
        let mut damaged: Vec<char> = lines[2].replace('`', " ").chars().collect();
        damaged[5] = '~';
        lines[2] = damaged.into_iter().collect::<String>().trim_end().to_string();
        lines.remove(3);
        let body = format!("I have attached the note, though not well.\n\n{}\n\nThanks\n", lines.join("\n"));
        let (text, files) = uuencoded(&mail_body(&body));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "goats.txt");
        assert!(
            files[0].1.starts_with(b"Goats are not as calm as tortoises."),
            "{:?}",
            String::from_utf8_lossy(&files[0].1)
        );
        // The count characters are kept to: as many bytes as were encoded, damaged or not.
        assert_eq!(files[0].1.len(), data.len());
        assert_ne!(files[0].1, data, "the damage shows in the decoded bytes");
        assert!(text.contains("I have attached the note, though not well."), "{text}");
        assert!(text.contains("Thanks"), "{text}");
        assert!(!text.contains("begin 600") && !text.contains("\nend\n"), "{text}");
    }

    #[test]
    fn lenient_and_careful() {
        // Garbage inside a block, and a CRLF body.
        let (_, files) = uuencoded("begin 644 x.bin\r\n#86)C\r\nZZZZ{{{~~~\x7f\r\n\u{e9}\u{e9}\r\nM\r\n`\r\nend\r\n");
        assert_eq!(files.len(), 1);
        assert!(files[0].1.starts_with(b"abc"));
        // Prose that merely starts with "begin" stays.
        let prose = "begin 644 is not how we start\nbegin the review\n";
        let (text, files) = uuencoded("Please begin now.\nbegin the review\n");
        assert_eq!((text.as_str(), files.len()), ("Please begin now.\nbegin the review\n", 0));
        let (text, files) = uuencoded(prose);
        assert_eq!((text.as_str(), files.len()), (prose, 0));
        // No "end": the valid lines are decoded, the text after them kept.
        let (text, files) = uuencoded("Hi\nbegin 644 a.txt\n#86)C\nThanks\n");
        assert_eq!(files, vec![("a.txt".to_string(), b"abc".to_vec())]);
        assert_eq!(text, "Hi\nThanks\n");
        // A path in the name is dropped.
        let (_, files) = uuencoded("begin 0644 C:\\Temp\\report.txt\n#86)C\nend\n");
        assert_eq!(files[0].0, "report.txt");
    }
}
