//! Tables people want in Excel. Cells that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@`, tab, carriage return, NUL at the start) are
//! neutralised with a leading apostrophe (ASVS 1.2.10; SECURITY.md item 21).

use std::borrow::Cow;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One exported value. Numbers stay numbers; only text is neutralised.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<String> for ExportCell {
    fn from(s: String) -> Self {
        ExportCell::Text(s)
    }
}

impl From<&str> for ExportCell {
    fn from(s: &str) -> Self {
        ExportCell::Text(s.to_string())
    }
}

impl From<Option<String>> for ExportCell {
    fn from(s: Option<String>) -> Self {
        s.map(ExportCell::Text).unwrap_or(ExportCell::Empty)
    }
}

impl From<Option<&str>> for ExportCell {
    fn from(s: Option<&str>) -> Self {
        s.map(ExportCell::from).unwrap_or(ExportCell::Empty)
    }
}

impl From<Option<i32>> for ExportCell {
    fn from(n: Option<i32>) -> Self {
        n.map(|n| ExportCell::Number(f64::from(n)))
            .unwrap_or(ExportCell::Empty)
    }
}

impl From<Option<i64>> for ExportCell {
    fn from(n: Option<i64>) -> Self {
        n.map(|n| ExportCell::Number(n as f64))
            .unwrap_or(ExportCell::Empty)
    }
}

impl From<i64> for ExportCell {
    fn from(n: i64) -> Self {
        ExportCell::Number(n as f64)
    }
}

/// Makes text safe to open in a spreadsheet.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<ExportCell>>,
}

impl Table {
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&self.headers)?;
        for row in &self.rows {
            let record: Vec<Cow<'_, str>> = row
                .iter()
                .map(|cell| match cell {
                    ExportCell::Text(t) => neutralise(t),
                    ExportCell::Number(n) if n.fract() == 0.0 => {
                        Cow::Owned(format!("{}", *n as i64))
                    }
                    ExportCell::Number(n) => Cow::Owned(n.to_string()),
                    ExportCell::Empty => Cow::Borrowed(""),
                })
                .collect();
            writer.write_record(record.iter().map(|c| c.as_ref()))?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    }

    /// A CSV download. UTF-8 with a byte-order mark, so Excel reads "£" and
    /// apostrophes correctly.
    pub fn csv_response(&self, file_name: &str) -> Response {
        match self.to_csv() {
            Ok(body) => {
                let mut bytes = b"\xEF\xBB\xBF".to_vec();
                bytes.extend(body);
                (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{file_name}\""),
                        ),
                    ],
                    bytes,
                )
                    .into_response()
            }
            Err(err) => crate::error::Error::internal(err).into_response(),
        }
    }
}

impl Table {
    /// The same table as an Excel workbook: a bold header row, frozen, and
    /// columns wide enough to read. Text is stored as text, never as a
    /// formula, so nothing in a cell can run.
    pub fn to_xlsx(&self, sheet_name: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name)?;
        let bold = Format::new().set_bold();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for (c, header) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *header, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (row, col) = (r as u32 + 1, c as u16);
                match cell {
                    ExportCell::Text(t) => {
                        sheet.write_string(row, col, t)?;
                        if let Some(w) = widths.get_mut(c) {
                            *w = (*w).max(t.chars().count());
                        }
                    }
                    ExportCell::Number(n) => {
                        sheet.write_number(row, col, *n)?;
                    }
                    ExportCell::Empty => {}
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w).clamp(8, 60) as f64 + 2.0)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        workbook.save_to_buffer()
    }

    pub fn xlsx_response(&self, file_name: &str, sheet_name: &str) -> Response {
        match self.to_xlsx(sheet_name) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file_name}\""),
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(err) => crate::error::Error::internal(err).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+44 1202"), "'+44 1202");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Oak House"), "Oak House");
        let table = Table {
            headers: vec!["Name", "Places"],
            rows: vec![vec!["-2+3".into(), ExportCell::Number(-2.0)]],
        };
        let csv = String::from_utf8(table.to_csv().unwrap()).unwrap();
        assert_eq!(csv, "Name,Places\n'-2+3,-2\n");
    }
}
