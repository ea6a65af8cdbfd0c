//! Whether a week's return was late is decided by its first filing: an
//! amendment after the deadline is an amendment, not a late return. Earlier
//! versions marked each amendment by its own time; this marks every version
//! as its week's first.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE returns SET late = (\
                   SELECT first.late FROM returns first \
                   WHERE first.home_id = returns.home_id \
                     AND first.week_start = returns.week_start \
                     AND first.version = 1) \
                 WHERE version > 1 AND EXISTS (\
                   SELECT 1 FROM returns first \
                   WHERE first.home_id = returns.home_id \
                     AND first.week_start = returns.week_start \
                     AND first.version = 1)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Each amendment's own lateness is not kept: nothing to restore.
        Ok(())
    }
}
