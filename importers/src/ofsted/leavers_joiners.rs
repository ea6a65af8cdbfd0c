//! The "Leavers and Joiners at 31 March" table Ofsted publishes beside the
//! provider-level one: one row per setting that registered or left during
//! the year. Its registration status comes twice, at the start and at the
//! end of the year (`Registration status (as at 1 April 2024)`, `... (as at
//! 31 March 2025)`); the end-of-year one is the fact, and the date a leaver
//! resigned, closed or was cancelled comes from the matching "First effective
//! date (that the provider ...)" column.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Address, DatedBy, OfstedFile, Says, Setting, WITHHELD, no_rows, title_date};
use crate::columns::{ColumnSpec, Fields, date_after_at, find_header, heading_key};
use crate::sheet::{FileError, Sheet};
use crate::vocab::{ProvisionType, RegistrationStatus, Sector, Urn};

/// Whether a setting joined, left, or both during the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Movement {
    Joiner,
    Leaver,
    JoinerAndLeaver,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Urn,
    ProvisionType,
    LocalAuthority,
    Sector,
    Places,
    ShortBreak,
    BecameActive,
    Resigned,
    Closed,
    Cancelled,
    Joiner,
    Leaver,
    Name,
}

fn specs() -> Vec<ColumnSpec<Col>> {
    let spec = |field, required, names: &[&str]| ColumnSpec {
        field,
        headings: names.iter().map(|n| heading_key(n)).collect(),
        required,
    };
    let effective = |what: &str| format!("First effective date (that the provider {what})");
    vec![
        spec(Col::Urn, true, &["URN"]),
        spec(Col::ProvisionType, true, &["Provision type"]),
        spec(Col::LocalAuthority, true, &["Local authority"]),
        spec(Col::Joiner, true, &["Joiner status"]),
        spec(Col::Leaver, true, &["Leaver status"]),
        spec(Col::Sector, false, &["Sector"]),
        spec(Col::Places, false, &["Places", "Number of places"]),
        spec(
            Col::ShortBreak,
            false,
            &["Short-break-only children's home"],
        ),
        spec(Col::BecameActive, false, &[&effective("became active")]),
        spec(Col::Resigned, false, &[&effective("became resigned")]),
        spec(
            Col::Closed,
            false,
            &[&effective("closed"), &effective("became closed")],
        ),
        spec(Col::Cancelled, false, &[&effective("became cancelled")]),
        spec(Col::Name, false, &["Setting name", "Name", "Provider name"]),
    ]
}

