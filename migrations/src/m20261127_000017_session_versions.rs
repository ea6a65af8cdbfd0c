//! A counter the database bumps whenever a session or a user changes
//! (sign-in, sign-out, a session's data saved, deactivation, a new password,
//! a new role). An instance may keep the sessions it has read in memory and
//! use one again only while this counter has not moved since it was read,
//! so a change made by another instance, a CLI command or by hand is seen by
//! the next request, exactly as if every request read its session afresh.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The tables whose changes end what an instance holds, and their events
/// (a user is never signed in before it exists).
const WATCHED: [(&str, &[&str]); 2] = [
    ("sessions", &["INSERT", "UPDATE", "DELETE"]),
    ("users", &["UPDATE", "DELETE"]),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"CREATE TABLE "session_versions" ("id" integer NOT NULL PRIMARY KEY, "version" bigint NOT NULL)"#,
        )
        .await?;
        db.execute_unprepared(r#"INSERT INTO "session_versions" ("id", "version") VALUES (1, 1)"#)
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                // Once per statement, however many rows it touched.
                db.execute_unprepared(
                    r#"CREATE FUNCTION "bump_session_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "session_versions" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$"#,
                )
                .await?;
                for (table, events) in WATCHED {
                    db.execute_unprepared(&format!(
                        r#"CREATE TRIGGER "{table}_session_version" AFTER {events} OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION "bump_session_version"()"#,
                        events = events.join(" OR ")
                    ))
                    .await?;
                }
            }
            _ => {
                // SQLite has row triggers only.
                for (table, events) in WATCHED {
                    for event in events {
                        db.execute_unprepared(&format!(
                            r#"CREATE TRIGGER "{table}_session_version_{e}" AFTER {event} ON "{table}" BEGIN UPDATE "session_versions" SET "version" = "version" + 1 WHERE "id" = 1; END"#,
                            e = event.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (table, _) in WATCHED {
                    db.execute_unprepared(&format!(
                        r#"DROP TRIGGER "{table}_session_version" ON "{table}""#
                    ))
                    .await?;
                }
                db.execute_unprepared(r#"DROP FUNCTION "bump_session_version"()"#)
                    .await?;
            }
            _ => {
                for (table, events) in WATCHED {
                    for event in events {
                        db.execute_unprepared(&format!(
                            r#"DROP TRIGGER "{table}_session_version_{e}""#,
                            e = event.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        db.execute_unprepared(r#"DROP TABLE "session_versions""#)
            .await?;
        Ok(())
    }
}
