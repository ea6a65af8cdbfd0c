//! Reads a CSV or spreadsheet into rows of typed cells. Spreadsheets are
//! checked by [`crate::safety`] before calamine sees them; the caller is
//! expected to run this in a sandboxed child process for spreadsheet formats
//! (see `src/sandbox.rs`), because calamine can abort the whole process on
//! crafted files.

use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::safety::{self, Limits};

/// File formats accepted for upload and import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Xlsm,
    Xls,
    Ods,
}

impl Format {
    pub const EXTENSIONS: &'static str = ".csv, .xlsx, .xlsm, .xls or .ods";

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "xlsm" => Some(Format::Xlsm),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }

    /// Chooses the format from the file name's extension and checks that the
    /// bytes really are that kind of file (extension and magic-byte allow-list).
    pub fn detect(file_name: &str, bytes: &[u8]) -> Result<Format, FileError> {
        let ext = file_name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let format = Format::from_extension(ext).ok_or_else(|| {
            FileError::new(format!("The file must be a {} file", Format::EXTENSIONS))
        })?;
        if bytes.is_empty() {
            return Err(FileError::new("The file is empty"));
        }
        let is_zip = bytes.starts_with(b"PK\x03\x04");
        let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        let matches = match format {
            Format::Xlsx | Format::Xlsm | Format::Ods => is_zip,
            Format::Xls => is_ole,
            // CSV is text: no binary magic and no NUL bytes near the start.
            Format::Csv => !is_zip && !is_ole && !bytes.iter().take(8192).any(|&b| b == 0),
        };
        if matches {
            Ok(format)
        } else {
            Err(FileError::new(format!(
                "The file's name says .{} but its content is not a {} file. Save it again from your spreadsheet program",
                format.extension(),
                format.extension().to_uppercase()
            )))
        }
    }

    pub fn is_spreadsheet(self) -> bool {
        self != Format::Csv
    }
}

/// One cell's value, as the file stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// A spreadsheet error value such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    /// Blank, whitespace-only, or Ofsted's literal `NULL`.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => {
                let t = t.trim();
                t.is_empty() || t.eq_ignore_ascii_case("null")
            }
            _ => false,
        }
    }

    /// The cell as text (numbers without a trailing `.0`), or `None` if blank.
    pub fn text(&self) -> Option<String> {
        if self.is_blank() {
            return None;
        }
        Some(match self {
            // Spreadsheets carry stray control characters (NUL, vertical
            // tab from old exports) that no field may store: dropped here.
            Cell::Text(t) => t
                .trim()
                .chars()
                .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                .collect(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::DateTime(dt) => dt.format("%d/%m/%Y %H:%M").to_string(),
            Cell::Error(e) => e.clone(),
            Cell::Empty => return None,
        })
    }
}

/// One row: its number as a person sees it in the file (1-based) and its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }

    pub fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&Cell::Empty)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

/// The whole file cannot be used; the message says why and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    pub message: String,
}

impl FileError {
    pub fn new(message: impl Into<String>) -> Self {
        FileError {
            message: message.into(),
        }
    }
}

/// Reads every sheet (a CSV is one sheet). Blank rows are kept so that row
/// numbers match the file; callers skip them. At most `limits.max_rows`
/// non-blank rows per sheet are accepted besides the heading row.
pub fn read(bytes: &[u8], format: Format, limits: &Limits) -> Result<Vec<Sheet>, FileError> {
    match format {
        Format::Csv => Ok(vec![read_csv(bytes, limits)?]),
        Format::Xlsx | Format::Xlsm => {
            safety::check_xlsx(bytes, limits)?;
            without_panics(|| {
                let book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
                read_book(book, limits)
            })
        }
        Format::Ods => {
            safety::check_ods(bytes, limits)?;
            let bytes = crate::ods::type_text_cells(bytes)?;
            without_panics(|| {
                let book = calamine::Ods::new(Cursor::new(&bytes[..])).map_err(unreadable)?;
                read_book(book, limits)
            })
        }
        Format::Xls => {
            safety::check_xls(bytes, limits)?;
            without_panics(|| {
                let book = calamine::Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
                read_book(book, limits)
            })
        }
    }
}

