//! Returns by spreadsheet: a template pre-filled with the provider's homes,
//! and an upload that is checked in full and previewed. Nothing is filed
//! until every row is valid and the provider confirms; then everything is
//! filed in one transaction.

use chrono::Utc;
use importers::returns::{ReturnRows, ReturnsFile, headings};
use importers::vocab::IsoWeek;
use importers::{FileError, Format, Limits, RowError};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::filing::{self, Filing};
use super::rules::Field;
use super::store;
use super::{ReturnInput, Source, Unavailable, VacancyInput, rules};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::return_uploads;
use crate::error::{Error, Result};
use crate::sandbox::Sandbox;

/// One return the upload would file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewReturn {
    pub urn: String,
    pub name: String,
    pub week: IsoWeek,
    pub first_row: usize,
    pub input: ReturnInput,
    /// The home's own council, when a member: "ours" in the spreadsheet.
    pub host: Option<i64>,
    /// The week's current return before this upload, as figures.
    #[serde(default)]
    pub before: Option<Figures>,
    /// Cells that could not be read, as typed (heading, text).
    #[serde(default)]
    pub typed: Vec<(String, String)>,
}

impl PreviewReturn {
    /// The same as the week's current return: filing files nothing.
    pub fn unchanged(&self) -> bool {
        self.before.as_ref().is_some_and(|b| b.input == self.input)
    }

    pub fn after(&self) -> Figures {
        Figures::of(&self.input, self.host)
    }

    /// A figure as the preview shows it: as typed where it could not be
    /// read (so "-1" shows as "-1", not as the 0 it was read as).
    pub fn shown(&self, heading: &str, value: u32) -> String {
        self.typed
            .iter()
            .find(|(h, _)| h == heading)
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| value.to_string())
    }

    pub fn shown_ours(&self) -> String {
        self.shown(headings::OCCUPIED_OURS, self.after().occupied_ours)
    }

    pub fn shown_other(&self) -> String {
        self.shown(headings::OCCUPIED_OTHER, self.after().occupied_other)
    }
}

/// What a preview shows of a return: the spreadsheet's two columns, the
/// home's own council's children ("ours", when it is a member) and the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub occupied_ours: u32,
    pub occupied_other: u32,
    pub not_admittable: u32,
    pub vacancies: u32,
    /// The whole return, to tell "no change" from a change in the details.
    pub input: ReturnInput,
}

impl Figures {
    /// "Ours" is the home's own council's line (`host`, when a member).
    pub fn of(input: &ReturnInput, host: Option<i64>) -> Self {
        let ours = host.map(|h| input.occupied.of(h)).unwrap_or(0);
        Figures {
            occupied_ours: ours,
            occupied_other: input.occupied.total() - ours,
            not_admittable: input.unavailable.total(),
            vacancies: input.vacant_beds(),
            input: input.clone(),
        }
    }
}

/// What an upload would file and every problem found.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Preview {
    pub returns: Vec<PreviewReturn>,
    pub problems: Vec<RowError>,
}

fn heading(field: Field) -> String {
    match field {
        Field::Capacity => headings::CAPACITY.into(),
        Field::Occupied => headings::OUTSIDE_REGION.into(),
        Field::Unavailable => headings::STAFFING.into(),
        Field::UnavailableOtherReason => headings::OTHER_REASON.into(),
        Field::Vacancies | Field::Beds => headings::BEDS.into(),
        Field::Note => headings::NOTE.into(),
        Field::AvailableFrom => headings::AVAILABLE_FROM.into(),
        Field::Ages => headings::MIN_AGE.into(),
        Field::Sexes => headings::SEXES.into(),
        Field::Needs => "Needs".into(),
        Field::Fee => headings::FEE.into(),
        Field::VacancyNote => headings::VACANCY_NOTE.into(),
    }
}

