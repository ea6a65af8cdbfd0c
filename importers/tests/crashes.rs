//! Inputs on which fuzzing (importers/fuzz) found a parser panicking,
//! minimised. Each must come back as a file error.

use std::path::PathBuf;

use importers::{Format, Limits, ofsted, returns};

fn crash(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/crashes")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// calamine 0.38's XLS reader indexes past the end of the file
/// (`cfb.rs` sector slicing; `utils::to_u32`'s length assertion).
#[test]
fn damaged_xls_files_are_file_errors() {
    for name in ["xls_sector_past_end.xls", "xls_odd_sector_table.xls"] {
        let bytes = crash(name);
        let error = ofsted::parse(&bytes, Format::Xls, &Limits::default()).unwrap_err();
        assert!(error.message.contains("damaged"), "{name}: {error}");
        assert!(returns::parse(&bytes, Format::Xls, &Limits::default()).is_err());
    }
}
