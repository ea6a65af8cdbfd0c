//! Whose session it is, as a column: a page's one query reads the session
//! and its signed-in user together (a join on this column), and a user's
//! sessions can be found. The session data keeps it too; the store writes
//! both from the same record.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            // SQLite takes a constraint only in the new column's definition.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE sessions ADD COLUMN user_id INTEGER \
                     REFERENCES users (id) ON DELETE CASCADE",
                )
                .await?;
        } else {
            manager
                .alter_table(
                    Table::alter()
                        .table("sessions")
                        .add_column(reference_null("user_id"))
                        .add_foreign_key(
                            TableForeignKey::new()
                                .name("sessions_user_fk")
                                .from_tbl("sessions")
                                .from_col("user_id")
                                .to_tbl("users")
                                .to_col("id")
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("sessions_user")
                    .table("sessions")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("sessions_user")
                    .table("sessions")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("user_id")
                    .to_owned(),
            )
            .await
    }
}
