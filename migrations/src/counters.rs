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
    let (db, backend) = (manager.get_connection(), manager.get_database_backend());
    let name = singular(counter);
    for Trigger {
        name: trigger,
        table,
        events,
    } in triggers(backend, counter, watched)
    {
        let statement = match backend {
            DbBackend::Postgres => format!(
                r#"CREATE TRIGGER "{trigger}" AFTER {events} OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION "bump_{name}"()"#
            ),
            _ => format!(
                r#"CREATE TRIGGER "{trigger}" AFTER {events} ON "{table}" BEGIN UPDATE "{counter}" SET "version" = "version" + 1 WHERE "id" = 1; END"#
            ),
        };
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// Undoes [`watch`].
pub async fn unwatch(
    manager: &SchemaManager<'_>,
    counter: &str,
    watched: &[Watched<'_>],
) -> Result<(), DbErr> {
    let (db, backend) = (manager.get_connection(), manager.get_database_backend());
    for Trigger { name, table, .. } in triggers(backend, counter, watched) {
        let statement = match backend {
            DbBackend::Postgres => format!(r#"DROP TRIGGER "{name}" ON "{table}""#),
            _ => format!(r#"DROP TRIGGER "{name}""#),
        };
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// One trigger of a counter: its name, its table and the events it fires on.
struct Trigger<'a> {
    name: String,
    table: &'a str,
    events: String,
}

/// The triggers that watch `watched` for `counter`: on PostgreSQL one
/// statement trigger a table, on SQLite (row triggers only) one a table and
/// event, named by the event's first word ("UPDATE OF ..." -> "update").
fn triggers<'a>(backend: DbBackend, counter: &str, watched: &[Watched<'a>]) -> Vec<Trigger<'a>> {
    let name = singular(counter);
    watched
        .iter()
        .flat_map(|&(table, events)| match backend {
            DbBackend::Postgres => vec![Trigger {
                name: format!("{table}_{name}"),
                table,
                events: events.join(" OR "),
            }],
            _ => events
                .iter()
                .map(|event| Trigger {
                    name: format!(
                        "{table}_{name}_{}",
                        event
                            .split_whitespace()
                            .next()
                            .unwrap_or(event)
                            .to_lowercase()
                    ),
                    table,
                    events: (*event).to_owned(),
                })
                .collect(),
        })
        .collect()
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
