//! Pages for the emailed password links: asking for a reset, and choosing
//! a password from an invitation or reset link. Anyone may open them; the
//! link's token is the credential.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::account_links;
use crate::app::AppState;
use crate::email::links::Refusal;
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    page: PageContext,
    sent: bool,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/set_password.html")]
struct SetPasswordPage {
    page: PageContext,
    action: String,
    errors: FormErrors,
    refusal: Option<&'static str>,
}

pub async fn reset_page(page: PageContext) -> Response {
    render(&ResetPage {
        page,
        sent: false,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    email: String,
}

/// The same answer whether or not the address has an account.
pub async fn request_reset(
    State(state): State<AppState>,
    page: PageContext,
    axum::Form(form): axum::Form<ResetForm>,
) -> Result<Response> {
    if !form.email.trim().is_empty() && form.email.len() <= 320 {
        account_links::request_reset_now(&state.db, &state.settings, &form.email).await?;
    }
    Ok(render(&ResetPage {
        page,
        sent: true,
        errors: FormErrors::default(),
    }))
}

fn refused(page: PageContext, refusal: Refusal) -> Response {
    render_with_status(
        StatusCode::NOT_FOUND,
        &SetPasswordPage {
            page,
            action: String::new(),
            errors: FormErrors::default(),
            refusal: Some(refusal.message()),
        },
    )
}

pub async fn set_password_page(
    State(state): State<AppState>,
    page: PageContext,
    Path(token): Path<String>,
) -> Result<Response> {
    Ok(
        match account_links::check(&state.db, &token, Utc::now()).await? {
            Ok(_) => render(&SetPasswordPage {
                page,
                action: format!("/account/set-password/{token}"),
                errors: FormErrors::default(),
                refusal: None,
            }),
            Err(refusal) => refused(page, refusal),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetPasswordForm {
    new_password: String,
    confirm_password: String,
}

pub async fn set_password(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<SetPasswordForm>,
) -> Result<Response> {
    let outcome = account_links::set_password(
        &state.db,
        &state.settings,
        &token,
        &form.new_password,
        &form.confirm_password,
    )
    .await;
    match outcome {
        Ok(Ok(_)) => {
            flash(
                &session,
                "Your password has been set",
                Some("Sign in with it now.".into()),
            )
            .await;
            Ok(redirect("/sign-in"))
        }
        Ok(Err(refusal)) => Ok(refused(page, refusal)),
        Err(Error::Invalid(errors)) => Ok(render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetPasswordPage {
                page,
                action: format!("/account/set-password/{token}"),
                errors,
                refusal: None,
            },
        )),
        Err(e) => Err(e),
    }
}
