//! Office documents: DOCX and ODT (paragraphs as lines, table rows as tab-separated lines,
//! read with quick-xml) and spreadsheets through calamine (XLSX, XLSB, XLS, ODS: each sheet
//! as "Sheet: NAME" then its rows as tab-separated cells). Run on the blocking pool.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Sheets, open_workbook_from_rs};
use quick_xml::events::Event;

use super::detect::Hint;
use super::{Extraction, Sink, human_bytes};

/// A spreadsheet format calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sheet {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

impl Sheet {
    fn label(self) -> &'static str {
        match self {
            Sheet::Xlsx => "XLSX",
            Sheet::Xlsb => "XLSB",
            Sheet::Xls => "XLS",
            Sheet::Ods => "ODS",
        }
    }
}

/// What a ZIP container turned out to be.
#[derive(Debug)]
pub(crate) enum Container {
    /// An Office document (or a broken one, or one foi does not read): its extraction.
    Read(Extraction),
    /// An ordinary archive (its bytes handed back).
    Archive(Vec<u8>),
}

/// Reads a ZIP container as the Office document its entries say it is. `hint` is what the
/// declared type or name said; `cap` bounds the uncompressed size of what is read.
pub(crate) fn container(bytes: Vec<u8>, hint: Option<Hint>, max_chars: usize, cap: u64) -> Container {
    match read_container(&bytes, hint, max_chars, cap) {
        Some(extraction) => Container::Read(extraction),
        None => Container::Archive(bytes),
    }
}

/// The document's extraction, or None for an ordinary archive.
fn read_container(bytes: &[u8], hint: Option<Hint>, max_chars: usize, cap: u64) -> Option<Extraction> {
    let label = match hint {
        Some(Hint::Docx) => "DOCX",
        Some(Hint::Odt) => "ODT",
        Some(Hint::Xlsx) => "XLSX",
        Some(Hint::Xlsb) => "XLSB",
        Some(Hint::Ods) => "ODS",
        _ => "ZIP archive",
    };
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return Some(Extraction::Failed(format!("not a valid {label}: {e}"))),
    };
    let has = |name: &str| zip.index_for_name(name).is_some();
    let layout = if has("word/document.xml") {
        Some(Layout::Docx)
    } else if has("xl/workbook.xml") {
        Some(Layout::Sheet(Sheet::Xlsx))
    } else if has("xl/workbook.bin") {
        Some(Layout::Sheet(Sheet::Xlsb))
    } else if has("ppt/presentation.xml") {
        Some(Layout::Unsupported)
    } else if has("content.xml") {
        match read_entry(&mut zip, "mimetype", 200).ok().as_deref().map(String::from_utf8_lossy).as_deref() {
            Some(m) if m.contains("opendocument.spreadsheet") => Some(Layout::Sheet(Sheet::Ods)),
            Some(m) if m.contains("opendocument.text") => Some(Layout::Odt),
            Some(m) if m.contains("opendocument") => Some(Layout::Unsupported),
            _ => match hint {
                Some(Hint::Ods) => Some(Layout::Sheet(Sheet::Ods)),
                Some(Hint::Odt) => Some(Layout::Odt),
                _ => None,
            },
        }
    } else {
        None
    };
    let Some(layout) = layout else {
        return match hint {
            Some(Hint::Docx | Hint::Odt | Hint::Xlsx | Hint::Xlsb | Hint::Ods) => Some(Extraction::Failed(format!(
                "not a valid {label}: it is a ZIP archive without the {label}'s parts"
            ))),
            _ => None,
        };
    };
    // Office parsers hold whole parts in memory: refuse documents that expand too far.
    let expanded = declared_size(&zip);
    if expanded > u128::from(cap) {
        let size = u64::try_from(expanded).map_or_else(|_| "an unknown size".to_string(), human_bytes);
        return Some(Extraction::Failed(format!(
            "the document expands to {size}, more than the {} limit",
            human_bytes(cap)
        )));
    }
    let result = match layout {
        Layout::Docx => read_entry(&mut zip, "word/document.xml", cap)
            .and_then(|xml| xml_text(&xml, &DOCX, max_chars).map_err(|e| format!("malformed DOCX: {e}"))),
        Layout::Odt => read_entry(&mut zip, "content.xml", cap)
            .and_then(|xml| xml_text(&xml, &ODT, max_chars).map_err(|e| format!("malformed ODT: {e}"))),
        Layout::Sheet(kind) => {
            drop(zip);
            spreadsheet(bytes, kind, max_chars)
        }
        Layout::Unsupported => return Some(Extraction::Unsupported),
    };
    Some(result.map_or_else(Extraction::Failed, Extraction::Ok))
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    Docx,
    Odt,
    Sheet(Sheet),
    Unsupported,
}

