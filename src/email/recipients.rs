//! Who receives what: active users by role, and a provider's contacts.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Recipient;
use crate::auth::Role;
use crate::db::entities::users;
use crate::error::Result;

fn recipient(user: users::Model) -> Recipient {
    Recipient {
        user_id: Some(user.id),
        email: user.email,
        name: user.display_name,
    }
}

/// Active users with any of these roles.
pub async fn with_roles(conn: &impl ConnectionTrait, roles: &[Role]) -> Result<Vec<Recipient>> {
    Ok(users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.is_in(roles.iter().map(|r| r.code())))
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(recipient)
        .collect())
}

/// Active staff of one member council with any of these roles.
pub async fn with_roles_in(
    conn: &impl ConnectionTrait,
    roles: &[Role],
    council: i64,
) -> Result<Vec<Recipient>> {
    Ok(users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.is_in(roles.iter().map(|r| r.code())))
        .filter(users::Column::OrganisationId.eq(council))
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(recipient)
        .collect())
}

/// Active provider users of an organisation: its contacts for returns.
pub async fn provider_contacts(
    conn: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<Recipient>> {
    Ok(users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.eq(Role::Provider.code()))
        .filter(users::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(recipient)
        .collect())
}

/// One user, if active.
pub async fn user(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Recipient>> {
    Ok(users::Entity::find_by_id(id)
        .filter(users::Column::Active.eq(true))
        .one(conn)
        .await?
        .map(recipient))
}
