//! Finding the header row and reading typed values out of cells, shared by
//! every file layout. Headings match by a normalised key, so case, spacing,
//! punctuation and apostrophes do not matter.

use chrono::{Duration, NaiveDate};

use crate::RowError;
use crate::sheet::{Cell, Row, Sheet};

/// `"Short-break-only children's home"` -> `"short break only childrens home"`.
pub fn heading_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "children's" and "childrens" are the same heading.
        } else if !key.ends_with(' ') {
            key.push(' ');
        }
    }
    key.trim().to_string()
}

/// A column the layout knows: the accepted headings (already in key form)
/// and whether a file without it is unusable.
pub struct ColumnSpec<F> {
    pub field: F,
    pub headings: Vec<String>,
    pub required: bool,
}

/// Where each known column is, once the header row is found.
pub struct HeaderMap<F> {
    pub row_number: usize,
    columns: Vec<(F, usize, String)>,
}

impl<F: Copy + PartialEq> HeaderMap<F> {
    pub fn index(&self, field: F) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, i, _)| *i)
    }

    pub fn heading(&self, field: F) -> Option<&str> {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, _, h)| h.as_str())
    }

    pub fn has(&self, field: F) -> bool {
        self.index(field).is_some()
    }

    /// A column the layout finds itself (one whose heading names a value,
    /// such as a council's code), as the file spells its heading.
    pub fn add(&mut self, field: F, index: usize, heading: String) {
        self.columns.push((field, index, heading));
    }

    /// The field whose column has this heading, as the file spells it.
    pub fn field_of(&self, heading: &str) -> Option<F> {
        self.columns
            .iter()
            .find(|(_, _, h)| h == heading)
            .map(|(f, _, _)| *f)
    }
}

/// Looks through the first rows of a sheet for one that holds every required
/// heading. Published files put title lines above the header.
pub fn find_header<F: Copy + PartialEq>(
    sheet: &Sheet,
    specs: &[ColumnSpec<F>],
    look_at_rows: usize,
) -> Option<HeaderMap<F>> {
    sheet.rows.iter().take(look_at_rows).find_map(|row| {
        let keys: Vec<String> = row
            .cells
            .iter()
            .map(|c| c.text().map(|t| heading_key(&t)).unwrap_or_default())
            .collect();
        let mut columns = Vec::new();
        for spec in specs {
            let found = keys
                .iter()
                .position(|k| !k.is_empty() && spec.headings.iter().any(|h| h == k));
            match found {
                Some(index) => {
                    let heading = row.cell(index).text().unwrap_or_default();
                    columns.push((spec.field, index, heading));
                }
                None if spec.required => return None,
                None => {}
            }
        }
        Some(HeaderMap {
            row_number: row.number,
            columns,
        })
    })
}

/// Reads typed values from one row, collecting an error per bad cell.
pub struct Fields<'a, F> {
    pub row: &'a Row,
    pub header: &'a HeaderMap<F>,
    pub errors: Vec<RowError>,
    /// Values left out of an otherwise good row.
    pub warnings: Vec<RowError>,
}

