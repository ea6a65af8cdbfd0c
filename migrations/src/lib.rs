//! Database schema, one migration per change. Run by `sufficiency migrate` and
//! at the start of `sufficiency serve`. Entities in `src/db/entities/` are
//! generated from the schema these migrations build (see `docs/database.md`).

pub use sea_orm_migration::prelude::*;

mod columns;
mod counters;
mod m20261124_000001_organisations;
mod m20261124_000002_homes;
mod m20261124_000003_inspections;
mod m20261124_000004_users_and_sessions;
mod m20261124_000005_audit_events;
mod m20261125_000006_returns;
mod m20261126_000007_quality_gate;
mod m20261126_000008_ofsted_imports;
mod m20261126_000009_places_and_searches;
pub mod m20261126_000010_vacant_returns_index;
pub mod m20261126_000011_email_and_schedules;
mod m20261126_000012_case_owners;
pub mod m20261126_000013_home_offers;
pub mod m20261126_000014_search_versions;
mod m20261126_000015_session_users;
mod m20261127_000016_returns_last_filed_index;
mod m20261127_000017_session_versions;
mod m20261127_000018_api_tokens_watched;
mod m20261206_000019_dated_facts;
mod m20261206_000020_late_from_first_filing;
mod m20261206_000021_placements_contacts;
mod m20261206_000022_list_unsubscribe;
mod m20261206_000023_second_factors;
mod m20261206_000024_drop_session_versions;
mod m20261206_000025_council_members;
mod m20261206_000026_return_placements;
mod m20261206_000027_council_private;
mod m20261206_000028_council_contracts;
mod m20261206_000029_bed_requests;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_organisations::Migration),
            Box::new(m20261124_000002_homes::Migration),
            Box::new(m20261124_000003_inspections::Migration),
            Box::new(m20261124_000004_users_and_sessions::Migration),
            Box::new(m20261124_000005_audit_events::Migration),
            Box::new(m20261125_000006_returns::Migration),
            Box::new(m20261126_000007_quality_gate::Migration),
            Box::new(m20261126_000008_ofsted_imports::Migration),
            Box::new(m20261126_000009_places_and_searches::Migration),
            Box::new(m20261126_000010_vacant_returns_index::Migration),
            Box::new(m20261126_000011_email_and_schedules::Migration),
            Box::new(m20261126_000012_case_owners::Migration),
            Box::new(m20261126_000013_home_offers::Migration),
            Box::new(m20261126_000014_search_versions::Migration),
            Box::new(m20261126_000015_session_users::Migration),
            Box::new(m20261127_000016_returns_last_filed_index::Migration),
            Box::new(m20261127_000017_session_versions::Migration),
            Box::new(m20261127_000018_api_tokens_watched::Migration),
            Box::new(m20261206_000019_dated_facts::Migration),
            Box::new(m20261206_000020_late_from_first_filing::Migration),
            Box::new(m20261206_000021_placements_contacts::Migration),
            Box::new(m20261206_000022_list_unsubscribe::Migration),
            Box::new(m20261206_000023_second_factors::Migration),
            Box::new(m20261206_000024_drop_session_versions::Migration),
            Box::new(m20261206_000025_council_members::Migration),
            Box::new(m20261206_000026_return_placements::Migration),
            Box::new(m20261206_000027_council_private::Migration),
            Box::new(m20261206_000028_council_contracts::Migration),
            Box::new(m20261206_000029_bed_requests::Migration),
        ]
    }
}
