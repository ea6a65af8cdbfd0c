//! Weekly returns from a spreadsheet (the service's template, or any sheet
//! with its headings). One row per home and week, plus one more row per
//! extra vacancy group: rows with the same URN and week are one return; the
//! first carries the counts, later ones may repeat them or leave them blank.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::RowError;
use crate::columns::{ColumnSpec, Fields, find_header, heading_key};
use crate::safety::Limits;
use crate::sheet::{self, Cell, FileError, Format, Sheet};
use crate::vocab::{IsoWeek, Need, Pence, Sexes, Urn};

/// The template's column headings, in order. The parser also accepts them in
/// any order and with any case or spacing.
pub mod headings {
    pub const URN: &str = "URN";
    pub const HOME: &str = "Home";
    pub const WEEK: &str = "Week";
    pub const PLACES: &str = "Registered places";
    pub const CAPACITY: &str = "Carers or units available";
    /// Deprecated (the two-number template): the home's own council.
    pub const OCCUPIED_OURS: &str = "Occupied by our council's children";
    /// Deprecated spelling of [`OUTSIDE_REGION`].
    pub const OCCUPIED_OTHER: &str = "Occupied by other councils' children";
    pub const OUTSIDE_REGION: &str = "Occupied by children of councils outside the region";
    pub const STAFFING: &str = "Not admittable: staffing";
    pub const WORKS: &str = "Not admittable: works";
    pub const MATCHING: &str = "Not admittable: matching or impact risk";
    pub const REGISTRATION: &str = "Not admittable: registration change";
    pub const OTHER: &str = "Not admittable: other";
    pub const OTHER_REASON: &str = "Other reason";
    pub const BEDS: &str = "Vacant beds";
    pub const AVAILABLE_FROM: &str = "Available from";
    pub const MIN_AGE: &str = "Youngest age";
    pub const MAX_AGE: &str = "Oldest age";
    pub const SEXES: &str = "Can take";
    pub const EMERGENCY: &str = "Emergency";
    pub const SOLO: &str = "Solo only";
    pub const FEE: &str = "Weekly fee";
    pub const VACANCY_NOTE: &str = "Vacancy note";
    pub const NOTE: &str = "Return note";

    /// The column for one need: "Needs: Autism".
    pub fn need(need: crate::vocab::Need) -> String {
        format!("Needs: {}", need.label())
    }

    /// The column for one member council's children, ending in its ONS
    /// code, which is what the parser reads: "Occupied by Dorset's
    /// children (E06000059)".
    pub fn council(name: &str, code: &str) -> String {
        format!("Occupied by {name}'s children ({code})")
    }

    /// The ONS code a council column's heading ends in.
    pub fn council_code(heading: &str) -> Option<String> {
        let inner = heading.trim().strip_suffix(')')?;
        let (before, code) = inner.rsplit_once('(')?;
        let code = code.trim().to_ascii_uppercase();
        let shaped = code.len() == 9
            && code.starts_with('E')
            && code[1..].bytes().all(|b| b.is_ascii_digit());
        (shaped && before.to_ascii_lowercase().contains("occupied")).then_some(code)
    }
}

/// The counts of one return, as the sheet gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub capacity: Option<u32>,
    /// Deprecated two-number sheets: the home's own council's children.
    pub occupied_ours: u32,
    /// Children of councils outside the region (or, in a two-number
    /// sheet, of other councils).
    pub occupied_other: u32,
    /// Beds by member council: (ONS code, beds), from the council columns.
    #[serde(default)]
    pub by_council: Vec<(String, u32)>,
    pub staffing: u32,
    pub works: u32,
    pub matching: u32,
    pub registration: u32,
    pub other: u32,
    pub other_reason: Option<String>,
    pub note: Option<String>,
    /// Cells that could not be read, as typed (heading, text): shown so in
    /// a preview instead of a number that was never there.
    #[serde(default)]
    pub typed: Vec<(String, String)>,
}

