//! A monitoring case's owner: the council officer who leads it, told of
//! its alerts (rating changes, overdue meetings and actions).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            // SQLite cannot add a constraint to a table, but takes one in
            // the new column's own definition.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE monitoring_cases ADD COLUMN owner_user_id INTEGER \
                     REFERENCES users (id) ON DELETE SET NULL",
                )
                .await?;
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table("monitoring_cases")
                    .add_column(reference_null("owner_user_id"))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .name("monitoring_cases_owner_fk")
                            .from_tbl("monitoring_cases")
                            .from_col("owner_user_id")
                            .to_tbl("users")
                            .to_col("id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("monitoring_cases")
                    .drop_column("owner_user_id")
                    .to_owned(),
            )
            .await
    }
}
