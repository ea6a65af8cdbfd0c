//! The outbox's state machine: queued → sent, or queued → (retries with
//! backoff) → failed. Senders claim due emails with a lease; on
//! PostgreSQL the claim skips rows another sender has locked, so two
//! instances never take the same email, and a lease that expires (its
//! sender died) lets another instance take it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Category;
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::{self, Settings};
use crate::db::entities::outbox_emails;
use crate::error::Result;

pub const PAGE_SIZE: u64 = 50;

/// Takes up to `limit` due emails for `owner` until the lease expires.
pub async fn claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<outbox_emails::Model>> {
    use outbox_emails::Column as C;
    let at = now.fixed_offset();
    let mut due = Query::select();
    due.column(C::Id)
        .from(outbox_emails::Entity)
        .and_where(C::Status.eq("queued"))
        .and_where(C::NextAttemptAt.lte(at))
        .cond_where(
            Condition::any()
                .add(C::LeaseExpiresAt.is_null())
                .add(C::LeaseExpiresAt.lte(at)),
        )
        .order_by(C::NextAttemptAt, Order::Asc)
        .order_by(C::Id, Order::Asc)
        .limit(limit);
    if conn.get_database_backend() == DbBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let claimed = outbox_emails::Entity::update_many()
        .col_expr(C::LeaseOwner, Expr::value(owner))
        .col_expr(C::LeaseExpiresAt, Expr::value((now + lease).fixed_offset()))
        .filter(C::Id.in_subquery(due))
        .exec_with_returning(conn)
        .await?;
    Ok(claimed)
}

/// Records delivery; false if this sender's lease was lost meanwhile.
/// The stored copy keeps no usable link: a database or backup must not
/// hold live invitation, reset, one-click, answer or unsubscribe tokens.
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    email: &outbox_emails::Model,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    use outbox_emails::Column as C;
    let done = outbox_emails::Entity::update_many()
        .col_expr(C::Status, Expr::value("sent"))
        .col_expr(C::SentAt, Expr::value(now.fixed_offset()))
        .col_expr(C::Attempts, ExprTrait::add(Expr::col(C::Attempts), 1))
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            C::LeaseExpiresAt,
            Expr::value(Option::<DateTime<chrono::FixedOffset>>::None),
        )
        .col_expr(C::LastError, Expr::value(Option::<String>::None))
        .col_expr(C::BodyText, Expr::value(redact_links(&email.body_text)))
        .col_expr(C::BodyHtml, Expr::value(redact_links(&email.body_html)))
        .col_expr(C::ListUnsubscribe, Expr::value(Option::<String>::None))
        .filter(C::Id.eq(email.id))
        .filter(C::LeaseOwner.eq(owner))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Paths whose last segment is a one-time token (see `email::links`).
const TOKEN_PATHS: [&str; 4] = [
    "/account/set-password/",
    "/email/unsubscribe/",
    "/one-click/",
    "/answer/",
];

pub const REDACTED: &str = "removed-after-sending";

/// The text with the token of every one-time link replaced by
/// [`REDACTED`], so the link, if followed, is refused as invalid.
pub fn redact_links(text: &str) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = TOKEN_PATHS
        .iter()
        .filter_map(|p| rest.find(p).map(|at| (at, p)))
        .min()
    {
        let after = at + prefix.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        // One-click and answer links name the home first: /one-click/{urn}/{token}.
        if matches!(*prefix, "/one-click/" | "/answer/") {
            let urn = rest.find(|c| !is_token(c)).unwrap_or(rest.len());
            if rest[urn..].starts_with('/') {
                out.push_str(&rest[..=urn]);
                rest = &rest[urn + 1..];
            }
        }
        let token = rest.find(|c| !is_token(c)).unwrap_or(rest.len());
        if token > 0 {
            out.push_str(REDACTED);
        }
        rest = &rest[token..];
    }
    out.push_str(rest);
    out
}

/// How long to wait before attempt `attempts + 1`.
pub fn backoff(settings: &config::Email, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let seconds = Ord::min(
        settings
            .first_retry_seconds
            .saturating_mul(1_i64 << doublings),
        settings.max_retry_minutes * 60,
    );
    Duration::seconds(Ord::max(seconds, 1))
}

/// Whether a failed attempt is the last: the server refused for good (5xx),
/// or the email has waited longer than the configured limit.
pub fn gives_up(
    settings: &config::Email,
    email: &outbox_emails::Model,
    permanent: bool,
    now: DateTime<Utc>,
) -> bool {
    permanent
        || now - email.created_at.with_timezone(&Utc)
            >= Duration::hours(settings.give_up_after_hours)
}

