//! TNEF (winmail.dat, application/ms-tnef): Outlook's wrapper around a message's attachments.
//! A small reader of its attribute stream (level, id, length, data, checksum) that collects
//! each attachment's title (attAttachTitle), data (attAttachData) and, from its MAPI
//! properties (attAttachment), the long file name; a truncated stream yields the attachments
//! that were complete.

use super::text::decode_codepage;

const SIGNATURE: u32 = 0x223E_9F78;
const LEVEL_MESSAGE: u8 = 1;
const LEVEL_ATTACHMENT: u8 = 2;
/// attAttachRenddata: starts each attachment.
const ATT_ATTACH_RENDDATA: u32 = 0x0006_9002;
/// attAttachTitle: the (short) file name, a code-page string.
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
/// attAttachData: the file's bytes.
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
/// attAttachment: the attachment's MAPI properties.
const ATT_ATTACHMENT: u32 = 0x0006_9005;
/// attOemCodepage: the code page of the strings.
const ATT_OEM_CODEPAGE: u32 = 0x0006_9007;

const PR_ATTACH_DATA: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PR_DISPLAY_NAME: u16 = 0x3001;

#[derive(Debug, Default)]
struct Attachment {
    title: Option<String>,
    long_name: Option<String>,
    short_name: Option<String>,
    display_name: Option<String>,
    data: Option<Vec<u8>>,
}

/// The files inside a TNEF (winmail.dat / application/ms-tnef) blob: (file name, bytes). Err
/// with a reason if it is not TNEF, or is truncated or corrupt before any attachment was
/// complete. A well-formed TNEF without attachments (only a message body) gives `Ok(vec![])`.
pub fn tnef_attachments(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut r = Cursor { bytes, pos: 0 };
    match r.u32() {
        Some(SIGNATURE) => {}
        _ => return Err("not TNEF (no TNEF signature)".to_string()),
    }
    // The legacy key.
    if r.u16().is_none() {
        return Err("TNEF is truncated after its signature".to_string());
    }
    let mut attachments: Vec<Attachment> = Vec::new();
    let mut codepage = 1252u32;
    let mut problem = None;
    while r.pos < bytes.len() {
        let at = r.pos;
        let Some((level, id, data)) = r.attribute() else {
            problem = Some(format!("TNEF is truncated at byte {at} of {}", bytes.len()));
            break;
        };
        match level {
            LEVEL_MESSAGE => {
                if id == ATT_OEM_CODEPAGE
                    && let Some(cp) = data.get(..4)
                {
                    codepage = u32::from_le_bytes([cp[0], cp[1], cp[2], cp[3]]);
                }
            }
            LEVEL_ATTACHMENT => {
                if id == ATT_ATTACH_RENDDATA || attachments.is_empty() {
                    attachments.push(Attachment::default());
                }
                let Some(current) = attachments.last_mut() else { continue };
                match id {
                    ATT_ATTACH_TITLE => current.title = clean_name(&decode_codepage(trim_nul(data), codepage)),
                    ATT_ATTACH_DATA => current.data = Some(data.to_vec()),
                    ATT_ATTACHMENT => read_mapi_properties(data, codepage, current),
                    _ => {}
                }
            }
            other => {
                problem = Some(format!("TNEF is corrupt at byte {at} (attribute level {other})"));
                break;
            }
        }
    }
    let files: Vec<(String, Vec<u8>)> = attachments
        .into_iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let data = a.data?;
            let name = a.long_name.or(a.title).or(a.short_name).or(a.display_name);
            Some((name.unwrap_or_else(|| format!("attachment {}", i + 1)), data))
        })
        .collect();
    match problem {
        Some(reason) if files.is_empty() => Err(reason),
        _ => Ok(files),
    }
}

