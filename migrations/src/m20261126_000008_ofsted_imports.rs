//! Ofsted files imported from the web: progress while the import runs, and
//! the change report afterwards.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const STATUSES: &[&str] = &["running", "done", "failed"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ofsted_imports")
                    .col(id())
                    .col(string("file_name"))
                    .col(one_of("status", STATUSES))
                    // What it is doing now, in words, and roughly how far along.
                    .col(string("stage"))
                    .col(small_integer("percent").default(0))
                    // The change report, as JSON, once done.
                    .col(text_null("report"))
                    // What went wrong, in words for the user, if it failed.
                    .col(text_null("error"))
                    .col(big_integer_null("started_by_user_id"))
                    .col(string("started_by"))
                    .col(instant("started_at"))
                    .col(instant_null("finished_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ofsted_imports_started_at")
                    .table("ofsted_imports")
                    .col("started_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("ofsted_imports").to_owned())
            .await
    }
}
