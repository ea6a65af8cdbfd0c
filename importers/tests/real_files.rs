//! Ofsted's real published files (../shared/data/ofsted): every valid row
//! parses. Under CI the files must be present; elsewhere their absence skips
//! these tests with a message.

use std::path::PathBuf;

use importers::ofsted::{self, Layout};
use importers::{Format, Limits};

fn shared_file(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ofsted")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{} is required under CI: {e}", path.display())
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found (set up ../shared to run)",
                path.display()
            );
            None
        }
    }
}

fn parse_real(name: &str, layout: Layout, min_rows: usize) {
    let Some(bytes) = shared_file(name) else {
        return;
    };
    let file = ofsted::parse(&bytes, Format::Csv, &Limits::default()).unwrap();
    assert_eq!(file.layout, layout);
    assert_eq!(file.header_row, 4);
    assert!(
        file.errors.is_empty(),
        "rejected rows: {:#?}",
        &file.errors[..file.errors.len().min(10)]
    );
    assert!(
        file.settings.len() >= min_rows,
        "only {} rows",
        file.settings.len()
    );
}

#[test]
fn providers_at_31_march_2023_parses_without_rejections() {
    parse_real(
        "providers_at_31_march_2023.csv",
        Layout::ProvidersAtDate,
        3_500,
    );
}

#[test]
fn inspections_2022_23_parses_without_rejections() {
    parse_real("inspections_2022_23.csv", Layout::InspectionsInYear, 3_700);
}

#[test]
fn inspections_2023_24_parses_without_rejections() {
    parse_real("inspections_2023_24.csv", Layout::InspectionsInYear, 4_100);
}

#[test]
fn leavers_joiners_at_31_march_2025_parses_without_rejections() {
    parse_real(
        "leavers_joiners_at_31_march_2025.csv",
        Layout::LeaversJoiners,
        1_529,
    );
}

#[test]
fn every_published_file_says_which_date_it_describes() {
    use chrono::NaiveDate;
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for (name, expected) in [
        ("providers_at_31_march_2023.csv", date(2023, 3, 31)),
        ("leavers_joiners_at_31_march_2025.csv", date(2025, 3, 31)),
    ] {
        let Some(bytes) = shared_file(name) else {
            return;
        };
        let file = ofsted::parse(&bytes, Format::Csv, &Limits::default()).unwrap();
        assert_eq!(file.as_at, expected, "{name}");
    }
    // An inspections-in-year file is dated by the latest inspection in it.
    for (name, year_end) in [
        ("inspections_2022_23.csv", date(2023, 3, 31)),
        ("inspections_2023_24.csv", date(2024, 3, 31)),
    ] {
        let Some(bytes) = shared_file(name) else {
            return;
        };
        let file = ofsted::parse(&bytes, Format::Csv, &Limits::default()).unwrap();
        assert!(
            file.as_at <= year_end && file.as_at > year_end - chrono::Duration::days(31),
            "{name}: {}",
            file.as_at
        );
    }
}
