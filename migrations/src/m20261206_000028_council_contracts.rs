//! How a council buys a home's places (a block or framework contract, and
//! the block beds it pays for) is that council's own: a row per council and
//! home (`council_contracts`; no row is spot purchase), not a column of the
//! shared home. Existing contracts become the region-of-one council's.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const HOME_COLUMNS: [&str; 2] = ["contract", "block_beds"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("council_contracts")
                    // An id of its own (not the two keys): the entity
                    // generator would take a two-key table for a pure link.
                    .col(id())
                    .col(reference("council_id"))
                    .col(reference("home_id"))
                    .col(one_of("contract", &["block", "framework"]))
                    .col(integer_null("block_beds").check(Expr::col("block_beds").gte(0)))
                    .col(instant("updated_at"))
                    .index(
                        Index::create()
                            .name("council_contracts_council_home")
                            .col("council_id")
                            .col("home_id")
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("council_contracts_council_fk")
                            .from("council_contracts", "council_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("council_contracts_home_fk")
                            .from("council_contracts", "home_id")
                            .to("homes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO council_contracts (council_id, home_id, contract, block_beds, updated_at) \
             SELECT m.organisation_id, h.id, h.contract, h.block_beds, h.updated_at \
             FROM homes h CROSS JOIN council_members m \
             WHERE h.contract <> 'spot' AND (SELECT COUNT(*) FROM council_members) = 1",
        )
        .await?;
        for column in HOME_COLUMNS {
            manager
                .alter_table(Table::alter().table("homes").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("homes")
                    .add_column(
                        string("contract")
                            .default("spot")
                            .check(Expr::col("contract").is_in(["spot", "block", "framework"]))
                            .take(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("homes")
                    .add_column(integer_null("block_beds").check(Expr::col("block_beds").gte(0)))
                    .to_owned(),
            )
            .await?;
        // The first member's contracts go back to the homes.
        let db = manager.get_connection();
        for column in HOME_COLUMNS {
            db.execute_unprepared(&format!(
                "UPDATE homes SET {column} = (SELECT c.{column} FROM council_contracts c \
                 WHERE c.home_id = homes.id AND c.council_id = \
                 (SELECT MIN(organisation_id) FROM council_members)) \
                 WHERE EXISTS (SELECT 1 FROM council_contracts c WHERE c.home_id = homes.id \
                 AND c.council_id = (SELECT MIN(organisation_id) FROM council_members))"
            ))
            .await?;
        }
        manager
            .drop_table(Table::drop().table("council_contracts").to_owned())
            .await
    }
}
