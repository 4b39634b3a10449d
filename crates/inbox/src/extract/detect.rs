//! Which reader an attachment needs: from its content type and file name, overruled by the
//! magic bytes at its start when they disagree (%PDF, PK zip, D0CF11E0 OLE, {\rtf; matched by
//! the `infer` crate, and a PDF header after leading junk by us).

/// What the declared type or file name says the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    Pdf,
    Docx,
    Odt,
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Zip,
    Csv,
    Text,
    Html,
    Rtf,
    /// A type foi does not read (legacy Word, PowerPoint, images, ...).
    Other,
}

/// The reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pdf,
    /// A ZIP container: an Office document (which one is read from its entries) or an archive.
    Zip(Option<Hint>),
    /// An OLE compound file: legacy Excel (other OLE files are unsupported).
    Ole(Option<Hint>),
    Text,
    Html,
    Rtf,
    Unsupported,
}

/// The reader for these bytes.
pub(crate) fn kind(filename: Option<&str>, content_type: &str, bytes: &[u8]) -> Kind {
    let declared = from_mime(content_type);
    let by_name = filename.and_then(from_name);
    let hint = match (declared, by_name) {
        // A generic type, or text/plain, says less than the file name.
        (None | Some(Hint::Text), Some(n)) => Some(n),
        // CSV and HTML tables are often sent as "Excel".
        (Some(Hint::Xls), Some(n @ (Hint::Csv | Hint::Text | Hint::Html))) => Some(n),
        (Some(d), _) => Some(d),
        (None, None) => None,
    };
    let text_hint = matches!(hint, Some(Hint::Text | Hint::Csv | Hint::Html | Hint::Rtf));
    match sniff(bytes) {
        Some(Magic::Pdf) => Kind::Pdf,
        // A text that merely mentions "%PDF-" near its start stays text.
        Some(Magic::PdfLater) if text_hint => kind_from_hint(hint, content_type, bytes),
        Some(Magic::PdfLater) => Kind::Pdf,
        Some(Magic::Zip) => Kind::Zip(hint),
        Some(Magic::Ole) => match hint {
            // Docx too: a password-protected DOCX is an OLE file (reported as such).
            None | Some(Hint::Xls | Hint::Xlsx | Hint::Xlsb | Hint::Ods | Hint::Csv | Hint::Zip | Hint::Docx) => {
                Kind::Ole(hint)
            }
            _ => Kind::Unsupported,
        },
        Some(Magic::Rtf) => Kind::Rtf,
        None => kind_from_hint(hint, content_type, bytes),
    }
}

/// The reader when the bytes have no telling magic.
fn kind_from_hint(hint: Option<Hint>, content_type: &str, bytes: &[u8]) -> Kind {
    match hint {
        // pdftotext copes with junk before the header, and says so when it is not a PDF.
        Some(Hint::Pdf) => Kind::Pdf,
        Some(h @ (Hint::Docx | Hint::Odt | Hint::Xlsx | Hint::Xlsb | Hint::Ods | Hint::Zip)) => Kind::Zip(Some(h)),
        // "Excel" files that are really HTML tables or text exports.
        Some(Hint::Xls) if looks_like_text(bytes) => {
            if looks_like_html(bytes) {
                Kind::Html
            } else {
                Kind::Text
            }
        }
        Some(Hint::Xls) => Kind::Ole(Some(Hint::Xls)),
        Some(Hint::Csv | Hint::Text) => Kind::Text,
        Some(Hint::Html) => Kind::Html,
        Some(Hint::Rtf) => Kind::Rtf,
        Some(Hint::Other) => Kind::Unsupported,
        None if mime_essence(content_type).starts_with("text/") => Kind::Text,
        None => Kind::Unsupported,
    }
}

/// The `charset` parameter of a content type, if any.
pub(crate) fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').trim_matches('\'').to_string())
            .filter(|v| !v.is_empty())
    })
}

