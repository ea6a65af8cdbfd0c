//! A counter the database bumps whenever anything a search shows or reads
//! changes (homes, their current offers, inspections, monitoring cases,
//! providers, the postcode tables).
//! Each search reads it (one row by key) and rebuilds its in-memory index of
//! offers only when it moved, so every instance, and every change made by a
//! CLI import or by hand, is seen by the next search.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The tables whose changes a search must see.
const WATCHED: [&str; 7] = [
    "homes",
    "home_offers",
    "inspections",
    "monitoring_cases",
    "organisations",
    "postcodes",
    "postcode_districts",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"CREATE TABLE "search_versions" ("id" integer NOT NULL PRIMARY KEY, "version" bigint NOT NULL)"#,
        )
        .await?;
        db.execute_unprepared(r#"INSERT INTO "search_versions" ("id", "version") VALUES (1, 1)"#)
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                // Once per statement, however many rows it touched.
                db.execute_unprepared(
                    r#"CREATE FUNCTION "bump_search_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "search_versions" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$"#,
                )
                .await?;
                for table in WATCHED {
                    db.execute_unprepared(&format!(
                        r#"CREATE TRIGGER "{table}_search_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION "bump_search_version"()"#
                    ))
                    .await?;
                }
            }
            _ => {
                // SQLite has row triggers only.
                for table in WATCHED {
                    for event in ["INSERT", "UPDATE", "DELETE"] {
                        db.execute_unprepared(&format!(
                            r#"CREATE TRIGGER "{table}_search_version_{e}" AFTER {event} ON "{table}" BEGIN UPDATE "search_versions" SET "version" = "version" + 1 WHERE "id" = 1; END"#,
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
                for table in WATCHED {
                    db.execute_unprepared(&format!(
                        r#"DROP TRIGGER "{table}_search_version" ON "{table}""#
                    ))
                    .await?;
                }
                db.execute_unprepared(r#"DROP FUNCTION "bump_search_version"()"#)
                    .await?;
            }
            _ => {
                for table in WATCHED {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            r#"DROP TRIGGER "{table}_search_version_{event}""#
                        ))
                        .await?;
                    }
                }
            }
        }
        db.execute_unprepared(r#"DROP TABLE "search_versions""#)
            .await?;
        Ok(())
    }
}
