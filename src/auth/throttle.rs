//! Sign-in throttling against credential stuffing and guessing (ASVS 6.1.1,
//! 6.3.1). Failures are counted per email and per client address within a
//! window; past the limit, attempts for that key wait, starting at one minute
//! and doubling up to a maximum. Nothing is locked for good: the wait ends on
//! its own and a successful sign-in clears the email's count. Counts live in
//! the database so every instance of the service sees them.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
};

use crate::config;
use crate::db::entities::sign_in_throttles;

/// Client addresses are shared (a council office behind one NAT), so they get
/// a looser limit than single emails.
const ADDRESS_FACTOR: i32 = 4;

pub struct Keys {
    pub email: String,
    pub address: Option<String>,
}

impl Keys {
    pub fn new(email: &str, address: Option<&str>) -> Self {
        Keys {
            email: format!("email:{}", super::normalise_email(email)),
            address: address.map(|a| format!("ip:{a}")),
        }
    }

    fn all(&self) -> impl Iterator<Item = (&str, i32)> {
        std::iter::once((self.email.as_str(), 1))
            .chain(self.address.as_deref().map(|a| (a, ADDRESS_FACTOR)))
    }
}

/// When the earliest allowed next attempt is, if any key is waiting.
pub async fn blocked_until(
    db: &impl ConnectionTrait,
    keys: &Keys,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<FixedOffset>>, DbErr> {
    let mut latest = None;
    for (key, _) in keys.all() {
        if let Some(row) = sign_in_throttles::Entity::find_by_id(key.to_string())
            .one(db)
            .await?
            && let Some(until) = row.blocked_until.filter(|u| *u > now)
        {
            latest = latest.max(Some(until));
        }
    }
    Ok(latest)
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &Keys,
    settings: &config::Auth,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let window = Duration::minutes(settings.throttle_window_minutes);
    for (key, factor) in keys.all() {
        let limit = settings.throttle_max_failures * factor;
        let existing = sign_in_throttles::Entity::find_by_id(key.to_string())
            .one(db)
            .await?;
        let (failures, started) = match &existing {
            Some(row) if row.window_started_at + window > now => {
                (row.failures + 1, row.window_started_at)
            }
            _ => (1, now.fixed_offset()),
        };
        let blocked_until = (failures >= limit).then(|| {
            let doublings = (failures - limit).clamp(0, 10) as u32;
            let wait =
                Duration::minutes((1i64 << doublings).min(settings.throttle_max_block_minutes));
            (now + wait).fixed_offset()
        });
        match existing {
            Some(row) => {
                let mut active = row.into_active_model();
                active.failures = Set(failures);
                active.window_started_at = Set(started);
                active.blocked_until = Set(blocked_until);
                active.update(db).await?;
            }
            None => {
                sign_in_throttles::ActiveModel {
                    key: Set(key.to_string()),
                    failures: Set(failures),
                    window_started_at: Set(started),
                    blocked_until: Set(blocked_until),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// A correct password clears the email's count (not the address's: one
/// success from a shared address must not reset an attacker's count).
pub async fn record_success(db: &impl ConnectionTrait, keys: &Keys) -> Result<(), DbErr> {
    sign_in_throttles::Entity::delete_by_id(keys.email.clone())
        .exec(db)
        .await?;
    Ok(())
}

/// Retention: forget counts whose window and wait have both passed.
pub async fn delete_stale(
    db: &impl ConnectionTrait,
    settings: &config::Auth,
) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let horizon = Utc::now()
        - Duration::minutes(settings.throttle_window_minutes + settings.throttle_max_block_minutes);
    let result = sign_in_throttles::Entity::delete_many()
        .filter(sign_in_throttles::Column::WindowStartedAt.lt(horizon.fixed_offset()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
