//! Ofsted's "Children's social care data in England" provider-level files, in
//! three layouts: "providers at 31 March" (one row per setting with its latest
//! full inspection), "inspections in year" (one row per inspection event
//! with the previous event's grades) and "leavers and joiners" (one row per
//! setting that registered or left during the year, `leavers_joiners`).
//! Title lines above the header, `NULL`, `REDACTED`, spelling variants and
//! the 2022-23/2023-24 heading changes are all expected.
//!
//! Every file says which date it describes (`OfstedFile::as_at`), so that a
//! fact from an older file never replaces a newer one, whatever the order
//! files are imported in.

mod leavers_joiners;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::RowError;
use crate::columns::{ColumnSpec, Fields, find_header, heading_key};
use crate::safety::Limits;
use crate::sheet::{self, FileError, Format, Sheet};
use crate::vocab::{
    EventType, Judgement, Postcode, ProvisionType, RegistrationStatus, Sector, Urn,
};
pub use leavers_joiners::Movement;

/// Ofsted's word for names and addresses it withholds to protect children.
const WITHHELD: &[&str] = &["REDACTED"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// One row per setting with its latest full inspection.
    ProvidersAtDate,
    /// One row per inspection event, with the previous event's grades.
    InspectionsInYear,
    /// One row per setting that registered or left during the year, with
    /// its registration status at the start and at the end of the year.
    LeaversJoiners,
}

impl Layout {
    pub fn label(self) -> &'static str {
        match self {
            Layout::ProvidersAtDate => "providers at a date",
            Layout::InspectionsInYear => "inspections in a year",
            Layout::LeaversJoiners => "leavers and joiners",
        }
    }
}

/// Where a file's date was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatedBy {
    /// Its title row ("Provider level as at 31 March 2023") or a heading
    /// ("Registration status (as at 31 March 2025)").
    Title,
    /// The latest inspection in it (an inspections-in-year file's title
    /// names a year, not a date).
    LatestInspection,
}

/// Which of a setting's optional facts the file's layout gives at all. A
/// column the file does not have says nothing, so it changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Says {
    pub sector: bool,
    pub places: bool,
    pub short_break_only: bool,
    pub multi_building: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfstedFile {
    pub layout: Layout,
    pub sheet: String,
    pub header_row: usize,
    /// The date the file describes.
    pub as_at: NaiveDate,
    pub dated_by: DatedBy,
    pub says: Says,
    pub settings: Vec<Setting>,
    /// Rows refused, with the reason.
    pub errors: Vec<RowError>,
    /// Rows imported with a value left out (e.g. a malformed postcode).
    pub warnings: Vec<RowError>,
}

/// One setting as a row describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub row: usize,
    pub urn: Urn,
    pub provision_type: ProvisionType,
    pub registration_date: Option<NaiveDate>,
    /// `None` where the file does not say.
    pub registration_status: Option<RegistrationStatus>,
    /// When a registration that has ended ended, where the file says.
    pub registration_ended: Option<NaiveDate>,
    /// In a leavers and joiners table: which the setting was that year.
    pub movement: Option<Movement>,
    /// `None` where Ofsted withheld it.
    pub name: Option<String>,
    pub address: Address,
    pub local_authority: String,
    pub sector: Option<Sector>,
    /// Blank for settings registered at provider level (IFAs, supported accommodation).
    pub places: Option<u32>,
    pub short_break_only: bool,
    pub multi_building: bool,
    /// "Organisation which owns the provider".
    pub owner: Option<String>,
    pub inspection: Option<Inspection>,
    pub previous_inspection: Option<Inspection>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub town: Option<String>,
    pub county: Option<String>,
    pub postcode: Option<Postcode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub event_number: Option<String>,
    pub event_type: EventType,
    pub date: NaiveDate,
    pub published: Option<NaiveDate>,
    /// Overall experiences and progress of children and young people.
    pub overall: Option<Judgement>,
    pub helped_protected: Option<Judgement>,
    pub leaders_managers: Option<Judgement>,
    pub education: Option<Judgement>,
    pub health: Option<Judgement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Urn,
    ProvisionType,
    RegistrationDate,
    RegistrationStatus,
    Name,
    Address1,
    Address2,
    Town,
    County,
    Postcode,
    LocalAuthority,
    Sector,
    Places,
    ShortBreak,
    MultiBuilding,
    Owner,
    EventType,
    Date,
    Published,
    EventNumber,
    Overall,
    Education,
    Health,
    HelpedProtected,
    Leaders,
    PrevEventType,
    PrevDate,
    PrevPublished,
    PrevEventNumber,
    PrevOverall,
    PrevEducation,
    PrevHealth,
    PrevHelpedProtected,
    PrevLeaders,
}

