//! Bearer tokens for the JSON API. A token carries its user's permissions;
//! only a hash is stored, and the token itself is shown once, at creation.

use base64::Engine;
use blake2::{Blake2s256, Digest};
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::{Role, Viewer};
use crate::audit::{self, Change};
use crate::db::entities::{api_tokens, users};
use crate::error::{Error, Result};

/// Tokens start with this, so a leaked one is easy to recognise and search for.
pub const PREFIX: &str = "sfy_";

/// The stored form of a token: its BLAKE2s hash in hex.
pub fn hash(token: &str) -> String {
    let digest = Blake2s256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
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

/// The active user a bearer token stands for, or `None`.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    client_ip: Option<String>,
) -> Result<Option<Viewer>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    // One query, every API request: by the unique hash, so without the
    // `LIMIT ?` of `.one()` (see `db::unique`).
    let Some((record, Some(user))) = api_tokens::Entity::find()
        .find_also_related(users::Entity)
        .filter(api_tokens::Column::TokenHash.eq(hash(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .filter(users::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let Some(role) = Role::from_code(&user.role) else {
        return Ok(None);
    };
    // Note use at most once a minute, so reads do not all become writes.
    let now = Utc::now();
    if record
        .last_used_at
        .is_none_or(|t| now - t.with_timezone(&Utc) > Duration::minutes(1))
    {
        let mut model = record.into_active_model();
        model.last_used_at = Set(Some(now.fixed_offset()));
        model.update(db).await?;
    }
    Ok(Some(Viewer {
        user_id: Some(user.id),
        email: user.email,
        display_name: user.display_name,
        role,
        organisation_id: user.organisation_id,
        client_ip,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_and_stable() {
        assert_eq!(hash("sfy_x"), hash("sfy_x"));
        assert_eq!(hash("sfy_x").len(), 64);
        assert_ne!(hash("sfy_x"), hash("sfy_y"));
    }
}
