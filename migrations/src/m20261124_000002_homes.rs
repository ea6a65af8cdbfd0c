use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;
use crate::m20261124_000001_organisations::SECTORS;

pub const PROVISION_TYPES: &[&str] = &[
    "childrens_home",
    "secure_childrens_home",
    "residential_special_school_childrens_home",
    "residential_special_school",
    "residential_family_centre",
    "independent_fostering_agency",
    "supported_accommodation",
    "supported_lodgings",
    "boarding_school",
    "further_education_college",
    "residential_holiday_scheme",
    "voluntary_adoption_agency",
    "adoption_support_agency",
    "secure_training_centre",
];
pub const REGISTRATION_STATUSES: &[&str] = &[
    "active",
    "suspended",
    "resigned",
    "cancelled",
    "closed",
    "registration_pending",
];
pub const SEXES: &[&str] = &["mixed", "female", "male"];
pub const CONTRACTS: &[&str] = &["spot", "block", "framework"];
pub const NEEDS: &[&str] = &[
    "emotional_behavioural",
    "learning_disability",
    "autism",
    "physical_disability",
    "sensory_impairment",
    "mental_health",
    "complex_health",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut homes = Table::create();
        homes
            .table("homes")
            .col(id())
            .col(string("urn").unique_key())
            .col(string("name"))
            .col(one_of("provision_type", PROVISION_TYPES))
            .col(one_of_null("sector", SECTORS))
            // Null where Ofsted registers places at provider level (IFAs,
            // supported accommodation).
            .col(integer_null("registered_places").check(Expr::col("registered_places").gte(0)))
            .col(small_integer_null("min_age").check(Expr::col("min_age").between(0, 25)))
            .col(small_integer_null("max_age").check(Expr::col("max_age").between(0, 25)))
            .col(one_of_null("sexes", SEXES))
            .col(boolean("short_break_only").default(false))
            .col(boolean("multi_building").default(false))
            .col(one_of("registration_status", REGISTRATION_STATUSES))
            .col(date_null("registration_date"))
            .col(reference_null("host_council_id"))
            .col(string_null("locality"))
            // Address, postcode and coordinates are sensitive: shown to council
            // staff and the home's own provider only.
            .col(string_null("address_line1"))
            .col(string_null("address_line2"))
            .col(string_null("town"))
            .col(string_null("county"))
            .col(string_null("postcode"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(reference_null("provider_id"))
            .col(one_of("contract", CONTRACTS).default("spot"))
            .col(integer_null("block_beds").check(Expr::col("block_beds").gte(0)))
            .check((
                "homes_age_range",
                Expr::col("min_age").lte(Expr::col("max_age")),
            ))
            .foreign_key(
                ForeignKey::create()
                    .name("homes_host_council_fk")
                    .from("homes", "host_council_id")
                    .to("organisations", "id")
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("homes_provider_fk")
                    .from("homes", "provider_id")
                    .to("organisations", "id")
                    .on_delete(ForeignKeyAction::Restrict),
            );
        with_timestamps(&mut homes);
        manager.create_table(homes).await?;
        for col in [
            "provider_id",
            "host_council_id",
            "provision_type",
            "locality",
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("homes_{col}"))
                        .table("homes")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        // The categories of need a home's statement of purpose says it can meet.
        manager
            .create_table(
                Table::create()
                    .table("home_needs")
                    .col(reference("home_id"))
                    .col(one_of("need", NEEDS))
                    .primary_key(Index::create().col("home_id").col("need"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("home_needs_home_fk")
                            .from("home_needs", "home_id")
                            .to("homes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("home_needs").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("homes").to_owned())
            .await
    }
}