/// The event and grade columns, named once; the current and "Previous"
/// variants and the prefixes different years used are derived from them.
const EVENT_COLUMNS: [(Col, Col, &[&str]); 9] = [
    (Col::EventType, Col::PrevEventType, &["event type"]),
    (Col::Date, Col::PrevDate, &["date", "inspection date"]),
    (
        Col::Published,
        Col::PrevPublished,
        &["publication date", "inspection publication date"],
    ),
    (
        Col::EventNumber,
        Col::PrevEventNumber,
        &["event number", "inspection event number"],
    ),
    (
        Col::Overall,
        Col::PrevOverall,
        &["overall experiences and progress of children and young people"],
    ),
    (
        Col::Education,
        Col::PrevEducation,
        &["outcomes in education and related learning activities"],
    ),
    (Col::Health, Col::PrevHealth, &["health services"]),
    (
        Col::HelpedProtected,
        Col::PrevHelpedProtected,
        &["how well children and young people are helped and protected"],
    ),
    (
        Col::Leaders,
        Col::PrevLeaders,
        &[
            "the effectiveness of leaders and managers",
            "effectiveness of leaders and managers",
        ],
    ),
];

fn specs() -> Vec<ColumnSpec<Col>> {
    let spec = |field, required, names: &[&str]| ColumnSpec {
        field,
        headings: names.iter().map(|n| heading_key(n)).collect(),
        required,
    };
    let mut specs = vec![
        spec(Col::Urn, true, &["URN"]),
        spec(Col::ProvisionType, true, &["Provision type"]),
        spec(Col::LocalAuthority, true, &["Local authority"]),
        spec(Col::RegistrationDate, false, &["Registration date"]),
        spec(Col::RegistrationStatus, false, &["Registration status"]),
        spec(Col::Name, false, &["Name", "Setting name", "Provider name"]),
        spec(Col::Address1, false, &["Address 1", "Address line 1"]),
        spec(Col::Address2, false, &["Address 2", "Address line 2"]),
        spec(Col::Town, false, &["Town"]),
        spec(Col::County, false, &["County"]),
        spec(Col::Postcode, false, &["Postcode"]),
        spec(Col::Sector, false, &["Sector"]),
        spec(
            Col::Places,
            false,
            &["Places", "Number of places", "Registered places"],
        ),
        spec(
            Col::ShortBreak,
            false,
            &["Short-break-only children's home"],
        ),
        spec(
            Col::MultiBuilding,
            false,
            &["Multi-building children's home"],
        ),
        spec(Col::Owner, false, &["Organisation which owns the provider"]),
    ];
    for (current, previous, names) in EVENT_COLUMNS {
        let mut now = Vec::new();
        let mut before = Vec::new();
        for name in names {
            for prefix in [
                "",
                "inspection ",
                "latest full inspection ",
                "latest inspection ",
            ] {
                now.push(heading_key(&format!("{prefix}{name}")));
            }
            for prefix in [
                "previous ",
                "previous inspection ",
                "previous full inspection ",
            ] {
                before.push(heading_key(&format!("{prefix}{name}")));
            }
        }
        specs.push(ColumnSpec {
            field: current,
            headings: now,
            required: false,
        });
        specs.push(ColumnSpec {
            field: previous,
            headings: before,
            required: false,
        });
    }
    specs
}

/// Reads an Ofsted provider-level file from bytes. Spreadsheet formats should
/// be parsed in a sandboxed child process (see the application's sandbox).
pub fn parse(bytes: &[u8], format: Format, limits: &Limits) -> Result<OfstedFile, FileError> {
    let sheets = sheet::read(bytes, format, limits)?;
    parse_sheets(&sheets)
}

