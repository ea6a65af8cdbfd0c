//! Importing Ofsted's published provider data: homes are upserted by URN,
//! inspections by event number, each home's owner is found or created from
//! "Organisation which owns the provider", and each home's current rating is
//! its latest full inspection that counts (`quality`). Each of a home's facts
//! remembers the date of the file it came from, and an older file never
//! replaces it: files imported in any order end in the same database, and
//! re-importing a file changes nothing. Everything is written in one
//! transaction, with the audit trail.

mod apply;
mod facts;
mod file_organisations;
mod inspections;
pub mod report;
pub mod routes;
mod summary;
mod views;
pub mod web_import;

use std::path::Path;

use importers::ofsted::OfstedFile;
use importers::{FileError, Format, Limits};
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::config::Settings;
use crate::error::Result;
use crate::sandbox::Sandbox;

pub use inspections::refresh_current;
pub use summary::{ImportSummary, OwnerChange, RatingChange};

/// Reads a file from disk and parses it (spreadsheets in the sandbox).
pub async fn read_file(path: &Path, sandbox: &Sandbox) -> Result<OfstedFile, FileError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| FileError::new(format!("{}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let format = Format::detect(&name, &bytes)?;
    sandbox.parse_ofsted(bytes, format, Limits::default()).await
}

/// Applies a parsed file to the database.
pub async fn import(
    db: &DatabaseConnection,
    viewer: &Viewer,
    file: &OfstedFile,
    settings: &Settings,
) -> Result<ImportSummary> {
    let txn = crate::db::begin_write(db).await?;
    let summary = apply::apply(&txn, viewer, file).await?;
    crate::quality::alerts::rating_alerts(&txn, settings, chrono::Utc::now()).await?;
    txn.commit().await?;
    Ok(summary)
}
