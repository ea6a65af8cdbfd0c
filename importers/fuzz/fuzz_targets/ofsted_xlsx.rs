//! An Ofsted file as XLSX: `ofsted::parse` runs `safety::check_xlsx` before
//! calamine, as the application's parser process does. calamine aborting
//! (or asking for more memory than `-rss_limit_mb`) on a file the check
//! let through is a finding.
#![no_main]

use importers::{Format, Limits, ofsted};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| {
    importers_fuzz::abort_only_on_uncaught_panics();
    let _ = ofsted::parse(data, Format::Xlsx, &Limits::default());
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    importers_fuzz::mutate(data, size, max_size, seed)
});