impl<'a, F: Copy + PartialEq> Fields<'a, F> {
    pub fn new(row: &'a Row, header: &'a HeaderMap<F>) -> Self {
        Fields {
            row,
            header,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The field whose column has this heading, as the file spells it.
    pub fn header_field(&self, heading: &str) -> Option<F> {
        self.header.field_of(heading)
    }

    pub fn cell(&self, field: F) -> &'a Cell {
        match self.header.index(field) {
            Some(i) => self.row.cell(i),
            None => &Cell::Empty,
        }
    }

    fn problem(&self, field: F, message: impl Into<String>) -> RowError {
        RowError {
            row: self.row.number,
            column: self.header.heading(field).map(str::to_string),
            message: message.into(),
        }
    }

    pub fn error(&mut self, field: F, message: impl Into<String>) {
        let problem = self.problem(field, message);
        self.errors.push(problem);
    }

    pub fn warn(&mut self, field: F, message: impl Into<String>) {
        let problem = self.problem(field, message);
        self.warnings.push(problem);
    }

    /// Text, or `None` when blank, `NULL` or in `withheld` (e.g. `REDACTED`).
    pub fn text(&self, field: F, withheld: &[&str]) -> Option<String> {
        self.cell(field)
            .text()
            .filter(|t| !withheld.iter().any(|w| t.eq_ignore_ascii_case(w)))
    }

    /// Parses non-blank text with `parse`; a failure is recorded as an error.
    pub fn parsed<T, E: std::fmt::Display>(
        &mut self,
        field: F,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.text(field, &[])?;
        match parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(field, e.to_string());
                None
            }
        }
    }

    /// A required value: blank is an error too.
    pub fn required<T, E: std::fmt::Display>(
        &mut self,
        field: F,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        if self.cell(field).is_blank() {
            self.error(field, format!("Enter the {what}"));
            return None;
        }
        self.parsed(field, parse)
    }

    /// A whole number of at least zero.
    pub fn count(&mut self, field: F) -> Option<u32> {
        match self.cell(field) {
            Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64 => {
                Some(*n as u32)
            }
            cell if cell.is_blank() => None,
            cell => {
                let text = cell.text().unwrap_or_default();
                match text.trim().parse::<u32>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        self.error(
                            field,
                            format!("'{text}' is not a whole number of 0 or more"),
                        );
                        None
                    }
                }
            }
        }
    }

    /// A date written `dd/mm/yyyy` or `yyyy-mm-dd`, a spreadsheet date, or a
    /// date a spreadsheet stored as a serial number.
    pub fn date(&mut self, field: F) -> Option<NaiveDate> {
        match self.cell(field) {
            Cell::Date(d) => Some(*d),
            Cell::DateTime(dt) => Some(dt.date()),
            Cell::Number(n) => match excel_serial_date(*n) {
                Some(d) => Some(d),
                None => {
                    self.error(field, format!("{n} is not a date"));
                    None
                }
            },
            cell if cell.is_blank() => None,
            cell => {
                let text = cell.text().unwrap_or_default();
                match parse_date(&text) {
                    Some(d) => Some(d),
                    None => {
                        self.error(
                            field,
                            format!("'{text}' is not a date: write it as dd/mm/yyyy"),
                        );
                        None
                    }
                }
            }
        }
    }
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

/// A date written in words after "at", as Ofsted's titles and headings
/// write it: "Provider level as at 31 March 2023", "Leavers and Joiners at
/// 31 March 2025", "Registration status (as at 1 April 2024)".
pub fn date_after_at(text: &str) -> Option<NaiveDate> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.windows(4).find_map(|w| {
        if w[0] != "at" {
            return None;
        }
        let day: u32 = w[1].parse().ok()?;
        let month = MONTHS.iter().position(|m| w[2].starts_with(m))? as u32 + 1;
        let year: i32 = w[3].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, day)
            .filter(|d| (1990..=2200).contains(&chrono::Datelike::year(d)))
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Excel's 1900 date system: serial 1 is 1 January 1900 and it counts a
/// 29 February 1900 that never was, so serials from 61 on are one day late.
fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=109_574.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = if days < 61 { days + 1 } else { days };
    epoch.checked_add_signed(Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_normalise() {
        assert_eq!(
            heading_key("Short-break-only children's home"),
            "short break only childrens home"
        );
        assert_eq!(heading_key("  URN "), "urn");
        assert_eq!(
            heading_key("Previous inspection Date"),
            "previous inspection date"
        );
    }

    #[test]
    fn dates_in_titles_and_headings_are_found() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(
            date_after_at(
                "Children's social care data in England 2023 - Provider level as at 31 March 2023"
            ),
            d(2023, 3, 31)
        );
        assert_eq!(
            date_after_at(
                "Children\u{2019}s social care data in England 2025 \u{2013} Leavers and Joiners at 31 March 2025"
            ),
            d(2025, 3, 31)
        );
        assert_eq!(
            date_after_at("Registration status (as at 1 April 2024)"),
            d(2024, 4, 1)
        );
        assert_eq!(date_after_at("Provider level in year 2022-23"), None);
        assert_eq!(date_after_at("at 31 February 2023"), None);
        assert_eq!(date_after_at("look at 3 apples 2023"), None);
    }

    #[test]
    fn dates_parse_in_uk_and_iso_and_serial_form() {
        assert_eq!(
            parse_date("14/10/2022"),
            NaiveDate::from_ymd_opt(2022, 10, 14)
        );
        assert_eq!(
            parse_date("2022-10-14"),
            NaiveDate::from_ymd_opt(2022, 10, 14)
        );
        assert_eq!(parse_date("10/14/2022"), None);
        assert_eq!(
            excel_serial_date(44848.0),
            NaiveDate::from_ymd_opt(2022, 10, 14)
        );
    }
}
