//! ODS files whose cells carry text but no `office:value-type`, as odfpy and
//! other simple generators write them. LibreOffice shows such a cell's text;
//! calamine reads it as empty. Before calamine sees the file, each such cell
//! is marked `office:value-type="string"`, which is how LibreOffice reads it.
//! Files that need nothing are passed on untouched.

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};

use quick_xml::events::{BytesStart, Event};

use crate::sheet::FileError;

const CONTENT: &str = "content.xml";
const CELL: &str = "table:table-cell";
const VALUE_TYPE: &str = "office:value-type";

/// The file with its untyped text cells typed as text; the same bytes when
/// there are none. Call it after `safety::check_ods`, which bounds what
/// reading `content.xml` can cost.
pub fn type_text_cells(bytes: &[u8]) -> Result<Cow<'_, [u8]>, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut content = String::new();
    match archive.by_name(CONTENT) {
        Ok(mut entry) => {
            entry.read_to_string(&mut content).map_err(unreadable)?;
        }
        Err(_) => return Ok(Cow::Borrowed(bytes)),
    }
    let Some(typed) = typed_content(&content)? else {
        return Ok(Cow::Borrowed(bytes));
    };
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        if entry.name().map_err(unreadable)? == CONTENT {
            drop(entry);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            out.start_file(CONTENT, options).map_err(unreadable)?;
            out.write_all(typed.as_bytes()).map_err(unreadable)?;
        } else {
            out.raw_copy_file(entry).map_err(unreadable)?;
        }
    }
    let written = out.finish().map_err(unreadable)?;
    Ok(Cow::Owned(written.into_inner()))
}

/// `content.xml` with every untyped cell that holds text typed as a string,
/// or `None` when no cell needed it.
fn typed_content(xml: &str) -> Result<Option<String>, FileError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len() + 1024));
    let mut changed = false;
    loop {
        let event = reader.read_event().map_err(unreadable)?;
        match event {
            Event::Eof => break,
            Event::Start(start) if start.name().as_ref() == CELL && !has_value_type(&start) => {
                // Hold the cell's events until its end to see if it has text.
                let mut inner = Vec::new();
                let mut depth = 0usize;
                let mut has_text = false;
                loop {
                    let event = reader.read_event().map_err(unreadable)?;
                    match &event {
                        Event::Eof => return Err(unreadable("the file ends inside a cell")),
                        Event::Start(e) if e.name().as_ref() == CELL => depth += 1,
                        Event::End(e) if e.name().as_ref() == CELL => {
                            if depth == 0 {
                                break;
                            }
                            depth -= 1;
                        }
                        Event::Text(t) if !t.as_ref().trim().is_empty() => has_text = true,
                        Event::GeneralRef(_) => has_text = true,
                        _ => {}
                    }
                    inner.push(event);
                }
                let mut start = start.into_owned();
                if has_text {
                    start.push_attribute(("office:value-type", "string"));
                    changed = true;
                }
                write(&mut writer, Event::Start(start.borrow()))?;
                for event in inner {
                    write(&mut writer, event)?;
                }
                write(&mut writer, Event::End(start.to_end()))?;
            }
            event => write(&mut writer, event)?,
        }
    }
    if !changed {
        return Ok(None);
    }
    String::from_utf8(writer.into_inner())
        .map(Some)
        .map_err(unreadable)
}

fn has_value_type(start: &BytesStart<'_>) -> bool {
    start
        .attributes()
        .flatten()
        .any(|a| a.key.as_ref() == VALUE_TYPE)
}

fn write(writer: &mut quick_xml::Writer<Vec<u8>>, event: Event<'_>) -> Result<(), FileError> {
    writer.write_event(event).map_err(unreadable)
}

fn unreadable(err: impl std::fmt::Display) -> FileError {
    FileError::new(format!(
        "The file could not be read as an ODS spreadsheet ({err}). Save it again from your spreadsheet program and try again"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_without_a_type_are_typed_and_others_kept() {
        let xml = r#"<table:table-row><table:table-cell><text:p>URN</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell/><table:table-cell table:number-columns-repeated="5"><text:p/></table:table-cell><table:table-cell><text:p>Smith &amp; Co</text:p></table:table-cell></table:table-row>"#;
        let typed = typed_content(xml).unwrap().unwrap();
        assert_eq!(
            typed,
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>URN</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell/><table:table-cell table:number-columns-repeated="5"><text:p/></table:table-cell><table:table-cell office:value-type="string"><text:p>Smith &amp; Co</text:p></table:table-cell></table:table-row>"#
        );
        let plain =
            r#"<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>"#;
        assert_eq!(typed_content(plain).unwrap(), None);
    }

    #[test]
    fn broken_xml_is_a_file_error() {
        assert!(typed_content("<table:table-cell><text:p>x</text:p>").is_err());
        assert!(type_text_cells(b"not a zip").is_err());
    }
}
