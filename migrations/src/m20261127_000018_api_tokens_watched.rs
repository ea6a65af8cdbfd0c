//! The session counter also moves when an API token is revoked, deleted or
//! given to another user (not when its last use is noted), so an instance
//! may keep the tokens it has checked in memory on the same terms as
//! sessions: a revocation anywhere applies at the token's next request.

use sea_orm_migration::prelude::*;

use crate::counters::{self, Watched};

const WATCHED: [Watched; 1] = [(
    "api_tokens",
    &[
        r#"UPDATE OF "revoked_at", "token_hash", "user_id""#,
        "DELETE",
    ],
)];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::watch(manager, "session_versions", &WATCHED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        counters::unwatch(manager, "session_versions", &WATCHED).await
    }
}