fn mime_essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn from_mime(content_type: &str) -> Option<Hint> {
    let essence = mime_essence(content_type);
    let hint = match essence.as_str() {
        ""
        | "application/octet-stream"
        | "binary/octet-stream"
        | "application/binary"
        | "application/unknown"
        | "application/x-download"
        | "application/download"
        | "application/force-download"
        | "unknown/unknown" => {
            return None;
        }
        "application/pdf"
        | "application/x-pdf"
        | "application/acrobat"
        | "applications/vnd.pdf"
        | "text/pdf"
        | "text/x-pdf" => Hint::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.template"
        | "application/vnd.ms-word.document.macroenabled.12"
        | "application/vnd.ms-word.template.macroenabled.12" => Hint::Docx,
        "application/vnd.oasis.opendocument.text" => Hint::Odt,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.template"
        | "application/vnd.ms-excel.sheet.macroenabled.12"
        | "application/vnd.ms-excel.template.macroenabled.12" => Hint::Xlsx,
        "application/vnd.ms-excel.sheet.binary.macroenabled.12" => Hint::Xlsb,
        "application/vnd.ms-excel"
        | "application/msexcel"
        | "application/x-msexcel"
        | "application/x-ms-excel"
        | "application/x-excel"
        | "application/excel"
        | "application/x-xls"
        | "application/xls" => Hint::Xls,
        "application/vnd.oasis.opendocument.spreadsheet" => Hint::Ods,
        "application/zip" | "application/x-zip" | "application/x-zip-compressed" | "multipart/x-zip" => Hint::Zip,
        "text/csv"
        | "application/csv"
        | "text/comma-separated-values"
        | "application/x-csv"
        | "text/x-csv"
        | "text/x-comma-separated-values"
        | "text/tab-separated-values" => Hint::Csv,
        "text/html" | "application/xhtml+xml" => Hint::Html,
        "text/rtf" | "application/rtf" | "application/x-rtf" | "text/richtext" => Hint::Rtf,
        "application/json" | "application/xml" => Hint::Text,
        e if e.starts_with("text/") => Hint::Text,
        _ => Hint::Other,
    };
    Some(hint)
}

fn from_name(filename: &str) -> Option<Hint> {
    let (_, ext) = filename.trim().trim_end_matches('.').rsplit_once('.')?;
    let hint = match ext.to_ascii_lowercase().as_str() {
        "pdf" => Hint::Pdf,
        "docx" | "docm" | "dotx" | "dotm" => Hint::Docx,
        "odt" | "ott" => Hint::Odt,
        "xlsx" | "xlsm" | "xltx" | "xltm" => Hint::Xlsx,
        "xlsb" => Hint::Xlsb,
        "xls" | "xlt" => Hint::Xls,
        "ods" | "ots" => Hint::Ods,
        "zip" => Hint::Zip,
        "csv" | "tsv" | "tab" => Hint::Csv,
        "txt" | "text" | "log" | "md" | "asc" => Hint::Text,
        "htm" | "html" | "xhtml" => Hint::Html,
        "rtf" => Hint::Rtf,
        "doc" | "dot" | "ppt" | "pptx" | "pps" | "ppsx" | "odp" | "msg" | "dat" | "eml" | "jpg" | "jpeg" | "png"
        | "gif" | "tif" | "tiff" | "bmp" | "exe" | "mp3" | "mp4" | "wav" => Hint::Other,
        _ => return None,
    };
    Some(hint)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    /// "%PDF-" at the start (after any whitespace).
    Pdf,
    /// "%PDF-" later in the first kilobyte (PDF readers accept junk before the header).
    PdfLater,
    Zip,
    Ole,
    Rtf,
}

