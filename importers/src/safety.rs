//! Checks a spreadsheet before calamine parses it (SECURITY.md item 19).
//! calamine aborts the process (not a panic) when a file makes it allocate
//! too much: a tiny XLSX with one cell at A1 and one at XFD1048576 asks for a
//! 17-billion-cell grid, a huge shared-string count preallocates, zip
//! entries can inflate a thousandfold, and an XLS whose sectors are chained
//! in a loop is read forever. These checks turn the known shapes of
//! that into a clear message; the sandboxed child process the application
//! parses in makes anything that slips past them harmless.

use std::collections::HashSet;
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::sheet::FileError;

mod cfb;

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
    let parts = CellParts::find(&mut archive, limits)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let budget = limits.max_uncompressed_bytes - total;
        let mut reader = LimitedReader::new(&mut entry, budget);
        if parts.contains(&name) {
            check_cells(&mut reader, limits, &name)?;
        }
        // Whatever the scan did not read still counts towards the budget.
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|_| too_big(limits))?;
        total += reader.read;
    }
    Ok(())
}

/// An XLS file is a compound file (MS-CFB) of sectors chained through a
/// sector table; calamine follows every chain to its end, so one that loops
/// would take all memory (`safety/cfb.rs`). What the sheets inside hold is not
/// checked: a record claiming a huge grid is left to the sandboxed parser
/// process, as the module's introduction says.
pub fn check_xls(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    if bytes.len() as u64 > limits.max_uncompressed_bytes {
        return Err(FileError::new("The file is too large"));
    }
    cfb::check(bytes)
}

/// calamine's ODS reader, and `crate::ods`, open exactly `content.xml` (zip
/// names compared as written), so no other spelling needs checking.
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

/// The parts of an XLSX a reader takes cells or shared strings from, found
/// the way readers find them rather than by their usual names: a sheet can
/// live anywhere the workbook's relationships point, and calamine looks parts
/// up in any case and with `\` for `/`. Every route counts, so a part that
/// any of them reaches is checked.
#[derive(Default)]
struct CellParts {
    /// Part names as [`part_name`] spells them.
    names: HashSet<String>,
    /// Extensions `[Content_Types].xml` gives a sheet's type by default.
    extensions: HashSet<String>,
}

