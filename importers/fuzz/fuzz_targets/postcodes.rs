//! A postcode or postcode-district table (CSV, read as a stream).
#![no_main]

use importers::postcodes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = postcodes::read(data, |_| {});
});