/// Reads the table if one of the sheets holds it; `None` if none does.
pub(super) fn parse(sheets: &[Sheet]) -> Result<Option<OfstedFile>, FileError> {
    let specs = specs();
    let Some((sheet, header)) = sheets
        .iter()
        .find_map(|s| find_header(s, &specs, 25).map(|h| (s, h)))
    else {
        return Ok(None);
    };
    // "Registration status (as at <date>)", twice: the later date is the end
    // of the year the table describes.
    let heading_row = sheet.rows.iter().find(|r| r.number == header.row_number);
    let status_at_end = heading_row
        .into_iter()
        .flat_map(|r| r.cells.iter().enumerate())
        .filter_map(|(index, cell)| {
            let text = cell.text()?;
            heading_key(&text)
                .starts_with("registration status as at")
                .then(|| date_after_at(&text).map(|date| (date, index, text)))
                .flatten()
        })
        .max_by_key(|(date, _, _)| *date);
    let Some((end_of_year, status_column, status_heading)) = status_at_end else {
        return Err(FileError::new(
            "This looks like Ofsted's leavers and joiners table, but it has no \
             'Registration status (as at <date>)' column to say where each setting ended the year",
        ));
    };
    let says = Says {
        sector: header.has(Col::Sector),
        places: header.has(Col::Places),
        short_break_only: header.has(Col::ShortBreak),
        multi_building: false,
    };
    let (as_at, dated_by) = (
        title_date(sheet, header.row_number).unwrap_or(end_of_year),
        DatedBy::Title,
    );
    let mut file = OfstedFile {
        layout: super::Layout::LeaversJoiners,
        sheet: sheet.name.clone(),
        header_row: header.row_number,
        as_at,
        dated_by,
        says,
        settings: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for row in sheet
        .rows
        .iter()
        .filter(|r| r.number > header.row_number && !r.is_blank())
    {
        let mut f = Fields::new(row, &header);
        let status = match row.cell(status_column).text() {
            None => None,
            Some(text) => match text.parse::<RegistrationStatus>() {
                Ok(status) => Some(status),
                Err(e) => {
                    f.errors.push(crate::RowError {
                        row: row.number,
                        column: Some(status_heading.clone()),
                        message: e.to_string(),
                    });
                    None
                }
            },
        };
        let setting = read_row(&mut f, status);
        file.warnings.append(&mut f.warnings);
        match setting {
            Some(s) if f.errors.is_empty() => file.settings.push(s),
            _ => file.errors.extend(f.errors),
        }
    }
    if file.settings.is_empty() && file.errors.is_empty() {
        return Err(no_rows(header.row_number));
    }
    Ok(Some(file))
}

fn read_row(f: &mut Fields<'_, Col>, status: Option<RegistrationStatus>) -> Option<Setting> {
    let urn = f.required(Col::Urn, "URN", str::parse::<Urn>);
    let provision_type = f.required(
        Col::ProvisionType,
        "provision type",
        str::parse::<ProvisionType>,
    );
    let local_authority = f.text(Col::LocalAuthority, &[]);
    if local_authority.is_none() {
        f.error(Col::LocalAuthority, "Enter the local authority");
    }
    let joined = f.text(Col::Joiner, &[]).is_some();
    let left = f.text(Col::Leaver, &[]).is_some();
    let movement = match (joined, left) {
        (true, true) => Some(Movement::JoinerAndLeaver),
        (true, false) => Some(Movement::Joiner),
        (false, true) => Some(Movement::Leaver),
        (false, false) => None,
    };
    let became_active = f.date(Col::BecameActive);
    let resigned = f.date(Col::Resigned);
    let closed = f.date(Col::Closed);
    let cancelled = f.date(Col::Cancelled);
    let registration_ended: Option<NaiveDate> = match status {
        Some(RegistrationStatus::Resigned) => resigned.or(closed),
        Some(RegistrationStatus::Closed) => closed.or(resigned),
        Some(RegistrationStatus::Cancelled) => cancelled,
        _ => None,
    };
    Some(Setting {
        row: f.row.number,
        urn: urn?,
        provision_type: provision_type?,
        registration_date: became_active,
        registration_status: status,
        registration_ended,
        movement,
        name: f.text(Col::Name, WITHHELD),
        address: Address::default(),
        local_authority: local_authority?,
        sector: f.parsed(Col::Sector, str::parse::<Sector>),
        places: f.count(Col::Places),
        short_break_only: f.text(Col::ShortBreak, &[]).is_some(),
        multi_building: false,
        owner: None,
        inspection: None,
        previous_inspection: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Layout, parse};
    use super::*;
    use crate::safety::Limits;
    use crate::sheet::Format;

    const TABLE: &str = "Children's social care data in England 2025 \u{2013} Leavers and Joiners at 31 March 2025,,,\n\
        This worksheet contains one table which begins in cell A4.,,,\n\
        Some cells in this table are empty because data was not provided to Ofsted. ,,,\n\
        URN,Provision type,Ofsted Region,Government Office Region,Local authority,Parliamentary constituency,Sector,Places,Supported accommodation premises,Short-break-only children's home,\"\nFirst effective date (that the provider became active)\",First effective date (that the provider became resigned),First effective date (that the provider closed),First effective date (that the provider became cancelled),Joiner status,Leaver status,Registration status (as at 1 April 2024),Registration status (as at 31 March 2025),Inspectorate (as at 1 April 2024),Inspectorate (as at 31 March 2025),Setting name,Reason\n\
        SC068046,Children's home,South West,South West,Hampshire,Havant,Private,4,,,23/08/2006,17/10/2024,17/10/2024,,,Leaver,Active,Resigned,,,REDACTED,\"In previous year, not in current dataset (closed date in Year)\"\n\
        2801017,Residential Family Centre,South East,South East,Southampton,Southampton Test,Private,3,,,05/12/2024,,,,Joiner,,,Active,,,Maple House Family Centre,\"In current dataset as active, not in previous year\"\n\
        1000001,Children's home,South East,South East,Hampshire,Havant,Private,2,,,01/01/2020,,01/02/2025,,,Leaver,Active,Closed,,,REDACTED,x\n";

    #[test]
    fn leavers_take_the_end_of_year_status_and_date() {
        let file = parse(TABLE.as_bytes(), Format::Csv, &Limits::default()).unwrap();
        assert_eq!(file.layout, Layout::LeaversJoiners);
        assert_eq!(file.as_at, NaiveDate::from_ymd_opt(2025, 3, 31).unwrap());
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let leaver = &file.settings[0];
        assert_eq!(
            leaver.registration_status,
            Some(RegistrationStatus::Resigned)
        );
        assert_eq!(
            leaver.registration_ended,
            NaiveDate::from_ymd_opt(2024, 10, 17)
        );
        assert_eq!(leaver.movement, Some(Movement::Leaver));
        assert_eq!(leaver.name, None);
        assert_eq!(leaver.places, Some(4));
        let joiner = &file.settings[1];
        assert_eq!(joiner.registration_status, Some(RegistrationStatus::Active));
        assert_eq!(joiner.registration_ended, None);
        assert_eq!(
            joiner.registration_date,
            NaiveDate::from_ymd_opt(2024, 12, 5)
        );
        assert_eq!(joiner.name.as_deref(), Some("Maple House Family Centre"));
        let closed = &file.settings[2];
        assert_eq!(closed.registration_status, Some(RegistrationStatus::Closed));
        assert_eq!(
            closed.registration_ended,
            NaiveDate::from_ymd_opt(2025, 2, 1)
        );
    }

    #[test]
    fn the_older_heading_spelling_and_no_title_still_read() {
        let table = "URN,Provision type,Local authority,Joiner status,Leaver status,Registration status (as at 1 April 2022),Registration status (as at 31 March 2023),Name\n\
                     SC000001,Children's home,Dorset,,Leaver,Active,Cancelled,REDACTED\n";
        let file = parse(table.as_bytes(), Format::Csv, &Limits::default()).unwrap();
        assert_eq!(file.as_at, NaiveDate::from_ymd_opt(2023, 3, 31).unwrap());
        assert_eq!(
            file.settings[0].registration_status,
            Some(RegistrationStatus::Cancelled)
        );
        assert!(!file.says.multi_building);
        assert!(!file.says.places);
    }
}