/// Reads PR_ATTACH_LONG_FILENAME and friends (and PR_ATTACH_DATA when attAttachData is
/// missing) from an attAttachment property list; stops quietly at anything it cannot parse.
fn read_mapi_properties(data: &[u8], codepage: u32, attachment: &mut Attachment) {
    let mut r = Cursor { bytes: data, pos: 0 };
    let Some(count) = r.u32() else { return };
    for _ in 0..count {
        let (Some(kind), Some(id)) = (r.u16(), r.u16()) else { return };
        if id >= 0x8000 {
            // A named property: GUID, then a number or a name.
            if r.skip(16).is_none() {
                return;
            }
            match r.u32() {
                Some(0) => {
                    if r.skip(4).is_none() {
                        return;
                    }
                }
                Some(_) => {
                    let Some(len) = r.u32() else { return };
                    if r.skip(padded(len)).is_none() {
                        return;
                    }
                }
                None => return,
            }
        }
        let multi = kind & 0x1000 != 0;
        let base = kind & 0x0FFF;
        match base {
            // PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT: a count, then length-prefixed values.
            0x001E | 0x001F | 0x0102 | 0x000D => {
                let Some(values) = r.u32() else { return };
                for n in 0..values {
                    let Some(len) = r.u32() else { return };
                    let Some(value) = r.take(len as usize) else { return };
                    if r.skip(padded(len) - len as usize).is_none() {
                        return;
                    }
                    if n > 0 || multi {
                        continue;
                    }
                    let text = || match base {
                        0x001F => clean_name(&utf16(value)),
                        _ => clean_name(&decode_codepage(trim_nul(value), codepage)),
                    };
                    match (id, base) {
                        (PR_ATTACH_LONG_FILENAME, 0x001E | 0x001F) => attachment.long_name = text(),
                        (PR_ATTACH_FILENAME, 0x001E | 0x001F) => attachment.short_name = text(),
                        (PR_DISPLAY_NAME, 0x001E | 0x001F) => attachment.display_name = text(),
                        (PR_ATTACH_DATA, 0x0102) if attachment.data.is_none() => {
                            attachment.data = Some(value.to_vec());
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                let size = match base {
                    // PT_SHORT, PT_LONG, PT_FLOAT, PT_ERROR, PT_BOOLEAN (short ones padded to 4).
                    0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => 4,
                    // PT_DOUBLE, PT_CURRENCY, PT_APPTIME, PT_I8, PT_SYSTIME.
                    0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => 8,
                    // PT_CLSID.
                    0x0048 => 16,
                    _ => return,
                };
                let values = if multi {
                    match r.u32() {
                        Some(n) => n as usize,
                        None => return,
                    }
                } else {
                    1
                };
                if r.skip(values.saturating_mul(size)).is_none() {
                    return;
                }
            }
        }
    }
}

fn padded(len: u32) -> usize {
    (len as usize).saturating_add(3) & !3
}

fn trim_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> =
        bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0).collect();
    String::from_utf16_lossy(&units)
}

fn clean_name(name: &str) -> Option<String> {
    let name = name.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!name.is_empty()).then(|| name.to_string())
}

