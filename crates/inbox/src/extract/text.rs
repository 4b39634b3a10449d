//! Bytes to text: a byte-order mark first, then the declared charset, then UTF-8, and when the
//! bytes are not UTF-8, Windows-1252 (the superset of Latin-1 that Windows mail really sends).

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decodes text: BOM (UTF-8/UTF-16), else the declared charset when it is not UTF-8, else UTF-8
/// if valid, else Windows-1252. A leading BOM is dropped; nothing fails.
pub fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    let declared = charset.and_then(|c| Encoding::for_label(c.trim().as_bytes()));
    match declared {
        Some(encoding) if encoding != UTF_8 && encoding.is_ascii_compatible() => {
            encoding.decode_without_bom_handling(bytes).0.into_owned()
        }
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        },
    }
}

/// Bytes in a Windows code page (TNEF and RTF name theirs by number).
pub(crate) fn decode_codepage(bytes: &[u8], codepage: u32) -> String {
    let encoding = match codepage {
        65001 => Some(UTF_8),
        874 | 1250..=1258 => Encoding::for_label(format!("windows-{codepage}").as_bytes()),
        932 => Some(encoding_rs::SHIFT_JIS),
        936 => Some(encoding_rs::GBK),
        949 => Some(encoding_rs::EUC_KR),
        950 => Some(encoding_rs::BIG5),
        20866 => Some(encoding_rs::KOI8_R),
        28591..=28599 => Encoding::for_label(format!("iso-8859-{}", codepage - 28590).as_bytes()),
        _ => None,
    };
    encoding.unwrap_or(WINDOWS_1252).decode_without_bom_handling(bytes).0.into_owned()
}

/// The start of a text file long enough to hold `max_chars` characters and one more, so a
/// huge text is not decoded whole. The cut avoids splitting a UTF-8 character (which would
/// make valid UTF-8 look like Windows-1252).
pub(crate) fn prefix_for(bytes: &[u8], max_chars: usize) -> &[u8] {
    let enough = max_chars.saturating_add(2).saturating_mul(4);
    if bytes.len() <= enough {
        return bytes;
    }
    let mut cut = enough;
    while cut > enough.saturating_sub(3) && cut > 0 && (0x80..0xC0).contains(&bytes[cut]) {
        cut -= 1;
    }
    &bytes[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_fallbacks() {
        assert_eq!(decode_text("café".as_bytes(), None), "café");
        assert_eq!(decode_text(b"caf\xe9", None), "café");
        assert_eq!(decode_text(b"\x96", Some("iso-8859-1")), "–");
        assert_eq!(decode_text(b"\xef\xbb\xbfhi", None), "hi");
        assert_eq!(decode_text(b"\xff\xfeh\0i\0", None), "hi");
        assert_eq!(decode_text(b"caf\xc3", None), "caf\u{c3}");
        let long = "é".repeat(10);
        let prefix = prefix_for(long.as_bytes(), 1);
        assert_eq!(prefix.len(), 12);
        let odd = format!("a{long}");
        assert_eq!(decode_text(prefix_for(odd.as_bytes(), 1), None), "aééééé");
        assert_eq!(decode_text("café".as_bytes(), Some("no-such-charset")), "café");
        assert_eq!(decode_codepage(b"\xa3", 1252), "£");
        assert_eq!(decode_codepage(b"\xe9", 1251), "й");
    }
}
