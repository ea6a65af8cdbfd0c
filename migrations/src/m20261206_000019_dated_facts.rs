//! Facts over time. Each home remembers the date of the Ofsted file each
//! group of its facts came from (registration, owner, name, address, the
//! rest of its registration details), so that an older file never replaces
//! a newer fact, and when its registration ended. Organisations remember
//! the date of the file their spelling and sector came from, and keep the
//! other spellings merged into them (`organisation_aliases`), so an import
//! maps a merged-away spelling to the organisation that survived.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

/// The dated groups of a home's facts, then when its registration ended.
pub const HOME_DATES: [&str; 6] = [
    "status_as_at",
    "owner_as_at",
    "name_as_at",
    "address_as_at",
    "details_as_at",
    "registration_ended_on",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        for column in HOME_DATES {
            manager
                .alter_table(
                    Table::alter()
                        .table("homes")
                        .add_column(date_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("organisations")
                    .add_column(date_null("name_as_at"))
                    .to_owned(),
            )
            .await?;
        let mut aliases = Table::create();
        aliases
            .table("organisation_aliases")
            .col(id())
            .col(one_of("kind", crate::m20261124_000001_organisations::KINDS))
            // The merged-away spelling, as shown, and its matching key.
            .col(string("name"))
            .col(string("name_key"))
            .col(reference("organisation_id"))
            .col(instant("created_at"))
            .foreign_key(
                ForeignKey::create()
                    .from("organisation_aliases", "organisation_id")
                    .to("organisations", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(aliases).await?;
        manager
            .create_index(
                Index::create()
                    .name("organisation_aliases_kind_name_key")
                    .table("organisation_aliases")
                    .col("kind")
                    .col("name_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("organisation_aliases").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organisations")
                    .drop_column("name_as_at")
                    .to_owned(),
            )
            .await?;
        for column in HOME_DATES {
            manager
                .alter_table(Table::alter().table("homes").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
