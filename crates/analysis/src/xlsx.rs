//! The Excel workbook: one sheet per table, the header row bold and frozen, counts and
//! percentages as numbers (a percentage is the fraction with a `0%` format, in the column
//! after its count, as in the CSV), so the figures can be charted and summed in Excel.

use rust_xlsxwriter::{Format, Workbook};

use crate::table::{Cell, Table};
use crate::{Error, Result};

fn bad(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Render(format!("Excel: {e}"))
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(title: &str, taken: &mut Vec<String>) -> String {
    let clean: String = title.chars().map(|c| if "[]:*?/\\'".contains(c) { ' ' } else { c }).collect();
    let base: String = clean.trim().chars().take(28).collect();
    let mut name = if base.is_empty() { "Sheet".to_string() } else { base };
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{} {n}", name.chars().take(27).collect::<String>());
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// A workbook with one sheet per table.
pub fn workbook(tables: &[&Table]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0%");
    let decimal = Format::new().set_num_format("0.0");
    let mut taken = Vec::new();
    for t in tables {
        let sheet = wb.add_worksheet();
        sheet.set_name(sheet_name(&t.title, &mut taken)).map_err(bad)?;
        let with_percent: Vec<bool> = (0..t.columns.len())
            .map(|i| t.rows.iter().any(|r| matches!(r.get(i), Some(Cell::CountOf { .. }))))
            .collect();
        let mut col = 0u16;
        for (c, pct) in t.columns.iter().zip(&with_percent) {
            sheet.write_string_with_format(0, col, c, &bold).map_err(bad)?;
            col += 1;
            if *pct {
                sheet.write_string_with_format(0, col, format!("{c} %"), &bold).map_err(bad)?;
                col += 1;
            }
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            let mut col = 0u16;
            for (i, c) in row.iter().enumerate() {
                match c {
                    Cell::Text(s) => {
                        sheet.write_string(r, col, s).map_err(bad)?;
                    }
                    Cell::Count(n) => {
                        sheet.write_number(r, col, *n as f64).map_err(bad)?;
                    }
                    Cell::CountOf { n, of } => {
                        sheet.write_number(r, col, *n as f64).map_err(bad)?;
                        if *of > 0 {
                            sheet
                                .write_number_with_format(r, col + 1, *n as f64 / *of as f64, &percent)
                                .map_err(bad)?;
                        }
                        col += 2;
                        continue;
                    }
                    Cell::Number { value, .. } => {
                        sheet.write_number_with_format(r, col, *value, &decimal).map_err(bad)?;
                    }
                    Cell::Share(s) => {
                        sheet.write_number_with_format(r, col, *s, &percent).map_err(bad)?;
                    }
                    Cell::Empty => {}
                }
                col += 1;
                if with_percent.get(i).copied().unwrap_or(false) {
                    col += 1;
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(bad)?;
        sheet.set_column_width(0, 14).map_err(bad)?;
        sheet.set_column_width(1, 28).map_err(bad)?;
    }
    wb.save_to_buffer().map_err(bad)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(super::sheet_name("Response rates: CPC 2026 [draft]", &mut taken), "Response rates  CPC 2026  dr");
        assert_eq!(super::sheet_name("Response rates: CPC 2026 [draft]", &mut taken), "Response rates  CPC 2026  d 2");
        assert_eq!(super::sheet_name("", &mut taken), "Sheet");
    }
}