/// The uncompressed size the central directory gives for all the entries. Entries written
/// with a data descriptor count too (their local headers hold no sizes; the central directory
/// does): streaming writers (Java's, rust_xlsxwriter, so foi's own reports) write every entry
/// that way, and zip's `decompressed_size` gives up on them.
fn declared_size(zip: &zip::ZipArchive<Cursor<&[u8]>>) -> u128 {
    (0..zip.len())
        .map(|i| zip.by_index_data(i).map_or(u128::MAX, |e| u128::from(e.size())))
        .fold(0, u128::saturating_add)
}

/// One entry's bytes, reading at most `cap` bytes whatever its header claims.
fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str, cap: u64) -> Result<Vec<u8>, String> {
    let mut file = zip.by_name(name).map_err(|e| format!("cannot open {name}: {e}"))?;
    let mut out = Vec::new();
    (&mut file).take(cap.saturating_add(1)).read_to_end(&mut out).map_err(|e| format!("cannot read {name}: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("{name} expands to more than {}", human_bytes(cap)));
    }
    Ok(out)
}

/// Which elements of a word-processing XML part carry text and structure.
struct XmlNames {
    paragraph: &'static [&'static str],
    /// Text counts only inside these (DOCX's w:t); empty: any text inside a paragraph.
    text: &'static str,
    tab: &'static str,
    line_break: &'static [&'static str],
    space: &'static str,
    cell: &'static str,
    row: &'static str,
    /// Whose content is skipped (deleted revisions, field codes, notes' bodies in ODT).
    skip: &'static [&'static str],
}

const DOCX: XmlNames = XmlNames {
    paragraph: &["p"],
    text: "t",
    tab: "tab",
    line_break: &["br", "cr"],
    space: "noBreakHyphen",
    cell: "tc",
    row: "tr",
    // mc:Fallback repeats a text box's text for old readers.
    skip: &["del", "instrText", "delText", "Fallback"],
};

const ODT: XmlNames = XmlNames {
    paragraph: &["p", "h"],
    text: "",
    tab: "tab",
    line_break: &["line-break"],
    space: "s",
    cell: "table-cell",
    row: "table-row",
    skip: &["tracked-changes", "annotation", "note-citation"],
};

/// The text of a word-processing XML part: a line per paragraph, a table row per line with
/// its cells separated by tabs.
fn xml_text(xml: &[u8], names: &XmlNames, max_chars: usize) -> Result<String, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut sink = Sink::new(max_chars);
    let (mut in_text, mut in_paragraph, mut cells, mut skipping) = (0usize, 0usize, 0usize, 0usize);
    loop {
        let event =
            reader.read_event_into(&mut buf).map_err(|e| format!("{e} at byte {}", reader.buffer_position()))?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if names.skip.contains(&name) {
                    skipping += 1;
                } else if skipping > 0 {
                } else if names.paragraph.contains(&name) {
                    in_paragraph += 1;
                } else if !names.text.is_empty() && name == names.text {
                    in_text += 1;
                } else if name == names.cell {
                    cells += 1;
                }
            }
            Event::Empty(e) if skipping == 0 => {
                let name = e.local_name();
                let name = name.as_ref();
                if name == names.tab {
                    sink.push_char('\t');
                } else if names.line_break.contains(&name) {
                    sink.push_char('\n');
                } else if name == names.space {
                    sink.push_char(if names.space == "s" { ' ' } else { '-' });
                } else if names.paragraph.contains(&name) {
                    sink.push_char(if cells > 0 { ' ' } else { '\n' });
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if names.skip.contains(&name) {
                    skipping = skipping.saturating_sub(1);
                } else if skipping > 0 {
                } else if names.paragraph.contains(&name) {
                    in_paragraph = in_paragraph.saturating_sub(1);
                    sink.push_char(if cells > 0 { ' ' } else { '\n' });
                } else if !names.text.is_empty() && name == names.text {
                    in_text = in_text.saturating_sub(1);
                } else if name == names.cell {
                    cells = cells.saturating_sub(1);
                    sink.trim_end_matches(|c| c == ' ');
                    sink.push_char('\t');
                } else if name == names.row {
                    sink.trim_end_matches(|c| c == '\t' || c == ' ');
                    sink.push_char('\n');
                }
            }
            Event::Text(t) if skipping == 0 && wants_text(names, in_text, in_paragraph) => {
                sink.push(&t.xml10_content());
            }
            Event::CData(t) if skipping == 0 && wants_text(names, in_text, in_paragraph) => {
                sink.push(&t.xml10_content());
            }
            Event::GeneralRef(r) if skipping == 0 && wants_text(names, in_text, in_paragraph) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = resolved {
                    sink.push_char(c);
                }
            }
            _ => {}
        }
        if sink.is_full() {
            break;
        }
        buf.clear();
    }
    Ok(sink.into_text())
}

