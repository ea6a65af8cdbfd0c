//! Someone to call about a bed: each organisation's placements contact
//! (name, phone; the email column it already has), which a home may
//! override with its own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

const ORGANISATION: [&str; 2] = ["contact_name", "contact_phone"];
const HOME: [&str; 3] = ["contact_name", "contact_phone", "contact_email"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        for (table, columns) in [("organisations", &ORGANISATION[..]), ("homes", &HOME[..])] {
            for column in columns {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(string_null(*column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in [("organisations", &ORGANISATION[..]), ("homes", &HOME[..])] {
            for column in columns {
                manager
                    .alter_table(Table::alter().table(table).drop_column(*column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}
