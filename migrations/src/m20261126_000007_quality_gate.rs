//! The quality gate: provider-reported and council-recorded inspections,
//! and monitoring cases with plans, actions, meetings, escalations and notes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const CASE_REASONS: &[&str] = &[
    "rating",
    "judgement",
    "safeguarding",
    "monitoring_visit",
    "other",
];
pub const CASE_STATUSES: &[&str] = &["open", "close_proposed", "closed"];
pub const ACTION_OWNERS: &[&str] = &["council", "provider"];
pub const ACTION_STATUSES: &[&str] = &["not_started", "in_progress", "done"];
pub const RAGS: &[&str] = &["red", "amber", "green"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn case_child(name: &'static str) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(name)
        .col(id())
        .col(reference("case_id"))
        .foreign_key(
            ForeignKey::create()
                .name(format!("{name}_case_fk"))
                .from(name, "case_id")
                .to("monitoring_cases", "id")
                .on_delete(ForeignKeyAction::Cascade),
        );
    table
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(format!("{table}_{}", cols.join("_")))
        .table(table.to_string());
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            big_integer_null("reported_by_user_id"),
            string_null("reported_by"),
            instant_null("confirmed_at"),
            string_null("confirmed_by"),
            // What Ofsted's data changed in a provider's report when it arrived.
            text_null("ofsted_difference"),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table("inspections")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        let mut cases = Table::create();
        cases
            .table("monitoring_cases")
            .col(id())
            .col(reference("home_id"))
            .col(one_of("reason", CASE_REASONS))
            .col(text_null("reason_note"))
            .col(one_of("status", CASE_STATUSES))
            .col(reference_null("inspection_id"))
            .col(instant("opened_at"))
            .col(string("opened_by"))
            // 0 = commissioning officer; the names are configuration.
            .col(small_integer("escalation_level").default(0))
            .col(date_null("plan_requested_on"))
            .col(date_null("plan_received_on"))
            .col(text_null("plan_summary"))
            .col(string_null("plan_url"))
            .col(text_null("close_proposal"))
            .col(instant_null("closed_at"))
            .col(string_null("closed_by"))
            .col(text_null("closing_note"))
            .foreign_key(
                ForeignKey::create()
                    .name("monitoring_cases_home_fk")
                    .from("monitoring_cases", "home_id")
                    .to("homes", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("monitoring_cases_inspection_fk")
                    .from("monitoring_cases", "inspection_id")
                    .to("inspections", "id")
                    .on_delete(ForeignKeyAction::SetNull),
            );
        with_timestamps(&mut cases);
        manager.create_table(cases).await?;
        // One open case per home, whoever or whatever opens it.
        manager
            .create_index(
                Index::create()
                    .name("monitoring_cases_one_open_per_home")
                    .table("monitoring_cases")
                    .col("home_id")
                    .unique()
                    .and_where(Expr::col("status").ne("closed"))
                    .to_owned(),
            )
            .await?;
        index(manager, "monitoring_cases", &["status"]).await?;

        let mut actions = case_child("case_actions");
        actions
            .col(text("description"))
            .col(one_of("owner", ACTION_OWNERS))
            .col(date_null("due_on"))
            .col(one_of("status", ACTION_STATUSES))
            .col(string("updated_by"));
        with_timestamps(&mut actions);
        manager.create_table(actions).await?;
        index(manager, "case_actions", &["case_id"]).await?;

        let mut meetings = case_child("case_meetings");
        meetings
            .col(date("held_on"))
            .col(text("attendees"))
            // Shared with the provider.
            .col(text("notes"))
            .col(one_of("rag", RAGS))
            .col(date("next_due_on"))
            .col(string("recorded_by"));
        with_timestamps(&mut meetings);
        manager.create_table(meetings).await?;
        index(manager, "case_meetings", &["case_id", "held_on"]).await?;

        let mut escalations = case_child("case_escalations");
        escalations
            .col(small_integer("from_level"))
            .col(small_integer("to_level"))
            .col(date("escalated_on"))
            .col(text("reason"))
            .col(string("escalated_by"))
            .col(instant("created_at"));
        manager.create_table(escalations).await?;
        index(manager, "case_escalations", &["case_id"]).await?;

        // Council-only notes: never shown to the provider.
        let mut notes = case_child("case_notes");
        notes
            .col(text("body"))
            .col(string("written_by"))
            .col(instant("created_at"));
        manager.create_table(notes).await?;
        index(manager, "case_notes", &["case_id"]).await?;

        // Improvement plans as PDF, in the database: transactional with the
        // case, backed up with it, and never on a path a URL can reach.
        let mut files = case_child("case_files");
        files
            .col(string("file_name"))
            .col(string("content_type"))
            .col(big_integer("size_bytes"))
            // BLAKE2s-256 of the content, hex: shows a file arrived intact.
            .col(string("checksum"))
            .col(blob("content"))
            .col(string("uploaded_by"))
            .col(instant("uploaded_at"));
        manager.create_table(files).await?;
        index(manager, "case_files", &["case_id"]).await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "case_files",
            "case_notes",
            "case_escalations",
            "case_meetings",
            "case_actions",
            "monitoring_cases",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            "ofsted_difference",
            "confirmed_by",
            "confirmed_at",
            "reported_by",
            "reported_by_user_id",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("inspections")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