/// Records a failed attempt: retried later, or marked failed with an alert
/// to administrators queued in the same transaction.
pub async fn mark_attempt_failed(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    email: &outbox_emails::Model,
    owner: &str,
    error: &str,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    use outbox_emails::Column as C;
    let attempts = email.attempts + 1;
    let give_up = gives_up(&settings.email, email, permanent, now);
    let txn = crate::db::begin_write(db).await?;
    let mut update = outbox_emails::Entity::update_many()
        .col_expr(C::Attempts, Expr::value(attempts))
        .col_expr(C::LastError, Expr::value(truncate(error, 500)))
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            C::LeaseExpiresAt,
            Expr::value(Option::<DateTime<chrono::FixedOffset>>::None),
        );
    update = if give_up {
        update
            .col_expr(C::Status, Expr::value("failed"))
            .col_expr(C::FailedAt, Expr::value(now.fixed_offset()))
    } else {
        let next = now + backoff(&settings.email, attempts);
        update.col_expr(C::NextAttemptAt, Expr::value(next.fixed_offset()))
    };
    let done = update
        .filter(C::Id.eq(email.id))
        .filter(C::LeaseOwner.eq(owner))
        .exec(&txn)
        .await?;
    if give_up && done.rows_affected == 1 && email.category != Category::DeliveryFailure.code() {
        alert_admins(&txn, settings, email, error, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Tells every active administrator that an email could not be delivered.
async fn alert_admins(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    failed: &outbox_emails::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let admins = super::recipients::with_roles(conn, &[crate::auth::Role::Admin]).await?;
    for admin in admins {
        let key = format!("delivery-failure:{}:{}", failed.id, admin.email);
        let alert = super::templates::Alert {
            title: "An email could not be delivered".into(),
            paragraphs: vec![
                format!(
                    "The email \"{}\" to {} was not delivered after {} attempts.",
                    failed.subject,
                    failed.to_address,
                    failed.attempts + 1
                ),
                format!("The mail server's last answer: {}", truncate(error, 200)),
            ],
            link_text: "See the outbox".into(),
            link_url: super::link(settings, "/admin/outbox?status=failed"),
        };
        super::queue(
            conn,
            settings,
            &key,
            Category::DeliveryFailure,
            &admin,
            now,
            |footer| alert.render(footer),
        )
        .await?;
    }
    Ok(())
}

/// An administrator asks for a failed email to be sent again now.
pub async fn retry(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool> {
    use outbox_emails::Column as C;
    let done = outbox_emails::Entity::update_many()
        .col_expr(C::Status, Expr::value("queued"))
        .col_expr(C::NextAttemptAt, Expr::value(now.fixed_offset()))
        .col_expr(
            C::FailedAt,
            Expr::value(Option::<DateTime<chrono::FixedOffset>>::None),
        )
        .filter(C::Id.eq(id))
        .filter(C::Status.eq("failed"))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// [`retry`] by an administrator, audited when the email was queued again,
/// in a transaction of its own. False when the email was not failed.
pub async fn retry_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = crate::db::begin_write(db).await?;
    let queued = retry(&txn, id, now).await?;
    if queued {
        audit::record(
            &txn,
            viewer,
            Change::updated(
                "email",
                id,
                serde_json::json!({"status": "failed"}),
                serde_json::json!({"status": "queued"}),
            )
            .summary(format!("Email {id} queued again by an administrator")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(queued)
}

/// One page of the outbox, newest first, optionally of one status.
pub async fn page(
    conn: &impl ConnectionTrait,
    status: Option<&str>,
    page: crate::web::pagination::PageNumber,
) -> Result<(Vec<outbox_emails::Model>, u64)> {
    let mut query = outbox_emails::Entity::find().order_by_desc(outbox_emails::Column::Id);
    if let Some(status) = status {
        query = query.filter(outbox_emails::Column::Status.eq(status));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .offset((page.within(total, PAGE_SIZE) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// How many emails are in each status.
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    Ok(outbox_emails::Entity::find()
        .select_only()
        .column(outbox_emails::Column::Status)
        .column_as(outbox_emails::Column::Id.count(), "n")
        .group_by(outbox_emails::Column::Status)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Keeps error text short; mail servers can answer at length.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_settings() -> config::Email {
        config::Email {
            smtp_host: String::new(),
            smtp_port: 25,
            smtp_security: config::SmtpSecurity::None,
            from: "a@b".into(),
            outbox_dir: "data/outbox".into(),
            poll_seconds: 5,
            lease_seconds: 300,
            batch_size: 50,
            send_concurrency: 8,
            first_retry_seconds: 60,
            max_retry_minutes: 60,
            give_up_after_hours: 72,
            digest_when_nothing_new: false,
            one_click_valid_days: 7,
            invite_valid_hours: 72,
            reset_valid_minutes: 60,
        }
    }

    #[test]
    fn one_time_links_are_redacted_and_other_links_kept() {
        let token = "Ab3_-xYz0123456789Ab3_-xYz0123456789Ab3_-x";
        let text = format!(
            "Choose: https://s.example/account/set-password/{token}\n\
             <a href=\"https://s.example/one-click/SC123456/{token}\">No change</a> \
             https://s.example/email/unsubscribe/{token}. See https://s.example/cases/4\n\
             Answer: https://s.example/answer/SC123456/{token}\n\
             Requests: https://s.example/requests"
        );
        let redacted = redact_links(&text);
        assert!(!redacted.contains(token), "{redacted}");
        assert!(redacted.contains("/account/set-password/removed-after-sending\n"));
        assert!(redacted.contains("/one-click/SC123456/removed-after-sending\">"));
        assert!(redacted.contains("/email/unsubscribe/removed-after-sending. See"));
        assert!(redacted.contains("https://s.example/cases/4\n"));
        assert!(redacted.contains("/answer/SC123456/removed-after-sending\n"));
        assert!(redacted.ends_with("https://s.example/requests"));
        assert_eq!(redact_links("no links here"), "no links here");
    }

    #[test]
    fn retries_double_from_a_minute_up_to_an_hour() {
        let s = email_settings();
        let waits: Vec<i64> = (1..=9).map(|a| backoff(&s, a).num_seconds()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(&s, 1000).num_seconds(), 3600);
    }

    #[test]
    fn seventy_two_hours_of_retries_is_about_eighty_attempts() {
        // An hour apart after the first few: the server gets many chances.
        let s = email_settings();
        let mut waited = Duration::zero();
        let mut attempts = 0;
        while waited < Duration::hours(72) {
            attempts += 1;
            waited += backoff(&s, attempts);
        }
        assert!((70..80).contains(&attempts), "{attempts}");
    }
}
