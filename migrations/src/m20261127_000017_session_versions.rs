//! A counter the database bumps whenever a session or a user changes
//! (sign-in, sign-out, a session's data saved, deactivation, a new password,
//! a new role). An instance may keep the sessions it has read in memory and
//! use one again only while this counter has not moved since it was read,
//! so a change made by another instance, a CLI command or by hand is seen by
//! the next request, exactly as if every request read its session afresh.

use sea_orm_migration::prelude::*;

use crate::counters::{self, Watched};

/// The tables whose changes end what an instance holds, and their events
/// (a user is never signed in before it exists).
const WATCHED: [Watched; 2] = [
    ("sessions", &["INSERT", "UPDATE", "DELETE"]),
    ("users", &["UPDATE", "DELETE"]),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::create(manager, "session_versions", &WATCHED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::drop(manager, "session_versions", &WATCHED).await
    }
}
