//! The search reads each home's current returns that have vacancies: about
//! one return in ten. A partial index over just those keeps the search from
//! reading every current return of every home near the child.

use sea_orm_migration::prelude::*;

/// Written out so the search's query can repeat it word for word: SQLite
/// and PostgreSQL use a partial index only when the query's own condition
/// matches it, and bound parameters would not.
pub const VACANT_CURRENT: &str = r#""is_current" = TRUE AND "vacancies" > 0"#;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("returns_vacant_current")
                    .table("returns")
                    .col("home_id")
                    .col("week_start")
                    .and_where(Expr::cust(VACANT_CURRENT))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("returns_vacant_current")
                    .table("returns")
                    .to_owned(),
            )
            .await
    }
}
