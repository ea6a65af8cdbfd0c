//! Offline geocoding (postcodes and postcode-district centroids) and the
//! log of placement searches (criteria and counts, never a child's
//! identity: the search point is kept as its postcode district only).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const SEARCH_CHANNELS: &[&str] = &["page", "api", "export"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn place(table: &'static str, key: &'static str) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(string(key).primary_key())
        .col(double("latitude"))
        .col(double("longitude"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(place("postcodes", "postcode")).await?;
        manager
            .create_table(place("postcode_districts", "district"))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("homes_position")
                    .table("homes")
                    .col("latitude")
                    .col("longitude")
                    .to_owned(),
            )
            .await?;

        let mut searches = Table::create();
        searches
            .table("searches")
            .col(id())
            .col(instant("searched_at"))
            .col(big_integer_null("user_id"))
            .col(string("role"))
            .col(one_of("channel", SEARCH_CHANNELS))
            .col(string("district"))
            .col(small_integer("age"))
            .col(string("sexes"))
            .col(big_integer("needs_mask").default(0))
            .col(integer("max_miles"))
            .col(date("needed_from"))
            .col(string("provision_types"))
            .col(boolean("emergency"))
            .col(boolean("solo"))
            .col(string("min_rating"))
            .col(integer("results"))
            .col(integer("near_misses"));
        manager.create_table(searches).await?;
        manager
            .create_index(
                Index::create()
                    .name("searches_searched_at")
                    .table("searches")
                    .col("searched_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["searches", "postcode_districts", "postcodes"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("homes_position")
                    .table("homes")
                    .to_owned(),
            )
            .await
    }
}
