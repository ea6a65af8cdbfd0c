use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const KINDS: &[&str] = &["council", "provider"];
pub const SECTORS: &[&str] = &[
    "private",
    "voluntary",
    "local_authority",
    "health_authority",
    "academy",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table("organisations")
            .col(id())
            .col(one_of("kind", KINDS))
            .col(string("name"))
            // Lower-cased, punctuation-free form used to match Ofsted's spelling
            // variants ("Ltd"/"Limited", case) conservatively.
            .col(string("name_key"))
            .col(one_of_null("sector", SECTORS))
            .col(string_null("contact_email"))
            .col(text_null("ownership_note"))
            // ONS/GSS code of a council, e.g. E06000058 for BCP.
            .col(string_null("ons_code").unique_key());
        with_timestamps(&mut table);
        manager.create_table(table).await?;
        manager
            .create_index(
                Index::create()
                    .name("organisations_kind_name_key")
                    .table("organisations")
                    .col("kind")
                    .col("name_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("organisations").to_owned())
            .await
    }
}
