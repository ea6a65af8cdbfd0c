//! A weekly vacancy return in any format, with the limits uploads use.
#![no_main]

use importers::{Limits, returns};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| {
    importers_fuzz::abort_only_on_uncaught_panics();
    let limits = Limits {
        max_rows: 5_000,
        ..Limits::default()
    };
    let _ = returns::parse(data, importers_fuzz::format_of(data), &limits);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    importers_fuzz::mutate(data, size, max_size, seed)
});