/// Finds the sheet that holds Ofsted's table and reads every row of it.
pub fn parse_sheets(sheets: &[Sheet]) -> Result<OfstedFile, FileError> {
    if let Some(file) = leavers_joiners::parse(sheets)? {
        return Ok(file);
    }
    let specs = specs();
    let (sheet, header) = sheets
        .iter()
        .find_map(|s| find_header(s, &specs, 25).map(|h| (s, h)))
        .ok_or_else(|| {
            FileError::new(
                "This is not one of Ofsted's provider-level files: no sheet has a header row with \
                 'URN', 'Provision type' and 'Local authority' columns",
            )
        })?;
    let layout = match header.heading(Col::EventType) {
        Some(h) if heading_key(h).starts_with("latest") => Layout::ProvidersAtDate,
        Some(_) => Layout::InspectionsInYear,
        None => Layout::ProvidersAtDate,
    };
    let says = Says {
        sector: header.has(Col::Sector),
        places: header.has(Col::Places),
        short_break_only: header.has(Col::ShortBreak),
        multi_building: header.has(Col::MultiBuilding),
    };
    let mut file = OfstedFile {
        layout,
        sheet: sheet.name.clone(),
        header_row: header.row_number,
        as_at: NaiveDate::MIN,
        dated_by: DatedBy::Title,
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
        let mut fields = Fields::new(row, &header);
        let setting = read_setting(&mut fields);
        file.warnings.append(&mut fields.warnings);
        match setting {
            Some(s) if fields.errors.is_empty() => file.settings.push(s),
            _ => file.errors.extend(fields.errors),
        }
    }
    if file.settings.is_empty() && file.errors.is_empty() {
        return Err(no_rows(header.row_number));
    }
    let latest_inspection = file
        .settings
        .iter()
        .filter_map(|s| s.inspection.as_ref().map(|i| i.date))
        .max();
    (file.as_at, file.dated_by) = match (title_date(sheet, header.row_number), latest_inspection) {
        (Some(date), _) => (date, DatedBy::Title),
        (None, Some(date)) => (date, DatedBy::LatestInspection),
        (None, None) => return Err(undated()),
    };
    Ok(file)
}

fn no_rows(header_row: usize) -> FileError {
    FileError::new(format!(
        "The file has Ofsted's header row (row {header_row}) but no rows of data under it"
    ))
}

fn undated() -> FileError {
    FileError::new(
        "The file does not say which date it describes: Ofsted's files give it in their title \
         row (\"Provider level as at 31 March 2025\"). Use the file as Ofsted published it",
    )
}

/// The date a title line above the header gives ("... as at 31 March 2023").
fn title_date(sheet: &Sheet, header_row: usize) -> Option<NaiveDate> {
    sheet
        .rows
        .iter()
        .take_while(|r| r.number < header_row)
        .flat_map(|r| r.cells.iter().filter_map(|c| c.text()))
        .find_map(|text| crate::columns::date_after_at(&text))
}

fn read_setting(f: &mut Fields<'_, Col>) -> Option<Setting> {
    let urn = f.required(Col::Urn, "URN", str::parse::<Urn>);
    let provision_type = f.required(
        Col::ProvisionType,
        "provision type",
        str::parse::<ProvisionType>,
    );
    let registration_status = if f.header.has(Col::RegistrationStatus) {
        f.required(
            Col::RegistrationStatus,
            "registration status",
            str::parse::<RegistrationStatus>,
        )
        .map(Some)
    } else {
        Some(None)
    };
    let registration_date = f.date(Col::RegistrationDate);
    let local_authority = f.text(Col::LocalAuthority, &[]);
    if local_authority.is_none() {
        f.error(Col::LocalAuthority, "Enter the local authority");
    }
    let sector = f.parsed(Col::Sector, str::parse::<Sector>);
    let places = f.count(Col::Places);
    let inspection = read_inspection(f, Current);
    let previous_inspection = read_inspection(f, Previous);
    let postcode = match f.text(Col::Postcode, WITHHELD) {
        Some(text) => match text.parse::<Postcode>() {
            Ok(p) => Some(p),
            Err(e) => {
                f.warn(Col::Postcode, format!("{e}; imported without a postcode"));
                None
            }
        },
        None => None,
    };
    Some(Setting {
        row: f.row.number,
        urn: urn?,
        provision_type: provision_type?,
        registration_date,
        registration_status: registration_status?,
        registration_ended: None,
        movement: None,
        name: f.text(Col::Name, WITHHELD),
        address: Address {
            line1: f.text(Col::Address1, WITHHELD),
            line2: f.text(Col::Address2, WITHHELD),
            town: f.text(Col::Town, WITHHELD),
            county: f.text(Col::County, WITHHELD),
            postcode,
        },
        local_authority: local_authority?,
        sector,
        places,
        short_break_only: f.text(Col::ShortBreak, &[]).is_some(),
        multi_building: f
            .text(Col::MultiBuilding, &[])
            .is_some_and(|t| t.eq_ignore_ascii_case("y")),
        owner: f.text(Col::Owner, &[]),
        inspection,
        previous_inspection,
    })
}

