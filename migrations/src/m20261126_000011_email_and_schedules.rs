//! Email and scheduled work: the outbox every email is queued in (in the
//! same transaction as the change that causes it), the runs of scheduled
//! jobs (one per job and period, whatever the number of instances), the
//! one-time links sent by email (one-click "no change", invitations,
//! password resets, unsubscribe) and each user's email opt-outs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const OUTBOX_STATUSES: &[&str] = &["queued", "sent", "failed"];
pub const LINK_PURPOSES: &[&str] = &["no_change", "invite", "reset", "unsubscribe"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn user_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_user_fk"))
        .from(table, "user_id")
        .to("users", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut outbox = Table::create();
        outbox
            .table("outbox_emails")
            .col(id())
            // The event that caused the email: the same event never queues twice.
            .col(string("idempotency_key").unique_key())
            .col(string("category"))
            .col(boolean("essential"))
            .col(reference_null("user_id"))
            .col(string("to_address"))
            .col(string("subject"))
            .col(text("body_text"))
            .col(text("body_html"))
            // Fixed at queueing: a resend after a crash carries the same one.
            .col(string("message_id"))
            .col(one_of("status", OUTBOX_STATUSES))
            .col(integer("attempts").default(0))
            .col(instant("next_attempt_at"))
            // A sender's claim; another may take the email once it expires.
            .col(string_null("lease_owner"))
            .col(instant_null("lease_expires_at"))
            .col(text_null("last_error"))
            .col(instant("created_at"))
            .col(instant_null("sent_at"))
            .col(instant_null("failed_at"))
            .foreign_key(
                ForeignKey::create()
                    .name("outbox_emails_user_fk")
                    .from("outbox_emails", "user_id")
                    .to("users", "id")
                    .on_delete(ForeignKeyAction::SetNull),
            );
        manager.create_table(outbox).await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_emails_due")
                    .table("outbox_emails")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;

        let mut runs = Table::create();
        runs.table("job_runs")
            .col(id())
            .col(string("job"))
            // e.g. `weekly-request:2026-W48`: one run per job and period.
            .col(string("period_key"))
            .col(instant("started_at"))
            .col(integer("emails_queued").default(0))
            .col(boolean("caught_up").default(false))
            .index(
                Index::create()
                    .name("job_runs_once_per_period")
                    .col("job")
                    .col("period_key")
                    .unique(),
            );
        manager.create_table(runs).await?;

        let mut links = Table::create();
        links
            .table("email_links")
            .col(id())
            // BLAKE2s of the random token; the token itself is only in the email.
            .col(string("token_hash").unique_key())
            .col(one_of("purpose", LINK_PURPOSES))
            .col(reference("user_id"))
            .col(reference_null("home_id"))
            .col(date_null("week_start"))
            .col(string_null("category"))
            .col(instant("created_at"))
            .col(instant("expires_at"))
            .col(instant_null("used_at"))
            .foreign_key(&mut user_fk("email_links"))
            .foreign_key(
                ForeignKey::create()
                    .name("email_links_home_fk")
                    .from("email_links", "home_id")
                    .to("homes", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(links).await?;
        manager
            .create_index(
                Index::create()
                    .name("email_links_expires")
                    .table("email_links")
                    .col("expires_at")
                    .to_owned(),
            )
            .await?;

        let mut opt_outs = Table::create();
        opt_outs
            .table("email_opt_outs")
            .col(id())
            .col(reference("user_id"))
            .col(string("category"))
            .col(instant("created_at"))
            .foreign_key(&mut user_fk("email_opt_outs"))
            .index(
                Index::create()
                    .name("email_opt_outs_once")
                    .col("user_id")
                    .col("category")
                    .unique(),
            );
        manager.create_table(opt_outs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["email_opt_outs", "email_links", "job_runs", "outbox_emails"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