impl CellParts {
    fn find(archive: &mut Archive<'_>, limits: &Limits) -> Result<CellParts, FileError> {
        let mut parts = CellParts::default();
        let mut budget = limits.max_uncompressed_bytes;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(zip_error)?;
            let name = part_name(&entry.name().map_err(zip_error)?);
            let mut reader = LimitedReader::new(&mut entry, budget);
            if name == "[content_types].xml" {
                parts.read_content_types(&mut reader)?;
            } else if name.ends_with(".rels") {
                parts.read_relationships(&mut reader, &name)?;
            }
            budget = budget.saturating_sub(reader.read);
        }
        Ok(parts)
    }

    fn contains(&self, entry_name: &str) -> bool {
        let name = part_name(entry_name);
        let extension = name.rsplit_once('.').map_or("", |(_, ext)| ext);
        self.names.contains(&name)
            || self.extensions.contains(extension)
            // The usual places, whatever the package says.
            || (name.starts_with("xl/worksheets/") && name.ends_with(".xml"))
            || name == "xl/sharedstrings.xml"
    }

    /// `<Override PartName=.. ContentType=..>` and `<Default Extension=..>`.
    fn read_content_types(&mut self, reader: &mut impl Read) -> Result<(), FileError> {
        for_each_element(reader, |e| {
            if !attribute_values(e, "ContentType")
                .iter()
                .any(|t| holds_cells(t))
            {
                return Ok(());
            }
            match e.local_name().as_ref() {
                "Override" => {
                    for name in attribute_values(e, "PartName") {
                        self.add(&name);
                    }
                }
                "Default" => {
                    for extension in attribute_values(e, "Extension") {
                        self.extensions.insert(extension.to_ascii_lowercase());
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// Any relationships part: a worksheet's or shared strings' target, and
    /// the folder of the workbook, where calamine reads `sharedStrings.xml`
    /// whatever the relationships say.
    fn read_relationships(&mut self, reader: &mut impl Read, rels: &str) -> Result<(), FileError> {
        // `xl/_rels/workbook.xml.rels` describes `xl/workbook.xml`: targets
        // are relative to `xl/`.
        let base = folder(rels).strip_suffix("_rels/").unwrap_or(folder(rels));
        for_each_element(reader, |e| {
            if e.local_name().as_ref() != "Relationship" {
                return Ok(());
            }
            for kind in attribute_values(e, "Type") {
                for target in attribute_values(e, "Target") {
                    // calamine: `/xl/..` is from the package root, anything else from `base`.
                    let part = match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_string(),
                        None => format!("{base}{target}"),
                    };
                    if holds_cells(&kind) {
                        self.add(&part);
                    } else if kind.to_ascii_lowercase().ends_with("/officedocument") {
                        self.add(&format!("{}sharedStrings.xml", folder(&part)));
                    }
                }
            }
            Ok(())
        })
    }

    fn add(&mut self, name: &str) {
        self.names.insert(part_name(name));
    }
}

/// Whether a content type or relationship type is a sheet's or shared
/// strings': worksheet, chartsheet, dialogsheet, macro sheets
/// (`xlMacrosheet`), `sharedStrings`, each as `...+xml` or `.../...`.
fn holds_cells(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    let kind = kind.strip_suffix("+xml").unwrap_or(&kind);
    kind.ends_with("sheet") || kind.ends_with("sharedstrings")
}

/// A part name as calamine looks one up in the zip: lower case, `\` read as
/// `/`, and (as OPC part names begin) without a leading `/`.
fn part_name(name: &str) -> String {
    name.replace('\\', "/")
        .trim_start_matches('/')
        .to_ascii_lowercase()
}

/// `xl/worksheets/sheet1.xml` -> `xl/worksheets/`.
fn folder(path: &str) -> &str {
    &path[..path.rfind('/').map_or(0, |i| i + 1)]
}

fn for_each_element(
    reader: &mut impl Read,
    mut each: impl FnMut(&BytesStart<'_>) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => each(&e)?,
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
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

/// Rows a spreadsheet can have. calamine keeps row numbers in 32 bits, so
/// a larger one overflows.
const SPREADSHEET_MAX_ROWS: u64 = 1_048_576;

/// Scans a part a reader takes cells or shared strings from. Finds the
/// furthest row and column any cell claims, placing cells as calamine does,
/// and refuses sheets whose grid would be too large to allocate; refuses the
/// counts and indexes calamine allocates by before reading what they count.
fn check_cells(reader: &mut impl Read, limits: &Limits, name: &str) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    let (mut max_row, mut max_col) = (0u64, 0u64);
    // calamine's place for a cell without a reference: the row element's
    // number (a cell's reference does not change it), the column after the
    // last cell's.
    let (mut row, mut col) = (0u64, 0u64);
    // Rows holding a value: a million of them is refused here, before the
    // reader builds them all in memory.
    let (mut rows_with_values, mut row_has_value) = (0u64, false);
    loop {
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => {
                match e.local_name().as_ref() {
                    "row" => {
                        row = references(&e)
                            .map(|(r, _)| r)
                            .max()
                            .unwrap_or(row.saturating_add(1));
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
                        col = col.saturating_add(1);
                        // A reference given twice is checked at both.
                        for (r, c) in references(&e) {
                            max_row = max_row.max(r);
                            col = c;
                            max_col = max_col.max(c);
                        }
                        max_row = max_row.max(row);
                        max_col = max_col.max(col);
                    }
                    // calamine reserves room for every string the count claims.
                    "sst" => {
                        let mut counts = numbers(&e, "count").chain(numbers(&e, "uniqueCount"));
                        if counts.any(|n| n > limits.max_shared_strings) {
                            return Err(FileError::new(
                                "The spreadsheet claims more text values than this service accepts and was not opened",
                            ));
                        }
                    }
                    _ => {}
                }
                // calamine sizes its table of shared formulas by the largest
                // index any cell's child element names.
                if let Some(index) = numbers(&e, "si").max()
                    && index > limits.max_cells
                {
                    return Err(FileError::new(format!(
                        "A formula in {} is damaged (shared formula {index}). Save the file again from your spreadsheet program",
                        label(name)
                    )));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        check_area(max_row, max_col, limits, name)?;
    }
    Ok(())
}

fn check_area(rows: u64, cols: u64, limits: &Limits, name: &str) -> Result<(), FileError> {
    let sheet = label(name);
    if rows > SPREADSHEET_MAX_ROWS {
        return Err(FileError::new(format!(
            "{sheet} has a row numbered {rows}, beyond the last row a spreadsheet can have. Save the file again from your spreadsheet program"
        )));
    }
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

/// `xl/worksheets/sheet1.xml` -> `sheet1`.
fn label(name: &str) -> &str {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
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
                    if ods_cell_has_content(e, matches!(event, Event::Start(_))) {
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

/// Whether calamine keeps a cell: one with a value (`office:value-type`,
/// `office:value`, ...), a formula, or child elements (text, which
/// `crate::ods::type_text_cells` types before calamine reads it).
fn ods_cell_has_content(e: &BytesStart<'_>, has_children: bool) -> bool {
    has_children
        || attributes(e)
            .iter()
            .any(|(key, _)| key.starts_with("office:") || *key == "table:formula")
}

fn repeat(e: &BytesStart<'_>, key: &str) -> u64 {
    numbers(e, key).max().unwrap_or(1).max(1)
}

/// The element's attributes, read the way calamine reads them (its own
/// lenient scanner, not quick-xml's) so that a file cannot show this check
/// one value and calamine another. Stops at a malformed one, where calamine
/// gives up on the file.
fn attributes<'a>(e: &'a BytesStart<'_>) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    let mut rest = e.attributes_raw();
    loop {
        rest = rest.trim_ascii_start();
        let Some((key, value)) = rest.split_once('=') else {
            break;
        };
        let value = value.trim_ascii_start();
        let Some(quote) = value.chars().next().filter(|&q| q == '"' || q == '\'') else {
            break;
        };
        let (value, after) = value[1..].split_once(quote).unwrap_or((&value[1..], ""));
        found.push((key.trim_ascii_end(), value));
        rest = after;
    }
    found
}

/// Every value `key` is given, as written and unescaped: calamine unescapes
/// some attributes and not others, and a key given twice counts twice.
fn attribute_values(e: &BytesStart<'_>, key: &str) -> Vec<String> {
    let mut values = Vec::new();
    if !e.attributes_raw().contains(key) {
        return values;
    }
    for (_, value) in attributes(e).into_iter().filter(|(k, _)| *k == key) {
        values.push(value.to_string());
        if let Ok(unescaped) = quick_xml::escape::unescape(value)
            && unescaped != value
        {
            values.push(unescaped.into_owned());
        }
    }
    values
}

fn numbers(e: &BytesStart<'_>, key: &str) -> impl Iterator<Item = u64> {
    attribute_values(e, key)
        .into_iter()
        .filter_map(|v| number(&v))
}

/// A cell's (or a row's) `r` attributes, read as [`reference`] reads them.
fn references(e: &BytesStart<'_>) -> impl Iterator<Item = (u64, u64)> {
    attribute_values(e, "r")
        .into_iter()
        .filter_map(|v| reference(&v))
}

/// Digits, with an optional `+` (as Rust and calamine parse counts); a huge
/// number saturates rather than failing, so it is refused, not ignored.
fn number(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// A reference as calamine reads one: letters (the column, however many)
/// then digits (the row). `XFD1048576` -> (1048576, 16384); a row's `7` ->
/// (7, 0). 1-based.
fn reference(text: &str) -> Option<(u64, u64)> {
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(26)
            .saturating_add(u64::from(b.to_ascii_uppercase() - b'A' + 1))
    });
    Some((number(digits)?, col))
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
    use std::io::Write;

    use super::*;

    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
    const SHEET_TYPE: &str =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
    const SST_TYPE: &str =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml";
    const FAR_CELL: &str = r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#;
    const HUGE_SST: &str = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#;

    /// A zip holding the given parts.
    fn zip(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn content_types(overrides: &[(&str, &str)]) -> String {
        let overrides: String = overrides
            .iter()
            .map(|(part, kind)| format!(r#"<Override PartName="{part}" ContentType="{kind}"/>"#))
            .collect();
        format!(
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>"#
        )
    }

    /// Relationships of the given types (`worksheet`, ...) to the given targets.
    fn relationships(targets: &[(&str, &str)]) -> String {
        let rels: String = targets
            .iter()
            .enumerate()
            .map(|(i, (kind, target))| {
                format!(
                    r#"<Relationship Id="rId{}" Type="{REL}{kind}" Target="{target}"/>"#,
                    i + 1
                )
            })
            .collect();
        format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        )
    }

    fn workbook() -> String {
        format!(
            r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            REL.trim_end_matches('/')
        )
    }

    fn sheet(rows: &str) -> String {
        format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
        )
    }

    /// A workbook at `xl/workbook.xml` whose one sheet is the part `part`,
    /// reached from the workbook by the relationship target `target`.
    fn xlsx(target: &str, part: &str, rows: &str) -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", &content_types(&[])),
            (
                "_rels/.rels",
                &relationships(&[("officeDocument", "xl/workbook.xml")]),
            ),
            ("xl/workbook.xml", &workbook()),
            (
                "xl/_rels/workbook.xml.rels",
                &relationships(&[("worksheet", target)]),
            ),
            (part, &sheet(rows)),
        ])
    }

    fn refused(bytes: &[u8]) -> bool {
        check_xlsx(bytes, &Limits::default()).is_err()
    }

    #[test]
    fn references_parse_as_calamine_reads_them() {
        assert_eq!(reference("A1"), Some((1, 1)));
        assert_eq!(reference("xfd1048576"), Some((1_048_576, 16_384)));
        assert_eq!(reference("AAAA1"), Some((1, 18_279)));
        assert_eq!(reference("7"), Some((7, 0)));
        assert_eq!(reference("1A"), None);
        assert_eq!(reference("$A$1"), None);
        assert_eq!(
            reference("ZZZZZZZZZZZZZZZZ99999999999999999999"),
            Some((u64::MAX, u64::MAX))
        );
    }

    #[test]
    fn attributes_are_read_as_calamine_reads_them() {
        let e = BytesStart::from_content(r#"c r = 'A1' s="1" r="B&amp;2" x"#, 1);
        assert_eq!(
            attributes(&e),
            vec![("r", "A1"), ("s", "1"), ("r", "B&amp;2")]
        );
        assert_eq!(attribute_values(&e, "r"), vec!["A1", "B&amp;2", "B&2"]);
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

    #[test]
    fn a_normal_workbook_passes_and_a_far_cell_is_refused() {
        let small = r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>"#;
        let part = "xl/worksheets/sheet1.xml";
        assert!(!refused(&xlsx("worksheets/sheet1.xml", part, small)));
        assert!(refused(&xlsx("worksheets/sheet1.xml", part, FAR_CELL)));
    }

    #[test]
    fn a_sheet_anywhere_the_relationships_point_is_checked() {
        assert!(refused(&xlsx("data/s1.xml", "xl/data/s1.xml", FAR_CELL)));
        assert!(refused(&xlsx(
            "/xl/data/s1.xml",
            "xl/data/s1.xml",
            FAR_CELL
        )));
        // No extension at all: calamine opens whatever the target names.
        assert!(refused(&xlsx("data/s1", "xl/data/s1", FAR_CELL)));
    }

    #[test]
    fn a_sheet_is_checked_whatever_the_case_or_slashes_of_its_name() {
        // calamine finds `worksheets/sheet1.xml` as any of these.
        for part in [
            "xl/worksheets/sheet1.XML",
            "XL/Worksheets/Sheet1.xml",
            "xl\\worksheets\\sheet1.xml",
        ] {
            assert!(
                refused(&xlsx("worksheets/sheet1.xml", part, FAR_CELL)),
                "{part}"
            );
        }
    }

    #[test]
    fn a_sheet_named_only_by_its_content_type_is_checked() {
        let file = zip(&[
            (
                "[Content_Types].xml",
                &content_types(&[("/xl/other/s2.xml", SHEET_TYPE)]),
            ),
            ("xl/other/s2.xml", &sheet(FAR_CELL)),
        ]);
        assert!(refused(&file));
        let by_extension = zip(&[
            (
                "[Content_Types].xml",
                &format!(r#"<Types><Default Extension="bin" ContentType="{SHEET_TYPE}"/></Types>"#),
            ),
            ("xl/other/s2.BIN", &sheet(FAR_CELL)),
        ]);
        assert!(refused(&by_extension));
    }

    #[test]
    fn shared_strings_moved_elsewhere_are_checked() {
        let small = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        let by_relationship = zip(&[
            (
                "_rels/.rels",
                &relationships(&[("officeDocument", "xl/workbook.xml")]),
            ),
            ("xl/workbook.xml", &workbook()),
            (
                "xl/_rels/workbook.xml.rels",
                &relationships(&[
                    ("worksheet", "worksheets/sheet1.xml"),
                    ("sharedStrings", "strings/ss.xml"),
                ]),
            ),
            ("xl/worksheets/sheet1.xml", &sheet(small)),
            ("xl/strings/ss.xml", HUGE_SST),
        ]);
        assert!(refused(&by_relationship));
        let by_content_type = zip(&[
            (
                "[Content_Types].xml",
                &content_types(&[("/xl/strings/ss.xml", SST_TYPE)]),
            ),
            ("xl/strings/ss.xml", HUGE_SST),
        ]);
        assert!(refused(&by_content_type));
        // calamine reads `sharedStrings.xml` next to the workbook in any case.
        let in_capitals = zip(&[
            (
                "_rels/.rels",
                &relationships(&[("officeDocument", "xl/workbook.xml")]),
            ),
            ("xl/SHAREDSTRINGS.XML", HUGE_SST),
        ]);
        assert!(refused(&in_capitals));
    }

    #[test]
    fn a_workbook_moved_elsewhere_has_its_parts_checked() {
        let moved = |sheet_rows: &str, strings: &str| {
            zip(&[
                (
                    "_rels/.rels",
                    &relationships(&[("officeDocument", "/book/wb.xml")]),
                ),
                ("book/wb.xml", &workbook()),
                (
                    "book/_rels/wb.xml.rels",
                    &relationships(&[("worksheet", "s.xml")]),
                ),
                ("book/s.xml", &sheet(sheet_rows)),
                // No relationship names it: calamine looks here anyway.
                ("book/sharedStrings.xml", strings),
            ])
        };
        let fine = r#"<sst count="1" uniqueCount="1"><si><t>x</t></si></sst>"#;
        assert!(!refused(&moved(
            r#"<row r="1"><c r="A1"><v>1</v></c></row>"#,
            fine
        )));
        assert!(refused(&moved(FAR_CELL, fine)));
        assert!(refused(&moved("", HUGE_SST)));
    }

    #[test]
    fn cells_are_placed_as_calamine_places_them() {
        let part = "xl/worksheets/sheet1.xml";
        let hostile = [
            // A four-letter column: 18,279 columns.
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="AAAA1048576"><v>1</v></c></row>"#,
            // calamine reads a row number written like a cell reference.
            r#"<row r="1"><c r="SR1"><v>1</v></c></row><row r="A1048576"><c><v>1</v></c></row>"#,
            // The second of two references is the one calamine uses.
            r#"<row r="1"><c r="A1"><v>1</v></c><c r="A1" r="XFD1048576"><v>1</v></c></row>"#,
            // A row number past the last row overflows calamine's.
            r#"<row r="99999999999"/>"#,
        ];
        for rows in hostile {
            assert!(
                refused(&xlsx("worksheets/sheet1.xml", part, rows)),
                "{rows}"
            );
        }
    }

    #[test]
    fn a_huge_shared_formula_index_is_refused() {
        let rows = r#"<row r="1"><c r="A1"><f t="shared" si="4000000000" ref="A1:A2">1+1</f><v>2</v></c></row>"#;
        let file = xlsx("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", rows);
        assert!(refused(&file));
    }

    /// An ODS whose content is the part `name`.
    fn ods_named(name: &str, content: &str) -> Vec<u8> {
        zip(&[
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            (
                "META-INF/manifest.xml",
                r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>"#,
            ),
            (name, content),
        ])
    }

    fn ods(content: &str) -> Vec<u8> {
        ods_named("content.xml", content)
    }

    fn ods_content(rows: &str) -> String {
        format!(
            r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        )
    }

    #[test]
    fn ods_cells_with_a_formula_or_text_but_no_type_count_as_content() {
        let limits = Limits::default();
        for cell in [
            r#"<table:table-cell table:formula="of:=1" table:number-columns-repeated="16384"/>"#,
            r#"<table:table-cell table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell>"#,
        ] {
            let rows = format!(
                r#"<table:table-row table:number-rows-repeated="5000">{cell}</table:table-row>"#
            );
            assert!(
                check_ods(&ods(&ods_content(&rows)), &limits).is_err(),
                "{cell}"
            );
        }
        // LibreOffice's padding: empty, styled cells repeated to the sheet's edge.
        let padding = r#"<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:style-name="ce1" table:number-columns-repeated="16384"/></table:table-row>"#;
        assert!(check_ods(&ods(&ods_content(padding)), &limits).is_ok());
    }

    #[test]
    fn ods_content_is_read_only_under_its_exact_name() {
        // If calamine ever opened `Content.xml`, check_ods would need to check it too.
        let content = ods_content(
            r#"<table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#,
        );
        let exact = ods(&content);
        crate::sheet::read(&exact, crate::Format::Ods, &Limits::default()).unwrap();
        let capitalised = ods_named("Content.xml", &content);
        assert!(crate::sheet::read(&capitalised, crate::Format::Ods, &Limits::default()).is_err());
    }
}
