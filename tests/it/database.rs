//! The database layer's guarantees: pragmas on every pooled connection, an
//! append-only audit log, and acknowledged writes surviving `kill -9`.

use std::time::Duration;
use sufficiency::web::pagination::PageNumber;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::support::{Persona, TestApp, TestDatabase};

async fn pragma(conn: &impl ConnectionTrait, name: &str) -> String {
    let row = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .map(|v| v.to_string())
        .or_else(|_| row.try_get_by_index::<String>(0))
        .unwrap()
}

#[tokio::test]
async fn every_pooled_sqlite_connection_is_durable_and_checks_foreign_keys() {
    let database = TestDatabase::create().await;
    if database.is_postgres() {
        let db = database.connect().await;
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SHOW synchronous_commit",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "on");
        return;
    }
    let db = database.connect().await;
    // Hold several connections at once so the pool must open more than one.
    let pool = db.get_sqlite_connection_pool();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(pool.acquire().await.unwrap());
    }
    for conn in held.iter_mut() {
        use sea_orm::sqlx::Row;
        let value = |row: sea_orm::sqlx::sqlite::SqliteRow| -> String {
            row.try_get::<i64, _>(0)
                .map(|v| v.to_string())
                .or_else(|_| row.try_get::<String, _>(0))
                .unwrap()
        };
        let q = |sql: &'static str| sea_orm::sqlx::query(sql);
        assert_eq!(
            value(
                q("PRAGMA journal_mode")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap()
            ),
            "wal"
        );
        assert_eq!(
            value(
                q("PRAGMA synchronous")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap()
            ),
            "2",
            "FULL"
        );
        assert_eq!(
            value(
                q("PRAGMA foreign_keys")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap()
            ),
            "1"
        );
        assert_eq!(
            value(
                q("PRAGMA busy_timeout")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap()
            ),
            "5000"
        );
    }
    drop(held);
    assert_eq!(pragma(&db, "journal_mode").await, "wal");
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed_or_deleted() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    admin.get("/").await;
    assert!(
        app.db
            .execute_unprepared("UPDATE audit_events SET actor = 'someone else'")
            .await
            .is_err()
    );
    assert!(
        app.db
            .execute_unprepared("DELETE FROM audit_events")
            .await
            .is_err()
    );
    let (rows, total) =
        sufficiency::audit::list(&app.db, &Default::default(), PageNumber::FIRST, 5)
            .await
            .unwrap();
    assert!(total > 0 && rows.iter().all(|r| r.actor != "someone else"));
}

#[tokio::test]
async fn sign_ins_are_audited() {
    let app = TestApp::new().await;
    app.signed_in(Persona::ProviderA).await;
    app.client()
        .sign_in("provider-a@test.example", "a wrong password here")
        .await;
    let (rows, _) = sufficiency::audit::list(&app.db, &Default::default(), PageNumber::FIRST, 50)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.action == "sign_in" && r.actor == "provider-a@test.example")
    );
    assert!(rows.iter().any(|r| r.action == "sign_in_failed"
        && r.summary.as_deref() == Some("Failed sign-in as provider-a@test.example")));
}

/// Starts the real binary, makes acknowledged writes, kills it with SIGKILL
/// and checks every acknowledged write is there.
#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let database = TestDatabase::create().await;
    let server = crate::cli::Server::start(database.url()).await;
    server.add_admin().await;
    let mut http = server.http();
    http.sign_in("admin@test.example", crate::support::PASSWORD)
        .await;
    let mut acknowledged = Vec::new();
    for i in 0..15 {
        let name = format!("Durable Provider {i}");
        let status = http
            .post_form(
                "/organisations/new",
                &[("kind", "provider"), ("name", &name)],
            )
            .await;
        if status == 303 {
            acknowledged.push(name);
        }
    }
    assert_eq!(acknowledged.len(), 15);
    server.kill9();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let db = database.connect().await;
    let names: Vec<String> =
        <sufficiency::db::entities::organisations::Entity as sea_orm::EntityTrait>::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect();
    for name in acknowledged {
        assert!(names.contains(&name), "{name} was acknowledged but lost");
    }
}

