//! Server-side sessions in the application's own database, through sea-orm
//! (one pool, one driver; tower-sessions' sqlx store would pull a second sqlx).
//! Records are JSON; expired ones are never loaded and are deleted by the
//! retention sweep.
//!
//! Loading a session also reads the row of the user it belongs to (if
//! active), in one indexed query, and keeps the user for this request only,
//! where axum-login's `get_user` takes it instead of asking the database
//! again. Every request reads its session afresh, so a sign-out, a
//! deactivation, a new password or a new role made on any instance applies
//! at the next request.

use std::cell::RefCell;

use async_trait::async_trait;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QuerySelect, RelationTrait,
};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::SessionUser;
use crate::db::entities::{sessions, users};

/// Where axum-login keeps its data in a session (named in `app.rs`), read
/// here for the user id the `user_id` column repeats.
pub const AUTH_DATA_KEY: &str = "axum-login.data";

tokio::task_local! {
    /// The user read with this request's session, until `get_user` takes it.
    static LOADED_USER: RefCell<Option<LoadedUser>>;
}

/// The session's user id and that user, `None` if not active (or gone).
#[derive(Clone)]
struct LoadedUser {
    user_id: i64,
    user: Option<SessionUser>,
}

/// Middleware around the session layers: a request's room for the user its
/// session load reads. Without it, `get_user` simply queries.
pub async fn keep_loaded_user(request: Request, next: Next) -> Response {
    LOADED_USER
        .scope(RefCell::new(None), next.run(request))
        .await
}

/// The user read with this request's session, if it is user `id`: taken, so
/// a later lookup in the same request reads the database afresh.
pub(super) fn take_loaded_user(id: i64) -> Option<Option<SessionUser>> {
    LOADED_USER
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            match slot.take() {
                Some(loaded) if loaded.user_id == id => Some(loaded.user),
                other => {
                    *slot = other;
                    None
                }
            }
        })
        .ok()
        .flatten()
}

fn keep(loaded: LoadedUser) {
    // Outside `keep_loaded_user` (a test calling the store) nothing is kept.
    let _ = LOADED_USER.try_with(|slot| *slot.borrow_mut() = Some(loaded));
}

/// The session with its user's columns (NULL when signed out or inactive).
#[derive(Debug, FromQueryResult)]
struct SessionRow {
    data: String,
    expires_at: DateTime<FixedOffset>,
    user_id: Option<i64>,
    active_user_id: Option<i64>,
    email: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    organisation_id: Option<i64>,
    regional_lead: Option<bool>,
    session_key: Option<String>,
}

impl SessionRow {
    /// The user's columns, taken out of the row (the session's stay).
    fn take_user(&mut self) -> Option<SessionUser> {
        SessionUser::from_columns(
            self.active_user_id?,
            self.email.take()?,
            self.display_name.take()?,
            self.role.as_deref()?,
            self.organisation_id,
            self.regional_lead.unwrap_or(false),
            self.session_key.take()?,
        )
    }
}

/// The user id a session record holds, as axum-login wrote it.
fn user_id_of(record: &Record) -> Option<i64> {
    record.data.get(AUTH_DATA_KEY)?.get("user_id")?.as_i64()
}

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
    }

    /// Session `id` with its user, from the database.
    async fn read(&self, id: &Id) -> session_store::Result<Option<(Record, Option<LoadedUser>)>> {
        let now = Utc::now().fixed_offset();
        // By key, without `.one()`'s `LIMIT ?` (see `db::unique`).
        let row = sessions::Entity::find_by_id(id.to_string())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .select_only()
            .column(sessions::Column::Data)
            .column(sessions::Column::ExpiresAt)
            .column(sessions::Column::UserId)
            .column_as(users::Column::Id, "active_user_id")
            .column(users::Column::Email)
            .column(users::Column::DisplayName)
            .column(users::Column::Role)
            .column(users::Column::OrganisationId)
            .column(users::Column::RegionalLead)
            .column(users::Column::SessionKey)
            .join(
                JoinType::LeftJoin,
                sessions::Relation::Users.def().on_condition(|_, user| {
                    Expr::col((user, users::Column::Active)).eq(true).into()
                }),
            )
            .into_model::<SessionRow>()
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .next();
        let Some(mut row) = row else { return Ok(None) };
        let user = row.user_id.map(|user_id| LoadedUser {
            user_id,
            user: row.take_user(),
        });
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let record = Record {
            id: *id,
            data,
            expiry_date,
        };
        Ok(Some((record, user)))
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<FixedOffset> {
    DateTime::<Utc>::from_timestamp(t.unix_timestamp(), t.nanosecond())
        .unwrap_or_default()
        .fixed_offset()
}

fn active_model(record: &Record) -> session_store::Result<sessions::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(sessions::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(to_chrono(record.expiry_date)),
        user_id: Set(user_id_of(record)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id colliding is vanishingly rare; if it happens,
        // draw another rather than overwrite someone's session.
        for _ in 0..3 {
            match sessions::Entity::insert(active_model(record)?)
                .exec(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if crate::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(backend("could not allocate a session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sessions::Entity::insert(active_model(record)?)
            .on_conflict(
                OnConflict::column(sessions::Column::Id)
                    .update_columns([
                        sessions::Column::Data,
                        sessions::Column::ExpiresAt,
                        sessions::Column::UserId,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some((record, user)) = self.read(id).await? else {
            return Ok(None);
        };
        if let Some(user) = user {
            keep(user);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sessions::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(Utc::now().fixed_offset()))
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}
