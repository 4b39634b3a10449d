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

    fn corpus_body(name: &str) -> String {
        let path = format!("{}/../../../shared/corpus/alaveteli/{name}", env!("CARGO_MANIFEST_DIR"));
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        mailparse::parse_mail(&raw).unwrap().get_body().unwrap()
    }

    #[test]
    fn simple_uuencoded_attachment() {
        let (text, files) = uuencoded(&corpus_body("simple-uuencoded-attachment.eml"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "Happy.txt");
        assert_eq!(files[0].1, b"Happy today for to be one of peace and serene time.\n");
        assert!(text.contains("Greetings.") && text.contains("Regards,"), "{text}");
        assert!(!text.contains("begin 644") && !text.contains("\nend\n"), "{text}");
    }

    #[test]
    fn bad_uuencoding_does_not_panic() {
        let (text, files) = uuencoded(&corpus_body("incoming-request-bad-uuencoding.eml"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "moo.txt");
        assert!(
            files[0].1.starts_with(b"Cows are not as cute as aardvarks."),
            "{:?}",
            String::from_utf8_lossy(&files[0].1)
        );
        assert!(text.contains("I've attached something, but badly."));
        assert!(!text.contains("begin 600"));
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
