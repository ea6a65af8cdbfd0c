//! Two-factor sign-in (SECURITY.md item 13): a user's authenticator secret
//! (RFC 6238) and their one-use recovery codes, stored hashed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut second_factors = Table::create();
        second_factors
            .table("second_factors")
            .col(reference("user_id").primary_key())
            // Base32, as the authenticator app holds it: a code can only be
            // checked with the secret itself.
            .col(string("secret"))
            // The last time step a code was accepted for: a code works once.
            .col(big_integer("last_step"))
            .foreign_key(
                ForeignKey::create()
                    .name("second_factors_user_fk")
                    .from("second_factors", "user_id")
                    .to("users", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        with_timestamps(&mut second_factors);
        manager.create_table(second_factors).await?;

        let mut recovery_codes = Table::create();
        recovery_codes
            .table("recovery_codes")
            .col(id())
            .col(reference("user_id"))
            .col(string("code_hash").unique_key())
            .col(instant_null("used_at"))
            .foreign_key(
                ForeignKey::create()
                    .name("recovery_codes_user_fk")
                    .from("recovery_codes", "user_id")
                    .to("users", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        with_timestamps(&mut recovery_codes);
        manager.create_table(recovery_codes).await?;
        manager
            .create_index(
                Index::create()
                    .name("recovery_codes_user")
                    .table("recovery_codes")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["recovery_codes", "second_factors"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
