//! Bearer tokens for the JSON API. A token carries its user's permissions;
//! only a hash is stored, and the token itself is shown once, at creation.

use base64::Engine;
use blake2::{Blake2s256, Digest};
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::{Role, Viewer};
use crate::app::AppState;
use crate::audit::{self, Change};
use crate::db::entities::{api_tokens, users};
use crate::error::{Error, Result};

/// Tokens start with this, so a leaked one is easy to recognise and search for.
pub const PREFIX: &str = "sfy_";

/// The stored form of a token: its BLAKE2s hash in hex.
pub fn hash(token: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Blake2s256::digest(token.as_bytes());
    // By table into one buffer: every API request hashes its token.
    let mut hex = String::with_capacity(2 * digest.len());
    for b in digest {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

/// 256 random bits, URL-safe (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new token for `user_id`: returns the token (shown once) and its record.
pub async fn create(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    user_id: i64,
    name: &str,
) -> Result<(String, api_tokens::Model)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field(
            "name",
            "Enter a name for the token of 100 characters or fewer, like \"Returns from our care system\"",
        ));
    }
    let token = format!("{PREFIX}{}", random_token());
    let record = api_tokens::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_string()),
        token_hash: Set(hash(&token)),
        prefix: Set(token.chars().take(10).collect()),
        created_at: Set(Utc::now().fixed_offset()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        viewer,
        Change::event("token_created", "api_token", Some(record.id.to_string())).summary(format!(
            "API token \"{name}\" created ({}...)",
            record.prefix
        )),
    )
    .await?;
    Ok((token, record))
}

pub async fn list(db: &DatabaseConnection, user_id: i64) -> Result<Vec<api_tokens::Model>> {
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user_id))
        .order_by_desc(api_tokens::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes one of the viewer's own tokens (an admin may revoke anyone's).
pub async fn revoke(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> Result<api_tokens::Model> {
    let token = api_tokens::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    if viewer.user_id != Some(token.user_id) && viewer.role != Role::Admin {
        return Err(Error::Forbidden);
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let txn = crate::db::begin_write(db).await?;
    let mut model = token.into_active_model();
    model.revoked_at = Set(Some(Utc::now().fixed_offset()));
    let token = model.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change::event("token_revoked", "api_token", Some(id.to_string()))
            .summary(format!("API token \"{}\" revoked", token.name)),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// The row the one query reads: the token and its active user.
#[derive(Debug, FromQueryResult)]
struct Credential {
    token_id: i64,
    last_used_at: Option<DateTimeWithTimeZone>,
    user_id: i64,
    email: String,
    display_name: String,
    role: String,
    organisation_id: Option<i64>,
    regional_lead: bool,
}

/// The active user a bearer token stands for, or `None`: one query by the
/// token's unique hash, so a revocation, a deactivation or a new role
/// applies at the token's next request on every instance.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    client_ip: Option<String>,
) -> Result<Option<Viewer>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let found = api_tokens::Entity::find()
        .select_only()
        .column_as(api_tokens::Column::Id, "token_id")
        .column(api_tokens::Column::LastUsedAt)
        .column_as(users::Column::Id, "user_id")
        .column(users::Column::Email)
        .column(users::Column::DisplayName)
        .column(users::Column::Role)
        .column(users::Column::OrganisationId)
        .column(users::Column::RegionalLead)
        .inner_join(users::Entity)
        .filter(api_tokens::Column::TokenHash.eq(hash(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .filter(users::Column::Active.eq(true))
        .into_model::<Credential>()
        .all(&state.db)
        .await?
        .into_iter()
        .next();
    let Some(found) = found else { return Ok(None) };
    let Some(role) = Role::from_code(&found.role) else {
        return Ok(None);
    };
    note_use(&state.db, found.token_id, found.last_used_at).await?;
    Ok(Some(Viewer {
        user_id: Some(found.user_id),
        email: found.email,
        display_name: found.display_name,
        role,
        organisation_id: found.organisation_id,
        regional_lead: found.regional_lead,
        client_ip,
    }))
}

/// Notes the token's use at most once a minute, so reads do not all become
/// writes.
async fn note_use(
    db: &DatabaseConnection,
    token_id: i64,
    last_used_at: Option<DateTimeWithTimeZone>,
) -> Result<()> {
    let now = Utc::now();
    if last_used_at.is_some_and(|t| now - t.with_timezone(&Utc) <= Duration::minutes(1)) {
        return Ok(());
    }
    api_tokens::Entity::update_many()
        .col_expr(
            api_tokens::Column::LastUsedAt,
            Expr::value(now.fixed_offset()),
        )
        .filter(api_tokens::Column::Id.eq(token_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_and_stable() {
        assert_eq!(hash("sfy_x"), hash("sfy_x"));
        // Lower-case hex of BLAKE2s-256, as stored: tokens issued before
        // must still match (Python: hashlib.blake2s(b"sfy_x").hexdigest()).
        assert_eq!(
            hash("sfy_x"),
            "6912a13be11598268f887d50a8b934e9d94db50dbee3180cdcdfac3979ab57b6"
        );
        assert_ne!(hash("sfy_x"), hash("sfy_y"));
    }
}
