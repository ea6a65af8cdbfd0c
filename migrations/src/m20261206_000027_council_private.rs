//! What is a council's own: each monitoring case and each logged search
//! belongs to one member council. A home may have an open case for each
//! council that monitors it (one per council, not one per home).
//!
//! Existing cases and searches become the region-of-one council's (000025).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn single_member(manager: &SchemaManager<'_>) -> Result<Option<i64>, DbErr> {
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            manager.get_database_backend(),
            "SELECT organisation_id FROM council_members",
        ))
        .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get::<i64>("", "organisation_id"))
        .collect::<Result<_, _>>()?;
    Ok(match ids[..] {
        [only] => Some(only),
        _ => None,
    })
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["monitoring_cases", "searches"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(reference_null("council_id"))
                        .to_owned(),
                )
                .await?;
        }
        if let Some(council) = single_member(manager).await? {
            let db = manager.get_connection();
            for table in ["monitoring_cases", "searches"] {
                db.execute_unprepared(&format!(
                    "UPDATE {table} SET council_id = {council} WHERE council_id IS NULL"
                ))
                .await?;
            }
        }
        manager
            .drop_index(
                Index::drop()
                    .name("monitoring_cases_one_open_per_home")
                    .table("monitoring_cases")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_cases_one_open_per_council")
                    .table("monitoring_cases")
                    .col("home_id")
                    .col("council_id")
                    .unique()
                    .and_where(Expr::col("status").ne("closed"))
                    .to_owned(),
            )
            .await?;
        for table in ["monitoring_cases", "searches"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("{table}_council"))
                        .table(table)
                        .col("council_id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["monitoring_cases", "searches"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("{table}_council"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("monitoring_cases_one_open_per_council")
                    .table("monitoring_cases")
                    .to_owned(),
            )
            .await?;
        // Back to one open case per home: later councils' duplicates close.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE monitoring_cases SET status = 'closed' WHERE status <> 'closed' AND id NOT IN \
                 (SELECT MIN(id) FROM monitoring_cases WHERE status <> 'closed' GROUP BY home_id)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_cases_one_open_per_home")
                    .table("monitoring_cases")
                    .col("home_id")
                    .unique()
                    .and_where(Expr::col("status").ne("closed"))
                    .to_owned(),
            )
            .await?;
        for table in ["monitoring_cases", "searches"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("council_id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
