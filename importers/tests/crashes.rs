//! Inputs on which fuzzing (importers/fuzz) found a parser panicking or
//! running out of memory, minimised. Each must come back as a file error.

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

/// calamine 0.38 follows a compound file's chain of sectors until it ends,
/// the directory's with no length limit (`cfb.rs`, `Sectors::get_chain`).
/// In this 528-byte file the sector table sends sector 0 back to itself and
/// the directory's chain runs into it: calamine appended sector 0 again and
/// again until the allocator aborted the process (the fuzz target `returns`,
/// `out-of-memory (malloc(2776629248))`). `safety::check_xls` refuses it first.
#[test]
fn an_xls_whose_sector_chain_loops_is_a_file_error() {
    let bytes = crash("xls_sector_chain_loop.xls");
    let limits = Limits {
        max_rows: 5_000,
        ..Limits::default()
    };
    let error = returns::parse(&bytes, Format::Xls, &limits).unwrap_err();
    assert!(error.message.contains("damaged"), "{error}");
    assert!(error.message.contains("loops back on itself"), "{error}");
    let error = ofsted::parse(&bytes, Format::Xls, &Limits::default()).unwrap_err();
    assert!(error.message.contains("loops back on itself"), "{error}");
}

/// The well-formed workbooks still read.
#[test]
fn xls_fixtures_still_read() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/returns/valid.xls");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = returns::parse(&bytes, Format::Xls, &Limits::default()).unwrap();
    assert!(!file.returns.is_empty());
}
