//! On SQLite a signed-in request reads its change counters on its own
//! thread (`db::direct`) instead of through sqlx's worker thread. Such a
//! read must see exactly what the pool would: every commit, nothing
//! uncommitted, without waiting on a writer and without holding the WAL.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sufficiency::db::direct::DirectReader;

use crate::support::TestApp;

const COUNTERS: &str = r#"SELECT (SELECT "version" FROM "session_versions" WHERE "id" = 1),
    (SELECT "version" FROM "search_versions" WHERE "id" = 1)"#;

async fn counters_through_the_pool(db: &impl ConnectionTrait) -> (i64, i64) {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), COUNTERS))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

/// A fresh app and a direct reader of its database, on SQLite only.
async fn on_sqlite() -> Option<(TestApp, DirectReader)> {
    let app = TestApp::new().await;
    let direct = DirectReader::new(&app.db);
    (app.db.get_database_backend() == DatabaseBackend::Sqlite).then_some((app, direct))
}

#[tokio::test]
async fn a_direct_read_sees_every_commit_at_once() {
    let app = TestApp::new().await;
    let direct = DirectReader::new(&app.db);
    if app.db.get_database_backend() != DatabaseBackend::Sqlite {
        // PostgreSQL is read through the pool, always.
        assert!(!direct.is_available());
        assert_eq!(direct.pair(COUNTERS), None);
        return;
    }
    assert!(direct.is_available());
    assert_eq!(
        direct.pair(COUNTERS),
        Some(counters_through_the_pool(&app.db).await)
    );
    for bump in 1..=3 {
        app.execute(r#"UPDATE "session_versions" SET "version" = "version" + 1"#)
            .await;
        app.execute(r#"UPDATE "search_versions" SET "version" = "version" + 10"#)
            .await;
        let (sessions, offers) = direct.pair(COUNTERS).unwrap();
        assert_eq!(
            (sessions, offers),
            counters_through_the_pool(&app.db).await,
            "after bump {bump}"
        );
    }
}

#[tokio::test]
async fn a_write_in_progress_neither_delays_a_direct_read_nor_shows_in_it() {
    let Some((app, direct)) = on_sqlite().await else {
        return;
    };
    let before = direct.pair(COUNTERS).unwrap();
    let writing = sufficiency::db::begin_write(&app.db).await.unwrap();
    writing
        .execute_unprepared(r#"UPDATE "session_versions" SET "version" = "version" + 1"#)
        .await
        .unwrap();
    // The writer holds SQLite's write lock; the read neither waits for it
    // nor sees its uncommitted change.
    let started = std::time::Instant::now();
    assert_eq!(direct.pair(COUNTERS), Some(before));
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
    writing.commit().await.unwrap();
    assert_eq!(direct.pair(COUNTERS), Some((before.0 + 1, before.1)));
}

#[tokio::test]
async fn a_direct_read_leaves_no_transaction_holding_the_wal() {
    let Some((app, direct)) = on_sqlite().await else {
        return;
    };
    direct.pair(COUNTERS).unwrap();
    app.execute(r#"UPDATE "search_versions" SET "version" = "version" + 1"#)
        .await;
    direct.pair(COUNTERS).unwrap();
    // A TRUNCATE checkpoint must wait for every reader; one left open would
    // make it report busy (1) after the pool's busy timeout.
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await
        .unwrap()
        .unwrap();
    let busy: i64 = row.try_get_by_index(0).unwrap();
    assert_eq!(busy, 0, "a direct read kept a read transaction open");
}

#[tokio::test]
async fn what_a_direct_read_cannot_answer_falls_to_the_pool() {
    let Some((_app, direct)) = on_sqlite().await else {
        return;
    };
    assert_eq!(direct.pair(r#"SELECT "no_such_column" FROM "users""#), None);
    // The reader still answers afterwards.
    assert!(direct.pair(COUNTERS).is_some());
    // An in-memory database has no file to open beside the pool.
    let memory = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let direct = DirectReader::new(&memory);
    assert!(!direct.is_available());
    assert_eq!(direct.pair("SELECT 1, 2"), None);
}