fn wants_text(names: &XmlNames, in_text: usize, in_paragraph: usize) -> bool {
    if names.text.is_empty() { in_paragraph > 0 } else { in_text > 0 }
}

/// An OLE file holding an encrypted Office Open XML document (a password-protected DOCX or
/// XLSX is stored that way): it has an "EncryptedPackage" stream.
pub(crate) fn is_encrypted_ooxml(ole: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    ole.windows(name.len()).any(|w| w == name.as_slice())
}

/// Every sheet of a workbook: "Sheet: NAME", then a line per non-empty row with its cells
/// separated by tabs, then a blank line.
pub(crate) fn spreadsheet(bytes: &[u8], kind: Sheet, max_chars: usize) -> Result<String, String> {
    let cursor = Cursor::new(bytes);
    let bad = |e: &dyn std::fmt::Display| format!("not a readable {} file: {e}", kind.label());
    let mut book: Sheets<_> = match kind {
        Sheet::Xlsx => Sheets::Xlsx(open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Sheet::Xlsb => Sheets::Xlsb(open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Sheet::Xls => Sheets::Xls(open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Sheet::Ods => Sheets::Ods(open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
    };
    let mut sink = Sink::new(max_chars);
    let mut line = String::new();
    'sheets: for name in book.sheet_names() {
        if !sink.push(&format!("Sheet: {name}\n")) {
            break;
        }
        match book.worksheet_range(&name) {
            Ok(range) => {
                for row in range.rows() {
                    line.clear();
                    for (i, cell) in row.iter().enumerate() {
                        if i > 0 {
                            line.push('\t');
                        }
                        push_cell(&mut line, cell);
                    }
                    let trimmed = line.trim_end_matches('\t');
                    if trimmed.trim().is_empty() {
                        continue;
                    }
                    if !(sink.push(trimmed) && sink.push_char('\n')) {
                        break 'sheets;
                    }
                }
            }
            Err(e) => {
                sink.push(&format!("[could not read this sheet: {e}]\n"));
            }
        }
        sink.push_char('\n');
    }
    Ok(sink.into_text())
}

fn push_cell(line: &mut String, cell: &Data) {
    use std::fmt::Write;
    let start = line.len();
    match cell {
        Data::Empty => {}
        Data::Float(f) => line.push_str(&number(*f)),
        Data::DateTime(d) if d.is_datetime() && (0.0..2_958_466.0).contains(&d.as_f64()) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => {
                let _ = write!(line, "{}", dt.format("%Y-%m-%d"));
            }
            Some(dt) => {
                let _ = write!(line, "{}", dt.format("%Y-%m-%d %H:%M:%S"));
            }
            None => line.push_str(&number(d.as_f64())),
        },
        Data::DateTime(d) => line.push_str(&number(d.as_f64())),
        other => {
            let _ = write!(line, "{other}");
        }
    }
    // Keep one row on one line.
    if line[start..].contains(['\t', '\n', '\r']) {
        let cell_text = line[start..].replace(['\t', '\n', '\r'], " ");
        line.truncate(start);
        line.push_str(&cell_text);
    }
}

/// A number as a spreadsheet shows it: no float noise (0.1 + 0.2 is "0.3"), integers without ".0".
fn number(f: f64) -> String {
    if !f.is_finite() || f.abs() >= 1e15 {
        return f.to_string();
    }
    let s = format!("{f:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::super::{Limits, extract_text};
    use super::*;

    /// A ZIP of (name, bytes) entries, deflated.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, bytes) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    pub(crate) fn docx(paragraphs_xml: &str) -> Vec<u8> {
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{paragraphs_xml}</w:body></w:document>"#
        );
        zip_of(&[
            (
                "[Content_Types].xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
            ),
            ("word/document.xml", document.as_bytes()),
        ])
    }

    /// A minimal XLSX: one sheet per (name, rows), cells as inline strings or numbers.
    pub(crate) fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
        let mut workbook = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        let mut types = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
        );
        let mut parts = Vec::new();
        for (i, (name, rows)) in sheets.iter().enumerate() {
            let n = i + 1;
            workbook.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
            types.push_str(&format!(
                r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            ));
            let mut sheet = String::from(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
            );
            for (r, row) in rows.iter().enumerate() {
                sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
                for (c, value) in row.iter().enumerate() {
                    let col = (b'A' + c as u8) as char;
                    let at = format!("{col}{}", r + 1);
                    if value.parse::<f64>().is_ok() {
                        sheet.push_str(&format!(r#"<c r="{at}"><v>{value}</v></c>"#));
                    } else {
                        sheet.push_str(&format!(r#"<c r="{at}" t="inlineStr"><is><t>{value}</t></is></c>"#));
                    }
                }
                sheet.push_str("</row>");
            }
            sheet.push_str("</sheetData></worksheet>");
            parts.push((format!("xl/worksheets/sheet{n}.xml"), sheet));
        }
        workbook.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        types.push_str("</Types>");
        let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", types.as_bytes()),
            ("_rels/.rels", root_rels.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ];
        for (name, xml) in &parts {
            entries.push((name, xml.as_bytes()));
        }
        zip_of(&entries)
    }

    const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    #[tokio::test]
    async fn docx_paragraphs_become_lines() {
        let bytes = docx(
            r#"<w:p><w:r><w:t>Dear requester,</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">We hold </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>no</w:t></w:r><w:r><w:t xml:space="preserve"> information &amp; cite s.12.</w:t></w:r></w:p>
<w:p><w:r><w:t>Col</w:t><w:tab/><w:t>tab</w:t><w:br/><w:t>next line</w:t></w:r><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del></w:p>
<w:p><mc:AlternateContent><mc:Choice><w:r><w:t>In a box</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t>In a box</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Year</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cases</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>2024</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>17</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
        );
        let got = extract_text(Some("response.docx"), DOCX_TYPE, &bytes, &Limits::default()).await;
        assert_eq!(
            got,
            Extraction::Ok(
                "Dear requester,\nWe hold no information & cite s.12.\nCol\ttab\nnext line\nIn a box\nYear\tCases\n2024\t17\n"
                    .into()
            )
        );
        // A DOCX sent as application/octet-stream under another name is still found.
        let got = extract_text(Some("attachment"), "application/octet-stream", &bytes, &Limits::default()).await;
        assert_eq!(got.status(), "ok");
    }

    #[tokio::test]
    async fn broken_docx_fails_cleanly() {
        let bytes = docx("<w:p><w:r><w:t>unclosed</w:r></w:p>");
        let got = extract_text(Some("bad.docx"), DOCX_TYPE, &bytes, &Limits::default()).await;
        assert!(got.error().unwrap().starts_with("malformed DOCX"), "{got:?}");
        let got = extract_text(Some("bad.docx"), DOCX_TYPE, b"PK\x03\x04 not really a zip", &Limits::default()).await;
        assert!(got.error().unwrap().starts_with("not a valid DOCX"), "{got:?}");
        let got = extract_text(Some("bad.docx"), DOCX_TYPE, b"plain words", &Limits::default()).await;
        assert!(got.error().unwrap().starts_with("not a valid DOCX"), "{got:?}");
        let other = zip_of(&[("readme.txt", b"hi")]);
        let got = extract_text(Some("bad.docx"), DOCX_TYPE, &other, &Limits::default()).await;
        assert!(got.error().unwrap().contains("without the DOCX's parts"), "{got:?}");
    }

    #[tokio::test]
    async fn xlsx_sheets_become_tab_separated_rows() {
        let bytes = xlsx(&[
            ("Responses", &[&["Year", "Referrals", "Cost"], &["2023", "12", "0.5"], &["2024", "15", "1250"]]),
            ("Notes", &[&["Figures are provisional"]]),
        ]);
        let got = extract_text(Some("answer.xlsx"), XLSX_TYPE, &bytes, &Limits::default()).await;
        assert_eq!(
            got,
            Extraction::Ok(
                "Sheet: Responses\nYear\tReferrals\tCost\n2023\t12\t0.5\n2024\t15\t1250\n\nSheet: Notes\nFigures are provisional\n\n"
                    .into()
            )
        );
        // Mislabelled as a PDF: the bytes win.
        let got = extract_text(Some("answer.pdf"), "application/pdf", &bytes, &Limits::default()).await;
        assert_eq!(got.status(), "ok");
        // Cut at the character limit.
        let limits = Limits { max_text_chars: 20, ..Limits::default() };
        let got = extract_text(Some("answer.xlsx"), XLSX_TYPE, &bytes, &limits).await;
        assert_eq!(got, Extraction::Ok("Sheet: Responses\nYea\n[truncated]".into()));
    }

    #[tokio::test]
    async fn entries_written_with_data_descriptors_are_read_and_sized() {
        // As streaming writers (Java's ZipOutputStream, rust_xlsxwriter) write them: sizes only
        // in the data descriptors and the central directory.
        let stream = |entries: &[(&str, &[u8])]| {
            let mut zip = zip::ZipWriter::new_stream(Vec::new());
            for (name, bytes) in entries {
                zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
                zip.write_all(bytes).unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        let document = br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Not held.</w:t></w:r></w:p></w:body></w:document>"#;
        let docx = stream(&[("word/document.xml", document)]);
        assert!(zip::ZipArchive::new(Cursor::new(&docx[..])).unwrap().decompressed_size().is_none());
        let got = extract_text(Some("r.docx"), DOCX_TYPE, &docx, &Limits::default()).await;
        assert_eq!(got, Extraction::Ok("Not held.\n".into()));
        // The limit still holds, on the sizes the central directory gives.
        let big = vec![b' '; 2 << 20];
        let docx = stream(&[("word/document.xml", document), ("word/padding.xml", &big)]);
        let limits = Limits { memory_bytes: 4 << 20, ..Limits::default() };
        let got = extract_text(Some("r.docx"), DOCX_TYPE, &docx, &limits).await;
        assert_eq!(got.error(), Some("the document expands to 2.0 MiB, more than the 1.0 MiB limit"), "{got:?}");
    }

    #[tokio::test]
    async fn broken_spreadsheets_fail_cleanly() {
        let got = extract_text(
            Some("a.xls"),
            "application/vnd.ms-excel",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 broken",
            &Limits::default(),
        )
        .await;
        assert!(got.error().unwrap().starts_with("not a readable XLS file"), "{got:?}");
        let mut bytes = xlsx(&[("S", &[&["a"]])]);
        bytes.truncate(bytes.len() / 2);
        let got = extract_text(Some("a.xlsx"), XLSX_TYPE, &bytes, &Limits::default()).await;
        assert_eq!(got.status(), "failed", "{got:?}");
        let broken = zip_of(&[("xl/workbook.xml", b"<workbook><sheets><sheet name=")]);
        let got = extract_text(Some("a.xlsx"), XLSX_TYPE, &broken, &Limits::default()).await;
        assert_eq!(got.status(), "failed", "{got:?}");
    }

    #[tokio::test]
    async fn odt_and_ods() {
        let content = br#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h>Response</text:h><text:p>We hold<text:s/>the <text:span>information</text:span>.</text:p></office:text></office:body></office:document-content>"#;
        let odt = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", content)]);
        let got =
            extract_text(Some("r.odt"), "application/vnd.oasis.opendocument.text", &odt, &Limits::default()).await;
        assert_eq!(got, Extraction::Ok("Response\nWe hold the information.\n".into()));
        let ods = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<x")]);
        let got =
            extract_text(Some("r.ods"), "application/vnd.oasis.opendocument.spreadsheet", &ods, &Limits::default())
                .await;
        assert!(got.error().unwrap().starts_with("not a readable ODS file"), "{got:?}");
    }

    #[tokio::test]
    async fn password_protected_documents_fail_with_that_reason() {
        let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        ole.resize(1024, 0);
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        let got = extract_text(Some("protected.xlsx"), XLSX_TYPE, &ole, &Limits::default()).await;
        assert_eq!(got, Extraction::Failed("the document is password-protected".into()));
    }

    #[test]
    fn numbers_look_like_a_spreadsheet_shows_them() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-1250.75), "-1250.75");
        assert_eq!(number(-0.0), "0");
    }
}
