use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

pub const EVENT_TYPES: &[&str] = &["full", "interim", "assurance", "monitoring", "emergency"];
/// Ofsted's four-point scale and, kept distinct, the three outcomes used for
/// supported accommodation.
pub const SCALES: &[&str] = &["four_point", "supported_accommodation"];
pub const JUDGEMENTS: &[&str] = &[
    "outstanding",
    "good",
    "requires_improvement",
    "inadequate",
    "sa_strong",
    "sa_inconsistent",
    "sa_weak",
];
pub const SOURCES: &[&str] = &["ofsted", "provider", "council"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table("inspections")
            .col(id())
            .col(reference("home_id"))
            // Ofsted's event number. One event can cover several settings
            // (e.g. event 10213015 in the 2022-23 data), so it is unique per home.
            .col(string_null("event_number"))
            .col(one_of("event_type", EVENT_TYPES))
            .col(date("inspection_date"))
            .col(date_null("publication_date"))
            .col(one_of("scale", SCALES))
            // The headline judgement: for children's homes, "overall experiences
            // and progress of children and young people".
            .col(one_of_null("overall", JUDGEMENTS))
            .col(one_of_null("helped_protected", JUDGEMENTS))
            .col(one_of_null("leaders_managers", JUDGEMENTS))
            .col(one_of_null("education", JUDGEMENTS))
            .col(one_of_null("health", JUDGEMENTS))
            .col(one_of("source", SOURCES))
            .col(boolean("verified"))
            .col(string_null("report_url"))
            // Marks the home's latest full inspection, whose grades are its
            // current rating. At most one per home (partial unique index below).
            .col(boolean("is_current").default(false))
            .foreign_key(
                ForeignKey::create()
                    .name("inspections_home_fk")
                    .from("inspections", "home_id")
                    .to("homes", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        with_timestamps(&mut table);
        manager.create_table(table).await?;
        manager
            .create_index(
                Index::create()
                    .name("inspections_home_date")
                    .table("inspections")
                    .col("home_id")
                    .col("inspection_date")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inspections_home_event")
                    .table("inspections")
                    .col("home_id")
                    .col("event_number")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inspections_one_current_per_home")
                    .table("inspections")
                    .col("home_id")
                    .unique()
                    .and_where(Expr::col("is_current").eq(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("inspections").to_owned())
            .await
    }
}
