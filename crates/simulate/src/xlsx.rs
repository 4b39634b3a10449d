//! Simulated spreadsheet answers: a workbook of one sheet of text cells, as a public body's
//! "response.xlsx" would be, written by rust_xlsxwriter (as the reports' workbooks are);
//! calamine reads it back. The same rows give the same bytes: the creation time is fixed.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

/// Excel's longest cell text, in characters.
const MAX_CELL_CHARS: usize = 32_767;

/// A workbook with one sheet named `sheet` holding `rows` of text.
pub fn workbook<R: AsRef<[S]>, S: AsRef<str>>(sheet: &str, rows: &[R]) -> Vec<u8> {
    let bytes = write(sheet, rows);
    // The sheet names and texts the simulator writes are within Excel's limits (longer cell
    // texts are cut to fit): an error here is a bug.
    debug_assert!(bytes.is_ok(), "simulated workbook: {bytes:?}");
    bytes.unwrap_or_default()
}

fn write<R: AsRef<[S]>, S: AsRef<str>>(sheet: &str, rows: &[R]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.as_ref().iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            let text = cell.as_ref();
            match text.char_indices().nth(MAX_CELL_CHARS) {
                Some((cut, _)) => ws.write_string(r, c, &text[..cut])?,
                None => ws.write_string(r, c, text)?,
            };
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};

    fn read(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<Data>>) {
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        let range = book.worksheet_range(&names[0]).unwrap();
        (names, range.rows().map(<[Data]>::to_vec).collect())
    }

    #[test]
    fn text_cells_read_back() {
        let rows = vec![
            vec!["Question", "Topic", "Response"],
            vec!["1", "Short breaks & <respite>", "Yes \"commissioned\""],
            vec!["2", "  spaced  ", "Not held"],
        ];
        let (names, read) = read(super::workbook("Response", &rows));
        assert_eq!(names, ["Response"]);
        let want: Vec<Vec<Data>> =
            rows.iter().map(|r| r.iter().map(|s| Data::String((*s).to_string())).collect()).collect();
        assert_eq!(read, want);
    }

    #[test]
    fn same_rows_same_bytes() {
        let rows = [["a", "b"]];
        assert_eq!(super::workbook("S", &rows), super::workbook("S", &rows));
    }

    #[test]
    fn a_too_long_text_is_cut_to_fit() {
        let long = "x".repeat(super::MAX_CELL_CHARS + 10);
        let (_, read) = read(super::workbook("S", &[[long.as_str()]]));
        assert_eq!(read[0][0], Data::String("x".repeat(super::MAX_CELL_CHARS)));
    }
}
