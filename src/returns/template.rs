//! The weekly template for spreadsheet returns: the provider's homes that
//! file for the week, filled in from each home's latest return, with
//! drop-down lists and instructions. What comes back is read by `upload`.

use importers::returns::headings;
use importers::vocab::{IsoWeek, Need, Sexes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::ReturnInput;
use super::store;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::homes;
use crate::error::{Error, Result};

/// The template for `week`: the provider's homes that file for it, filled
/// in from each home's latest return, with drop-down lists and instructions.
pub async fn template(
    db: &DatabaseConnection,
    viewer: &Viewer,
    week: IsoWeek,
    settings: &Settings,
) -> Result<Vec<u8>> {
    let organisation_id = viewer.organisation_id.ok_or(Error::Forbidden)?;
    let homes = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(organisation_id))
        .filter(crate::homes::registered_during(week))
        .filter(crate::homes::in_market(&settings.market))
        .order_by_asc(homes::Column::Name)
        .all(db)
        .await?;
    let mut lines = Vec::new();
    for home in &homes {
        let latest = store::latest_before(db, home.id, week.plus(1)).await?;
        lines.push((home.clone(), latest.map(|l| l.to_input())));
    }
    // A column for each member council's children, by ONS code.
    let councils: Vec<(i64, String)> = crate::regions::members(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let heading = headings::council(&m.short_name, m.ons_code.as_deref()?);
            Some((m.id, heading))
        })
        .collect();
    write_template(&lines, &councils, week, settings).map_err(Error::internal)
}