/// calamine panics on some damaged files (fuzzing found XLS files whose
/// sector table or sectors run past the end of the file): such a panic is
/// the file's error, not the caller's. Aborts, on huge allocations, are what
/// `safety` and the sandboxed parser process are for.
fn without_panics<T>(read: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(FileError::new(
            "The file could not be read as a spreadsheet: it is damaged. Save it again from your spreadsheet program and try again",
        ))
    })
}

fn unreadable(err: impl std::fmt::Display) -> FileError {
    FileError::new(format!(
        "The file could not be read as a spreadsheet ({err}). Save it again from your spreadsheet program and try again"
    ))
}

/// What some formats can say beyond cell values.
trait Extras {
    /// Merged cell ranges of a sheet.
    fn merged(&mut self, _sheet: &str) -> Vec<calamine::Dimensions> {
        Vec::new()
    }
}

impl<RS: std::io::Read + std::io::Seek> Extras for calamine::Xlsx<RS> {
    fn merged(&mut self, sheet: &str) -> Vec<calamine::Dimensions> {
        self.merge_cells_by_sheet_name(sheet).unwrap_or_default()
    }
}

impl<RS: std::io::Read + std::io::Seek> Extras for calamine::Xls<RS> {
    fn merged(&mut self, sheet: &str) -> Vec<calamine::Dimensions> {
        self.merge_cells_by_sheet_name(sheet).unwrap_or_default()
    }
}

impl<RS: std::io::Read + std::io::Seek> Extras for calamine::Ods<RS> {}

/// Reads every sheet. Formula cells keep their saved value; a formula with
/// no saved value becomes an error value that names the formula. A merged
/// range repeats its top-left value in every cell it covers.
fn read_book<'a, R>(mut book: R, limits: &Limits) -> Result<Vec<Sheet>, FileError>
where
    R: Reader<Cursor<&'a [u8]>> + Extras,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    if names.len() > limits.max_sheets {
        return Err(FileError::new(format!(
            "The file has {} sheets; at most {} are accepted",
            names.len(),
            limits.max_sheets
        )));
    }
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let range = book.worksheet_range(&name).map_err(unreadable)?;
        let formulas = book.worksheet_formula(&name).ok();
        let merged = book.merged(&name);
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (offset, cells) in range.rows().enumerate() {
            let abs_row = first_row + offset as u32;
            let mut row = Row {
                number: abs_row as usize + 1,
                cells: Vec::with_capacity(first_col as usize + cells.len()),
            };
            row.cells.resize(first_col as usize, Cell::Empty);
            for (c, data) in cells.iter().enumerate() {
                let abs = (abs_row, first_col + c as u32);
                let mut cell = cell_from_calamine(data);
                if cell == Cell::Empty {
                    if let Some(region) = merged.iter().find(|m| m.start != abs && contains(m, abs))
                    {
                        cell = range
                            .get_value(region.start)
                            .map(cell_from_calamine)
                            .unwrap_or(Cell::Empty);
                    } else if let Some(f) = formulas
                        .as_ref()
                        .and_then(|f| f.get_value(abs))
                        .filter(|f| !f.is_empty())
                    {
                        cell = Cell::Error(format!(
                            "a formula with no saved value (={f}): type the value instead"
                        ));
                    }
                }
                row.cells.push(cell);
            }
            // Blank rows are dropped: row numbers stay those of the file.
            if row.is_blank() {
                continue;
            }
            if rows.len() > limits.max_rows {
                return Err(safety::too_many_rows(limits));
            }
            trim_trailing_empty(&mut row.cells);
            rows.push(row);
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

fn contains(region: &calamine::Dimensions, (row, col): (u32, u32)) -> bool {
    (region.start.0..=region.end.0).contains(&row) && (region.start.1..=region.end.1).contains(&col)
}

fn trim_trailing_empty(cells: &mut Vec<Cell>) {
    while cells.last().is_some_and(|c| *c == Cell::Empty) {
        cells.pop();
    }
}

fn cell_from_calamine(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
            Some(v) if v.time() == chrono::NaiveTime::MIN => Cell::Date(v.date()),
            Some(v) => Cell::DateTime(v),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => {
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Cell::Date(d)
            } else if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
                Cell::DateTime(dt)
            } else {
                Cell::Text(s.clone())
            }
        }
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// CSV: UTF-8 (with or without a byte-order mark), or Windows-1252 as Excel
/// on Windows saves it. Every field is text.
fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Sheet, FileError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            FileError::new(format!("Row {} could not be read as CSV: {e}", index + 1))
        })?;
        if record.len() > limits.max_columns {
            return Err(FileError::new(format!(
                "Row {} has {} columns; at most {} are accepted",
                index + 1,
                record.len(),
                limits.max_columns
            )));
        }
        let mut cells: Vec<Cell> = record
            .iter()
            .map(|f| {
                if f.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(f.to_string())
                }
            })
            .collect();
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        if rows.len() > limits.max_rows {
            return Err(safety::too_many_rows(limits));
        }
        trim_trailing_empty(&mut cells);
        rows.push(Row {
            number: index + 1,
            cells,
        });
    }
    Ok(Sheet {
        name: "CSV".into(),
        rows,
    })
}

fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

/// Windows-1252 to Unicode: Latin-1 except 0x80-0x9F, where the common
/// punctuation (curly quotes, dashes, the pound's neighbours) lives.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{FFFD}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{FFFD}',
        '\u{017D}', '\u{FFFD}', '\u{FFFD}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{FFFD}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_a_cell_are_dropped_but_line_breaks_kept() {
        let cell = Cell::Text(" Two beds\u{0}\u{b} free\nfrom Monday ".into());
        assert_eq!(cell.text().as_deref(), Some("Two beds free\nfrom Monday"));
    }

    #[test]
    fn detects_formats_by_extension_and_content() {
        assert_eq!(Format::detect("a.csv", b"URN,Name\n").unwrap(), Format::Csv);
        assert_eq!(
            Format::detect("a.XLSX", b"PK\x03\x04rest").unwrap(),
            Format::Xlsx
        );
        assert!(
            Format::detect("a.xlsx", b"URN,Name").is_err(),
            "text named .xlsx"
        );
        assert!(
            Format::detect("a.csv", b"PK\x03\x04").is_err(),
            "zip named .csv"
        );
        assert!(Format::detect("a.exe", b"MZ").is_err());
        assert!(Format::detect("a.csv", b"").is_err());
        assert!(Format::detect("noextension", b"x").is_err());
    }

    #[test]
    fn csv_rows_keep_file_numbers_and_skip_blanks() {
        let sheet = read_csv(b"\xEF\xBB\xBFa,b\n,,\n\nc, d \n", &Limits::default()).unwrap();
        let numbers: Vec<usize> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![1, 3]);
        assert_eq!(sheet.rows[1].cell(1).text().as_deref(), Some("d"));
    }

    #[test]
    fn csv_in_windows_1252_decodes() {
        let sheet = read_csv(b"Children\x92s home,\xA3120\n", &Limits::default()).unwrap();
        assert_eq!(
            sheet.rows[0].cell(0).text().as_deref(),
            Some("Children\u{2019}s home")
        );
        assert_eq!(sheet.rows[0].cell(1).text().as_deref(), Some("\u{a3}120"));
    }

    #[test]
    fn csv_row_cap_counts_non_blank_rows_after_the_heading() {
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let mut body = String::from("a\nb\n");
        body.push_str(&"\n".repeat(100_000));
        assert_eq!(read_csv(body.as_bytes(), &limits).unwrap().rows.len(), 2);
        assert_eq!(read_csv(b"h\na\nb\n", &limits).unwrap().rows.len(), 3);
        assert!(read_csv(b"h\na\nb\nc\n", &limits).is_err());
    }

    #[test]
    fn numbers_read_as_text_without_decimal_point() {
        assert_eq!(Cell::Number(2638338.0).text().as_deref(), Some("2638338"));
        assert_eq!(Cell::Text(" NULL ".into()).text(), None);
    }
}
