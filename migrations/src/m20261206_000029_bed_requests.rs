//! Bed requests: a council asks providers whose homes might fit a child
//! (criteria only, never the child) and each home's provider answers with
//! an offer or a reason it cannot. A request belongs to the council that
//! sent it; its homes' answers are that council's too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD_PURPOSES: &[&str] = &["no_change", "invite", "reset", "unsubscribe"];
const NEW_PURPOSES: &[&str] = &[
    "no_change",
    "invite",
    "reset",
    "unsubscribe",
    "answer_request",
];

/// `email_links` again with another list of purposes (a CHECK constraint,
/// which SQLite cannot alter in place), with or without `request_id`. The
/// links are copied across; they are few and short-lived. One batch of
/// statements, so that on SQLite every step runs on the same connection
/// (a pooled connection could still see the table being replaced).
async fn rebuild_links(
    manager: &SchemaManager<'_>,
    purposes: &[&str],
    with_request: bool,
) -> Result<(), DbErr> {
    let next = "email_links_next";
    let mut table = Table::create();
    table
        .table(next)
        .col(id())
        .col(string("token_hash").unique_key())
        .col(one_of("purpose", purposes))
        .col(reference("user_id"))
        .col(reference_null("home_id"))
        .col(date_null("week_start"))
        .col(string_null("category"))
        .col(instant("created_at"))
        .col(instant("expires_at"))
        .col(instant_null("used_at"))
        .foreign_key(
            ForeignKey::create()
                .name("email_links_user_fk")
                .from(next, "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("email_links_home_fk")
                .from(next, "home_id")
                .to("homes", "id")
                .on_delete(ForeignKeyAction::Cascade),
        );
    if with_request {
        table.col(reference_null("request_id")).foreign_key(
            ForeignKey::create()
                .name("email_links_request_fk")
                .from(next, "request_id")
                .to("bed_requests", "id")
                .on_delete(ForeignKeyAction::Cascade),
        );
    }
    let backend = manager.get_database_backend();
    let columns = "id, token_hash, purpose, user_id, home_id, week_start, category, \
                   created_at, expires_at, used_at";
    let mut batch = vec![
        // What a run stopped half-way could have left.
        format!("DROP TABLE IF EXISTS {next}"),
        backend.build(&table).to_string(),
        format!("INSERT INTO {next} ({columns}) SELECT {columns} FROM email_links"),
        backend
            .build(&Table::drop().table("email_links").to_owned())
            .to_string(),
        backend
            .build(&Table::rename().table(next, "email_links").to_owned())
            .to_string(),
        backend
            .build(
                &Index::create()
                    .name("email_links_expires")
                    .table("email_links")
                    .col("expires_at")
                    .to_owned(),
            )
            .to_string(),
    ];
    if backend == sea_orm::DatabaseBackend::Postgres {
        // Copied ids: the identity continues after the largest.
        batch.push(
            "SELECT setval(pg_get_serial_sequence('email_links', 'id'), \
             COALESCE((SELECT MAX(id) FROM email_links), 0) + 1, false)"
                .into(),
        );
    }
    manager
        .get_connection()
        .execute_unprepared(&batch.join(";\n"))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut requests = Table::create();
        requests
            .table("bed_requests")
            .col(id())
            .col(string("reference").unique_key())
            .col(integer("year"))
            .col(integer("sequence"))
            .col(reference("council_id"))
            .col(reference_null("created_by"))
            .col(string("created_by_name"))
            .col(small_integer("age"))
            .col(one_of("sex", &["female", "male"]))
            .col(big_integer("needs_mask").default(0))
            .col(string("district"))
            .col(integer("max_miles"))
            .col(date("needed_from"))
            .col(string("provision_types"))
            .col(boolean("emergency"))
            .col(boolean("solo"))
            .col(string("min_rating"))
            .col(one_of(
                "duration",
                &["emergency", "short_term", "long_term"],
            ))
            .col(string("considerations"))
            .col(string_null("note"))
            .col(instant("reply_by"))
            .col(one_of(
                "status",
                &["open", "placed", "no_suitable_offer", "withdrawn"],
            ))
            .col(reference_null("placed_home_id"))
            .col(instant_null("decided_at"))
            .col(string_null("decided_by"))
            .col(instant_null("reminded_at"))
            .index(
                Index::create()
                    .name("bed_requests_year_sequence")
                    .col("year")
                    .col("sequence")
                    .unique(),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("bed_requests_council_fk")
                    .from("bed_requests", "council_id")
                    .to("organisations", "id"),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("bed_requests_created_by_fk")
                    .from("bed_requests", "created_by")
                    .to("users", "id"),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("bed_requests_placed_home_fk")
                    .from("bed_requests", "placed_home_id")
                    .to("homes", "id"),
            );
        with_timestamps(&mut requests);
        manager.create_table(requests).await?;
        manager
            .create_index(
                Index::create()
                    .name("bed_requests_council_status")
                    .table("bed_requests")
                    .col("council_id")
                    .col("status")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("bed_request_homes")
                    .col(id())
                    .col(reference("request_id"))
                    .col(reference("home_id"))
                    // The provider asked: the home's owner when the request was sent.
                    .col(reference_null("provider_id"))
                    .col(double_null("miles"))
                    .col(one_of_null(
                        "answer",
                        &["offer", "cannot_offer", "withdrawn"],
                    ))
                    .col(date_null("available_from"))
                    .col(
                        big_integer_null("weekly_fee_pence")
                            .check(Expr::col("weekly_fee_pence").gte(0)),
                    )
                    .col(one_of_null(
                        "reason",
                        &["no_vacancy", "does_not_meet_needs", "matching", "other"],
                    ))
                    .col(string_null("note"))
                    .col(instant_null("answered_at"))
                    .col(string_null("answered_by"))
                    .col(instant_null("withdrawn_at"))
                    .index(
                        Index::create()
                            .name("bed_request_homes_request_home")
                            .col("request_id")
                            .col("home_id")
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("bed_request_homes_request_fk")
                            .from("bed_request_homes", "request_id")
                            .to("bed_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("bed_request_homes_home_fk")
                            .from("bed_request_homes", "home_id")
                            .to("homes", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("bed_request_homes_provider_fk")
                            .from("bed_request_homes", "provider_id")
                            .to("organisations", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("bed_request_homes_home", "home_id"),
            ("bed_request_homes_provider", "provider_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("bed_request_homes")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // An answer link names the request and home it answers.
        rebuild_links(manager, NEW_PURPOSES, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM email_links WHERE purpose = 'answer_request'")
            .await?;
        rebuild_links(manager, OLD_PURPOSES, false).await?;
        for table in ["bed_request_homes", "bed_requests"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
