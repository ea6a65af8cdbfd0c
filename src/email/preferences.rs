//! Which emails each user gets: every non-essential category their role
//! receives, less the ones they opted out of (on the preferences page or by
//! an unsubscribe link).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::Category;
use super::links::{self, Refusal};
use crate::auth::{Role, Viewer};
use crate::db::entities::{email_links, email_opt_outs};
use crate::error::Result;

/// The non-essential emails a role receives. Providers' weekly request
/// and reminder, and councils' bed requests, are service emails, always
/// sent; what a provider may turn off is news of requests closing.
pub fn for_role(role: Role) -> &'static [Category] {
    use Category::*;
    match role {
        Role::Provider => &[RequestOutcome],
        Role::Commissioner => &[
            NonFilers,
            RatingAlert,
            InspectionReported,
            OverdueAlert,
            MonthlySummary,
        ],
        Role::Placements => &[VacancyDigest, RatingAlert, InspectionReported, OverdueAlert],
        // Administrators get alerts about cases they own.
        Role::Admin => &[RatingAlert, InspectionReported, OverdueAlert],
    }
}

pub async fn opt_out(
    conn: &impl ConnectionTrait,
    user_id: i64,
    category: Category,
    now: DateTime<Utc>,
) -> Result<()> {
    email_opt_outs::Entity::insert(email_opt_outs::ActiveModel {
        user_id: Set(user_id),
        category: Set(category.code().into()),
        created_at: Set(now.fixed_offset()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            email_opt_outs::Column::UserId,
            email_opt_outs::Column::Category,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Keeps the role's categories in `subscribed`, opts out of the rest.
pub async fn save(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    user_id: i64,
    subscribed: &[Category],
    now: DateTime<Utc>,
) -> Result<()> {
    for category in for_role(viewer.role) {
        if subscribed.contains(category) {
            email_opt_outs::Entity::delete_many()
                .filter(email_opt_outs::Column::UserId.eq(user_id))
                .filter(email_opt_outs::Column::Category.eq(category.code()))
                .exec(conn)
                .await?;
        } else {
            opt_out(conn, user_id, *category, now).await?;
        }
    }
    Ok(())
}

/// [`save`] in a transaction of its own, committed when it returns.
pub async fn save_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: i64,
    subscribed: &[Category],
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    save(&txn, viewer, user_id, subscribed, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Follows an unsubscribe link: opts its user out of its category, in one
/// transaction with the link's check. Returns the link, or why it was
/// refused (nothing changes then).
pub async fn unsubscribe(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<email_links::Model, Refusal>> {
    let txn = crate::db::begin_write(db).await?;
    let link = links::check(&txn, token, links::Purpose::Unsubscribe, now).await?;
    if let Ok(link) = &link
        && let Some(category) = link.category.as_deref().and_then(Category::from_code)
    {
        opt_out(&txn, link.user_id, category, now).await?;
    }
    txn.commit().await?;
    Ok(link)
}