/// A bounds-checked little-endian reader.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// One attribute: level, id, its data; the checksum after it is read but not enforced
    /// (writers get it wrong, and the data is what matters). None if it is cut short.
    fn attribute(&mut self) -> Option<(u8, u32, &'a [u8])> {
        let level = *self.take(1)?.first()?;
        let id = self.u32()?;
        let len = self.u32()?;
        let data = self.take(len as usize)?;
        self.u16()?;
        Some((level, id, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of the message's application/ms-tnef part.
    fn winmail_dat(eml: &[u8]) -> Vec<u8> {
        let mail = mailparse::parse_mail(eml).unwrap();
        let part = mail.subparts.iter().find(|p| p.ctype.mimetype == "application/ms-tnef").unwrap();
        part.get_body_raw().unwrap()
    }

    fn attribute(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut out = vec![level];
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// An attAttachment property list: a PT_LONG, a named property, then the long file name.
    fn mapi_long_name(name: &str) -> Vec<u8> {
        let mut p = 3u32.to_le_bytes().to_vec();
        // PR_ATTACH_METHOD (PT_LONG) = 1
        p.extend_from_slice(&0x0003u16.to_le_bytes());
        p.extend_from_slice(&0x3705u16.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        // A named PT_BOOLEAN property with a string name.
        p.extend_from_slice(&0x000Bu16.to_le_bytes());
        p.extend_from_slice(&0x8001u16.to_le_bytes());
        p.extend_from_slice(&[7u8; 16]);
        p.extend_from_slice(&1u32.to_le_bytes());
        let n: Vec<u8> = "Flag\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        p.extend_from_slice(&(n.len() as u32).to_le_bytes());
        p.extend_from_slice(&n);
        p.resize(p.len() + (padded(n.len() as u32) - n.len()), 0);
        p.extend_from_slice(&1u32.to_le_bytes());
        // PR_ATTACH_LONG_FILENAME (PT_UNICODE)
        p.extend_from_slice(&0x001Fu16.to_le_bytes());
        p.extend_from_slice(&PR_ATTACH_LONG_FILENAME.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        let v: Vec<u8> = format!("{name}\0").encode_utf16().flat_map(u16::to_le_bytes).collect();
        p.extend_from_slice(&(v.len() as u32).to_le_bytes());
        p.extend_from_slice(&v);
        p.resize(p.len() + (padded(v.len() as u32) - v.len()), 0);
        p
    }

    fn sample() -> (Vec<u8>, usize) {
        let mut t = SIGNATURE.to_le_bytes().to_vec();
        t.extend_from_slice(&0x0001u16.to_le_bytes());
        t.extend(attribute(1, 0x0008_9006, &0x0001_0000u32.to_le_bytes()));
        t.extend(attribute(1, ATT_OEM_CODEPAGE, &[0xe4, 0x04, 0, 0, 0, 0, 0, 0]));
        t.extend(attribute(2, ATT_ATTACH_RENDDATA, &[0; 14]));
        t.extend(attribute(2, ATT_ATTACH_TITLE, b"ANNUAL~1.CSV\0"));
        t.extend(attribute(2, ATT_ATTACH_DATA, b"Year,Cost\n2024,\xa3100\n"));
        t.extend(attribute(2, ATT_ATTACHMENT, &mapi_long_name("Annual costs 2024 – final.csv")));
        let second = t.len();
        t.extend(attribute(2, ATT_ATTACH_RENDDATA, &[0; 14]));
        t.extend(attribute(2, ATT_ATTACH_TITLE, b"Caf\xe9.txt\0"));
        t.extend(attribute(2, ATT_ATTACH_DATA, b"second file"));
        (t, second)
    }

    #[test]
    fn attachments_with_long_names() {
        let (tnef, _) = sample();
        let files = tnef_attachments(&tnef).unwrap();
        assert_eq!(
            files,
            vec![
                ("Annual costs 2024 – final.csv".to_string(), b"Year,Cost\n2024,\xa3100\n".to_vec()),
                ("Café.txt".to_string(), b"second file".to_vec()),
            ]
        );
    }

    #[test]
    fn truncation_keeps_what_was_complete() {
        let (tnef, second) = sample();
        // Cut inside the second attachment's data: the first survives.
        let files = tnef_attachments(&tnef[..tnef.len() - 5]).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "Annual costs 2024 – final.csv");
        let files = tnef_attachments(&tnef[..second + 3]).unwrap();
        assert_eq!(files.len(), 1);
        // Cut inside the first: nothing, so an error.
        let err = tnef_attachments(&tnef[..60]).unwrap_err();
        assert!(err.starts_with("TNEF is truncated at byte"), "{err}");
        for cut in 0..tnef.len() {
            let _ = tnef_attachments(&tnef[..cut]);
        }
        assert!(tnef_attachments(b"hello world").unwrap_err().starts_with("not TNEF"));
        assert!(tnef_attachments(b"").is_err());
    }

    /// Base64 in lines of 76 characters, as mail clients send winmail.dat.
    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for (n, group) in bytes.chunks(3).enumerate() {
            if n > 0 && n % 19 == 0 {
                out.push('\n');
            }
            let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
            let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                out.push(if i <= group.len() { char::from(ALPHABET[(v >> shift & 0x3f) as usize]) } else { '=' });
            }
        }
        out.push('\n');
        out
    }

    /// An Outlook message: a text/plain part and `tnef` as a base64 winmail.dat part.
    fn outlook_mail(text: &str, tnef: &[u8]) -> Vec<u8> {
        format!(
            "From: <records@trust.example>\nTo: <foi@charity.example>\nDate: Tue, 3 Mar 2026 16:23:04 +0000\n\
Subject: Re: Freedom of Information request\nMessage-ID: <tnef-1@trust.example>\nX-MS-Has-Attach: yes\n\
X-MS-TNEF-Correlator: <tnef-1@trust.example>\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed;\n    boundary=\"_000_TNEFTEST_\"\n\n\
--_000_TNEFTEST_\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n\
{text}\n\n--_000_TNEFTEST_\nContent-Disposition: attachment; filename=\"winmail.dat\"\n\
Content-Transfer-Encoding: base64\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\n\n{}\n\
--_000_TNEFTEST_--\n",
            base64(tnef)
        )
        .into_bytes()
    }

    /// A MAPI property list of strings (PT_STRING8, PT_UNICODE) and binaries (PT_BINARY), each
    /// value padded to four bytes, with a PT_SYSTIME and a named PT_LONG between them.
    fn mapi_properties(props: &[(u16, u16, &[u8])]) -> Vec<u8> {
        let mut p = ((props.len() + 2) as u32).to_le_bytes().to_vec();
        // PR_MESSAGE_DELIVERY_TIME (PT_SYSTIME).
        p.extend_from_slice(&0x0040u16.to_le_bytes());
        p.extend_from_slice(&0x0E06u16.to_le_bytes());
        p.extend_from_slice(&0x01DC_AB12_3456_7800u64.to_le_bytes());
        // A named PT_LONG by number.
        p.extend_from_slice(&0x0003u16.to_le_bytes());
        p.extend_from_slice(&0x8004u16.to_le_bytes());
        p.extend_from_slice(&[9u8; 16]);
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&0x8552u32.to_le_bytes());
        p.extend_from_slice(&0x0001_0203u32.to_le_bytes());
        for &(kind, id, value) in props {
            p.extend_from_slice(&kind.to_le_bytes());
            p.extend_from_slice(&id.to_le_bytes());
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&(value.len() as u32).to_le_bytes());
            p.extend_from_slice(value);
            p.resize(p.len() + (padded(value.len() as u32) - value.len()), 0);
        }
        p
    }

    /// The message-level attributes Outlook writes before any attachment: version, code
    /// page, class, subject, dates, message id, a plain body and the message's MAPI
    /// properties with an HTML body (as large as `html_paragraphs` makes it).
    fn message_attributes(html_paragraphs: usize) -> Vec<u8> {
        let mut t = SIGNATURE.to_le_bytes().to_vec();
        t.extend_from_slice(&0x5A31u16.to_le_bytes());
        // attTnefVersion, attOemCodepage, attMessageClass, attSubject.
        t.extend(attribute(1, 0x0008_9006, &0x0001_0000u32.to_le_bytes()));
        t.extend(attribute(1, ATT_OEM_CODEPAGE, &[0xe4, 0x04, 0, 0, 0, 0, 0, 0]));
        t.extend(attribute(1, 0x0007_8008, b"IPM.Microsoft Mail.Note\0"));
        t.extend(attribute(1, 0x0001_8004, b"Re: Freedom of Information request\0"));
        // attDateSent, attDateModified: year, month, day, hour, minute, second, weekday.
        let date: Vec<u8> = [2026u16, 3, 3, 16, 23, 4, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
        t.extend(attribute(1, 0x0003_8005, &date));
        t.extend(attribute(1, 0x0003_8020, &date));
        // attMessageID, attBody.
        t.extend(attribute(1, 0x0001_8009, b"0000000052A31B1E5F3C0D4B9A0E6C11A2B3C4D5\0"));
        t.extend(attribute(1, 0x0002_800C, b"Please see the figures below.\r\n"));
        let mut html = String::from("<html><body><p>Please see the figures below.</p>");
        for n in 0..html_paragraphs {
            html.push_str(&format!("<p>Line {n}: beds open {}, beds closed {}.</p>\r\n", 40 + n % 7, n % 3));
        }
        html.push_str("</body></html>");
        let utf16 = |s: &str| -> Vec<u8> { format!("{s}\0").encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let props = mapi_properties(&[
            (0x001F, 0x0037, &utf16("Re: Freedom of Information request")),
            (0x001E, 0x0C1F, b"records@trust.example\0"),
            (0x0102, 0x1013, html.as_bytes()),
        ]);
        // attMsgProps.
        t.extend(attribute(1, 0x0006_9003, &props));
        t
    }

    /// A winmail.dat with the message attributes and one attachment (a CSV with its long name).
    fn with_attachment() -> Vec<u8> {
        let mut t = message_attributes(3);
        t.extend(attribute(2, ATT_ATTACH_RENDDATA, &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0]));
        t.extend(attribute(2, ATT_ATTACH_TITLE, b"BEDSBY~1.CSV\0"));
        t.extend(attribute(2, ATT_ATTACH_DATA, b"Ward,Beds\nAsh,12\nBirch,9\n"));
        t.extend(attribute(2, ATT_ATTACHMENT, &mapi_long_name("Beds by ward, March 2026.csv")));
        t
    }

    /// Where each attribute of a well-formed TNEF ends.
    fn attribute_ends(tnef: &[u8]) -> Vec<usize> {
        let mut r = Cursor { bytes: tnef, pos: 6 };
        let mut ends = vec![6];
        while r.attribute().is_some() {
            ends.push(r.pos);
        }
        assert_eq!(r.pos, tnef.len(), "well-formed");
        ends
    }

    #[test]
    fn a_written_winmail_dat_travels_through_mail_intact() {
        let tnef = with_attachment();
        let dat = winmail_dat(&outlook_mail("The figures are attached.", &tnef));
        assert_eq!(dat, tnef, "base64 in the mail and back");
        assert_eq!(
            tnef_attachments(&dat),
            Ok(vec![("Beds by ward, March 2026.csv".to_string(), b"Ward,Beds\nAsh,12\nBirch,9\n".to_vec())])
        );
    }

    #[test]
    fn a_truncated_winmail_dat_is_an_error() {
        // Cut inside the message's attributes, before any attachment (as a mail gateway that
        // drops the rest of the part leaves it): the whole blob has its attachment.
        let whole = with_attachment();
        let cut = message_attributes(3).len() / 2;
        let text = "Some words before the winmail.dat that was cut short.";
        let tnef = winmail_dat(&outlook_mail(text, &whole[..cut]));
        assert_eq!(tnef, whole[..cut]);
        assert!(tnef.starts_with(&SIGNATURE.to_le_bytes()));
        let err = tnef_attachments(&tnef).unwrap_err();
        assert!(err.starts_with("TNEF is truncated"), "{err}");
        // Every cut inside an attribute of the message is an error too.
        let boundaries = attribute_ends(&whole);
        for cut in 7..message_attributes(3).len() {
            if !boundaries.contains(&cut) {
                let err = tnef_attachments(&whole[..cut]).unwrap_err();
                assert!(err.starts_with("TNEF is truncated"), "cut at {cut}: {err}");
            }
        }
        assert_eq!(tnef_attachments(&whole).map(|f| f.len()), Ok(1));
    }

    #[test]
    fn a_body_only_winmail_dat_has_no_attachments() {
        // Only a message (a plain body and an HTML body among its MAPI properties), no
        // attachment: not an error, nothing to unpack, so the parser keeps winmail.dat as it is.
        let written = message_attributes(150);
        assert!(written.len() > 7_000, "a full-size body: {} bytes", written.len());
        let tnef = winmail_dat(&outlook_mail("This attachment only has a message body.", &written));
        assert_eq!(tnef.len(), written.len());
        assert_eq!(tnef, written);
        assert_eq!(tnef_attachments(&tnef), Ok(vec![]));
    }
}
