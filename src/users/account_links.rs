//! Setting a password from an emailed link: an administrator's invitation
//! (a new user chooses their first password) and a password reset. Both
//! links are single-use and short-lived (`email.invite_valid_hours`,
//! `email.reset_valid_minutes`); a reset is answered the same way whether
//! or not the address has an account, so the page reveals nothing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};

use crate::audit::{self, Change};
use crate::auth::{Viewer, normalise_email, passwords};
use crate::config::Settings;
use crate::db::entities::{email_links, users};
use crate::email::links::{self, NewLink, Purpose, Refusal};
use crate::email::templates::AccountLink;
use crate::email::{self, Category, Recipient};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

fn recipient(user: &users::Model) -> Recipient {
    Recipient {
        user_id: Some(user.id),
        email: user.email.clone(),
        name: user.display_name.clone(),
    }
}

fn expiry_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::London)
        .format("%-I:%M%P on %A %-d %B %Y")
        .to_string()
}

/// Queues an invitation to a new user, in the transaction that creates them.
pub async fn invite(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    user: &users::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let valid_for = Duration::hours(settings.email.invite_valid_hours);
    let link = NewLink {
        request_id: None,
        purpose: Purpose::Invite,
        user_id: user.id,
        home_id: None,
        week_start: None,
        category: None,
        valid_for,
    };
    let token = links::create(conn, link, now).await?;
    let letter = AccountLink {
        title: format!(
            "You have been invited to Sufficiency for {}",
            settings.council.name
        ),
        intro: format!(
            "{} uses Sufficiency for weekly vacancy returns, Ofsted ratings and finding placements. Choose a password to start.",
            settings.council.name
        ),
        link_text: "Choose your password".into(),
        url: email::link(settings, &format!("/account/set-password/{token}")),
        expires: expiry_text(now + valid_for),
    };
    let key = format!("invite:{}:{}", user.id, crate::auth::tokens::hash(&token));
    email::queue(
        conn,
        settings,
        &key,
        Category::Account,
        &recipient(user),
        now,
        |f| letter.render(f),
    )
    .await?;
    Ok(())
}

/// [`request_reset`] in its own transaction: what the "Forgotten your
/// password?" form does.
pub async fn request_reset_now(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    address: &str,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    request_reset(&txn, settings, address, Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Someone asks to reset the password of `address`. If an active user has
/// it, a link is queued (at most one per five minutes); either way the
/// caller shows the same page.
pub async fn request_reset(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    address: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let found = users::Entity::find()
        .filter(users::Column::Email.eq(normalise_email(address)))
        .filter(users::Column::Active.eq(true))
        .one(conn)
        .await?;
    let Some(user) = found else {
        return Ok(());
    };
    let key = format!("reset:{}:{}", user.id, now.timestamp() / 300);
    let to = recipient(&user);
    if !email::will_queue(conn, &key, Category::Account, &to).await? {
        return Ok(());
    }
    let valid_for = Duration::minutes(settings.email.reset_valid_minutes);
    let link = NewLink {
        request_id: None,
        purpose: Purpose::Reset,
        user_id: user.id,
        home_id: None,
        week_start: None,
        category: None,
        valid_for,
    };
    let token = links::create(conn, link, now).await?;
    let letter = AccountLink {
        title: "Reset your Sufficiency password".into(),
        intro: "Someone asked to reset the password for this email address.".into(),
        link_text: "Choose a new password".into(),
        url: email::link(settings, &format!("/account/set-password/{token}")),
        expires: expiry_text(now + valid_for),
    };
    email::queue(conn, settings, &key, Category::Account, &to, now, |f| {
        letter.render(f)
    })
    .await?;
    Ok(())
}

/// The invitation or reset link a token stands for.
pub async fn check(
    conn: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<email_links::Model, Refusal>> {
    match links::check(conn, token, Purpose::Invite, now).await? {
        Err(Refusal::Invalid) => links::check(conn, token, Purpose::Reset, now).await,
        other => Ok(other),
    }
}

/// Sets the password a link allows, ends the user's other sessions, and
/// uses the link up. `Ok(Err(refusal))` when the link does not work.
pub async fn set_password(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    new: &str,
    confirm: &str,
) -> Result<std::result::Result<users::Model, Refusal>> {
    let now = Utc::now();
    let link = match check(db, token, now).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(user) = users::Entity::find_by_id(link.user_id)
        .filter(users::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::Invalid));
    };
    let words = crate::users::service_words(settings);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut errors = FormErrors::default();
    if let Err(message) = passwords::check_new(new, &user.email, &words) {
        errors.add("new_password", message);
    } else if new != confirm {
        errors.add("confirm_password", "The passwords do not match");
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let hash = passwords::hash_blocking(new.to_string(), settings.auth.clone())
        .await
        .map_err(Error::internal)?;
    let txn = crate::db::begin_write(db).await?;
    if !links::consume(&txn, &link, now).await? {
        return Ok(Err(Refusal::Used));
    }
    let mut model = user.clone().into_active_model();
    model.password_hash = Set(hash);
    // Every existing session of the user ends.
    model.session_key = Set(crate::users::new_session_key());
    model.updated_at = Set(now.fixed_offset());
    let updated = model.update(&txn).await?;
    let viewer = Viewer {
        user_id: Some(user.id),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: crate::auth::Role::from_code(&user.role).unwrap_or(crate::auth::Role::Placements),
        organisation_id: user.organisation_id,
        regional_lead: user.regional_lead,
        client_ip: None,
    };
    let event = if link.purpose == Purpose::Invite.code() {
        "invitation_accepted"
    } else {
        "password_reset"
    };
    audit::record(
        &txn,
        &viewer,
        Change::event(event, "user", Some(user.id.to_string())).summary(format!(
            "{} set their password from an emailed link",
            user.email
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(updated))
}
