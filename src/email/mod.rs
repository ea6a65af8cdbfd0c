//! Email: every email is queued in the outbox in the same transaction as
//! the change (or scheduled run) that causes it, under an idempotency key
//! naming that event, so the same event never queues twice. A background
//! sender (`sender`) delivers the outbox over SMTP, or writes `.eml` files
//! when no server is configured. Non-essential emails respect each user's
//! opt-outs and carry an unsubscribe link.

pub mod links;
pub mod outbox;
pub mod preferences;
pub mod recipients;
pub mod routes;
pub mod sender;
pub mod templates;
mod views;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::config::Settings;
use crate::db::entities::{email_opt_outs, outbox_emails};
use crate::error::Result;

/// What an email is about; users opt out of non-essential categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    ReturnRequest,
    ReturnReminder,
    NonFilers,
    VacancyDigest,
    RatingAlert,
    InspectionReported,
    OverdueAlert,
    MonthlySummary,
    /// A council asks for offers for a bed (and the reminder before the
    /// reply-by time): always sent, as the weekly return request is.
    BedRequest,
    /// A bed request a provider was asked about has closed.
    RequestOutcome,
    /// Invitations and password resets: always sent.
    Account,
    /// An email could not be delivered: always sent to administrators.
    DeliveryFailure,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::ReturnRequest,
        Category::ReturnReminder,
        Category::NonFilers,
        Category::VacancyDigest,
        Category::RatingAlert,
        Category::InspectionReported,
        Category::OverdueAlert,
        Category::MonthlySummary,
        Category::BedRequest,
        Category::RequestOutcome,
        Category::Account,
        Category::DeliveryFailure,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::ReturnRequest => "return_request",
            Category::ReturnReminder => "return_reminder",
            Category::NonFilers => "non_filers",
            Category::VacancyDigest => "vacancy_digest",
            Category::RatingAlert => "rating_alert",
            Category::InspectionReported => "inspection_reported",
            Category::OverdueAlert => "overdue_alert",
            Category::MonthlySummary => "monthly_summary",
            Category::BedRequest => "bed_request",
            Category::RequestOutcome => "request_outcome",
            Category::Account => "account",
            Category::DeliveryFailure => "delivery_failure",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::ReturnRequest => "Weekly request to file returns",
            Category::ReturnReminder => "Reminder when a return is not filed",
            Category::NonFilers => "Homes that have not filed, after the due time",
            Category::VacancyDigest => "Morning digest of vacancies",
            Category::RatingAlert => "Alert when a home is rated below Good",
            Category::InspectionReported => "Alert when a provider reports an inspection",
            Category::OverdueAlert => "Alert when a monitoring meeting or action is overdue",
            Category::MonthlySummary => "Monthly summary of monitoring and returns",
            Category::BedRequest => "Requests for a bed from a council, and reminders",
            Category::RequestOutcome => "When a request you were asked about closes",
            Category::Account => "Invitations and password resets",
            Category::DeliveryFailure => "Emails that could not be delivered",
        }
    }

    /// Essential (service) emails are sent whatever the user's preferences:
    /// account links, delivery failures, the weekly request and reminder
    /// to file a return, and a council's request for a bed, which a
    /// provider must not be able to turn off.
    pub fn is_essential(self) -> bool {
        matches!(
            self,
            Category::Account
                | Category::DeliveryFailure
                | Category::ReturnRequest
                | Category::ReturnReminder
                | Category::BedRequest
        )
    }
}

/// Who an email goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Option<i64>,
    pub email: String,
    pub name: String,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The end of every email: where to change preferences and, for
/// non-essential emails, the one-click unsubscribe link.
#[derive(Debug, Clone, PartialEq)]
pub struct Footer {
    pub service_url: String,
    pub preferences_url: String,
    pub unsubscribe_url: Option<String>,
}

/// An absolute link to a path of the service (the configured public URL).
pub fn link(settings: &Settings, path: &str) -> String {
    let base = settings.server.public_url.as_str().trim_end_matches('/');
    format!("{base}{path}")
}

