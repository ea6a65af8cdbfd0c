//! The unsubscribe link of a queued non-essential email, for its
//! `List-Unsubscribe` header (mail programs show it as an "Unsubscribe"
//! button).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox_emails")
                    .add_column(text_null("list_unsubscribe"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox_emails")
                    .drop_column("list_unsubscribe")
                    .to_owned(),
            )
            .await
    }
}
