//! One return, many councils: a return states the beds occupied by each
//! member council's children (`return_placements`, a line per council with
//! children there) and by councils outside the region (a count), and keeps
//! the total (`occupied`) that capacity and search read.
//!
//! Each return's "ours" becomes the line of the region-of-one's council
//! (000025) and "other" the outside-region count. Down maps the first
//! member's line back to "ours" and every other line into "other".

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn count(name: &'static str) -> ColumnDef {
    integer(name)
        .default(0)
        .check(Expr::col(name).gte(0))
        .take()
}

async fn add(manager: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("returns")
                .add_column(column)
                .to_owned(),
        )
        .await
}

async fn drop(manager: &SchemaManager<'_>, column: &'static str) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("returns")
                .drop_column(column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("return_placements")
                    .col(reference("return_id"))
                    .col(reference("council_id"))
                    .col(integer("beds").check(Expr::col("beds").gte(1)))
                    .primary_key(Index::create().col("return_id").col("council_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("return_placements_return_fk")
                            .from("return_placements", "return_id")
                            .to("returns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("return_placements_council_fk")
                            .from("return_placements", "council_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // "Homes where this council's children live" reads by council.
        manager
            .create_index(
                Index::create()
                    .name("return_placements_council")
                    .table("return_placements")
                    .col("council_id")
                    .col("return_id")
                    .to_owned(),
            )
            .await?;
        add(manager, count("occupied")).await?;
        add(manager, count("occupied_outside_region")).await?;

        let db = manager.get_connection();
        let with_ours = db
            .query_one_raw(sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT COUNT(*) AS n FROM returns WHERE occupied_ours > 0",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if with_ours > 0 {
            let members = db
                .query_one_raw(sea_orm::Statement::from_string(
                    manager.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM council_members",
                ))
                .await?
                .map(|row| row.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            if members != 1 {
                return Err(DbErr::Migration(format!(
                    "{with_ours} returns count children of our council, but the database has \
                     {members} member councils, not one: give the configured council its ONS \
                     code (organisations.ons_code) and migrate again"
                )));
            }
            db.execute_unprepared(
                "INSERT INTO return_placements (return_id, council_id, beds) \
                 SELECT r.id, m.organisation_id, r.occupied_ours \
                 FROM returns r CROSS JOIN council_members m WHERE r.occupied_ours > 0",
            )
            .await?;
        }
        db.execute_unprepared(
            "UPDATE returns SET occupied = occupied_ours + occupied_other, \
             occupied_outside_region = occupied_other",
        )
        .await?;
        drop(manager, "occupied_ours").await?;
        drop(manager, "occupied_other").await?;
        // A pending upload's preview holds figures in the old shape: it is
        // discarded (the provider uploads the file again).
        db.execute_unprepared(
            "UPDATE return_uploads SET status = 'discarded' WHERE status = 'pending'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, count("occupied_ours")).await?;
        add(manager, count("occupied_other")).await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE returns SET occupied_ours = COALESCE((SELECT p.beds FROM return_placements p \
             WHERE p.return_id = returns.id AND p.council_id = \
             (SELECT MIN(organisation_id) FROM council_members)), 0)",
        )
        .await?;
        db.execute_unprepared("UPDATE returns SET occupied_other = occupied - occupied_ours")
            .await?;
        drop(manager, "occupied").await?;
        drop(manager, "occupied_outside_region").await?;
        manager
            .drop_table(Table::drop().table("return_placements").to_owned())
            .await
    }
}
