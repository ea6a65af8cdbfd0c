//! A counter the database bumps whenever anything a search shows or reads
//! changes (homes, their current offers, inspections, monitoring cases,
//! providers, the postcode tables).
//! Each search reads it (one row by key) and rebuilds its in-memory index of
//! offers only when it moved, so every instance, and every change made by a
//! CLI import or by hand, is seen by the next search.

use sea_orm_migration::prelude::*;

use crate::counters::{self, Watched};

const EVERY_CHANGE: &[&str] = &["INSERT", "UPDATE", "DELETE"];

/// The tables whose changes a search must see.
const WATCHED: [Watched; 7] = [
    ("homes", EVERY_CHANGE),
    ("home_offers", EVERY_CHANGE),
    ("inspections", EVERY_CHANGE),
    ("monitoring_cases", EVERY_CHANGE),
    ("organisations", EVERY_CHANGE),
    ("postcodes", EVERY_CHANGE),
    ("postcode_districts", EVERY_CHANGE),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::create(manager, "search_versions", &WATCHED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::drop(manager, "search_versions", &WATCHED).await
    }
}
