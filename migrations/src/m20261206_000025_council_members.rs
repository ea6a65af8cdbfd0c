//! A deployment serves a region: one or more member councils. Council staff
//! belong to one member; a regional lead also sees the region's figures.
//!
//! An existing database becomes a region of one. Its council is the one
//! organisation holding an ONS code (the Ofsted import gives the code only
//! to the configured council); its staff, who had no organisation, join it.
//! A database without one gets its first member when the service starts
//! (`regions::start_with_configured_council`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("council_members")
                    .col(reference("organisation_id").primary_key())
                    // What pages call the council ("BCP"); its name if none.
                    .col(string_null("short_name"))
                    // The areas the council reports by: a JSON list of
                    // {name, postcode_districts}.
                    .col(text("localities").default("[]"))
                    .col(instant("added_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("council_members_organisation_fk")
                            .from("council_members", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(boolean("regional_lead").default(false))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let councils: Vec<i64> = db
            .query_all_raw(sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT id FROM organisations WHERE kind = 'council' AND ons_code IS NOT NULL",
            ))
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<_, _>>()?;
        if let [council] = councils[..] {
            db.execute_unprepared(&format!(
                "INSERT INTO council_members (organisation_id, localities, added_at) \
                 VALUES ({council}, '[]', CURRENT_TIMESTAMP)"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "UPDATE users SET organisation_id = {council} \
                 WHERE role <> 'provider' AND organisation_id IS NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE users SET organisation_id = NULL WHERE role <> 'provider'")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("regional_lead")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("council_members").to_owned())
            .await
    }
}
