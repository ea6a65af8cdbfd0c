//! Ofsted files imported from the web: the upload is recorded, parsed in the
//! sandbox and applied in one transaction in the background, with its stage
//! written as it goes so the page can show progress, and the change report
//! kept at the end. An import a restart interrupted is marked failed (its
//! transaction never committed, so nothing of it was applied).

use chrono::Utc;
use importers::{Format, Limits};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::report::ChangeReport;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::ofsted_imports;
use crate::error::{Error, Result};
use crate::sandbox::Sandbox;

/// Records a new import and checks the file's kind; the caller runs it.
pub async fn start(
    db: &DatabaseConnection,
    viewer: &Viewer,
    file_name: &str,
    bytes: &[u8],
) -> Result<(ofsted_imports::Model, Format)> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    let format = Format::detect(file_name, bytes).map_err(|e| Error::field("file", e.message))?;
    let row = ofsted_imports::ActiveModel {
        file_name: Set(file_name.chars().take(200).collect()),
        status: Set("running".into()),
        stage: Set("Reading the file".into()),
        percent: Set(5),
        report: Set(None),
        error: Set(None),
        started_by_user_id: Set(viewer.user_id),
        started_by: Set(viewer.display_name.clone()),
        started_at: Set(Utc::now().fixed_offset()),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((row, format))
}

async fn stage(db: &DatabaseConnection, id: i64, stage: &str, percent: i16) -> Result<()> {
    ofsted_imports::Entity::update_many()
        .col_expr(ofsted_imports::Column::Stage, stage.into())
        .col_expr(ofsted_imports::Column::Percent, percent.into())
        .filter(ofsted_imports::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn finish(
    db: &DatabaseConnection,
    id: i64,
    outcome: std::result::Result<ChangeReport, String>,
) -> Result<()> {
    let Some(row) = ofsted_imports::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    let mut model = row.into_active_model();
    match outcome {
        Ok(report) => {
            model.status = Set("done".into());
            model.stage = Set("Finished".into());
            model.report = Set(Some(
                serde_json::to_string(&report).map_err(Error::internal)?,
            ));
        }
        Err(message) => {
            model.status = Set("failed".into());
            model.stage = Set("Stopped".into());
            model.error = Set(Some(message));
        }
    }
    model.percent = Set(100);
    model.finished_at = Set(Some(Utc::now().fixed_offset()));
    model.update(db).await?;
    Ok(())
}

/// Parses and applies the file, recording each stage and the outcome.
pub async fn run(
    db: &DatabaseConnection,
    sandbox: &Sandbox,
    settings: &Settings,
    viewer: &Viewer,
    id: i64,
    format: Format,
    bytes: Vec<u8>,
) -> Result<()> {
    stage(db, id, "Checking every row of the file", 15).await?;
    let file = match sandbox.parse_ofsted(bytes, format, Limits::default()).await {
        Ok(file) => file,
        Err(e) => return finish(db, id, Err(e.message)).await,
    };
    stage(
        db,
        id,
        &format!(
            "Saving {} settings: homes, owners, inspections and ratings",
            file.settings.len()
        ),
        50,
    )
    .await?;
    match super::import(db, viewer, &file, settings).await {
        Ok(summary) => finish(db, id, Ok(ChangeReport::from(&summary))).await,
        Err(e) => {
            let message = if e.status().is_server_error() {
                tracing::error!(error = %e, import = id, "Ofsted import failed");
                "The import could not be saved. Nothing from it was applied; try again, and tell your administrator if it fails again".to_string()
            } else {
                e.public_message().1
            };
            finish(db, id, Err(message)).await
        }
    }
}

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<ofsted_imports::Model> {
    ofsted_imports::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

pub fn report_of(row: &ofsted_imports::Model) -> Option<ChangeReport> {
    row.report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
}

/// The most recent imports, newest first (interrupted ones marked so).
pub async fn recent(db: &DatabaseConnection, limit: u64) -> Result<Vec<ofsted_imports::Model>> {
    fail_interrupted(db, chrono::Utc::now()).await?;
    Ok(ofsted_imports::Entity::find()
        .order_by_desc(ofsted_imports::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// An import runs within the upload's parse time limit and one
/// transaction: one still "running" after this long was interrupted.
const INTERRUPTED_AFTER_MINUTES: i64 = 15;

/// Imports still "running" long after they started were interrupted (their
/// instance stopped or restarted). Only those: with several instances, one
/// starting must not fail the import another is running. Run at start and
/// before imports are listed.
pub async fn fail_interrupted(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    let started_before =
        (now - chrono::Duration::minutes(INTERRUPTED_AFTER_MINUTES)).fixed_offset();
    let result = ofsted_imports::Entity::update_many()
        .col_expr(ofsted_imports::Column::Status, "failed".into())
        .col_expr(ofsted_imports::Column::Stage, "Stopped".into())
        .col_expr(
            ofsted_imports::Column::Error,
            "The import was interrupted (the service stopped or restarted). Nothing from it was applied: upload the file again".into(),
        )
        .filter(ofsted_imports::Column::Status.eq("running"))
        .filter(ofsted_imports::Column::StartedAt.lt(started_before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The words and GOV.UK tag colour of an import's status.
pub fn status_tag(status: &str) -> (&'static str, &'static str) {
    match status {
        "running" => ("Importing", "govuk-tag--blue"),
        "done" => ("Imported", "govuk-tag--green"),
        _ => ("Failed", "govuk-tag--red"),
    }
}
