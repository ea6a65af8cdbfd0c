//! Sessions and API tokens are read afresh on every request again, so
//! nothing reads `session_versions`: the counter and its triggers go
//! (created by 000017 and 000018, which stay as they were).

use sea_orm_migration::prelude::*;

use crate::counters::{self, Watched};

/// What 000017 and 000018 watched, together.
const WATCHED: [Watched; 3] = [
    ("sessions", &["INSERT", "UPDATE", "DELETE"]),
    ("users", &["UPDATE", "DELETE"]),
    (
        "api_tokens",
        &[
            r#"UPDATE OF "revoked_at", "token_hash", "user_id""#,
            "DELETE",
        ],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::drop(manager, "session_versions", &WATCHED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::create(manager, "session_versions", &WATCHED[..2]).await?;
        counters::watch(manager, "session_versions", &WATCHED[2..]).await
    }
}
