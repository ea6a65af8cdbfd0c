//! The reminder: `requests.remind_before_hours` before a request's reply-by
//! time, the providers with homes not yet answered get one more email with
//! fresh answer links, once per request. A request sent later than that
//! point gets none. Run from the scheduler's minute tick; the claim on the
//! request (`reminded_at`) and the outbox's keys keep it to once whatever
//! the number of instances.

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
        let txn = crate::db::begin_write(db).await?;
        let claimed = bed_requests::Entity::update_many()
            .col_expr(R::RemindedAt, Expr::value(now.fixed_offset()))
            .filter(R::Id.eq(request.id))
            .filter(R::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        // Sent after the reminder time: the request itself was the reminder.
        if request.created_at.with_timezone(&Utc) < request.reply_by.with_timezone(&Utc) - before {
            let waiting: Vec<i64> = bed_request_homes::Entity::find()
                .filter(bed_request_homes::Column::RequestId.eq(request.id))
                .filter(bed_request_homes::Column::Answer.is_null())
                .all(&txn)
                .await?
                .into_iter()
                .map(|r| r.home_id)
                .collect();
            let homes = homes::Entity::find()
                .filter(homes::Column::Id.is_in(waiting))
                .all(&txn)
                .await?;
            let sender = match request.created_by {
                Some(id) => users::Entity::find_by_id(id).one(&txn).await?,
                None => None,
            };
            let sender = super::sending::sender_text(
                &request.created_by_name,
                sender.as_ref().map_or("", |u| u.email.as_str()),
            );
            queued +=
                super::sending::ask_providers(&txn, settings, &request, &sender, &homes, now, true)
                    .await?;
        }
        txn.commit().await?;
    }
    Ok(queued)
}
