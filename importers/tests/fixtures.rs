//! Ofsted's files as other programs write them (tests/fixtures/ofsted,
//! made by make.py there from the real published files): every encoding and
//! format of one table reads to the same settings.

use std::path::PathBuf;

use chrono::NaiveDate;
use importers::ofsted::{self, DatedBy, Layout, Movement, OfstedFile};
use importers::vocab::RegistrationStatus;
use importers::{Format, Limits};

fn fixture(name: &str) -> OfstedFile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/ofsted")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let format = Format::detect(name, &bytes).unwrap();
    ofsted::parse(&bytes, format, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_leavers_and_joiners_table_reads_alike_in_every_encoding_and_format() {
    let csv = fixture("leavers_joiners_slice.csv");
    assert_eq!(csv.layout, Layout::LeaversJoiners);
    assert_eq!(csv.as_at, NaiveDate::from_ymd_opt(2025, 3, 31).unwrap());
    assert_eq!(csv.dated_by, DatedBy::Title);
    assert!(csv.errors.is_empty(), "{:?}", csv.errors);
    assert_eq!(csv.settings.len(), 54);
    for other in [
        "leavers_joiners_slice_windows1252.csv",
        "leavers_joiners_slice.xlsx",
        "leavers_joiners_slice.ods",
    ] {
        let file = fixture(other);
        assert_eq!(file.layout, Layout::LeaversJoiners, "{other}");
        assert_eq!(file.as_at, csv.as_at, "{other}");
        assert_eq!(file.settings, csv.settings, "{other}");
    }
    // A leaver of the demo area: resigned on 17 October 2024.
    let leaver = csv
        .settings
        .iter()
        .find(|s| s.urn.as_str() == "SC068046")
        .unwrap();
    assert_eq!(leaver.movement, Some(Movement::Leaver));
    assert_eq!(
        leaver.registration_status,
        Some(RegistrationStatus::Resigned)
    );
    assert_eq!(
        leaver.registration_ended,
        NaiveDate::from_ymd_opt(2024, 10, 17)
    );
    // Every end-of-year status Ofsted uses is in the slice.
    for status in [
        RegistrationStatus::Active,
        RegistrationStatus::Resigned,
        RegistrationStatus::Closed,
        RegistrationStatus::Cancelled,
        RegistrationStatus::Suspended,
    ] {
        assert!(
            csv.settings
                .iter()
                .any(|s| s.registration_status == Some(status)),
            "{status:?}"
        );
    }
}

#[test]
fn provider_level_files_read_alike_with_or_without_bom_and_from_untyped_ods() {
    let bom = fixture("providers_slice_bom.csv");
    assert_eq!(bom.layout, Layout::ProvidersAtDate);
    assert_eq!(bom.as_at, NaiveDate::from_ymd_opt(2023, 3, 31).unwrap());
    assert_eq!(bom.settings.len(), 40);
    assert!(bom.errors.is_empty(), "{:?}", bom.errors);
    for other in ["providers_slice_no_bom.csv", "providers_untyped_cells.ods"] {
        let file = fixture(other);
        assert_eq!(file.as_at, bom.as_at, "{other}");
        assert_eq!(file.settings, bom.settings, "{other}");
    }
}
