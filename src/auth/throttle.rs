//! Sign-in throttling against credential stuffing and guessing (ASVS 6.1.1,
//! 6.3.1). Failures are counted per email and per client address within a
//! window, each counted before its password is checked; past the limit,
//! attempts for that key wait, starting at one minute and doubling up to a
//! maximum. Nothing is locked for good: the wait ends on
//! its own and a successful sign-in clears the email's count. Counts live in
//! the database so every instance of the service sees them.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use crate::config;
use crate::db::entities::sign_in_throttles;

/// Client addresses are shared (a council office behind one NAT), so they get
/// a looser limit than single emails.
const ADDRESS_FACTOR: i32 = 4;

pub struct Keys {
    /// Who is signing in: their email, or the user a code is for.
    pub account: String,
    pub address: Option<String>,
}

impl Keys {
    pub fn new(email: &str, address: Option<&str>) -> Self {
        Keys {
            account: format!("email:{}", super::normalise_email(email)),
            address: address.map(|a| format!("ip:{a}")),
        }
    }

    /// A second-factor code's keys: the user, and the address (shared with
    /// passwords, so guessing either counts against the same address).
    pub fn second_factor(user_id: i64, address: Option<&str>) -> Self {
        Keys {
            account: format!("code:{user_id}"),
            address: address.map(|a| format!("ip:{a}")),
        }
    }

    fn all(&self) -> impl Iterator<Item = (&str, i32)> {
        std::iter::once((self.account.as_str(), 1))
            .chain(self.address.as_deref().map(|a| (a, ADDRESS_FACTOR)))
    }
}

/// What an attempt to sign in may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check the password: the attempt is already counted as a failure.
    Allowed,
    /// Do not check anything before this time.
    Blocked(DateTime<FixedOffset>),
}

/// Counts an attempt **before** its password is checked, so parallel guesses
/// cannot slip past the limit: the keys' rows are locked in one transaction
/// (in key order, so two attempts never wait on each other crosswise), the
/// block is read and the count raised together. A blocked attempt is not
/// counted. A right password gives its count back (`succeeded`).
pub async fn attempt(
    db: &DatabaseConnection,
    keys: &Keys,
    settings: &config::Auth,
    now: DateTime<Utc>,
) -> Result<Attempt, DbErr> {
    // The rows must exist to be locked; creating them needs no transaction.
    let fresh = keys.all().map(|(key, _)| sign_in_throttles::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(0),
        window_started_at: Set(now.fixed_offset()),
        blocked_until: Set(None),
    });
    sign_in_throttles::Entity::insert_many(fresh)
        .on_conflict(
            OnConflict::column(sign_in_throttles::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;

    let txn = crate::db::begin_write(db).await?;
    let rows = sign_in_throttles::Entity::find()
        .filter(sign_in_throttles::Column::Key.is_in(keys.all().map(|(k, _)| k.to_string())))
        .order_by_asc(sign_in_throttles::Column::Key)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let blocked = rows
        .iter()
        .filter_map(|row| row.blocked_until.filter(|until| *until > now))
        .max();
    if let Some(until) = blocked {
        txn.commit().await?;
        return Ok(Attempt::Blocked(until));
    }
    let window = Duration::minutes(settings.throttle_window_minutes);
    for (key, factor) in keys.all() {
        let limit = settings.throttle_max_failures * factor;
        let existing = rows.iter().find(|row| row.key == key);
        let (failures, started) = match existing {
            Some(row) if row.window_started_at + window > now => {
                (row.failures + 1, row.window_started_at)
            }
            _ => (1, now.fixed_offset()),
        };
        let row = sign_in_throttles::ActiveModel {
            key: Set(key.to_string()),
            failures: Set(failures),
            window_started_at: Set(started),
            blocked_until: Set(block_after(failures, limit, settings, now)),
        };
        match existing {
            Some(_) => row.update(&txn).await?,
            // Swept away between creating and locking: create it again.
            None => row.insert(&txn).await?,
        };
    }
    txn.commit().await?;
    Ok(Attempt::Allowed)
}

/// The wait once `failures` reach `limit`: a minute, doubling per failure
/// beyond it, up to the configured maximum.
fn block_after(
    failures: i32,
    limit: i32,
    settings: &config::Auth,
    now: DateTime<Utc>,
) -> Option<DateTime<FixedOffset>> {
    (failures >= limit).then(|| {
        let doublings = (failures - limit).clamp(0, 10) as u32;
        let wait = Duration::minutes((1i64 << doublings).min(settings.throttle_max_block_minutes));
        (now + wait).fixed_offset()
    })
}

/// A right password or code clears the account's count and gives the address back the
/// one this attempt was charged (not its whole count: one success from a
/// shared address must not reset an attacker's count).
pub async fn succeeded(
    db: &DatabaseConnection,
    keys: &Keys,
    settings: &config::Auth,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    sign_in_throttles::Entity::delete_by_id(keys.account.clone())
        .exec(&txn)
        .await?;
    if let Some(address) = &keys.address
        && let Some(row) = sign_in_throttles::Entity::find_by_id(address.clone())
            .lock_exclusive()
            .one(&txn)
            .await?
    {
        let failures = (row.failures - 1).max(0);
        let still_blocked = failures >= settings.throttle_max_failures * ADDRESS_FACTOR;
        let mut active = row.into_active_model();
        active.failures = Set(failures);
        if !still_blocked {
            active.blocked_until = Set(None);
        }
        active.update(&txn).await?;
    }
    txn.commit().await
}

/// Retention: forget counts whose window and wait have both passed.
pub async fn delete_stale(
    db: &impl ConnectionTrait,
    settings: &config::Auth,
) -> Result<u64, DbErr> {
    let horizon = Utc::now()
        - Duration::minutes(settings.throttle_window_minutes + settings.throttle_max_block_minutes);
    let result = sign_in_throttles::Entity::delete_many()
        .filter(sign_in_throttles::Column::WindowStartedAt.lt(horizon.fixed_offset()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
