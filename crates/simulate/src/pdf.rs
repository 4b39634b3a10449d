//! A minimal PDF writer for simulated letters: A4 pages of Helvetica text, enough for
//! poppler's pdftotext to read back exactly what was written.

const LINES_PER_PAGE: usize = 52;
const WRAP: usize = 92;

/// Characters outside WinAnsi become `?`; the usual typographic ones are mapped.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '£' => 0xa3,
        '€' => 0x80,
        '–' => 0x96,
        '—' => 0x97,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        'é' => 0xe9,
        _ => b'?',
    }
}

/// Splits text into lines of at most `WRAP` characters, at spaces where possible.
fn wrap(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WRAP {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

fn string_literal(line: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for c in line.chars() {
        let b = win_ansi(c);
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
}

/// A PDF of `text` (paragraphs separated by newlines), titled `title`.
pub fn letter(title: &str, text: &str) -> Vec<u8> {
    let lines = wrap(text);
    let pages: Vec<&[String]> = lines.chunks(LINES_PER_PAGE).collect();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    let mut info = b"<< /Producer (foi-simulate) /Title ".to_vec();
    string_literal(title, &mut info);
    info.extend_from_slice(b" >>");
    objects.push(info);
    for (i, page) in pages.iter().enumerate() {
        let mut stream = b"BT /F1 10 Tf 14 TL 56 786 Td".to_vec();
        for line in page.iter() {
            stream.push(b' ');
            string_literal(line, &mut stream);
            stream.extend_from_slice(b" Tj T*");
        }
        stream.extend_from_slice(b" ET");
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let mut content = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
        content.extend_from_slice(&stream);
        content.extend_from_slice(b"\nendstream");
        objects.push(content);
    }
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(o);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_escapes_and_pages() {
        let text = format!("Cost (£450) \\ limit\n{}", "word ".repeat(2000));
        let pdf = super::letter("Response", &text);
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.starts_with("%PDF-1.4"));
        assert!(s.contains("(Cost \\(\u{fffd}450\\) \\\\ limit) Tj"), "{}", &s[..600]);
        assert!(s.contains("/Count 3"), "10,000 characters make three pages");
        assert!(s.ends_with("%%EOF\n"));
        // The cross-reference table points at each object.
        let xref = s.rfind("\nxref\n").unwrap() + 1;
        let first = s[xref..].lines().nth(3).unwrap();
        let off: usize = first[..10].parse().unwrap();
        assert!(pdf[off..].starts_with(b"1 0 obj"));
    }
}
