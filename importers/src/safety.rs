//! Checks a spreadsheet before calamine parses it (SECURITY.md item 19).
//! calamine aborts the process (not a panic) when a file makes it allocate
//! too much: a tiny XLSX with one cell at A1 and one at XFD1048576 asks for a
//! 17-billion-cell grid, a huge shared-string count preallocates, and zip
//! entries can inflate a thousandfold. These checks turn the known shapes of
//! that into a clear message; the sandboxed child process the application
//! parses in makes anything that slips past them harmless.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::sheet::FileError;

/// Caps on what a file may contain. The defaults suit national Ofsted files;
/// uploads of returns use tighter row counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Non-blank rows per sheet besides the first (usually the heading row),
    /// so a limit of 5,000 admits a heading and 5,000 returns.
    pub max_rows: usize,
    pub max_columns: usize,
    /// Rows x columns of a sheet's used area: the grid calamine allocates.
    pub max_cells: u64,
    pub max_sheets: usize,
    pub max_zip_entries: usize,
    /// Sum of all entries' uncompressed sizes, both declared and actually read.
    pub max_uncompressed_bytes: u64,
    /// Uncompressed/compressed ratio above which a large entry is a bomb.
    pub max_compression_ratio: u64,
    pub max_shared_strings: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 200_000,
            max_columns: 512,
            max_cells: 5_000_000,
            max_sheets: 50,
            max_zip_entries: 2_000,
            max_uncompressed_bytes: 300 * 1024 * 1024,
            max_compression_ratio: 250,
            max_shared_strings: 2_000_000,
        }
    }
}

/// Ratio checks apply only to entries bigger than this: small XML parts
/// compress well legitimately.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

pub fn check_xlsx(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let mut archive = open_archive(bytes, limits)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let budget = limits.max_uncompressed_bytes - total;
        let mut reader = LimitedReader::new(&mut entry, budget);
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            check_worksheet(&mut reader, limits, &name)?;
        } else if name == "xl/sharedStrings.xml" {
            check_shared_strings(&mut reader, limits)?;
        }
        // Whatever the scan did not read still counts towards the budget.
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|_| too_big(limits))?;
        total += reader.read;
    }
    Ok(())
}

pub fn check_ods(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let mut archive = open_archive(bytes, limits)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let budget = limits.max_uncompressed_bytes - total;
        let mut reader = LimitedReader::new(&mut entry, budget);
        if name == "content.xml" {
            check_ods_content(&mut reader, limits)?;
        }
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|_| too_big(limits))?;
        total += reader.read;
    }
    Ok(())
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Reads the zip's central directory and refuses bombs by their declared shape.
fn open_archive<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Archive<'a>, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if archive.len() > limits.max_zip_entries {
        return Err(FileError::new(format!(
            "The file holds {} parts; a spreadsheet needs far fewer. It may be damaged or not a spreadsheet",
            archive.len()
        )));
    }
    let mut declared = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?;
        if name.split(['/', '\\']).any(|part| part == "..") || name.starts_with('/') {
            return Err(FileError::new(
                "The file contains unsafe part names and was not opened",
            ));
        }
        let size = entry.size();
        let compressed = entry.compressed_size().max(1);
        if size > RATIO_FLOOR_BYTES && size / compressed > limits.max_compression_ratio {
            return Err(FileError::new(
                "The file expands to far more than its size (a \"zip bomb\") and was not opened",
            ));
        }
        declared = declared.saturating_add(size);
        if declared > limits.max_uncompressed_bytes {
            return Err(too_big(limits));
        }
    }
    Ok(archive)
}

fn zip_error(err: zip::result::ZipError) -> FileError {
    FileError::new(format!(
        "The file could not be opened as a spreadsheet ({err}). Save it again from your spreadsheet program and try again"
    ))
}

fn too_big(limits: &Limits) -> FileError {
    FileError::new(format!(
        "The spreadsheet expands to more than {} MB and was not opened",
        limits.max_uncompressed_bytes / (1024 * 1024)
    ))
}

pub(crate) fn too_many_rows(limits: &Limits) -> FileError {
    FileError::new(format!(
        "The file has more than {} rows with data; split it into smaller files",
        limits.max_rows
    ))
}

fn xml_error(err: impl std::fmt::Display) -> FileError {
    FileError::new(format!("The spreadsheet's content is not valid ({err})"))
}

