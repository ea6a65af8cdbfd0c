use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::*;
use crate::m20261124_000002_homes::SEXES;

pub const SOURCES: &[&str] = &["form", "no_change", "upload", "api", "one_click", "demo"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn count(name: &'static str) -> ColumnDef {
    integer(name)
        .default(0)
        .check(Expr::col(name).gte(0))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per filing: an amendment is a new version, never an update.
        manager
            .create_table(
                Table::create()
                    .table("returns")
                    .col(id())
                    .col(reference("home_id"))
                    // The Monday of the ISO week the return describes.
                    .col(date("week_start"))
                    .col(integer("version").check(Expr::col("version").gte(1)))
                    .col(boolean("is_current"))
                    // The home's registered places when filed (null: not fixed).
                    .col(integer_null("registered_places"))
                    // Fostering agencies and supported accommodation: carers or
                    // units available, stated by the provider.
                    .col(integer_null("capacity").check(Expr::col("capacity").gte(0)))
                    .col(count("occupied_ours"))
                    .col(count("occupied_other"))
                    .col(count("unavailable_staffing"))
                    .col(count("unavailable_works"))
                    .col(count("unavailable_matching"))
                    .col(count("unavailable_registration"))
                    .col(count("unavailable_other"))
                    .col(string_null("unavailable_other_reason"))
                    // Admittable vacancies: the sum of the vacancy rows' beds.
                    .col(count("vacancies"))
                    .col(text_null("note"))
                    .col(one_of("source", SOURCES))
                    .col(reference_null("copied_from_id"))
                    .col(big_integer_null("submitted_by_user_id"))
                    .col(string("submitted_by"))
                    .col(instant("submitted_at"))
                    .col(boolean("late"))
                    // Set by forms and API clients so a repeated request files once.
                    .col(string_null("idempotency_key"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("returns_home_fk")
                            .from("returns", "home_id")
                            .to("homes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique, current_only) in [
            (
                "returns_home_week_version",
                &["home_id", "week_start", "version"][..],
                true,
                false,
            ),
            (
                "returns_one_current_per_home_week",
                &["home_id", "week_start"][..],
                true,
                true,
            ),
            (
                "returns_home_idempotency",
                &["home_id", "idempotency_key"][..],
                true,
                false,
            ),
            (
                "returns_week_current",
                &["week_start", "is_current"][..],
                false,
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("returns");
            for col in cols {
                index.col(*col);
            }
            if unique {
                index.unique();
            }
            if current_only {
                index.and_where(Expr::col("is_current").eq(true));
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("return_vacancies")
                    .col(id())
                    .col(reference("return_id"))
                    .col(integer("beds").check(Expr::col("beds").gte(1)))
                    .col(date("available_from"))
                    .col(small_integer("min_age").check(Expr::col("min_age").between(0, 25)))
                    .col(small_integer("max_age").check(Expr::col("max_age").between(0, 25)))
                    .col(one_of("sexes", SEXES))
                    // One bit per category of need (see `Need::bit`).
                    .col(big_integer("needs_mask"))
                    .col(boolean("emergency"))
                    .col(boolean("solo_only"))
                    .col(
                        big_integer_null("weekly_fee_pence")
                            .check(Expr::col("weekly_fee_pence").gte(0)),
                    )
                    .col(text_null("note"))
                    .check((
                        "return_vacancies_age_range",
                        Expr::col("min_age").lte(Expr::col("max_age")),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("return_vacancies_return_fk")
                            .from("return_vacancies", "return_id")
                            .to("returns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("return_vacancies_return")
                    .table("return_vacancies")
                    .col("return_id")
                    .to_owned(),
            )
            .await?;

        // A spreadsheet waiting for its uploader to confirm the preview.
        manager
            .create_table(
                Table::create()
                    .table("return_uploads")
                    .col(string("id").primary_key())
                    .col(reference("organisation_id"))
                    .col(big_integer("uploaded_by_user_id"))
                    .col(string("file_name"))
                    .col(instant("uploaded_at"))
                    .col(one_of("status", &["pending", "filed", "discarded"]))
                    // The parsed returns and the problems found, as JSON.
                    .col(text("payload"))
                    .col(integer("rows"))
                    .col(integer("problems"))
                    .col(instant_null("decided_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("return_uploads_organisation_fk")
                            .from("return_uploads", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Bearer tokens for the JSON API; only a hash is stored.
        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(id())
                    .col(reference("user_id"))
                    .col(string("name"))
                    .col(string("token_hash").unique_key())
                    .col(string("prefix"))
                    .col(instant("created_at"))
                    .col(instant_null("last_used_at"))
                    .col(instant_null("revoked_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_tokens_user_fk")
                            .from("api_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "api_tokens",
            "return_uploads",
            "return_vacancies",
            "returns",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
