//! Two-factor sign-in (SECURITY.md item 13): after the password, a six-digit
//! code from an authenticator app (TOTP, RFC 6238) or a one-use recovery
//! code. Required for the roles `auth.two_factor_roles` names; anyone may
//! turn it on. A code is accepted once (its time step is remembered), and
//! wrong codes are throttled like wrong passwords.

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use totp_rs::{Secret, Totp};

use super::throttle::{self, Attempt, Keys};
use super::{Role, Viewer};
use crate::audit::{self, Change};
use crate::config;
use crate::db::entities::{recovery_codes, second_factors, users};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

/// Recovery codes given at a time.
pub const RECOVERY_CODES: usize = 10;

/// Whether the role must use a second factor.
pub fn required_for(settings: &config::Auth, role: Role) -> bool {
    settings.two_factor_roles.contains(&role)
}

/// What the enrolment page shows: the secret as a QR code and as text, for
/// apps that cannot scan.
pub struct Enrolment {
    pub secret: String,
    /// The secret grouped in fours, easier to type.
    pub secret_grouped: String,
    pub qr_svg: String,
}

/// A new secret, kept in the session until the user proves their app holds it.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

pub fn enrolment(secret: &str, email: &str, issuer: &str) -> Result<Enrolment> {
    let url = totp(secret, email, issuer)?
        .to_url()
        .map_err(Error::internal)?;
    let qr = qrcode::QrCode::new(url.as_bytes()).map_err(Error::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let secret_grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Enrolment {
        secret: secret.to_string(),
        secret_grouped,
        qr_svg,
    })
}

fn totp(secret: &str, email: &str, issuer: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret).map_err(Error::internal)?;
    // Colons separate issuer and account in the otpauth label.
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(email.replace(':', " "))
        .build()
        .map_err(Error::internal)
}