impl Counts {
    /// What the file says under `heading`: the text typed where it could not
    /// be read, else the number read.
    pub fn shown(&self, heading: &str, value: u32) -> String {
        self.typed
            .iter()
            .find(|(h, _)| h == heading)
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| value.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacancyRow {
    pub row: usize,
    pub beds: u32,
    pub available_from: NaiveDate,
    pub min_age: u8,
    pub max_age: u8,
    pub sexes: Sexes,
    pub needs: Vec<Need>,
    pub emergency: bool,
    pub solo_only: bool,
    pub weekly_fee: Option<Pence>,
    pub note: Option<String>,
}

/// One home's return for one week, with the rows it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRows {
    pub urn: Urn,
    pub week: IsoWeek,
    pub first_row: usize,
    /// Every row of the file that belongs to this return.
    #[serde(default)]
    pub rows: Vec<usize>,
    pub counts: Counts,
    pub vacancies: Vec<VacancyRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnsFile {
    pub sheet: String,
    pub header_row: usize,
    /// Rows read (not counting the header or blank rows).
    pub rows: usize,
    pub returns: Vec<ReturnRows>,
    pub errors: Vec<RowError>,
}

impl ReturnsFile {
    /// The column heading as the file spells it, for messages.
    pub fn heading(name: &str) -> String {
        name.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Urn,
    Week,
    Capacity,
    OccupiedOurs,
    OccupiedOther,
    /// The n-th council column the header row has.
    Council(usize),
    Staffing,
    Works,
    Matching,
    Registration,
    Other,
    OtherReason,
    Beds,
    AvailableFrom,
    MinAge,
    MaxAge,
    Sexes,
    Need(usize),
    Emergency,
    Solo,
    Fee,
    VacancyNote,
    Note,
}

fn specs() -> Vec<ColumnSpec<Col>> {
    use headings::*;
    let spec = |field, required, names: &[&str]| ColumnSpec {
        field,
        headings: names.iter().map(|n| heading_key(n)).collect(),
        required,
    };
    let mut specs = vec![
        spec(Col::Urn, true, &[URN, "Ofsted URN"]),
        spec(Col::Week, true, &[WEEK, "ISO week"]),
        spec(Col::Capacity, false, &[CAPACITY, "Carers or units"]),
        spec(
            Col::OccupiedOurs,
            false,
            &[OCCUPIED_OURS, "Occupied by our children", "Occupied ours"],
        ),
        spec(
            Col::OccupiedOther,
            true,
            &[
                OUTSIDE_REGION,
                "Occupied outside the region",
                OCCUPIED_OTHER,
                "Occupied by other councils children",
                "Occupied other",
            ],
        ),
        spec(Col::Staffing, false, &[STAFFING]),
        spec(
            Col::Works,
            false,
            &[WORKS, "Not admittable: refurbishment or works"],
        ),
        spec(
            Col::Matching,
            false,
            &[MATCHING, "Not admittable: matching"],
        ),
        spec(Col::Registration, false, &[REGISTRATION]),
        spec(Col::Other, false, &[OTHER]),
        spec(
            Col::OtherReason,
            false,
            &[OTHER_REASON, "Not admittable: other reason"],
        ),
        spec(Col::Beds, false, &[BEDS, "Beds"]),
        spec(Col::AvailableFrom, false, &[AVAILABLE_FROM]),
        spec(Col::MinAge, false, &[MIN_AGE]),
        spec(Col::MaxAge, false, &[MAX_AGE]),
        spec(Col::Sexes, false, &[SEXES, "Sex"]),
        spec(Col::Emergency, false, &[EMERGENCY, "Emergency placements"]),
        spec(Col::Solo, false, &[SOLO, "Solo placement only"]),
        spec(Col::Fee, false, &[FEE, "Weekly fee (£)"]),
        spec(Col::VacancyNote, false, &[VACANCY_NOTE]),
        spec(Col::Note, false, &[NOTE, "Note"]),
    ];
    for (i, need) in Need::ALL.iter().enumerate() {
        specs.push(ColumnSpec {
            field: Col::Need(i),
            headings: vec![heading_key(&headings::need(*need))],
            required: false,
        });
    }
    specs
}

pub fn parse(bytes: &[u8], format: Format, limits: &Limits) -> Result<ReturnsFile, FileError> {
    let sheets = sheet::read(bytes, format, limits)?;
    parse_sheets(&sheets)
}

pub fn parse_sheets(sheets: &[Sheet]) -> Result<ReturnsFile, FileError> {
    let specs = specs();
    let (sheet, mut header) = sheets.iter().find_map(|s| find_header(s, &specs, 20).map(|h| (s, h))).ok_or_else(|| {
        FileError::new(
            "No sheet has the return's headings (URN, Week, Occupied by children of councils outside the region). Download your template and use its first sheet",
        )
    })?;
    // Member councils' columns: any heading ending in an ONS code.
    let mut councils: Vec<String> = Vec::new();
    if let Some(row) = sheet.rows.iter().find(|r| r.number == header.row_number) {
        for (index, cell) in row.cells.iter().enumerate() {
            let Some(heading) = cell.text() else { continue };
            if let Some(code) = headings::council_code(&heading)
                && !councils.contains(&code)
            {
                header.add(Col::Council(councils.len()), index, heading);
                councils.push(code);
            }
        }
    }
    let mut file = ReturnsFile {
        sheet: sheet.name.clone(),
        header_row: header.row_number,
        rows: 0,
        returns: Vec::new(),
        errors: Vec::new(),
    };
    for row in sheet
        .rows
        .iter()
        .filter(|r| r.number > header.row_number && !r.is_blank())
    {
        file.rows += 1;
        let mut f = Fields::new(row, &header);
        let urn = f.required(
            Col::Urn,
            "home's URN (if cells are merged, unmerge them and fill in each row)",
            str::parse::<Urn>,
        );
        let week = match f.cell(Col::Week) {
            Cell::Date(d) => Some(IsoWeek::containing(*d)),
            Cell::DateTime(d) => Some(IsoWeek::containing(d.date())),
            _ => f.required(Col::Week, "week, like 2026-W48", str::parse::<IsoWeek>),
        };
        let counts_given = [Col::OccupiedOurs, Col::OccupiedOther]
            .into_iter()
            .chain((0..councils.len()).map(Col::Council))
            .any(|c| !f.cell(c).is_blank());
        let counts = counts_given.then(|| read_counts(&mut f, &councils));
        let vacancy = read_vacancy(&mut f);
        let errors = std::mem::take(&mut f.errors);
        let (Some(urn), Some(week)) = (urn, week) else {
            file.errors.extend(errors);
            continue;
        };
        file.errors.extend(errors);
        match file
            .returns
            .iter_mut()
            .find(|r| r.urn == urn && r.week == week)
        {
            Some(existing) => {
                existing.rows.push(row.number);
                if let Some(c) = counts
                    && c != existing.counts
                {
                    file.errors.push(RowError {
                            row: row.number,
                            column: None,
                            message: format!(
                                "The counts differ from row {} for the same home and week: give them once, on the first row, or the same on every row",
                                existing.first_row
                            ),
                        });
                }
                existing.vacancies.extend(vacancy);
            }
            None => {
                if counts.is_none() {
                    file.errors.push(RowError {
                        row: row.number,
                        column: header.heading(Col::OccupiedOther).map(str::to_string),
                        message: "Enter how many beds are occupied, by each council's children (0 if none)".into(),
                    });
                }
                file.returns.push(ReturnRows {
                    urn,
                    week,
                    first_row: row.number,
                    rows: vec![row.number],
                    counts: counts.unwrap_or_default(),
                    vacancies: vacancy.into_iter().collect(),
                });
            }
        }
    }
    if file.rows == 0 {
        return Err(FileError::new(format!(
            "The sheet '{}' has its headings (row {}) but no returns under them",
            sheet.name, header.row_number
        )));
    }
    Ok(file)
}

fn zero(f: &mut Fields<'_, Col>, col: Col) -> u32 {
    f.count(col).unwrap_or(0)
}

fn read_counts(f: &mut Fields<'_, Col>, councils: &[String]) -> Counts {
    let required = |f: &mut Fields<'_, Col>, col: Col, what: &str| {
        if f.cell(col).is_blank() {
            f.error(col, format!("Enter {what} (0 if none)"));
            0
        } else {
            f.count(col).unwrap_or(0)
        }
    };
    let errors_before = f.errors.len();
    let mut counts = Counts {
        capacity: f.count(Col::Capacity),
        occupied_ours: zero(f, Col::OccupiedOurs),
        occupied_other: required(
            f,
            Col::OccupiedOther,
            "how many beds are occupied by children of councils outside the region",
        ),
        by_council: councils
            .iter()
            .enumerate()
            .filter_map(|(i, code)| {
                let beds = zero(f, Col::Council(i));
                (beds > 0).then(|| (code.clone(), beds))
            })
            .collect(),
        staffing: zero(f, Col::Staffing),
        works: zero(f, Col::Works),
        matching: zero(f, Col::Matching),
        registration: zero(f, Col::Registration),
        other: zero(f, Col::Other),
        other_reason: f.text(Col::OtherReason, &[]),
        note: f.text(Col::Note, &[]),
        typed: Vec::new(),
    };
    // What was typed where a count could not be read.
    let unread: Vec<String> = f.errors[errors_before..]
        .iter()
        .filter_map(|e| e.column.clone())
        .collect();
    for heading in unread {
        let col = f.header_field(&heading);
        if let Some(text) = col.and_then(|c| f.cell(c).text()) {
            counts.typed.push((heading, text));
        }
    }
    counts
}

fn yes_no(f: &mut Fields<'_, Col>, col: Col) -> bool {
    match f.cell(col) {
        Cell::Bool(b) => *b,
        cell if cell.is_blank() => false,
        cell => match cell
            .text()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "yes" | "y" | "true" | "1" | "x" => true,
            "no" | "n" | "false" | "0" => false,
            other => {
                f.error(col, format!("'{other}' is not Yes or No"));
                false
            }
        },
    }
}

/// A vacancy when the row describes one (any vacancy column filled).
fn read_vacancy(f: &mut Fields<'_, Col>) -> Option<VacancyRow> {
    let vacancy_cols = [
        Col::Beds,
        Col::AvailableFrom,
        Col::MinAge,
        Col::MaxAge,
        Col::Sexes,
        Col::Fee,
    ];
    let beds = f.count(Col::Beds);
    if vacancy_cols.iter().all(|c| f.cell(*c).is_blank()) || beds == Some(0) {
        return None;
    }
    let need_value = |f: &mut Fields<'_, Col>, col: Col, what: &str| {
        if f.cell(col).is_blank() {
            f.error(col, format!("Enter the {what} for this vacancy"));
        }
    };
    need_value(f, Col::Beds, "number of vacant beds");
    need_value(f, Col::AvailableFrom, "date it is available from");
    need_value(f, Col::MinAge, "youngest age");
    need_value(f, Col::MaxAge, "oldest age");
    let available_from = f.date(Col::AvailableFrom);
    let age = |f: &mut Fields<'_, Col>, col: Col| {
        f.count(col).and_then(|a| {
            if a <= 25 {
                Some(a as u8)
            } else {
                f.error(col, "Ages must be between 0 and 25");
                None
            }
        })
    };
    let min_age = age(f, Col::MinAge);
    let max_age = age(f, Col::MaxAge);
    let sexes = if f.cell(Col::Sexes).is_blank() {
        Some(Sexes::Mixed)
    } else {
        f.parsed(Col::Sexes, str::parse::<Sexes>)
    };
    let needs = Need::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| yes_no(f, Col::Need(*i)))
        .map(|(_, n)| *n)
        .collect();
    let emergency = yes_no(f, Col::Emergency);
    let solo_only = yes_no(f, Col::Solo);
    let weekly_fee = match f.cell(Col::Fee) {
        Cell::Number(n) if *n >= 0.0 && *n < 1e9 => Some(Pence((n * 100.0).round() as i64)),
        _ => f.parsed(Col::Fee, str::parse::<Pence>),
    };
    Some(VacancyRow {
        row: f.row.number,
        beds: beds?,
        available_from: available_from?,
        min_age: min_age?,
        max_age: max_age?,
        sexes: sexes?,
        needs,
        emergency,
        solo_only,
        weekly_fee,
        note: f.text(Col::VacancyNote, &[]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(body: &str) -> Result<ReturnsFile, FileError> {
        parse(body.as_bytes(), Format::Csv, &Limits::default())
    }

    const HEADER: &str = "URN,Home,Week,Registered places,Occupied by our council's children,Occupied by other councils' children,Not admittable: staffing,Vacant beds,Available from,Youngest age,Oldest age,Can take,Needs: Autism,Emergency,Weekly fee\n";

    #[test]
    fn rows_for_the_same_home_and_week_make_one_return() {
        let file = csv(&format!(
            "{HEADER}SC100001,Oak,2026-W48,4,1,1,,1,23/11/2026,11,17,Mixed,Yes,yes,4500\n\
             SC100001,Oak,2026-W48,4,,,,1,2026-12-01,12,16,Girls only,no,no,\"£4,800.50\"\n\
             SC100002,Ash,2026-w48,3,2,1,,,,,,,,,\n"
        ))
        .unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.returns.len(), 2);
        let oak = &file.returns[0];
        assert_eq!(oak.counts.occupied_ours, 1);
        assert_eq!(oak.vacancies.len(), 2);
        assert_eq!(oak.vacancies[0].needs, vec![Need::Autism]);
        assert!(oak.vacancies[0].emergency);
        assert_eq!(oak.vacancies[1].sexes, Sexes::Female);
        assert_eq!(oak.vacancies[1].weekly_fee, Some(Pence(480_050)));
        assert_eq!(oak.vacancies[1].row, 3);
        assert!(file.returns[1].vacancies.is_empty());
    }

    #[test]
    fn every_bad_cell_is_listed_with_its_row_and_column() {
        let file = csv(&format!(
            "{HEADER}SC1,Oak,2026-W48,4,one,1,,1,31/02/2026,8,30,Aliens,perhaps,yes,lots\n\
             SC100001,Oak,next week,4,1,1,,,,,,,,,\n\
             SC100003,Elm,2026-W48,4,,,,,,,,,,,\n"
        ))
        .unwrap();
        let text: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        for expected in [
            "Row 2, URN:",
            "Row 2, Occupied by our council's children:",
            "Row 2, Available from:",
            "Row 2, Oldest age:",
            "Row 2, Can take:",
            "Row 2, Needs: Autism:",
            "Row 2, Weekly fee:",
            "Row 3, Week:",
            "Row 4, Occupied by other councils' children: Enter how many",
        ] {
            assert!(
                text.iter().any(|t| t.starts_with(expected)),
                "missing {expected}: {text:#?}"
            );
        }
    }

    #[test]
    fn each_member_councils_column_is_read_by_its_code() {
        let header = "URN,Week,Occupied by BCP's children (E06000058),Occupied by Dorset's children (e06000059),Occupied by children of councils outside the region\n";
        let file = csv(&format!(
            "{header}SC100001,2026-W48,1,2,0\nSC100002,2026-W48,,x,1\nSC100003,2026-W48,,,\n"
        ))
        .unwrap();
        let oak = &file.returns[0];
        assert_eq!(
            oak.counts.by_council,
            vec![("E06000058".to_string(), 1), ("E06000059".to_string(), 2)]
        );
        assert_eq!(
            (oak.counts.occupied_ours, oak.counts.occupied_other),
            (0, 0)
        );
        let text: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        assert!(
            text[0].starts_with("Row 3, Occupied by Dorset's children (e06000059): 'x'"),
            "{text:?}"
        );
        assert!(
            text[1]
                .starts_with("Row 4, Occupied by children of councils outside the region: Enter"),
            "{text:?}"
        );
        assert_eq!(
            headings::council_code(&headings::council("Dorset", "E06000059")).as_deref(),
            Some("E06000059")
        );
        assert_eq!(headings::council_code("Weekly fee (£)"), None);
    }

    #[test]
    fn conflicting_counts_for_one_home_are_refused() {
        let file = csv(&format!(
            "{HEADER}SC100001,Oak,2026-W48,4,1,1,,,,,,,,,\nSC100001,Oak,2026-W48,4,2,1,,,,,,,,,\n"
        ))
        .unwrap();
        assert!(
            file.errors[0]
                .message
                .starts_with("The counts differ from row 2")
        );
    }

    #[test]
    fn a_sheet_without_the_headings_is_refused() {
        assert!(
            csv("Name,Age\nSam,3\n")
                .unwrap_err()
                .message
                .starts_with("No sheet has the return's headings")
        );
        assert!(
            csv(HEADER)
                .unwrap_err()
                .message
                .contains("no returns under them")
        );
    }
}