/// Finds the furthest row and column any cell claims, and refuses sheets
/// whose grid would be too large to allocate.
fn check_worksheet(reader: &mut impl Read, limits: &Limits, name: &str) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let (mut row, mut col) = (0u64, 0u64);
    // Rows holding a value: a million of them is refused here, before the
    // reader builds them all in memory.
    let (mut rows_with_values, mut row_has_value) = (0u64, false);
    loop {
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "row" => {
                    row = attribute(&e, "r")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(row + 1);
                    col = 0;
                    max_row = max_row.max(row);
                    row_has_value = false;
                }
                "v" | "is" | "f" if !row_has_value => {
                    row_has_value = true;
                    rows_with_values += 1;
                    if rows_with_values > limits.max_rows as u64 + 1 {
                        return Err(too_many_rows(limits));
                    }
                }
                "c" => {
                    match attribute(&e, "r").and_then(|r| cell_reference(&r)) {
                        Some((r, c)) => {
                            row = r;
                            col = c;
                        }
                        None => col += 1,
                    }
                    max_row = max_row.max(row);
                    max_col = max_col.max(col);
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        check_area(max_row, max_col, limits, name)?;
    }
    Ok(())
}

fn check_area(rows: u64, cols: u64, limits: &Limits, name: &str) -> Result<(), FileError> {
    let sheet = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".xml");
    if cols > limits.max_columns as u64 {
        return Err(FileError::new(format!(
            "A cell in {sheet} is in column {cols}; at most {} columns are accepted. Delete unused columns and save again",
            limits.max_columns
        )));
    }
    if rows.saturating_mul(cols) > limits.max_cells {
        return Err(FileError::new(format!(
            "{sheet} uses {rows} rows by {cols} columns, more than this service accepts. Delete unused rows and columns (even empty formatted ones) and save again"
        )));
    }
    Ok(())
}

fn check_shared_strings(reader: &mut impl Read, limits: &Limits) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                for key in ["count", "uniqueCount"] {
                    let claimed: u64 = attribute(&e, key).and_then(|v| v.parse().ok()).unwrap_or(0);
                    if claimed > limits.max_shared_strings {
                        return Err(FileError::new(
                            "The spreadsheet claims more text values than this service accepts and was not opened",
                        ));
                    }
                }
                return Ok(());
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// ODS repeats rows and cells by count; repeated empty rows are normal
/// (LibreOffice pads to the sheet's end), repeated content is what allocates.
fn check_ods_content(reader: &mut impl Read, limits: &Limits) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    let mut content_rows = 0u64;
    let mut max_cols = 0u64;
    let (mut row_repeats, mut row_cols, mut row_has_content) = (1u64, 0u64, false);
    let mut tables = 0usize;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" => {
                    tables += 1;
                    content_rows = 0;
                    max_cols = 0;
                }
                "table:table-row" => {
                    row_repeats = repeat(e, "table:number-rows-repeated");
                    row_cols = 0;
                    row_has_content = false;
                    if matches!(event, Event::Empty(_)) {
                        row_repeats = 1;
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let repeats = repeat(e, "table:number-columns-repeated");
                    row_cols = row_cols.saturating_add(repeats);
                    if attribute(e, "office:value-type").is_some() {
                        row_has_content = true;
                        max_cols = max_cols.max(row_cols);
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "table:table-row" && row_has_content => {
                content_rows = content_rows.saturating_add(row_repeats);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        if tables > limits.max_sheets {
            return Err(FileError::new(format!(
                "The file has more than {} sheets",
                limits.max_sheets
            )));
        }
        check_area(content_rows, max_cols, limits, "a sheet")?;
        if content_rows > limits.max_rows as u64 + 1 {
            return Err(too_many_rows(limits));
        }
    }
    Ok(())
}

fn repeat(e: &BytesStart<'_>, key: &str) -> u64 {
    attribute(e, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.into_owned())
}

/// `XFD1048576` -> (1048576, 16384). 1-based.
fn cell_reference(reference: &str) -> Option<(u64, u64)> {
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let col = letters.bytes().fold(0u64, |acc, b| {
        acc * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = digits.parse().ok()?;
    Some((row, col))
}

/// Counts what passes through and fails once more than the budget is read,
/// whatever the zip's directory declared.
struct LimitedReader<R> {
    inner: R,
    budget: u64,
    read: u64,
}

impl<R> LimitedReader<R> {
    fn new(inner: R, budget: u64) -> Self {
        LimitedReader {
            inner,
            budget,
            read: 0,
        }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.budget {
            return Err(std::io::Error::other("uncompressed size limit exceeded"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_parse() {
        assert_eq!(cell_reference("A1"), Some((1, 1)));
        assert_eq!(cell_reference("XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_reference("1A"), None);
        assert_eq!(cell_reference("ABCD1"), None);
    }

    #[test]
    fn area_cap_names_the_problem() {
        let limits = Limits::default();
        assert!(check_area(1_048_576, 16_384, &limits, "xl/worksheets/sheet1.xml").is_err());
        assert!(check_area(4_000, 60, &limits, "xl/worksheets/sheet1.xml").is_ok());
    }

    #[test]
    fn limited_reader_stops_at_budget() {
        let data = vec![0u8; 1000];
        let mut r = LimitedReader::new(&data[..], 10);
        assert!(std::io::copy(&mut r, &mut std::io::sink()).is_err());
    }
}
