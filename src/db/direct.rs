//! Reads of the change counters straight from the SQLite file, on the
//! calling thread.
//!
//! Every signed-in request reads two counters (sessions and offers, one row
//! each by key) before it can use what this instance holds in memory.
//! Through sqlx that read is a trip to a connection's worker thread and
//! back: two thread switches, which cost more than the read. Here it runs
//! on the request's own thread, on one connection of our own, in a few
//! microseconds. It sees the same committed state a pooled connection
//! would (each read is its own transaction on the WAL), so a sign-out or
//! deactivation committed anywhere applies at the next request, exactly as
//! before.
//!
//! It never waits: with its connection in use by another thread, the file
//! busy, or anything else amiss, it answers `None` and the caller reads
//! through the pool as before. PostgreSQL and in-memory SQLite always
//! answer `None`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sea_orm::{DatabaseBackend, DatabaseConnection};

pub struct DirectReader {
    /// The database file, if the pool is SQLite on a file.
    file: Option<PathBuf>,
    connection: Mutex<Direct>,
}

enum Direct {
    /// Opened at the first read (the tables exist once migrations ran).
    NotYet,
    Open(Connection),
    /// Could not be opened: said once, then the pool reads.
    Off,
}

impl std::fmt::Debug for DirectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReader")
            .field("file", &self.file)
            .finish()
    }
}

impl DirectReader {
    /// A reader of the file behind `db`'s pool.
    pub fn new(db: &DatabaseConnection) -> Self {
        let file = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let options = db.get_sqlite_connection_pool().connect_options();
                // An in-memory database has no file another connection
                // could open: its name is not a file on disk.
                Some(options.get_filename().to_path_buf()).filter(|path| path.is_file())
            }
            _ => None,
        };
        DirectReader {
            file,
            connection: Mutex::new(Direct::NotYet),
        }
    }

    /// Whether reads can be answered here at all.
    pub fn is_available(&self) -> bool {
        self.file.is_some()
    }

    /// The two integer columns of `sql`'s one row, or `None` for the caller
    /// to read them through the pool.
    pub fn pair(&self, sql: &str) -> Option<(i64, i64)> {
        let file = self.file.as_ref()?;
        // Another thread's read takes microseconds, but a worker thread
        // must not wait on it: the pool is the way round.
        let mut direct = self.connection.try_lock().ok()?;
        if let Direct::NotYet = *direct {
            *direct = match open(file) {
                Ok(connection) => Direct::Open(connection),
                Err(e) => {
                    tracing::warn!(error = %e, "direct SQLite reads are off; reading through the pool");
                    Direct::Off
                }
            };
        }
        let Direct::Open(connection) = &*direct else {
            return None;
        };
        let read = connection.prepare_cached(sql).and_then(|mut statement| {
            statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        });
        match read {
            Ok(pair) => Some(pair),
            Err(e) => {
                tracing::debug!(error = %e, "direct SQLite read failed; reading through the pool");
                None
            }
        }
    }
}

fn open(file: &Path) -> rusqlite::Result<Connection> {
    // Not SQLITE_OPEN_CREATE: the pool made the file; this only reads it.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(file, flags)?;
    // A busy file answers at once (and the pool, which may wait, reads
    // instead); nothing here can write.
    connection.busy_timeout(Duration::ZERO)?;
    connection.pragma_update(None, "query_only", true)?;
    Ok(connection)
}