#[derive(Clone, Copy)]
struct Current;
#[derive(Clone, Copy)]
struct Previous;

trait Which: Copy {
    fn col(self, current: Col) -> Col;
}
impl Which for Current {
    fn col(self, current: Col) -> Col {
        current
    }
}
impl Which for Previous {
    fn col(self, current: Col) -> Col {
        EVENT_COLUMNS
            .iter()
            .find(|(c, _, _)| *c == current)
            .map(|(_, p, _)| *p)
            .unwrap_or(current)
    }
}

/// An event is present when its type is; ungraded events (monitoring,
/// assurance) simply have no grades.
fn read_inspection(f: &mut Fields<'_, Col>, which: impl Which) -> Option<Inspection> {
    let event_type = f.parsed(which.col(Col::EventType), str::parse::<EventType>)?;
    let date_col = which.col(Col::Date);
    let date = f.date(date_col);
    if date.is_none() && f.cell(date_col).is_blank() {
        f.error(date_col, "Enter the inspection date");
    }
    let mut grade = |col: Col| f.parsed(which.col(col), str::parse::<Judgement>);
    let overall = grade(Col::Overall);
    let helped_protected = grade(Col::HelpedProtected);
    let leaders_managers = grade(Col::Leaders);
    let education = grade(Col::Education);
    let health = grade(Col::Health);
    let event_number = f.text(which.col(Col::EventNumber), &[]).and_then(|n| {
        if n.bytes().all(|b| b.is_ascii_digit()) {
            Some(n)
        } else {
            // A spreadsheet program turned it into "1.02E+07": unusable.
            f.warn(which.col(Col::EventNumber), format!("event number '{n}' is damaged; the event is matched by its date and type instead"));
            None
        }
    });
    let published = f.date(which.col(Col::Published));
    Some(Inspection {
        event_number,
        event_type,
        date: date?,
        published,
        overall,
        helped_protected,
        leaders_managers,
        education,
        health,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: &str = "Children's social care data in England 2024 - Provider level in year 2023-24,,,\n\
        \"This worksheet contains one table, this table begins in cell A4.\",,,\n\
        Some cells in this table are empty.,,,\n";

    fn parse_csv(body: &str) -> Result<OfstedFile, FileError> {
        parse(body.as_bytes(), Format::Csv, &Limits::default())
    }

    #[test]
    fn finds_header_below_title_lines_and_reads_inspections_layout() {
        let csv = format!(
            "{TITLE}Web link,URN,Provision type,Registration date,Registration status,Name,Postcode,Local authority,Sector,Places,\
             Short-break-only children's home,Organisation which owns the provider,Inspection event type,Inspection date,\
             Inspection publication date,Inspection event number,Overall experiences and progress of children and young people,\
             How well children and young people are helped and protected,The effectiveness of leaders and managers,\
             Previous Event type,Previous inspection Date,Previous event number,Previous overall experiences and progress of children and young people,,\n\
             Link,SC064050,Children's Home,14/06/2005,Active,REDACTED,REDACTED,\"Bournemouth, Christchurch & Poole\",Private,3, ,Keys Child Care Ltd,\
             Full inspection,07/11/2023,07/12/2023,10271756,Good,Good,Requires improvement to be good,Full inspection,03/08/2022,10222906,Inadequate,,\n"
        );
        let file = parse_csv(&csv).unwrap();
        assert_eq!(file.layout, Layout::InspectionsInYear);
        assert_eq!(file.header_row, 4);
        // "in year 2023-24" names no date: the latest inspection dates it.
        assert_eq!(
            (file.as_at, file.dated_by),
            (
                NaiveDate::from_ymd_opt(2023, 11, 7).unwrap(),
                DatedBy::LatestInspection
            )
        );
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let s = &file.settings[0];
        assert_eq!(s.urn.as_str(), "SC064050");
        assert_eq!(s.provision_type, ProvisionType::ChildrensHome);
        assert_eq!(s.name, None, "REDACTED is withheld, not a name");
        assert_eq!(s.address.postcode, None);
        assert_eq!(s.places, Some(3));
        assert!(!s.short_break_only, "a lone space is blank");
        let i = s.inspection.as_ref().unwrap();
        assert_eq!(i.event_type, EventType::Full);
        assert_eq!(i.overall, Some(Judgement::Good));
        assert_eq!(i.leaders_managers, Some(Judgement::RequiresImprovement));
        let p = s.previous_inspection.as_ref().unwrap();
        assert_eq!(p.overall, Some(Judgement::Inadequate));
        assert_eq!(p.event_number.as_deref(), Some("10222906"));
    }

    #[test]
    fn providers_layout_uses_latest_full_inspection_headings() {
        let csv = "URN,Provision type,Local authority,Latest full inspection event type,Latest full inspection date,\
                   Overall experiences and progress of children and young people\n\
                   2638338,Residential Family Centre,Lancashire,Full inspection,14/10/2022,Outstanding\n";
        let file = parse_csv(csv).unwrap();
        assert_eq!(file.layout, Layout::ProvidersAtDate);
        assert_eq!(
            file.settings[0].registration_status, None,
            "no status column: not said"
        );
        assert!(!file.says.places);
        assert_eq!(
            file.settings[0].inspection.as_ref().unwrap().overall,
            Some(Judgement::Outstanding)
        );
    }

    #[test]
    fn null_and_ungraded_events_are_not_errors() {
        let csv = "URN,Provision type,Local authority,Registration date,Inspection event type,Inspection date,\
                   Overall experiences and progress of children and young people,Previous Event type,Previous inspection Date\n\
                   1027077,Secure Training Centre,Milton Keynes,NULL,Monitoring inspection,05/03/2024,NULL,,NULL\n";
        let file = parse_csv(csv).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let s = &file.settings[0];
        assert_eq!(s.registration_date, None);
        assert_eq!(s.inspection.as_ref().unwrap().overall, None);
        assert_eq!(s.previous_inspection, None);
        assert_eq!(s.owner, None);
    }

    #[test]
    fn bad_rows_are_listed_with_row_and_column() {
        let csv = "Provider level as at 31 March 2023\n\
                   URN,Provision type,Local authority,Places,Inspection event type,Inspection date,\
                   Overall experiences and progress of children and young people\n\
                   SC12,Children's home,Dorset,3,Full inspection,01/02/2023,Good\n\
                   SC123456,Space station,Dorset,three,Full inspection,31/02/2023,Excellent\n\
                   SC654321,Children's home,Dorset,2,,,\n";
        let file = parse_csv(csv).unwrap();
        assert_eq!(file.settings.len(), 1);
        let messages: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        assert!(
            messages.iter().any(|m| m.starts_with("Row 3, URN:")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("Row 4, Provision type:")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.starts_with("Row 4, Places:")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("Row 4, Inspection date:")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("Row 4, Overall experiences")),
            "{messages:?}"
        );
    }

    #[test]
    fn hostile_files_get_a_clear_file_error() {
        assert!(parse_csv("").is_err());
        assert!(
            parse_csv("URN,Provision type,Local authority\n")
                .unwrap_err()
                .message
                .contains("no rows")
        );
        assert!(
            parse_csv("name,age\nbob,3\n")
                .unwrap_err()
                .message
                .contains("not one of Ofsted")
        );
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(parse(&junk, Format::Xlsx, &Limits::default()).is_err());
        assert!(parse(&junk, Format::Xls, &Limits::default()).is_err());
        assert!(parse(&junk, Format::Ods, &Limits::default()).is_err());
    }
}