/// The code as typed: spaces and dashes are ignored.
fn cleaned(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn step_of(code: &str, secret: &str, now: DateTime<Utc>) -> Option<i64> {
    let totp = totp(secret, "", "x").ok()?;
    let step = totp.check(code, u64::try_from(now.timestamp()).ok()?)?;
    i64::try_from(step).ok()
}

pub async fn is_enrolled(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> Result<bool> {
    Ok(second_factors::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some())
}

/// Turns the second factor on once the app's first code matches `secret`;
/// returns the recovery codes, to be shown once.
pub async fn enrol(
    db: &DatabaseConnection,
    viewer: &Viewer,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let user_id = viewer.user_id.ok_or(Error::Forbidden)?;
    let Some(step) = step_of(&cleaned(code), secret, now) else {
        let mut errors = FormErrors::default();
        errors.add(
            "code",
            "Enter the 6-digit code your authenticator app shows now",
        );
        return Err(Error::Invalid(errors));
    };
    let txn = crate::db::begin_write(db).await?;
    second_factors::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?;
    second_factors::ActiveModel {
        user_id: Set(user_id),
        secret: Set(secret.to_string()),
        last_step: Set(step),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let codes = replace_recovery_codes(&txn, user_id).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("two_factor_enrolled", "user", Some(user_id.to_string()))
            .summary(format!("{} turned on two-factor sign-in", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// New recovery codes for the viewer; the old ones stop working.
pub async fn new_recovery_codes(db: &DatabaseConnection, viewer: &Viewer) -> Result<Vec<String>> {
    let user_id = viewer.user_id.ok_or(Error::Forbidden)?;
    let txn = crate::db::begin_write(db).await?;
    if !is_enrolled(&txn, user_id).await? {
        return Err(Error::BadRequest(
            "Turn on two-factor sign-in first.".into(),
        ));
    }
    let codes = replace_recovery_codes(&txn, user_id).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("recovery_codes_replaced", "user", Some(user_id.to_string()))
            .summary(format!("{} made new recovery codes", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    txn: &impl sea_orm::ConnectionTrait,
    user_id: i64,
) -> Result<Vec<String>> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    // Inserted together, so the timestamps are set here (`insert_many` does
    // not run the entity's `before_save`).
    let now = Utc::now().fixed_offset();
    let rows = codes.iter().map(|code| recovery_codes::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(super::tokens::hash(&cleaned(code))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    recovery_codes::Entity::insert_many(rows).exec(txn).await?;
    Ok(codes)
}

/// 80 random bits in an alphabet without look-alikes, as four groups of four.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The answer to a code at sign-in.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Blocked(DateTime<chrono::FixedOffset>),
    Wrong,
    /// Right; `recovery_codes_left` when a recovery code was used.
    Right {
        recovery_codes_left: Option<u64>,
    },
}

/// Checks a code for `user_id` at sign-in, counted against the user's and the
/// address's throttles before it is checked.
pub async fn check(
    db: &DatabaseConnection,
    settings: &config::Auth,
    user_id: i64,
    code: &str,
    client_ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CodeCheck> {
    let keys = Keys::second_factor(user_id, client_ip);
    if let Attempt::Blocked(until) = throttle::attempt(db, &keys, settings, now).await? {
        return Ok(CodeCheck::Blocked(until));
    }
    let code = cleaned(code);
    let answer = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        check_app_code(db, user_id, &code, now).await?
    } else {
        check_recovery_code(db, user_id, &code, now).await?
    };
    if answer != CodeCheck::Wrong {
        throttle::succeeded(db, &keys, settings).await?;
    }
    Ok(answer)
}

async fn check_app_code(
    db: &DatabaseConnection,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<CodeCheck> {
    let Some(factor) = second_factors::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(CodeCheck::Wrong);
    };
    let Some(step) = step_of(code, &factor.secret, now) else {
        return Ok(CodeCheck::Wrong);
    };
    // One statement, so two requests with the same code cannot both pass.
    let taken = second_factors::Entity::update_many()
        .col_expr(second_factors::Column::LastStep, Expr::value(step))
        .col_expr(
            second_factors::Column::UpdatedAt,
            Expr::value(now.fixed_offset()),
        )
        .filter(second_factors::Column::UserId.eq(user_id))
        .filter(second_factors::Column::LastStep.lt(step))
        .exec(db)
        .await?;
    Ok(if taken.rows_affected == 1 {
        CodeCheck::Right {
            recovery_codes_left: None,
        }
    } else {
        CodeCheck::Wrong
    })
}

async fn check_recovery_code(
    db: &DatabaseConnection,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<CodeCheck> {
    let used = recovery_codes::Entity::update_many()
        .col_expr(
            recovery_codes::Column::UsedAt,
            Expr::value(Some(now.fixed_offset())),
        )
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::CodeHash.eq(super::tokens::hash(code)))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Ok(CodeCheck::Wrong);
    }
    let left = sea_orm::PaginatorTrait::count(
        recovery_codes::Entity::find()
            .filter(recovery_codes::Column::UserId.eq(user_id))
            .filter(recovery_codes::Column::UsedAt.is_null()),
        db,
    )
    .await?;
    Ok(CodeCheck::Right {
        recovery_codes_left: Some(left),
    })
}

/// An admin removes a user's second factor (a lost phone): the user's
/// sessions end, and they set it up again at their next sign-in.
pub async fn reset(db: &DatabaseConnection, viewer: &Viewer, user_id: i64) -> Result<users::Model> {
    let txn = crate::db::begin_write(db).await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let removed = second_factors::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(Error::BadRequest(format!(
            "{} has not set up two-factor sign-in.",
            user.email
        )));
    }
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    crate::users::rotate_session_key(&txn, user_id).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("two_factor_reset", "user", Some(user_id.to_string()))
            .summary(format!("Reset two-factor sign-in for {}", user.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The viewer turns their own second factor off, where their role allows it.
pub async fn turn_off(
    db: &DatabaseConnection,
    settings: &config::Auth,
    viewer: &Viewer,
) -> Result<()> {
    if required_for(settings, viewer.role) {
        return Err(Error::BadRequest(
            "Two-factor sign-in is required for your role.".into(),
        ));
    }
    let user_id = viewer.user_id.ok_or(Error::Forbidden)?;
    let txn = crate::db::begin_write(db).await?;
    second_factors::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        viewer,
        Change::event("two_factor_turned_off", "user", Some(user_id.to_string()))
            .summary(format!("{} turned off two-factor sign-in", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_four_groups_of_four_without_look_alikes() {
        let code = recovery_code();
        assert_eq!(code.len(), 19);
        assert!(
            code.split('-')
                .all(|g| g.len() == 4 && !g.contains(['0', 'o', '1', 'l', 'i']))
        );
        assert_eq!(cleaned(" ABCD-efgh "), "abcdefgh");
    }

    #[test]
    fn a_code_from_the_secret_gives_its_time_step() {
        let secret = new_secret();
        let now = Utc::now();
        let code = totp(&secret, "a@b", "x")
            .unwrap()
            .generate(now.timestamp() as u64)
            .to_string();
        assert_eq!(step_of(&code, &secret, now), Some(now.timestamp() / 30));
        assert_eq!(step_of("000000x", &secret, now), None);
    }
}
