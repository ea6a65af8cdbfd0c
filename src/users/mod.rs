//! People who sign in: created by an admin (or `sufficiency user add`),
//! deactivated rather than deleted, so the audit trail keeps its meaning.

pub mod account_links;
pub mod account_pages;
pub mod routes;
mod views;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};
use serde_json::{Value, json};

use crate::audit::{self, Change};
use crate::auth::{Role, Viewer, normalise_email, passwords};
use crate::config::Settings;
use crate::db::entities::{organisations, users};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

/// A random key every session of the user carries; replacing it ends them all.
pub fn new_session_key() -> String {
    crate::auth::tokens::random_token()
}

/// What the audit trail keeps of a user: never the password hash or the session key.
fn snapshot(user: &users::Model) -> Value {
    json!({
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "active": user.active,
    })
}

/// Words a password must not be (the service and the council's names), and
/// that make a password easier to guess (words of the job).
pub fn service_words(settings: &Settings) -> Vec<String> {
    let mut words: Vec<String> = ["sufficiency", "council", "placements", "commissioning"]
        .map(String::from)
        .into();
    words.push(settings.council.short_name.to_lowercase());
    words.extend(
        settings
            .council
            .name
            .split_whitespace()
            .map(|w| w.to_lowercase()),
    );
    words
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The provider organisation a provider user works for.
    pub organisation: crate::organisations::pick::Pick,
    /// The member council council staff work for; `None` for the region's
    /// only member.
    pub council: Option<i64>,
    /// Council staff who see the region's figures across members.
    pub regional_lead: bool,
    /// Empty: the user is emailed an invitation to choose their own.
    pub password: String,
}

pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewUser,
    settings: &Settings,
) -> Result<users::Model> {
    let mut errors = FormErrors::default();
    let email = normalise_email(&new.email);
    let words = service_words(settings);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let invited = new.password.is_empty();
    if !invited && let Err(message) = passwords::check_new(&new.password, &email, &words) {
        errors.add("password", message);
    }
    let organisation_id = match crate::organisations::pick::resolve(
        db,
        crate::organisations::Kind::Provider,
        &new.organisation,
        "organisation_id",
    )
    .await
    {
        Ok(id) => id,
        Err(Error::Invalid(problems)) => {
            for (field, message) in problems.iter() {
                errors.add(field.to_string(), message);
            }
            None
        }
        Err(other) => return Err(other),
    };
    if new.role == Role::Provider
        && organisation_id.is_none()
        && errors.get("organisation_id").is_none()
    {
        errors.add(
            "organisation_id",
            "Enter the provider organisation this user works for",
        );
    }
    let organisation_id = if new.role.is_council() {
        // Not chosen: the creating administrator's own council.
        staff_council(db, new.council.or(viewer.council_id()), &mut errors).await?
    } else {
        organisation_id
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    // An invited user's password is random and never told to anyone: only
    // the emailed link can set one.
    let password = if invited {
        crate::auth::tokens::random_token()
    } else {
        new.password
    };
    let hash = passwords::hash_blocking(password, settings.auth.clone())
        .await
        .map_err(Error::internal)?;
    let now = Utc::now().fixed_offset();
    let txn = crate::db::begin_write(db).await?;
    let inserted = users::ActiveModel {
        email: Set(email),
        display_name: Set(new.display_name.trim().to_string()),
        password_hash: Set(hash),
        role: Set(new.role.code().to_string()),
        // A provider user's organisation; council staff's member council.
        organisation_id: Set(organisation_id),
        regional_lead: Set(new.role.is_council() && new.regional_lead),
        active: Set(true),
        session_key: Set(new_session_key()),
        last_sign_in_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let user = match inserted {
        Ok(user) => user,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(Error::field(
                "email",
                "There is already a user with this email address",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        viewer,
        Change::created("user", user.id, snapshot(&user)).summary(format!(
            "Created user {}{}",
            user.email,
            if invited { ", invited by email" } else { "" }
        )),
    )
    .await?;
    if invited {
        account_links::invite(&txn, settings, &user, Utc::now()).await?;
    }
    txn.commit().await?;
    Ok(user)
}

/// The member council a member of staff works for: the one chosen (or the
/// administrator's own), which must be a member, or the region's only one.
async fn staff_council(
    db: &DatabaseConnection,
    chosen: Option<i64>,
    errors: &mut FormErrors,
) -> Result<Option<i64>> {
    let members = crate::regions::members(db).await?;
    let found = match chosen {
        Some(id) => members.iter().find(|m| m.id == id),
        None if members.len() == 1 => members.first(),
        None => None,
    };
    if found.is_none() {
        errors.add(
            "council_id",
            "Choose the member council this user works for",
        );
    }
    Ok(found.map(|m| m.id))
}

pub async fn record_sign_in(db: &DatabaseConnection, viewer: &Viewer) -> Result<()> {
    let Some(id) = viewer.user_id else {
        return Ok(());
    };
    let txn = crate::db::begin_write(db).await?;
    users::Entity::update_many()
        .col_expr(
            users::Column::LastSignInAt,
            sea_orm::sea_query::Expr::value(Utc::now().fixed_offset()),
        )
        .filter(users::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        viewer,
        Change::event("sign_in", "user", Some(id.to_string()))
            .summary(format!("{} signed in", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn rotate_session_key(conn: &impl ConnectionTrait, id: i64) -> Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::SessionKey,
            sea_orm::sea_query::Expr::value(new_session_key()),
        )
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now().fixed_offset()),
        )
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sign-out: every session of the user ends, on every device.
pub async fn end_all_sessions(db: &DatabaseConnection, viewer: &Viewer) -> Result<()> {
    let Some(id) = viewer.user_id else {
        return Ok(());
    };
    let txn = crate::db::begin_write(db).await?;
    rotate_session_key(&txn, id).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("sign_out", "user", Some(id.to_string()))
            .summary(format!("{} signed out", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Makes a member of council staff a regional lead (who also sees the
/// region's figures), or no longer one.
pub async fn set_regional_lead(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    lead: bool,
) -> Result<users::Model> {
    crate::db::in_write_transaction(db, async |txn| {
        let user = users::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or(Error::NotFound)?;
        if user.role == Role::Provider.code() {
            return Err(Error::BadRequest(
                "Only council staff can be regional leads.".into(),
            ));
        }
        let before = snapshot(&user);
        let mut model = user.into_active_model();
        model.regional_lead = Set(lead);
        model.updated_at = Set(Utc::now().fixed_offset());
        let user = model.update(txn).await?;
        let summary = if lead {
            format!("Made {} a regional lead", user.email)
        } else {
            format!("{} is no longer a regional lead", user.email)
        };
        audit::record(
            txn,
            viewer,
            Change::updated("user", id, before, snapshot(&user)).summary(summary),
        )
        .await?;
        Ok(user)
    })
    .await
}

/// Deactivating ends the user's sessions at once; reactivating lets them sign in again.
pub async fn set_active(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    active: bool,
) -> Result<users::Model> {
    if viewer.user_id == Some(id) && !active {
        return Err(Error::BadRequest(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let user = users::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let before = snapshot(&user);
    let mut model = user.into_active_model();
    model.active = Set(active);
    model.session_key = Set(new_session_key());
    model.updated_at = Set(Utc::now().fixed_offset());
    let user = model.update(&txn).await?;
    let verb = if active { "Reactivated" } else { "Deactivated" };
    audit::record(
        &txn,
        viewer,
        Change::updated("user", id, before, snapshot(&user))
            .summary(format!("{verb} {}", user.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

pub async fn change_password(
    db: &DatabaseConnection,
    viewer: &Viewer,
    change: PasswordChange,
    settings: &Settings,
) -> Result<()> {
    let id = viewer.user_id.ok_or(Error::Forbidden)?;
    let user = users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = FormErrors::default();
    let correct = passwords::verify_blocking(change.current, Some(user.password_hash.clone()))
        .await
        .map_err(Error::internal)?;
    if !correct {
        errors.add("current_password", "Your current password is not correct");
    }
    let words = service_words(settings);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if let Err(message) = passwords::check_new(&change.new, &user.email, &words) {
        errors.add("new_password", message);
    } else if change.new != change.confirm {
        errors.add("confirm_password", "The passwords do not match");
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let hash = passwords::hash_blocking(change.new, settings.auth.clone())
        .await
        .map_err(Error::internal)?;
    let txn = crate::db::begin_write(db).await?;
    let mut model = user.into_active_model();
    model.password_hash = Set(hash);
    model.session_key = Set(new_session_key());
    model.updated_at = Set(Utc::now().fixed_offset());
    model.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("password_changed", "user", Some(id.to_string()))
            .summary(format!("{} changed their password", viewer.email)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A row of the users list.
#[derive(Debug, Clone, FromQueryResult)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    /// Has set up two-factor sign-in.
    pub two_factor: bool,
    pub regional_lead: bool,
}

impl UserRow {
    /// True when this row is the user `id` (e.g. the viewer themself).
    pub fn is(&self, id: &Option<i64>) -> bool {
        *id == Some(self.id)
    }

    pub fn role_label(&self) -> &'static str {
        Role::from_code(&self.role)
            .map(Role::label)
            .unwrap_or("Unknown")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub role: Option<Role>,
    pub include_inactive: bool,
    pub q: Option<String>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &Filter,
    page: crate::web::pagination::PageNumber,
    per_page: u64,
) -> Result<(Vec<UserRow>, u64)> {
    let mut query = users::Entity::find()
        .select_only()
        .columns([
            users::Column::Id,
            users::Column::Email,
            users::Column::DisplayName,
            users::Column::Role,
            users::Column::Active,
            users::Column::LastSignInAt,
            users::Column::OrganisationId,
            users::Column::RegionalLead,
        ])
        .column_as(organisations::Column::Name, "organisation_name")
        .column_as(
            sea_orm::sea_query::Expr::cust(
                r#"EXISTS (SELECT 1 FROM "second_factors" WHERE "second_factors"."user_id" = "users"."id")"#,
            ),
            "two_factor",
        )
        .join(JoinType::LeftJoin, users::Relation::Organisations.def());
    if let Some(role) = filter.role {
        query = query.filter(users::Column::Role.eq(role.code()));
    }
    if !filter.include_inactive {
        query = query.filter(users::Column::Active.eq(true));
    }
    if let Some(q) = &filter.q {
        let q = q.to_lowercase();
        query = query.filter(
            sea_orm::Condition::any()
                .add(users::Column::Email.contains(&q))
                .add(users::Column::DisplayName.contains(&q)),
        );
    }
    let paginator = query
        .order_by_asc(users::Column::Email)
        .into_model::<UserRow>()
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator
        .fetch_page(page.within(total, per_page) - 1)
        .await?;
    Ok((rows, total))
}
