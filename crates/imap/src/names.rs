//! Strings put into IMAP commands: folder names in modified UTF-7 (RFC 3501 §5.1.3), quoted
//! strings, UID sets, and reading a Message-ID back out of a header block.

/// A folder name as the server knows it: printable ASCII stays as it is (`&` becomes `&-`),
/// anything else is modified base64 of UTF-16 between `&` and `-`. Folder names are taken
/// as Unicode, so a name already written in modified UTF-7 is encoded again.
pub(crate) fn encode_folder(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush_utf16(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_utf16(&mut out, &mut pending);
    out
}

fn flush_utf16(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let bytes: Vec<u8> = pending.drain(..).flat_map(u16::to_be_bytes).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        // 1 byte -> 2 characters, 2 -> 3, 3 -> 4; no padding.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out.push('-');
}

/// `s` as an IMAP quoted string, or `None` when it cannot be one (line breaks, NUL,
/// non-ASCII).
pub(crate) fn quoted(s: &str) -> Option<String> {
    if !s.chars().all(|c| (' '..='~').contains(&c) || c == '\t') {
        return None;
    }
    Some(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// A UID set for a command: sorted, with runs compressed (`1:3,7`).
pub(crate) fn uid_set(sorted: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The Message-ID of a message (or of a header block), without angle brackets: the first
/// `Message-ID:` header field, unfolded and trimmed.
pub fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // End of the header.
        }
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((name, rest)) = line.split_once(':')
            && name.trim_end().eq_ignore_ascii_case("message-id")
        {
            value = Some(rest.to_string());
        }
    }
    let v = value?;
    let v = v.trim();
    let v = v.strip_prefix('<').and_then(|v| v.strip_suffix('>')).unwrap_or(v).trim();
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_in_modified_utf7() {
        assert_eq!(encode_folder("Sent"), "Sent");
        assert_eq!(encode_folder("Sent & Received"), "Sent &- Received");
        assert_eq!(encode_folder("Éléments envoyés"), "&AMk-l&AOk-ments envoy&AOk-s");
        // RFC 3501's example.
        assert_eq!(encode_folder("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted(r#"a"b\c"#).as_deref(), Some(r#""a\"b\\c""#));
        assert_eq!(quoted("a\r\nb"), None);
        assert_eq!(quoted("é"), None);
    }

    #[test]
    fn uid_sets() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[4]), "4");
    }

    #[test]
    fn message_ids() {
        assert_eq!(message_id(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nMessage-ID: <c@d>\r\n").as_deref(), Some("a@b"));
        assert_eq!(message_id(b"message-id:\r\n <a@b>\r\nTo: x\r\n\r\n").as_deref(), Some("a@b"));
        assert_eq!(message_id(b"Subject: x\r\n\r\nMessage-ID: <c@d>\r\n"), None);
    }
}
