//! A weekly vacancy return in any format, with the limits uploads use.
#![no_main]

use importers::{Limits, returns};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

/// An XLS (compound file) begins so.
const XLS: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fuzz_target!(|data: &[u8]| {
    importers_fuzz::abort_only_on_uncaught_panics();
    // XLS is left to `ofsted_xls`, run by hand: calamine aborts on a cell
    // far from the others (docs/security.md, "Fuzzing"), which in the
    // service only the parser process's memory limit contains.
    if data.starts_with(&XLS) {
        return;
    }
    let limits = Limits {
        max_rows: 5_000,
        ..Limits::default()
    };
    let _ = returns::parse(data, importers_fuzz::format_of(data), &limits);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    importers_fuzz::mutate(data, size, max_size, seed)
});
