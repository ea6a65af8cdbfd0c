//! Database connection, migrations and the few helpers every feature shares.
//! SQLite (a file under `data/`) is the default; PostgreSQL is chosen by URL.

pub mod backup;
pub mod entities;
mod timestamps;

use std::str::FromStr;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqlErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::config;

/// Opens a pool. On SQLite every pooled connection gets WAL, `synchronous=FULL`
/// (a commit is on disk before it is acknowledged), foreign keys and a busy
/// timeout: sqlx sets none of the first two by itself.
pub async fn connect(settings: &config::Database) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .sqlx_logging(false);
    if settings.url.starts_with("sqlite:") {
        create_sqlite_parent_dir(&settings.url)?;
        let busy_timeout = Duration::from_millis(settings.busy_timeout_ms);
        // Nothing can hang up an in-process database: sqlx's default ping
        // before every checkout was a second trip to the worker thread on
        // every query.
        options.test_before_acquire(false);
        options.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                .create_if_missing(true)
        });
    } else {
        // PostgreSQL's default, stated so a server-wide change cannot weaken it.
        options.map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "on")]));
        // A connection the server or a firewall may have dropped is checked
        // before use; one in use this last half-minute is not pinged (sqlx's
        // default pings before every query, a second round trip each).
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    Database::connect(options).await
}

fn create_sqlite_parent_dir(url: &str) -> Result<(), DbErr> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| DbErr::Custom(format!("{url}: {e}")))?;
    let path = options.get_filename();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(())
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// What every command that uses the database does first: migrate, then make
/// sure the region has its first member council (`[council]`).
pub async fn prepare(
    db: &DatabaseConnection,
    settings: &crate::config::Settings,
) -> crate::error::Result<()> {
    migrate(db).await?;
    crate::regions::start_with_configured_council(db, settings).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE), so two writers queue on the busy timeout instead of
/// one failing when it upgrades from reading to writing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite_transaction_mode = (db.get_database_backend() == DatabaseBackend::Sqlite)
        .then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode,
        ..Default::default()
    })
    .await
}

/// Runs `change` in a write transaction, committed only when it succeeds:
/// an invalid form or a refusal leaves nothing behind.
pub async fn in_write_transaction<R>(
    db: &DatabaseConnection,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> crate::error::Result<R>,
) -> crate::error::Result<R> {
    let txn = begin_write(db).await?;
    let done = change(&txn).await?;
    txn.commit().await?;
    Ok(done)
}

/// The row a unique key finds, for lookups every request makes. `.one()`
/// binds `LIMIT ?`, and SQLite (3.45 on) reads a bound LIMIT while planning,
/// so it compiles such a statement afresh on every run; a unique key needs
/// no limit.
pub async fn unique<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(conn).await?.into_iter().next())
}

/// True when the error is a unique-constraint violation (a duplicate URN, email...).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when the database could not be reached, stayed locked past the
/// busy timeout, or has no room left (a full disk): the request should be
/// answered 503 with nothing saved, never a false success.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        other => {
            let text = other.to_string();
            [
                "database is locked",
                "database is busy",
                // SQLite's SQLITE_FULL; PostgreSQL's disk_full (53100).
                "database or disk is full",
                "No space left on device",
                "could not extend file",
            ]
            .iter()
            .any(|cause| text.contains(cause))
        }
    }
}

/// Cheap round trip used by `/healthz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}