/// Beds by member council come from the councils' columns (by ONS code);
/// a two-number sheet's "ours" is the home's own council, as the deprecated
/// API reads it. A column for a council that is not a member is a problem.
fn to_input(
    rows: &ReturnRows,
    host: Option<i64>,
    members: &HashMap<String, i64>,
    problems: &mut Vec<RowError>,
) -> ReturnInput {
    let c = &rows.counts;
    let mut occupied =
        super::Occupancy::from_host_and_other(host, c.occupied_ours, c.occupied_other);
    for (code, beds) in &c.by_council {
        match members.get(code) {
            Some(id) => occupied.set(*id, occupied.of(*id) + beds),
            None => problems.push(RowError {
                row: rows.first_row,
                column: Some(code.clone()),
                message: format!(
                    "{code} is not a member council of the region: count its children under councils outside the region"
                ),
            }),
        }
    }
    ReturnInput {
        capacity: c.capacity,
        occupied,
        unavailable: Unavailable {
            staffing: c.staffing,
            works: c.works,
            matching: c.matching,
            registration: c.registration,
            other: c.other,
            other_reason: c.other_reason.clone(),
        },
        vacancies: rows
            .vacancies
            .iter()
            .map(|v| VacancyInput {
                beds: v.beds,
                available_from: v.available_from,
                min_age: v.min_age,
                max_age: v.max_age,
                sexes: v.sexes,
                needs: v.needs.clone(),
                emergency: v.emergency,
                solo_only: v.solo_only,
                weekly_fee: v.weekly_fee,
                note: v.note.clone(),
            })
            .collect(),
        note: c.note.clone(),
    }
}

/// Checks a parsed file against the homes it names and the rules, without
/// filing anything.
pub async fn prepare(
    db: &DatabaseConnection,
    viewer: &Viewer,
    file: ReturnsFile,
    settings: &Settings,
) -> Result<Preview> {
    let mut preview = Preview {
        problems: file.errors,
        ..Default::default()
    };
    let now = Utc::now();
    let urns: Vec<&str> = file.returns.iter().map(|r| r.urn.as_str()).collect();
    let known = store::facts_by_urn(db, &urns).await?;
    let members: HashMap<String, i64> = crate::regions::members(db)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.ons_code?, m.id)))
        .collect();
    for rows in &file.returns {
        let problem = |column: &str, message: String| RowError {
            row: rows.first_row,
            column: Some(column.to_string()),
            message,
        };
        let found = known
            .get(rows.urn.as_str())
            .filter(|(home, _)| viewer.belongs_to(home.provider_id));
        let Some((home, facts)) = found else {
            // Whether the URN exists at all is not said: it is not theirs.
            preview.problems.push(problem(
                headings::URN,
                format!("{} is not one of your organisation's homes", rows.urn),
            ));
            continue;
        };
        // Market, window and registration: the filing's own checks.
        if let Err(e) = filing::may_file(viewer, home, rows.week, now, settings) {
            preview
                .problems
                .push(problem(headings::WEEK, e.public_message().1));
            continue;
        }
        let host = home
            .host_council_id
            .filter(|id| members.values().any(|m| m == id));
        let mut input = to_input(rows, host, &members, &mut preview.problems);
        if !facts.states_capacity() {
            input.capacity = None;
        }
        // A row that could not be read is reported as it is; the rules are
        // not checked against figures read as 0, which would only add
        // problems that are not there.
        let unreadable = preview
            .problems
            .iter()
            .any(|p| rows.rows.contains(&p.row) || p.row == rows.first_row);
        let problems = if unreadable {
            Vec::new()
        } else {
            rules::check(&input, facts, rows.week)
        };
        for p in problems {
            let row = p
                .vacancy
                .and_then(|i| rows.vacancies.get(i))
                .map(|v| v.row)
                .unwrap_or(rows.first_row);
            preview.problems.push(RowError {
                row,
                column: Some(heading(p.field)),
                message: p.message,
            });
        }
        let before = store::current(db, home.id, rows.week)
            .await?
            .map(|current| Figures::of(&current.to_input(), host));
        preview.returns.push(PreviewReturn {
            urn: home.urn.clone(),
            name: home.name.clone(),
            week: rows.week,
            first_row: rows.first_row,
            input,
            host,
            before,
            typed: rows.counts.typed.clone(),
        });
    }
    preview.problems.sort_by_key(|p| p.row);
    Ok(preview)
}

fn new_id() -> String {
    crate::auth::tokens::random_token()
}

