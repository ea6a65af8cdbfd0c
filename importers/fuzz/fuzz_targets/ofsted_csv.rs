//! An Ofsted provider-level file as CSV.
#![no_main]

use importers::{Format, Limits, ofsted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ofsted::parse(data, Format::Csv, &Limits::default());
});
