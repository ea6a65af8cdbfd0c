//! An Ofsted file as XLS (the old binary format): no pre-scan beyond a size
//! cap, so this tests calamine's XLS reader as the application uses it.
#![no_main]

use importers::{Format, Limits, ofsted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    importers_fuzz::abort_only_on_uncaught_panics();
    let _ = ofsted::parse(data, Format::Xls, &Limits::default());
});