/// Reads, checks and keeps an upload for its preview. Returns its id.
pub async fn receive(
    db: &DatabaseConnection,
    sandbox: &Sandbox,
    viewer: &Viewer,
    file_name: &str,
    bytes: Vec<u8>,
    settings: &Settings,
) -> std::result::Result<String, UploadError> {
    let organisation_id = viewer
        .organisation_id
        .ok_or(UploadError::App(Error::Forbidden))?;
    if bytes.len() > settings.uploads.max_file_bytes {
        return Err(UploadError::File(FileError::new(format!(
            "The file is larger than {} MB: split it, or remove other sheets",
            settings.uploads.max_file_bytes / (1024 * 1024)
        ))));
    }
    let format = Format::detect(file_name, &bytes).map_err(UploadError::File)?;
    let limits = Limits {
        max_rows: settings.uploads.max_rows,
        ..Limits::default()
    };
    let file = sandbox
        .parse_returns(bytes, format, limits)
        .await
        .map_err(UploadError::File)?;
    let rows = file.rows;
    let preview = prepare(db, viewer, file, settings).await?;
    let id = new_id();
    let payload = serde_json::to_string(&preview).map_err(Error::internal)?;
    return_uploads::ActiveModel {
        id: Set(id.clone()),
        organisation_id: Set(organisation_id),
        uploaded_by_user_id: Set(viewer.user_id.unwrap_or_default()),
        file_name: Set(file_name.chars().take(200).collect()),
        uploaded_at: Set(Utc::now().fixed_offset()),
        status: Set("pending".into()),
        payload: Set(payload),
        rows: Set(rows as i32),
        problems: Set(preview.problems.len() as i32),
        decided_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(Error::from)?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file itself: shown on the upload page.
    #[error("{0}")]
    File(FileError),
    #[error(transparent)]
    App(#[from] Error),
}

pub struct Upload {
    pub record: return_uploads::Model,
    pub preview: Preview,
}

pub async fn find(db: &DatabaseConnection, viewer: &Viewer, id: &str) -> Result<Upload> {
    let record = return_uploads::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    if !viewer.belongs_to(Some(record.organisation_id)) {
        return Err(Error::Forbidden);
    }
    // Previews kept before returns counted children by council cannot be
    // read back; such an upload was discarded by the migration.
    let preview = serde_json::from_str(&record.payload).map_err(|_| {
        Error::BadRequest(
            "This upload's preview is no longer available: upload the file again".into(),
        )
    })?;
    Ok(Upload { record, preview })
}

/// What confirming an upload filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    pub filed: usize,
    /// Rows identical to the week's current return: nothing filed for them.
    pub unchanged: usize,
}

/// Files every return of a previewed upload in one transaction: all or none.
pub async fn confirm(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    settings: &Settings,
) -> Result<Confirmed> {
    let upload = find(db, viewer, id).await?;
    if upload.record.status != "pending" {
        return Err(Error::BadRequest(
            "This upload has already been filed or discarded.".into(),
        ));
    }
    if !upload.preview.problems.is_empty() {
        return Err(Error::BadRequest(
            "This upload has problems: fix them and upload the file again.".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut count = 0;
    for r in &upload.preview.returns {
        let home = store::home_by_urn(&txn, &r.urn).await?;
        let filing = Filing {
            idempotency_key: Some(format!("upload:{id}:{}", r.week)),
            ..Filing::new(Source::Upload)
        };
        let filed = filing::file(&txn, viewer, &home, r.week, &r.input, filing, settings).await?;
        count += usize::from(filed.is_new());
    }
    let mut record = upload.record.into_active_model();
    record.status = Set("filed".into());
    record.decided_at = Set(Some(Utc::now().fixed_offset()));
    let record = record.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("upload_filed", "return_upload", Some(id.to_string())).summary(format!(
            "Filed {count} returns from {} ({} rows with no change)",
            record.file_name,
            upload.preview.returns.len() - count
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(Confirmed {
        filed: count,
        unchanged: upload.preview.returns.len() - count,
    })
}

pub async fn discard(db: &DatabaseConnection, viewer: &Viewer, id: &str) -> Result<()> {
    let upload = find(db, viewer, id).await?;
    if upload.record.status == "pending" {
        let mut record = upload.record.into_active_model();
        record.status = Set("discarded".into());
        record.decided_at = Set(Some(Utc::now().fixed_offset()));
        record.update(db).await?;
    }
    Ok(())
}

/// Retention: previews nobody confirmed within a week are deleted.
pub async fn delete_stale(db: &DatabaseConnection) -> Result<u64> {
    let horizon = (Utc::now() - chrono::Duration::days(7)).fixed_offset();
    let result = return_uploads::Entity::delete_many()
        .filter(return_uploads::Column::Status.ne("filed"))
        .filter(return_uploads::Column::UploadedAt.lt(horizon))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
