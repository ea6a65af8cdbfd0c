//! The reminder: `requests.remind_before_hours` before a request's reply-by
//! time, the providers with homes not yet answered get one more email with
//! fresh answer links, once per request. A request sent later than that
//! point gets none. Run from the scheduler's minute tick; the claim on the
//! request (`reminded_at`) and the outbox's keys keep it to once whatever
//! the number of instances.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::Status;
use crate::config::Settings;
use crate::db::entities::{bed_request_homes, bed_requests, homes, users};
use crate::error::Result;

/// Sends the reminders due at `now`; returns how many emails were queued.
pub async fn send_due(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<usize> {
    let before = Duration::hours(settings.requests.remind_before_hours);
    use bed_requests::Column as R;
    let due = bed_requests::Entity::find()
        .filter(R::Status.eq(Status::Open.code()))
        .filter(R::RemindedAt.is_null())
        .filter(R::ReplyBy.gt(now.fixed_offset()))
        .filter(R::ReplyBy.lte((now + before).fixed_offset()))
        .all(db)
        .await?;
    let mut queued = 0;
    for request in due {
        // One request failing (its emails cannot be written) must not
        // hold back the others; it is tried again next minute.
        match remind(db, settings, &request, before, now).await {
            Ok(n) => queued += n,
            Err(e) => tracing::error!(
                request = %request.reference,
                error = %e,
                "bed request reminder failed"
            ),
        }
    }
    Ok(queued)
}

/// Claims one request's reminder and emails the providers of its homes
/// not yet answered, in one transaction. A request decided or past its
/// reply-by time since it was listed is not claimed.
async fn remind(
    db: &DatabaseConnection,
    settings: &Settings,
    request: &bed_requests::Model,
    before: Duration,
    now: DateTime<Utc>,
) -> Result<usize> {
    use bed_requests::Column as R;
    let txn = crate::db::begin_write(db).await?;
    let claimed = bed_requests::Entity::update_many()
        .col_expr(R::RemindedAt, Expr::value(now.fixed_offset()))
        .filter(R::Id.eq(request.id))
        .filter(R::RemindedAt.is_null())
        .filter(R::Status.eq(Status::Open.code()))
        .filter(R::ReplyBy.gt(now.fixed_offset()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(0);
    }
    let mut queued = 0;
    // Sent after the reminder time: the request itself was the reminder.
    if request.created_at.with_timezone(&Utc) < request.reply_by.with_timezone(&Utc) - before {
        let waiting = bed_request_homes::Entity::find()
            .filter(bed_request_homes::Column::RequestId.eq(request.id))
            .filter(bed_request_homes::Column::Answer.is_null())
            .all(&txn)
            .await?;
        let homes: HashMap<i64, homes::Model> = homes::Entity::find()
            .filter(homes::Column::Id.is_in(waiting.iter().map(|r| r.home_id)))
            .all(&txn)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        // The provider asked, even if the home has changed hands since.
        let asked: Vec<(&homes::Model, i64)> = waiting
            .iter()
            .filter_map(|r| Some((homes.get(&r.home_id)?, r.provider_id?)))
            .collect();
        let sender = match request.created_by {
            Some(id) => users::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        let sender = super::sending::sender_text(
            &request.created_by_name,
            sender.as_ref().map_or("", |u| u.email.as_str()),
        );
        queued = super::sending::ask_providers(&txn, settings, request, &sender, &asked, now, true)
            .await?;
    }
    txn.commit().await?;
    Ok(queued)
}
