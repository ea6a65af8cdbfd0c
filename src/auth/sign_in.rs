//! Signing in, as steps: the password (throttled before it is checked),
//! then, for users who have one, the second factor; what the session holds
//! between the two steps; and what signing in finally records.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::throttle::{self, Attempt, Keys};
use super::{AuthSession, Backend, Credentials, SessionUser, Viewer, csrf, policy, second_factor};
use crate::app::AppState;
use crate::audit::{self, Change};
use crate::error::{Error, Result};

/// The answer to an email and password.
pub enum PasswordCheck {
    Blocked(DateTime<FixedOffset>),
    Wrong,
    Right(SessionUser),
}

/// Checks an email and password. The attempt is counted first, so parallel
/// guesses all count; refused and failed attempts are in the audit trail.
pub async fn check_password(
    state: &AppState,
    backend: &Backend,
    credentials: Credentials,
    client_ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PasswordCheck> {
    let keys = Keys::new(&credentials.email, client_ip);
    let email = super::normalise_email(&credentials.email);
    let anonymous = Viewer {
        client_ip: client_ip.map(str::to_string),
        ..Viewer::system("anonymous")
    };
    let settings = &state.settings.auth;
    if let Attempt::Blocked(until) = throttle::attempt(&state.db, &keys, settings, now).await? {
        let change = Change::event("sign_in_throttled", "session", None)
            .summary(format!("Sign-in as {email} refused: too many attempts"));
        audit::record(&state.db, &anonymous, change).await?;
        return Ok(PasswordCheck::Blocked(until));
    }
    let user = axum_login::AuthnBackend::authenticate(backend, credentials)
        .await
        .map_err(Error::internal)?;
    let Some(user) = user else {
        let change = Change::event("sign_in_failed", "session", None)
            .summary(format!("Failed sign-in as {email}"));
        audit::record(&state.db, &anonymous, change).await?;
        return Ok(PasswordCheck::Wrong);
    };
    throttle::succeeded(&state.db, &keys, settings).await?;
    Ok(PasswordCheck::Right(user))
}

/// Minutes to wait until `until`, rounded up, for the message.
pub fn minutes_until(until: DateTime<FixedOffset>, now: DateTime<Utc>) -> i64 {
    (until.with_timezone(&Utc) - now).num_minutes() + 1
}

const PENDING: &str = "second_factor_pending";
/// Set once the session has passed a second factor (or enrolled one).
const SECOND_FACTOR_DONE: &str = "second_factor_done";
/// How long the code step waits after the password.
const PENDING_MINUTES: i64 = 10;

/// A right password from a user with a second factor: who, and where to go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: i64,
    pub next: String,
    at: DateTime<Utc>,
}

pub async fn await_code(session: &Session, user_id: i64, next: &str) -> Result<()> {
    let pending = Pending {
        user_id,
        next: next.to_string(),
        at: Utc::now(),
    };
    session
        .insert(PENDING, pending)
        .await
        .map_err(Error::internal)
}

/// The password step this session passed, if it is recent enough.
pub async fn pending(session: &Session) -> Option<Pending> {
    let pending: Pending = session.get(PENDING).await.ok().flatten()?;
    (Utc::now() - pending.at < Duration::minutes(PENDING_MINUTES)).then_some(pending)
}

/// Signs the user in: a new session id (axum-login cycles it), the time for
/// the absolute timeout, a fresh form token, and the sign-in recorded.
pub async fn complete(
    state: &AppState,
    auth: &mut AuthSession,
    user: &SessionUser,
    client_ip: Option<String>,
    second_factor_passed: bool,
) -> Result<()> {
    auth.login(user).await.map_err(Error::internal)?;
    let _ = auth.session.remove::<Pending>(PENDING).await;
    policy::mark_signed_in(&auth.session)
        .await
        .map_err(Error::internal)?;
    if second_factor_passed {
        mark_second_factor_done(&auth.session).await?;
    }
    csrf::rotate(&auth.session).await.map_err(Error::internal)?;
    let viewer = Viewer::from_session(user, client_ip);
    crate::users::record_sign_in(&state.db, &viewer).await
}

pub async fn mark_second_factor_done(session: &Session) -> Result<()> {
    session
        .insert(SECOND_FACTOR_DONE, true)
        .await
        .map_err(Error::internal)
}

/// Whether this session must set up a second factor before anything else:
/// its role requires one and it has not passed one.
pub async fn must_enrol(state: &AppState, session: &Session, viewer: &Viewer) -> bool {
    second_factor::required_for(&state.settings.auth, viewer.role)
        && !session
            .get::<bool>(SECOND_FACTOR_DONE)
            .await
            .ok()
            .flatten()
            .unwrap_or(false)
}