/// Queues an email for `to` unless this event (`key`) already queued one or
/// the user opted out of the category. Runs in the caller's transaction.
/// Returns whether an email was queued.
pub async fn queue(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    key: &str,
    category: Category,
    to: &Recipient,
    now: DateTime<Utc>,
    render: impl FnOnce(&Footer) -> Result<Letter>,
) -> Result<bool> {
    if !will_queue(conn, key, category, to).await? {
        return Ok(false);
    }
    let unsubscribe_url = match (category.is_essential(), to.user_id) {
        (false, Some(user_id)) => {
            let token = links::create_unsubscribe(conn, user_id, category, now).await?;
            Some(link(settings, &format!("/email/unsubscribe/{token}")))
        }
        _ => None,
    };
    let footer = Footer {
        service_url: link(settings, "/"),
        preferences_url: link(settings, "/account/email"),
        unsubscribe_url,
    };
    let letter = render(&footer)?;
    let inserted = outbox_emails::Entity::insert(outbox_emails::ActiveModel {
        idempotency_key: Set(key.to_string()),
        category: Set(category.code().into()),
        essential: Set(category.is_essential()),
        user_id: Set(to.user_id),
        to_address: Set(to.email.clone()),
        subject: Set(letter.subject),
        body_text: Set(letter.text),
        body_html: Set(letter.html),
        list_unsubscribe: Set(footer.unsubscribe_url.clone()),
        message_id: Set(message_id(&settings.email.from)),
        status: Set("queued".into()),
        attempts: Set(0),
        next_attempt_at: Set(now.fixed_offset()),
        created_at: Set(now.fixed_offset()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(outbox_emails::Column::IdempotencyKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted > 0)
}

/// Whether `queue` would queue this email: the event has not queued one
/// and the user has not opted out. For callers that make links first.
pub async fn will_queue(
    conn: &impl ConnectionTrait,
    key: &str,
    category: Category,
    to: &Recipient,
) -> Result<bool> {
    let already = outbox_emails::Entity::find()
        .filter(outbox_emails::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?;
    if already.is_some() {
        return Ok(false);
    }
    match (category.is_essential(), to.user_id) {
        (false, Some(user_id)) => Ok(!opted_out(conn, user_id, category).await?),
        _ => Ok(true),
    }
}

/// Whether a user has opted out of a category.
pub async fn opted_out(
    conn: &impl ConnectionTrait,
    user_id: i64,
    category: Category,
) -> Result<bool> {
    Ok(email_opt_outs::Entity::find()
        .filter(email_opt_outs::Column::UserId.eq(user_id))
        .filter(email_opt_outs::Column::Category.eq(category.code()))
        .one(conn)
        .await?
        .is_some())
}

/// A Message-ID fixed when the email is queued, so that the one duplicate
/// SMTP allows (a crash between the server's acceptance and our record of
/// it) carries the same identity and mail clients can fold it.
fn message_id(from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("sufficiency.invalid");
    let id = crate::auth::tokens::random_token();
    format!("<{id}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_senders_domain_and_differ() {
        let a = message_id("Sufficiency <alerts@bcp.gov.uk>");
        let b = message_id("Sufficiency <alerts@bcp.gov.uk>");
        assert!(a.starts_with('<') && a.ends_with("@bcp.gov.uk>"), "{a}");
        assert_ne!(a, b);
        assert!(message_id("nobody").ends_with("@sufficiency.invalid>"));
    }

    #[test]
    fn account_failure_return_chasing_and_bed_request_emails_are_essential() {
        let essential: Vec<_> = Category::ALL
            .into_iter()
            .filter(|c| c.is_essential())
            .collect();
        assert_eq!(
            essential,
            [
                Category::ReturnRequest,
                Category::ReturnReminder,
                Category::BedRequest,
                Category::Account,
                Category::DeliveryFailure
            ]
        );
        for c in Category::ALL {
            assert_eq!(Category::from_code(c.code()), Some(c));
        }
    }
}
