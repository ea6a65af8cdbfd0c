//! A provider's answer for one of its homes in a request: an offer
//! (available from, weekly fee, note) or a reason it cannot offer; and
//! withdrawing an offer before the council decides. Signed in, over the
//! API or by the email link, every answer goes through [`record`]; a home
//! is answered once (a second answer, or a second click of a link, is
//! refused), and only while the request is open and before its reply-by
//! time.

use chrono::{DateTime, NaiveDate, Utc};
use importers::vocab::Pence;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Answer, Detail, Reason, Status};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{bed_request_homes, bed_requests};
use crate::error::{Error, Result};

/// What a provider answers for a home.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerInput {
    Offer {
        available_from: NaiveDate,
        weekly_fee: Pence,
        note: Option<String>,
    },
    CannotOffer {
        reason: Reason,
        note: Option<String>,
    },
}

/// The longest note with an answer.
pub const NOTE_MAX_CHARS: usize = 500;

/// Why an offer's available-from date cannot stand, if it cannot: a bed
/// offered from a past date would read as free since then.
pub fn available_from_problem(date: NaiveDate, now: DateTime<Utc>) -> Option<&'static str> {
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    if date < today {
        Some("The date the bed is available from must be today or later")
    } else if date > today + chrono::Duration::days(366) {
        Some("The date the bed is available from must be within a year")
    } else {
        None
    }
}

fn refused(message: &str) -> Error {
    Error::field("answer", message)
}

/// Why a home cannot be answered now, if it cannot.
pub fn closed_reason(
    request: &bed_requests::Model,
    row: &bed_request_homes::Model,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if request.status != Status::Open.code() {
        Some("The council has closed this request, so it cannot be answered.")
    } else if row.answer.is_some() {
        Some("This home has already been answered.")
    } else if request.reply_by.with_timezone(&Utc) <= now {
        Some("The reply-by time has passed. Contact the council if you can still offer.")
    } else {
        None
    }
}

/// Records the answer for a home of a request, as `viewer`. Call in the
/// transaction of whatever else the answer does (using up a link).
pub async fn record(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    request: &bed_requests::Model,
    row: &bed_request_homes::Model,
    input: &AnswerInput,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(why) = closed_reason(request, row, now) {
        return Err(refused(why));
    }
    let (answer, available_from, fee, reason, note) = match input {
        AnswerInput::Offer {
            available_from,
            weekly_fee,
            note,
        } => {
            if let Some(problem) = available_from_problem(*available_from, now) {
                return Err(Error::field("available_from", problem));
            }
            (
                Answer::Offer,
                Some(*available_from),
                Some(weekly_fee.0),
                None,
                note.clone(),
            )
        }
        AnswerInput::CannotOffer { reason, note } => {
            (Answer::CannotOffer, None, None, Some(*reason), note.clone())
        }
    };
    use bed_request_homes::Column as H;
    // Only an unanswered row changes: of two answers at once, one wins.
    let done = bed_request_homes::Entity::update_many()
        .col_expr(H::Answer, Expr::value(answer.code()))
        .col_expr(H::AvailableFrom, Expr::value(available_from))
        .col_expr(H::WeeklyFeePence, Expr::value(fee))
        .col_expr(H::Reason, Expr::value(reason.map(Reason::code)))
        .col_expr(H::Note, Expr::value(note.clone()))
        .col_expr(H::AnsweredAt, Expr::value(now.fixed_offset()))
        .col_expr(H::AnsweredBy, Expr::value(viewer.display_name.clone()))
        .filter(H::Id.eq(row.id))
        .filter(H::Answer.is_null())
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(refused("This home has already been answered."));
    }
    let change = Change {
        after: Some(json!({
            "home_id": row.home_id,
            "answer": answer.code(),
            "available_from": available_from,
            "weekly_fee_pence": fee,
            "reason": reason.map(Reason::code),
        })),
        ..Change::event("answer", "bed_request", Some(request.reference.clone()))
    }
    .summary(format!(
        "{} for home {} in {}",
        answer.label(),
        row.home_id,
        request.reference
    ));
    audit::record(conn, viewer, change).await?;
    Ok(())
}

/// Withdraws a home's offer while the request is open.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    request: &bed_requests::Model,
    row: &bed_request_homes::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    if request.status != Status::Open.code() {
        return Err(refused(
            "The council has decided on this request, so the offer stands as it was.",
        ));
    }
    use bed_request_homes::Column as H;
    let done = bed_request_homes::Entity::update_many()
        .col_expr(H::Answer, Expr::value(Answer::Withdrawn.code()))
        .col_expr(H::WithdrawnAt, Expr::value(now.fixed_offset()))
        .filter(H::Id.eq(row.id))
        .filter(H::Answer.eq(Answer::Offer.code()))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(refused("There is no offer for this home to withdraw."));
    }
    audit::record(
        conn,
        viewer,
        Change::event(
            "withdraw_offer",
            "bed_request",
            Some(request.reference.clone()),
        )
        .summary(format!(
            "Withdrew the offer for home {} in {}",
            row.home_id, request.reference
        )),
    )
    .await?;
    Ok(())
}

/// The request and the viewer's home in it, re-read in the transaction.
async fn own_line(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    reference: &str,
    urn: &str,
) -> Result<Detail> {
    let detail = super::find(conn, reference, viewer).await?;
    if detail.line(urn).is_none() {
        return Err(Error::NotFound);
    }
    Ok(detail)
}

/// A signed-in provider answers for its home `urn` (page and API).
pub async fn answer(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    reference: &str,
    urn: &str,
    input: &AnswerInput,
) -> Result<()> {
    let now = Utc::now();
    crate::db::in_write_transaction(db, async |txn| {
        super::lock(txn, reference).await?;
        let detail = own_line(txn, viewer, reference, urn).await?;
        let line = detail.line(urn).ok_or(Error::NotFound)?;
        record(txn, viewer, &detail.request, &line.row, input, now).await
    })
    .await
}

/// A signed-in provider withdraws its home's offer (page and API).
pub async fn withdraw_offer(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    reference: &str,
    urn: &str,
) -> Result<()> {
    let now = Utc::now();
    crate::db::in_write_transaction(db, async |txn| {
        super::lock(txn, reference).await?;
        let detail = own_line(txn, viewer, reference, urn).await?;
        let line = detail.line(urn).ok_or(Error::NotFound)?;
        withdraw(txn, viewer, &detail.request, &line.row, now).await
    })
    .await
}