fn write_template(
    lines: &[(homes::Model, Option<ReturnInput>)],
    councils: &[(i64, String)],
    week: IsoWeek,
    settings: &Settings,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{
        DataValidation, DataValidationRule, ExcelDateTime, Format as Style, Workbook,
    };
    let mut book = Workbook::new();
    let mut columns: Vec<String> = [
        headings::URN,
        headings::HOME,
        headings::WEEK,
        headings::PLACES,
        headings::CAPACITY,
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(councils.iter().map(|(_, heading)| heading.clone()))
    .collect();
    columns.extend(
        [
            headings::OUTSIDE_REGION,
            headings::STAFFING,
            headings::WORKS,
            headings::MATCHING,
            headings::REGISTRATION,
            headings::OTHER,
            headings::OTHER_REASON,
            headings::BEDS,
            headings::AVAILABLE_FROM,
            headings::MIN_AGE,
            headings::MAX_AGE,
            headings::SEXES,
        ]
        .map(String::from),
    );
    let first_need = columns.len() as u16;
    columns.extend(Need::ALL.iter().map(|n| headings::need(*n)));
    let after_needs = columns.len() as u16;
    columns.extend(
        [
            headings::EMERGENCY,
            headings::SOLO,
            headings::FEE,
            headings::VACANCY_NOTE,
            headings::NOTE,
        ]
        .map(String::from),
    );
    let col = |name: &str| columns.iter().position(|c| c == name).unwrap_or(0) as u16;

    let sheet = book.add_worksheet();
    sheet.set_name("Returns")?;
    let header = Style::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#DEE0E2");
    let date = Style::new().set_num_format("dd/mm/yyyy");
    let fee = Style::new().set_num_format("£#,##0.00");
    let info = Style::new().set_font_color("#505A5F");
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &header)?;
        sheet.set_column_width(c as u16, (name.len() as f64 * 0.9).clamp(10.0, 28.0))?;
    }
    sheet.set_row_height(0, 45)?;
    sheet.set_freeze_panes(1, 2)?;
    let mut row: u32 = 1;
    for (home, input) in lines {
        let vacancies = input
            .as_ref()
            .map(|i| i.vacancies.clone())
            .unwrap_or_default();
        let rows_for_home = vacancies.len().max(1);
        for k in 0..rows_for_home {
            sheet.write_string(row, col(headings::URN), &home.urn)?;
            sheet.write_string_with_format(row, col(headings::HOME), &home.name, &info)?;
            sheet.write_string(row, col(headings::WEEK), week.to_string())?;
            if let Some(p) = home.registered_places {
                sheet.write_number_with_format(row, col(headings::PLACES), f64::from(p), &info)?;
            }
            if k == 0
                && let Some(i) = input
            {
                if let Some(c) = i.capacity {
                    sheet.write_number(row, col(headings::CAPACITY), f64::from(c))?;
                }
                for (name, value) in [
                    (headings::OUTSIDE_REGION, i.occupied.outside_region),
                    (headings::STAFFING, i.unavailable.staffing),
                    (headings::WORKS, i.unavailable.works),
                    (headings::MATCHING, i.unavailable.matching),
                    (headings::REGISTRATION, i.unavailable.registration),
                    (headings::OTHER, i.unavailable.other),
                ] {
                    sheet.write_number(row, col(name), f64::from(value))?;
                }
                for (council, heading) in councils {
                    sheet.write_number(row, col(heading), f64::from(i.occupied.of(*council)))?;
                }
                if let Some(reason) = &i.unavailable.other_reason {
                    sheet.write_string(row, col(headings::OTHER_REASON), reason)?;
                }
                if let Some(note) = &i.note {
                    sheet.write_string(row, col(headings::NOTE), note)?;
                }
            }
            if let Some(v) = vacancies.get(k) {
                sheet.write_number(row, col(headings::BEDS), f64::from(v.beds))?;
                let from = v.available_from.max(week.monday());
                let when = ExcelDateTime::from_ymd(
                    chrono::Datelike::year(&from) as u16,
                    chrono::Datelike::month(&from) as u8,
                    chrono::Datelike::day(&from) as u8,
                )?;
                sheet.write_datetime_with_format(
                    row,
                    col(headings::AVAILABLE_FROM),
                    &when,
                    &date,
                )?;
                sheet.write_number(row, col(headings::MIN_AGE), f64::from(v.min_age))?;
                sheet.write_number(row, col(headings::MAX_AGE), f64::from(v.max_age))?;
                sheet.write_string(row, col(headings::SEXES), v.sexes.label())?;
                for (i, need) in Need::ALL.iter().enumerate() {
                    sheet.write_string(
                        row,
                        first_need + i as u16,
                        if v.needs.contains(need) { "Yes" } else { "No" },
                    )?;
                }
                sheet.write_string(
                    row,
                    col(headings::EMERGENCY),
                    if v.emergency { "Yes" } else { "No" },
                )?;
                sheet.write_string(
                    row,
                    col(headings::SOLO),
                    if v.solo_only { "Yes" } else { "No" },
                )?;
                if let Some(f) = v.weekly_fee {
                    sheet.write_number_with_format(
                        row,
                        col(headings::FEE),
                        f.0 as f64 / 100.0,
                        &fee,
                    )?;
                }
                if let Some(n) = &v.note {
                    sheet.write_string(row, col(headings::VACANCY_NOTE), n)?;
                }
            }
            row += 1;
        }
    }
    // Room to add rows for more vacancies; drop-downs and checks cover it.
    let last = (row + 200).min(settings.uploads.max_rows as u32);
    let yes_no = DataValidation::new().allow_list_strings(&["Yes", "No"])?;
    for c in first_need..after_needs {
        sheet.add_data_validation(1, c, last, c, &yes_no)?;
    }
    for name in [headings::EMERGENCY, headings::SOLO] {
        sheet.add_data_validation(1, col(name), last, col(name), &yes_no)?;
    }
    let sexes: Vec<&str> = Sexes::ALL.iter().map(|s| s.label()).collect();
    sheet.add_data_validation(
        1,
        col(headings::SEXES),
        last,
        col(headings::SEXES),
        &DataValidation::new().allow_list_strings(&sexes)?,
    )?;
    let whole = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(0, 500))
        .set_error_message("Enter a whole number of 0 or more")?;
    for name in councils.iter().map(|(_, h)| h.as_str()).chain([
        headings::CAPACITY,
        headings::OUTSIDE_REGION,
        headings::STAFFING,
        headings::WORKS,
        headings::MATCHING,
        headings::REGISTRATION,
        headings::OTHER,
        headings::BEDS,
    ]) {
        sheet.add_data_validation(1, col(name), last, col(name), &whole)?;
    }
    let ages = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(0, 25))
        .set_error_message("Ages are from 0 to 25")?;
    sheet.add_data_validation(
        1,
        col(headings::MIN_AGE),
        last,
        col(headings::MAX_AGE),
        &ages,
    )?;

    let help = book.add_worksheet();
    help.set_name("Instructions")?;
    help.set_column_width(0, 110)?;
    let title = Style::new().set_bold().set_font_size(16);
    let text = Style::new().set_text_wrap();
    let lines_of_help = [
        format!("Weekly return for {}, due by {}", week, crate::web::filters::date_time(&settings.returns.due(week).fixed_offset())),
        "Give the position on the Monday of the week. One row per home; the figures are filled in from your latest return.".into(),
        "Occupied: children living there, counted by the council that placed them: a column for each council of the region (every council in the region sees this return), and one for councils outside the region. No names.".into(),
        "Not admittable: beds that are empty but cannot take a child now, by reason (staffing, works, matching or impact risk, registration change, other).".into(),
        "Vacant beds: beds that can take a child. Registered places − occupied − not admittable must equal the vacant beds you describe.".into(),
        "More than one kind of vacancy in a home: add a row with the same URN and week, and fill in only the vacancy columns.".into(),
        "Fostering agencies and supported accommodation: give the carers or units you have this week.".into(),
        "Needs, Emergency and Solo only: choose Yes or No. Dates: dd/mm/yyyy. Weekly fee in pounds, like 4500.00.".into(),
        format!("Upload the file (.xlsx, .xlsm, .xls, .ods or .csv, up to {} MB and {} rows). You will see every problem before anything is filed, and nothing is filed until you confirm.", settings.uploads.max_file_bytes / (1024 * 1024), settings.uploads.max_rows),
    ];
    for (i, line) in lines_of_help.iter().enumerate() {
        if i == 0 {
            help.write_string_with_format(0, 0, line, &title)?;
        } else {
            help.write_string_with_format(i as u32 + 1, 0, line, &text)?;
        }
    }
    book.save_to_buffer()
}