/// Returns filed over the API and answered 201 are all there after SIGKILL.
#[tokio::test]
async fn acknowledged_returns_survive_kill_9() {
    let database = TestDatabase::create().await;
    let server = crate::cli::Server::start(database.url()).await;
    server.add_admin().await;
    let mut http = server.http();
    http.sign_in("admin@test.example", crate::support::PASSWORD)
        .await;
    let home = [
        ("registration", "1"),
        ("urn", "SC700001"),
        ("name", "Kill Test House"),
        ("provision_type", "childrens_home"),
        ("registered_places", "3"),
        ("registration_status", "active"),
        ("contract", "spot"),
    ];
    assert_eq!(http.post_form("/homes/new", &home).await, 303);
    let token = server.token("admin@test.example");
    let mut acknowledged = Vec::new();
    // This week and the eight before it: the weeks a return may be filed for.
    for back in 0..9 {
        let week = sufficiency::returns::this_week().plus(-back);
        let body = format!(
            r#"{{"occupied_by_council": [], "occupied_outside_region": 3, "note": "week {}"}}"#,
            back
        );
        if http
            .put_json(
                &format!("/api/v1/homes/SC700001/returns/{week}"),
                &token,
                &body,
            )
            .await
            == 201
        {
            acknowledged.push(week.monday());
        }
    }
    assert_eq!(acknowledged.len(), 9);
    server.kill9();
    let db = database.connect().await;
    let weeks: Vec<chrono::NaiveDate> =
        <sufficiency::db::entities::returns::Entity as sea_orm::EntityTrait>::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.week_start)
            .collect();
    for week in acknowledged {
        assert!(
            weeks.contains(&week),
            "the return for {week} was acknowledged but lost"
        );
    }
}

/// A full disk: the filing is refused with "nothing was saved" (503, logged
/// as an error), nothing is half-written, and once there is room again the
/// same request files. SQLite's `max_page_count` stands in for the disk:
/// PostgreSQL has no per-database size cap to fill, so there the test says
/// so and checks only that its disk-full error is classed the same way.
#[tokio::test]
async fn a_full_disk_refuses_the_filing_and_loses_nothing() {
    let app = TestApp::new().await;
    if app.database.is_postgres() {
        eprintln!("NOTICE: disk full is simulated on SQLite only (max_page_count)");
        let full = sea_orm::DbErr::Custom("could not extend file: No space left on device".into());
        assert!(sufficiency::db::is_unavailable(&full));
        return;
    }
    // One connection, so the cap applies to every statement the app runs.
    let db = sufficiency::db::connect(&sufficiency::config::Database {
        url: app.database.url().to_string(),
        max_connections: 1,
        busy_timeout_ms: 5000,
        acquire_timeout_ms: 5000,
    })
    .await
    .unwrap();
    let pages: i64 = pragma(&db, "page_count").await.parse().unwrap();
    db.execute_unprepared(&format!("PRAGMA max_page_count = {}", pages + 64))
        .await
        .unwrap();
    // Fill what room is left, as other data would.
    db.execute_unprepared("CREATE TABLE filler (b BLOB)")
        .await
        .unwrap();
    for size in [65536, 4096, 512, 64] {
        while db
            .execute_unprepared(&format!("INSERT INTO filler VALUES (zeroblob({size}))"))
            .await
            .is_ok()
        {}
    }
    let mut state = app.state.clone();
    state.make_mut().db = db.clone();
    let mut api = app.api_client(Persona::ProviderA).await;
    api.reach(Some(sufficiency::app::build(state)));
    let before = count(&app, "returns").await;
    let audit_before = count(&app, "audit_events").await;
    // 8,000 bytes: more than a page holds, so it needs new pages.
    let note = "🏠".repeat(2000);
    let mut body: serde_json::Value = serde_json::from_str(&crate::api::body(1, 1, 2)).unwrap();
    body["note"] = serde_json::Value::String(note);
    let refused = api
        .put_json(&crate::api::path(&app), &body.to_string())
        .await;
    refused.assert_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    refused.assert_contains("Nothing was saved");
    assert_eq!(count(&app, "returns").await, before);
    assert_eq!(count(&app, "audit_events").await, audit_before);

    db.execute_unprepared("PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    api.put_json(&crate::api::path(&app), &body.to_string())
        .await
        .assert_status(axum::http::StatusCode::CREATED);
    assert_eq!(count(&app, "returns").await, before + 1);
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}
