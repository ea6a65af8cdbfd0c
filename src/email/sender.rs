//! The background sender: claims due emails from the outbox, delivers
//! them over SMTP (lettre) or writes them as `.eml` files when no server is
//! configured, and records the outcome. Any number of instances may run
//! against one PostgreSQL database; each email is claimed by one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;

use super::outbox;
use crate::config::{self, Settings, SmtpSecurity};
use crate::db::entities::outbox_emails;
use crate::error::Result;

/// Where emails go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No server configured: one `.eml` file per email in this folder.
    Files(PathBuf),
}

/// Why a delivery failed; permanent failures (5xx, bad address) are not retried.
#[derive(Debug, Clone)]
pub struct Failure {
    pub text: String,
    pub permanent: bool,
}

impl Transport {
    pub fn from_settings(settings: &config::Email) -> std::result::Result<Self, String> {
        if settings.smtp_host.trim().is_empty() {
            return Ok(Transport::Files(settings.outbox_dir.clone()));
        }
        let host = settings.smtp_host.trim();
        let builder = match settings.smtp_security {
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("SMTP server {host}: {e}"))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("SMTP server {host}: {e}"))?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(StdDuration::from_secs(30)));
        // Secrets come from the environment only.
        if let (Ok(user), Ok(password)) = (
            std::env::var("SMTP_USERNAME"),
            std::env::var("SMTP_PASSWORD"),
        ) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Hands one email to the server (or writes its file).
    pub async fn send(
        &self,
        message: &Message,
        email: &outbox_emails::Model,
    ) -> std::result::Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message.clone())
                    .await
                    .map(|_| ())
                    .map_err(|e| Failure {
                        text: e.to_string(),
                        permanent: e.is_permanent(),
                    })
            }
            Transport::Files(dir) => {
                let path = dir.join(format!("{:06}-{}.eml", email.id, email.category));
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(&path, message.formatted()).await
                };
                write.await.map_err(|e| Failure {
                    text: format!("could not write {}: {e}", path.display()),
                    permanent: false,
                })?;
                tracing::info!(path = %path.display(), to = %email.to_address, "email written");
                Ok(())
            }
        }
    }
}

/// Where emails go, in words for the outbox page (nothing is connected).
pub fn destination(settings: &config::Email) -> String {
    match settings.smtp_host.trim() {
        "" => format!(".eml files in {}", settings.outbox_dir.display()),
        host => format!("SMTP server {host}:{}", settings.smtp_port),
    }
}

/// The email as MIME: plain text and HTML alternatives, with the Message-ID
/// fixed when it was queued.
pub fn message(
    settings: &config::Email,
    email: &outbox_emails::Model,
) -> std::result::Result<Message, Failure> {
    let permanent = |text: String| Failure {
        text,
        permanent: true,
    };
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| permanent(format!("the configured sender address is not valid: {e}")))?;
    let to: Mailbox = email.to_address.parse().map_err(|e| {
        permanent(format!(
            "the address {} is not valid: {e}",
            email.to_address
        ))
    })?;
    let mut builder = Message::builder()
        .message_id(Some(email.message_id.clone()))
        .from(from)
        .to(to)
        .subject(email.subject.clone());
    if let Some(url) = &email.list_unsubscribe {
        // Mail programs show an "Unsubscribe" button for a non-essential email.
        builder = builder.raw_header(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.body_text.clone(),
            email.body_html.clone(),
        ))
        .map_err(|e| permanent(format!("could not build the email: {e}")))
}

/// What one round of sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Claims and delivers the emails due now (one batch).
pub async fn deliver_due(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Round> {
    let lease = Duration::seconds(settings.email.lease_seconds);
    let claimed = outbox::claim(db, owner, now, lease, settings.email.batch_size).await?;
    // Several conversations with the server at once: each SMTP exchange is a
    // few round trips of waiting, not work. Each outcome is recorded as soon
    // as it is known, to keep the window for a duplicate small.
    let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(claimed)
        .map(|email| deliver_one(db, settings, transport, owner, email, now))
        .buffer_unordered(settings.email.send_concurrency.max(1))
        .collect()
        .await;
    let mut round = Round::default();
    for outcome in outcomes {
        match outcome? {
            Outcome::Sent => round.sent += 1,
            Outcome::Retrying => round.retrying += 1,
            Outcome::Failed => round.failed += 1,
        }
    }
    Ok(round)
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
}

async fn deliver_one(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
    owner: &str,
    email: outbox_emails::Model,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let sent = match message(&settings.email, &email) {
        Ok(message) => transport.send(&message, &email).await,
        Err(failure) => Err(failure),
    };
    match sent {
        Ok(()) => {
            if !outbox::mark_sent(db, &email, owner, Utc::now().max(now)).await? {
                tracing::warn!(id = email.id, "sent, but the claim had expired");
            }
            Ok(Outcome::Sent)
        }
        Err(failure) => {
            let gives_up = outbox::gives_up(&settings.email, &email, failure.permanent, now);
            tracing::warn!(id = email.id, error = %failure.text, gives_up, "email not delivered");
            outbox::mark_attempt_failed(
                db,
                settings,
                &email,
                owner,
                &failure.text,
                failure.permanent,
                now,
            )
            .await?;
            Ok(if gives_up {
                Outcome::Failed
            } else {
                Outcome::Retrying
            })
        }
    }
}

/// A name for this sender, unique among instances.
pub fn owner_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &crate::auth::tokens::random_token()[..8]
    )
}

/// Runs the sender until the process ends: a batch every `poll_seconds`,
/// straight away again while batches come back full.
pub fn spawn(db: DatabaseConnection, settings: Arc<Settings>, transport: Arc<Transport>) {
    let owner = owner_name();
    tracing::info!(transport = %transport.describe(), owner = %owner, "email sender started");
    tokio::spawn(async move {
        let pause = StdDuration::from_secs(settings.email.poll_seconds.max(1));
        loop {
            match deliver_due(&db, &settings, &transport, &owner, Utc::now()).await {
                Ok(round) if round.sent + round.retrying + round.failed > 0 => {
                    tracing::info!(?round, "email round");
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "email sender could not read the outbox"),
            }
            tokio::time::sleep(pause).await;
        }
    });
}
