//! Each home's current offer: its latest current return, when that return
//! has vacancies. Kept by the one function that files returns, so a search
//! reads the offers of the homes near the child by primary key instead of
//! working out every home's latest week.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

/// Fills the table from the returns (the migration, and bulk loads).
pub const REBUILD: &str = r#"INSERT INTO "home_offers" ("home_id", "return_id", "week_start")
SELECT r."home_id", r."id", r."week_start" FROM "returns" r
WHERE r."is_current" = TRUE AND r."vacancies" > 0
  AND r."week_start" = (SELECT MAX(l."week_start") FROM "returns" l
                        WHERE l."home_id" = r."home_id" AND l."is_current" = TRUE)"#;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("home_offers")
                    .col(big_integer("home_id").primary_key())
                    .col(reference("return_id"))
                    .col(date("week_start"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("home_offers_home_fk")
                            .from("home_offers", "home_id")
                            .to("homes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("home_offers_return_fk")
                            .from("home_offers", "return_id")
                            .to("returns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.get_connection().execute_unprepared(REBUILD).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("home_offers").to_owned())
            .await
    }
}
