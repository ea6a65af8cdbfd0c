//! The two change counters a signed-in request reads before it may use
//! what this instance holds in memory: `session_versions` (sessions, users
//! and API tokens) and `search_versions` (what a search shows). One query,
//! one row each by key; on SQLite read on the request's own thread
//! (`db::direct`), otherwise, or when that cannot answer at once, straight
//! through sqlx on sea-orm's pool (sea-orm's generic query future is large
//! enough that moving it into its box cost more than the query itself).

use std::sync::LazyLock;

use sea_orm::{DatabaseConnection, DbBackend, DbErr};

use crate::db::direct::DirectReader;

/// The session counter as an expression, for queries that read it beside
/// what it guards.
pub const SESSIONS_VERSION: &str = r#"(SELECT "version" FROM "session_versions" WHERE "id" = 1)"#;

/// Both counters.
static VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"SELECT {SESSIONS_VERSION} AS "sessions_version", {} AS "offers_version""#,
        crate::search::index::VERSION_SUBQUERY
    )
});

/// The counters as read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub sessions: i64,
    pub offers: i64,
}

#[derive(Debug)]
pub struct Counters {
    db: DatabaseConnection,
    direct: DirectReader,
}

impl Counters {
    pub fn new(db: DatabaseConnection) -> Self {
        Counters {
            direct: DirectReader::new(&db),
            db,
        }
    }

    pub async fn read(&self) -> Result<Versions, DbErr> {
        use sea_orm::sqlx;
        let (sessions, offers) = match self.direct.pair(VERSIONS.as_str()) {
            Some(pair) => pair,
            None => match self.db.get_database_backend() {
                DbBackend::Sqlite => {
                    sqlx::query_as(VERSIONS.as_str())
                        .fetch_one(self.db.get_sqlite_connection_pool())
                        .await
                }
                DbBackend::Postgres => {
                    sqlx::query_as(VERSIONS.as_str())
                        .fetch_one(self.db.get_postgres_connection_pool())
                        .await
                }
                other => return Err(DbErr::Custom(format!("no counters on {other:?}"))),
            }
            .map_err(|e| DbErr::Custom(e.to_string()))?,
        };
        Ok(Versions { sessions, offers })
    }
}
