//! One-time links sent by email: one-click "no change" for a home's week,
//! answering a bed request for a home, invitations, password resets and
//! unsubscribe links. The token is 256
//! random bits, only in the email; the database keeps its hash with what
//! it allows, for whom, until when, and whether it was used. A changed
//! character finds nothing; a link for one home cannot act on another.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::Category;
use crate::db::entities::email_links;
use crate::error::Result;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    NoChange,
    /// Answer a bed request for one home (`request_id`, `home_id`).
    AnswerRequest,
    Invite,
    Reset,
    Unsubscribe,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::NoChange => "no_change",
            Purpose::AnswerRequest => "answer_request",
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
            Purpose::Unsubscribe => "unsubscribe",
        }
    }
}

/// Why a link does not work, in words for the person who clicked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, altered, or for something else.
    Invalid,
    Expired,
    Used,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Invalid => {
                "This link is not valid. Check you copied the whole link from the email."
            }
            Refusal::Expired => "This link has expired.",
            Refusal::Used => "This link has already been used.",
        }
    }
}

/// A link to make: what it is for and how long it works.
pub struct NewLink {
    pub purpose: Purpose,
    pub user_id: i64,
    pub home_id: Option<i64>,
    pub week_start: Option<NaiveDate>,
    pub request_id: Option<i64>,
    pub category: Option<Category>,
    pub valid_for: Duration,
}

/// Makes a link; returns the token to put in the email.
pub async fn create(
    conn: &impl ConnectionTrait,
    link: NewLink,
    now: DateTime<Utc>,
) -> Result<String> {
    let token = crate::auth::tokens::random_token();
    email_links::ActiveModel {
        token_hash: Set(crate::auth::tokens::hash(&token)),
        purpose: Set(link.purpose.code().into()),
        user_id: Set(link.user_id),
        home_id: Set(link.home_id),
        week_start: Set(link.week_start),
        request_id: Set(link.request_id),
        category: Set(link.category.map(|c| c.code().to_string())),
        created_at: Set(now.fixed_offset()),
        expires_at: Set((now + link.valid_for).fixed_offset()),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// An unsubscribe link for one user and category (reusable, long-lived).
pub async fn create_unsubscribe(
    conn: &impl ConnectionTrait,
    user_id: i64,
    category: Category,
    now: DateTime<Utc>,
) -> Result<String> {
    let link = NewLink {
        purpose: Purpose::Unsubscribe,
        user_id,
        home_id: None,
        week_start: None,
        request_id: None,
        category: Some(category),
        valid_for: Duration::days(365),
    };
    create(conn, link, now).await
}

/// The link a token stands for, if it is for `purpose`, unexpired and
/// (for single-use purposes) unused.
pub async fn check(
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<std::result::Result<email_links::Model, Refusal>> {
    // Tokens are 43 URL-safe characters; anything else cannot match.
    if token.len() > 64 {
        return Ok(Err(Refusal::Invalid));
    }
    let found = email_links::Entity::find()
        .filter(email_links::Column::TokenHash.eq(crate::auth::tokens::hash(token)))
        .filter(email_links::Column::Purpose.eq(purpose.code()))
        .one(conn)
        .await?;
    let Some(link) = found else {
        return Ok(Err(Refusal::Invalid));
    };
    if link.expires_at.with_timezone(&Utc) <= now {
        return Ok(Err(Refusal::Expired));
    }
    if link.used_at.is_some() && purpose != Purpose::Unsubscribe {
        return Ok(Err(Refusal::Used));
    }
    Ok(Ok(link))
}

/// Marks a link used; false if another request used it first. Call in the
/// transaction that does what the link allows.
pub async fn consume(
    conn: &impl ConnectionTrait,
    link: &email_links::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = email_links::Entity::update_many()
        .col_expr(email_links::Column::UsedAt, Expr::value(now.fixed_offset()))
        .filter(email_links::Column::Id.eq(link.id))
        .filter(email_links::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Retention: links that expired more than a week ago.
pub async fn delete_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let done = email_links::Entity::delete_many()
        .filter(email_links::Column::ExpiresAt.lt((now - Duration::days(7)).fixed_offset()))
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}
