//! Behaviour beside the generated entities (which are never edited): tables
//! with `created_at`/`updated_at` get them filled in on save when the caller
//! did not set them. Bulk inserts (`insert_many`) bypass this and set them
//! explicitly.

use chrono::Utc;
use sea_orm::{ActiveModelBehavior, ActiveValue, ConnectionTrait, DbErr};

use super::entities::*;

macro_rules! timestamped {
    ($($entity:ident),+) => {$(
        #[async_trait::async_trait]
        impl ActiveModelBehavior for $entity::ActiveModel {
            async fn before_save<C: ConnectionTrait>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr> {
                let now = Utc::now().fixed_offset();
                if insert && matches!(self.created_at, ActiveValue::NotSet) {
                    self.created_at = ActiveValue::Set(now);
                }
                if matches!(self.updated_at, ActiveValue::NotSet) {
                    self.updated_at = ActiveValue::Set(now);
                }
                Ok(self)
            }
        }
    )+};
}

macro_rules! plain {
    ($($entity:ident),+) => {$(
        impl ActiveModelBehavior for $entity::ActiveModel {}
    )+};
}

timestamped!(
    organisations,
    homes,
    inspections,
    users,
    monitoring_cases,
    case_actions,
    case_meetings,
    second_factors,
    recovery_codes,
    bed_requests
);
plain!(
    bed_request_homes,
    council_contracts,
    council_members,
    home_needs,
    sessions,
    sign_in_throttles,
    audit_events,
    returns,
    return_vacancies,
    return_placements,
    return_uploads,
    api_tokens,
    case_escalations,
    case_notes,
    case_files,
    ofsted_imports,
    postcodes,
    postcode_districts,
    searches,
    outbox_emails,
    job_runs,
    email_links,
    email_opt_outs,
    home_offers,
    search_versions,
    organisation_aliases
);
