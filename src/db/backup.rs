//! `sufficiency backup FILE`: a consistent copy of the database taken while
//! the service runs. SQLite writes it with `VACUUM INTO` (one read
//! transaction: every commit before it began is in the copy, none after);
//! PostgreSQL runs `pg_dump` in its custom format (one snapshot too).
//! Restoring is in docs/operations.md.

use std::path::Path;
use std::process::Command;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// Why a backup was not made, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: choose a new file, so no backup is overwritten")]
    Exists(String),
    #[error("the copy failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(
        "pg_dump could not be run ({0}). Install the PostgreSQL client tools \
         of the server's version, or run pg_dump --format=custom yourself"
    )]
    NoPgDump(std::io::Error),
    #[error("pg_dump failed: {0}")]
    PgDump(String),
}

pub async fn backup(
    db: &DatabaseConnection,
    database_url: &str,
    target: &Path,
) -> Result<(), BackupError> {
    if target.exists() {
        return Err(BackupError::Exists(target.display().to_string()));
    }
    match db.get_database_backend() {
        DatabaseBackend::Postgres => pg_dump(database_url, target),
        _ => {
            let statement = Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "VACUUM INTO ?",
                [target.to_string_lossy().into_owned().into()],
            );
            db.execute_raw(statement).await?;
            Ok(())
        }
    }
}

fn pg_dump(database_url: &str, target: &Path) -> Result<(), BackupError> {
    let output = Command::new("pg_dump")
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(target)
        .arg("--dbname")
        .arg(database_url)
        .output()
        .map_err(BackupError::NoPgDump)?;
    if output.status.success() {
        Ok(())
    } else {
        let _ = std::fs::remove_file(target);
        Err(BackupError::PgDump(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ))
    }
}
