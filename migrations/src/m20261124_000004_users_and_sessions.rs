use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const ROLES: &[&str] = &["admin", "commissioner", "placements", "provider"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut users = Table::create();
        users
            .table("users")
            .col(id())
            // Stored lower-cased, so the unique key is case-insensitive.
            .col(string("email").unique_key())
            .col(string("display_name"))
            .col(string("password_hash"))
            .col(one_of("role", ROLES))
            .col(reference_null("organisation_id"))
            .col(boolean("active").default(true))
            // Random; every session carries it. Replacing it ends all of the
            // user's sessions (sign-out, password change, deactivation).
            .col(string("session_key"))
            .col(instant_null("last_sign_in_at"))
            .check((
                "users_provider_needs_organisation",
                Expr::col("role")
                    .ne("provider")
                    .or(Expr::col("organisation_id").is_not_null()),
            ))
            .foreign_key(
                ForeignKey::create()
                    .name("users_organisation_fk")
                    .from("users", "organisation_id")
                    .to("organisations", "id")
                    .on_delete(ForeignKeyAction::Restrict),
            );
        with_timestamps(&mut users);
        manager.create_table(users).await?;
        manager
            .create_index(
                Index::create()
                    .name("users_organisation")
                    .table("users")
                    .col("organisation_id")
                    .to_owned(),
            )
            .await?;

        // Server-side sessions (tower-sessions records, JSON).
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string("id").primary_key())
                    .col(text("data"))
                    .col(instant("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_expires_at")
                    .table("sessions")
                    .col("expires_at")
                    .to_owned(),
            )
            .await?;

        // Failed sign-ins per key (an email or a client address): slows down
        // credential stuffing without locking the real user out for good.
        manager
            .create_table(
                Table::create()
                    .table("sign_in_throttles")
                    .col(string("key").primary_key())
                    .col(integer("failures"))
                    .col(instant("window_started_at"))
                    .col(instant_null("blocked_until"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("sign_in_throttles").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("sessions").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("users").to_owned())
            .await
    }
}