fn sniff(bytes: &[u8]) -> Option<Magic> {
    use infer::archive;
    if archive::is_zip(bytes) {
        Some(Magic::Zip)
    } else if archive::is_msi(bytes) {
        // infer names the compound-file (OLE) signature after MSI installers, which share it
        // with legacy Office files.
        Some(Magic::Ole)
    } else if archive::is_rtf(bytes) {
        Some(Magic::Rtf)
    } else if archive::is_pdf(bytes) {
        Some(Magic::Pdf)
    } else {
        // PDF readers accept a header anywhere in the first kilobyte: infer looks at the start.
        let at = bytes[..bytes.len().min(1024)].windows(5).position(|w| w == b"%PDF-")?;
        Some(if bytes[..at].iter().all(u8::is_ascii_whitespace) { Magic::Pdf } else { Magic::PdfLater })
    }
}

/// No NULs and few control characters in the first 4 KiB.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)).count();
    !head.contains(&0) && controls * 100 <= head.len()
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('<') && (head.contains("<html") || head.contains("<table") || head.contains("<!doctype"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n...";
    const ZIP: &[u8] = b"PK\x03\x04....";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1....";

    #[test]
    fn declared_type_and_name() {
        assert_eq!(kind(Some("a.pdf"), "application/pdf", PDF), Kind::Pdf);
        assert_eq!(kind(Some("a.csv"), "text/plain", b"a,b"), Kind::Text);
        assert_eq!(kind(Some("a.htm"), "application/octet-stream", b"<p>x"), Kind::Html);
        assert_eq!(kind(None, "text/html; charset=utf-8", b"<p>x"), Kind::Html);
        assert_eq!(kind(Some("a.jpg"), "image/jpeg", b"\xff\xd8"), Kind::Unsupported);
        assert_eq!(kind(None, "application/octet-stream", b"abc"), Kind::Unsupported);
        assert_eq!(kind(Some("notes"), "text/x-vcard", b"abc"), Kind::Text);
        assert_eq!(
            kind(Some("a.xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
            Kind::Zip(Some(Hint::Xlsx))
        );
        assert_eq!(kind(Some("a.xls"), "application/vnd.ms-excel", OLE), Kind::Ole(Some(Hint::Xls)));
        assert_eq!(kind(Some("a.doc"), "application/msword", OLE), Kind::Unsupported);
        assert_eq!(kind(Some("a.xls"), "application/vnd.ms-excel", b"<html><table>"), Kind::Html);
    }

    #[test]
    fn magic_bytes_win_when_they_disagree() {
        assert_eq!(kind(Some("reply.doc"), "application/msword", PDF), Kind::Pdf);
        assert_eq!(kind(Some("scan.txt"), "text/plain", b"\r\n%PDF-1.7 whitespace first"), Kind::Pdf);
        assert_eq!(kind(Some("scan.bin"), "application/octet-stream", b"junk%PDF-1.7"), Kind::Pdf);
        assert_eq!(kind(Some("notes.txt"), "text/plain", b"The header is %PDF-1.7"), Kind::Text);
        assert_eq!(kind(Some("data.pdf"), "application/pdf", ZIP), Kind::Zip(Some(Hint::Pdf)));
        assert_eq!(kind(None, "application/octet-stream", OLE), Kind::Ole(None));
        assert_eq!(kind(Some("x.txt"), "text/plain", b"{\\rtf1 hi}"), Kind::Rtf);
        // An empty ZIP, and a spanned one's marker.
        assert_eq!(kind(Some("a.txt"), "text/plain", b"PK\x05\x06\0\0\0\0"), Kind::Zip(Some(Hint::Text)));
        assert_eq!(kind(None, "application/octet-stream", b"PK\x07\x08PK\x03\x04"), Kind::Zip(None));
        // Too short to tell: the hint decides.
        assert_eq!(kind(Some("a.pdf"), "application/pdf", b"PK"), Kind::Pdf);
        assert_eq!(kind(Some("a.txt"), "text/plain", b""), Kind::Text);
    }

    #[test]
    fn charset_parameter() {
        assert_eq!(charset("text/plain; charset=\"ISO-8859-1\"").as_deref(), Some("ISO-8859-1"));
        assert_eq!(charset("text/plain; format=flowed; Charset=utf-8").as_deref(), Some("utf-8"));
        assert_eq!(charset("text/plain"), None);
    }
}
