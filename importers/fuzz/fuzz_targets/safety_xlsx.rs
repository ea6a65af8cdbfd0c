//! The XLSX pre-scan alone: fast, so many more executions than through calamine.
#![no_main]

use importers::{Limits, safety};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| {
    let _ = safety::check_xlsx(data, &Limits::default());
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    importers_fuzz::mutate(data, size, max_size, seed)
});
