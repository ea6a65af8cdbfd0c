//! Who is asking: sign-in, sessions, roles and the access policy every route
//! declares in `router.rs`.
//!
//! Roles: an **admin** manages everything; **commissioners** and the
//! **placements** team see every home (commissioners also edit the market
//! data); a **provider** user sees and changes only its own organisation's
//! homes. Anonymous visitors reach only the sign-in page, `/healthz` and
//! static assets.

pub mod csrf;
pub mod passwords;
pub mod policy;
pub mod routes;
pub mod second_factor;
pub mod second_factor_routes;
pub mod session_store;
pub mod sign_in;
pub mod throttle;
pub mod tokens;
mod views;

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_login::{AuthUser, AuthnBackend, UserId};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::db::entities::users;
use crate::error::Error;

/// A user's role. Stored as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Commissioner,
    Placements,
    Provider,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Commissioner,
        Role::Placements,
        Role::Provider,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commissioner => "commissioner",
            Role::Placements => "placements",
            Role::Provider => "provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Commissioner => "Commissioner",
            Role::Placements => "Placements team",
            Role::Provider => "Provider",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Council staff: everyone but providers.
    pub fn is_council(self) -> bool {
        self != Role::Provider
    }

    /// May change market data (homes, organisations) for every provider.
    pub fn edits_market(self) -> bool {
        matches!(self, Role::Admin | Role::Commissioner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::from_code(s.trim()).ok_or_else(|| {
            format!("unknown role '{s}': use admin, commissioner, placements or provider")
        })
    }
}

/// The signed-in user as the session layer knows it.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// Sees the region's figures across member councils.
    pub regional_lead: bool,
    /// Replacing the user's key in the database ends every session holding
    /// the old one (checked on each request by axum-login).
    session_key: Vec<u8>,
}

impl AuthUser for SessionUser {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.session_key
    }
}

impl SessionUser {
    /// From a user's columns, as the session and user queries read them.
    pub(crate) fn from_columns(
        id: i64,
        email: String,
        display_name: String,
        role: &str,
        organisation_id: Option<i64>,
        regional_lead: bool,
        session_key: String,
    ) -> Option<Self> {
        Some(SessionUser {
            id,
            role: Role::from_code(role)?,
            email,
            display_name,
            organisation_id,
            regional_lead,
            session_key: session_key.into_bytes(),
        })
    }

    fn from_model(model: users::Model) -> Option<Self> {
        Some(SessionUser {
            id: model.id,
            role: Role::from_code(&model.role)?,
            email: model.email,
            display_name: model.display_name,
            organisation_id: model.organisation_id,
            regional_lead: model.regional_lead,
            session_key: model.session_key.into_bytes(),
        })
    }
}

/// Who is acting, as domain functions see it: plain data, no HTTP. Built for
/// each request by the policy layer, or for the command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Viewer {
    /// `None` for the system itself (command line, scheduled jobs).
    pub user_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// A provider user's organisation; council staff's member council.
    pub organisation_id: Option<i64>,
    /// Council staff who see the region's figures across members.
    pub regional_lead: bool,
    pub client_ip: Option<String>,
}

impl Viewer {
    pub fn from_session(user: &SessionUser, client_ip: Option<String>) -> Self {
        Viewer {
            user_id: Some(user.id),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            organisation_id: user.organisation_id,
            regional_lead: user.regional_lead,
            client_ip,
        }
    }

    /// A user acting without a session (the holder of an emailed link, a
    /// script); `None` for a role this version does not know.
    pub fn of_user(user: crate::db::entities::users::Model) -> Option<Self> {
        Some(Viewer {
            role: Role::from_code(&user.role)?,
            user_id: Some(user.id),
            email: user.email,
            display_name: user.display_name,
            organisation_id: user.organisation_id,
            regional_lead: user.regional_lead,
            client_ip: None,
        })
    }

    /// The system acting on an operator's command (CLI, demo builder).
    pub fn system(what: &str) -> Self {
        Viewer {
            user_id: None,
            email: what.to_string(),
            display_name: what.to_string(),
            role: Role::Admin,
            organisation_id: None,
            regional_lead: false,
            client_ip: None,
        }
    }

    pub fn is_council(&self) -> bool {
        self.role.is_council()
    }

    /// The member council a member of staff works for ("our council").
    pub fn council_id(&self) -> Option<i64> {
        self.is_council().then_some(self.organisation_id).flatten()
    }

    /// True for a provider user of `organisation_id`.
    pub fn belongs_to(&self, organisation_id: Option<i64>) -> bool {
        self.role == Role::Provider
            && organisation_id.is_some()
            && self.organisation_id == organisation_id
    }
}

/// Handlers take a `Viewer`: present on every route whose policy needs a
/// signed-in user, inserted by the policy layer.
impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or(Error::Unauthenticated)
    }
}

/// What the sign-in form submits.
#[derive(Clone, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Looks users up for axum-login: by credentials at sign-in, by id on every
/// later request. Inactive users are never found, so deactivation ends their
/// sessions at once.
#[derive(Clone, Debug)]
pub struct Backend {
    db: DatabaseConnection,
}

impl Backend {
    pub fn new(db: DatabaseConnection) -> Self {
        Backend { db }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error("password check failed: {0}")]
    Hashing(String),
}

impl AuthnBackend for Backend {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<SessionUser>, BackendError> {
        let email = normalise_email(&creds.email);
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .filter(users::Column::Active.eq(true))
            .one(&self.db)
            .await?;
        // Verify against a dummy hash when there is no such user, so the
        // answer takes as long either way (no account enumeration by timing).
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = passwords::verify_blocking(creds.password, hash)
            .await
            .map_err(BackendError::Hashing)?;
        Ok(user.filter(|_| matches).and_then(SessionUser::from_model))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<SessionUser>, BackendError> {
        // Usually read already, with the request's session.
        if let Some(loaded) = session_store::take_loaded_user(*id) {
            return Ok(loaded);
        }
        // Otherwise by key (see `db::unique`).
        let user = crate::db::unique(
            users::Entity::find_by_id(*id).filter(users::Column::Active.eq(true)),
            &self.db,
        )
        .await?;
        Ok(user.and_then(SessionUser::from_model))
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Emails are compared lower-cased and trimmed.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A new API token for the signed-in viewer (see [`tokens::create`]), in
/// its own transaction: returns the token, shown once, and its record.
pub async fn create_own_token(
    db: &DatabaseConnection,
    viewer: &Viewer,
    name: &str,
) -> crate::error::Result<(String, crate::db::entities::api_tokens::Model)> {
    let user_id = viewer.user_id.ok_or(Error::Forbidden)?;
    let txn = crate::db::begin_write(db).await?;
    let created = tokens::create(&txn, viewer, user_id, name).await?;
    txn.commit().await?;
    Ok(created)
}

impl Backend {
    /// The active user with this id, as the session layer would load it.
    pub async fn get_user_by_id(
        &self,
        id: Option<i64>,
    ) -> Result<Option<SessionUser>, sea_orm::DbErr> {
        let Some(id) = id else { return Ok(None) };
        match self.get_user(&id).await {
            Ok(user) => Ok(user),
            Err(BackendError::Database(e)) => Err(e),
            Err(BackendError::Hashing(e)) => Err(sea_orm::DbErr::Custom(e)),
        }
    }
}
