//! When each home last filed: the returns board shows it for every home it
//! lists, and with this index that is one index seek a home instead of
//! reading every return the home ever filed (five years of weeks, each
//! version a row).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("returns_home_submitted")
                    .table("returns")
                    .col("home_id")
                    .col("submitted_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("returns_home_submitted")
                    .table("returns")
                    .to_owned(),
            )
            .await
    }
}
