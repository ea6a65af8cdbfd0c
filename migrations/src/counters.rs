//! Change counters: a one-row table whose `version` triggers bump in the
//! transaction of any change to the tables it watches, so a process can
//! keep what it read of them and know, by reading one row, when to read
//! again (`search_versions`, migration 000014; `session_versions`, 000017,
//! which also watches API tokens since 000018).
//!
//! Names follow the counter's: table `search_versions`, triggers
//! `{table}_search_version` (`..._{event}` on SQLite), and on PostgreSQL
//! the function `bump_search_version`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A watched table and the events that bump the counter.
pub type Watched<'a> = (&'a str, &'a [&'a str]);

/// "search_versions" -> "search_version".
fn singular(counter: &str) -> &str {
    counter.strip_suffix('s').unwrap_or(counter)
}

pub async fn create(
    manager: &SchemaManager<'_>,
    counter: &str,
    watched: &[Watched<'_>],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let name = singular(counter);
    db.execute_unprepared(&format!(
        r#"CREATE TABLE "{counter}" ("id" integer NOT NULL PRIMARY KEY, "version" bigint NOT NULL)"#
    ))
    .await?;
    db.execute_unprepared(&format!(
        r#"INSERT INTO "{counter}" ("id", "version") VALUES (1, 1)"#
    ))
    .await?;
    if manager.get_database_backend() == DbBackend::Postgres {
        // Once per statement, however many rows it touched.
        db.execute_unprepared(&format!(
            r#"CREATE FUNCTION "bump_{name}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "{counter}" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$"#
        ))
        .await?;
    }
    watch(manager, counter, watched).await
}

/// Makes changes to more tables bump an existing counter. An event may
/// name columns (`UPDATE OF "a", "b"`): changes to others then leave the
/// counter alone.
pub async fn watch(
    manager: &SchemaManager<'_>,
    counter: &str,
    watched: &[Watched<'_>],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let name = singular(counter);
    for (table, events) in watched {
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(
                r#"CREATE TRIGGER "{table}_{name}" AFTER {events} OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION "bump_{name}"()"#,
                events = events.join(" OR ")
            ))
            .await?;
        } else {
            // SQLite has row triggers only, one event each.
            for event in *events {
                db.execute_unprepared(&format!(
                    r#"CREATE TRIGGER "{table}_{name}_{e}" AFTER {event} ON "{table}" BEGIN UPDATE "{counter}" SET "version" = "version" + 1 WHERE "id" = 1; END"#,
                    e = event_name(event)
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// Undoes [`watch`].
pub async fn unwatch(
    manager: &SchemaManager<'_>,
    counter: &str,
    watched: &[Watched<'_>],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let name = singular(counter);
    for (table, events) in watched {
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(r#"DROP TRIGGER "{table}_{name}" ON "{table}""#))
                .await?;
        } else {
            for event in *events {
                db.execute_unprepared(&format!(
                    r#"DROP TRIGGER "{table}_{name}_{e}""#,
                    e = event_name(event)
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// "UPDATE OF ..." -> "update", for a trigger's name.
fn event_name(event: &str) -> String {
    event
        .split_whitespace()
        .next()
        .unwrap_or(event)
        .to_lowercase()
}

pub async fn drop(
    manager: &SchemaManager<'_>,
    counter: &str,
    watched: &[Watched<'_>],
) -> Result<(), DbErr> {
    unwatch(manager, counter, watched).await?;
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        let name = singular(counter);
        db.execute_unprepared(&format!(r#"DROP FUNCTION "bump_{name}"()"#))
            .await?;
    }
    db.execute_unprepared(&format!(r#"DROP TABLE "{counter}""#))
        .await?;
    Ok(())
}
