//! The user's own two-factor pages: set it up (QR code, first code,
//! recovery codes shown once), new recovery codes, turn it off; and an
//! admin's reset of someone else's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::second_factor::{self, Enrolment};
use super::views::{RecoveryCodesPage, TwoFactorPage};
use super::{Viewer, sign_in};
use crate::app::AppState;
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};

/// The secret being set up, kept in the session until a code proves the app has it.
const ENROLLING: &str = "second_factor_enrolling";

async fn enrolling_secret(session: &Session) -> Result<String> {
    if let Ok(Some(secret)) = session.get::<String>(ENROLLING).await {
        return Ok(secret);
    }
    let secret = second_factor::new_secret();
    session
        .insert(ENROLLING, secret.clone())
        .await
        .map_err(Error::internal)?;
    Ok(secret)
}

async fn page_for(
    state: &AppState,
    page: PageContext,
    session: &Session,
    viewer: &Viewer,
    errors: FormErrors,
) -> Result<TwoFactorPage> {
    let user_id = viewer.user_id.ok_or(Error::Forbidden)?;
    let enrolled = second_factor::is_enrolled(&state.db, user_id).await?;
    let enrolment: Option<Enrolment> = if enrolled {
        None
    } else {
        let secret = enrolling_secret(session).await?;
        Some(second_factor::enrolment(
            &secret,
            &viewer.email,
            &state.settings.auth.two_factor_issuer,
        )?)
    };
    Ok(TwoFactorPage {
        page,
        enrolment,
        required: second_factor::required_for(&state.settings.auth, viewer.role),
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
) -> Result<Response> {
    Ok(render(
        &page_for(&state, page, &session, &viewer, FormErrors::default()).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn enrol(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    axum::Form(form): axum::Form<CodeForm>,
) -> Result<Response> {
    let Ok(Some(secret)) = session.get::<String>(ENROLLING).await else {
        return Ok(redirect("/account/two-factor"));
    };
    match second_factor::enrol(&state.db, &viewer, &secret, &form.code, Utc::now()).await {
        Ok(codes) => {
            let _ = session.remove::<String>(ENROLLING).await;
            sign_in::mark_second_factor_done(&session).await?;
            Ok(render(&RecoveryCodesPage {
                page,
                codes,
                first_time: true,
            }))
        }
        Err(Error::Invalid(errors)) => Ok(render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page_for(&state, page, &session, &viewer, errors).await?,
        )),
        Err(other) => Err(other),
    }
}

pub async fn new_recovery_codes(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
) -> Result<Response> {
    let codes = second_factor::new_recovery_codes(&state.db, &viewer).await?;
    Ok(render(&RecoveryCodesPage {
        page,
        codes,
        first_time: false,
    }))
}

pub async fn turn_off(
    State(state): State<AppState>,
    session: Session,
    viewer: Viewer,
) -> Result<Response> {
    second_factor::turn_off(&state.db, &state.settings.auth, &viewer).await?;
    flash(&session, "Two-factor sign-in is off", None).await;
    Ok(redirect("/account/two-factor"))
}

pub async fn reset(
    State(state): State<AppState>,
    session: Session,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = second_factor::reset(&state.db, &viewer, crate::web::parse_id(&id)?).await?;
    flash(
        &session,
        format!("Two-factor sign-in has been reset for {}", user.email),
        Some("They have been signed out. They will set it up again when they next sign in.".into()),
    )
    .await;
    Ok(redirect("/users"))
}
