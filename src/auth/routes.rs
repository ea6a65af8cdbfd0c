//! Sign in, sign out, change password.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use super::second_factor::{self, CodeCheck};
use super::sign_in::{self, PasswordCheck};
use super::views::{CodePage, PasswordPage, SignInPage, TokensPage};
use super::{AuthSession, Credentials, Viewer, policy};
use crate::app::AppState;
use crate::error::{Error, Result};
use crate::users;
use crate::web::client_ip::ClientIp;
use crate::web::forms::FormErrors;
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

pub async fn sign_in_page(
    auth: AuthSession,
    page: PageContext,
    Query(query): Query<SignInQuery>,
) -> Response {
    if auth.user.is_some() {
        return redirect(policy::safe_next(query.next.as_deref()));
    }
    let notice = query.signed_out.is_some().then_some("You have signed out");
    render(&SignInPage {
        page,
        email: String::new(),
        next: policy::safe_next(query.next.as_deref()).to_string(),
        errors: FormErrors::default(),
        notice,
    })
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const WRONG: &str = "Enter a correct email address and password";

pub async fn sign_in(
    State(state): State<AppState>,
    mut auth: AuthSession,
    page: PageContext,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<SignInForm>,
) -> Result<Response> {
    let next = policy::safe_next(Some(&form.next)).to_string();
    let again = |page, status, errors| {
        render_with_status(
            status,
            &SignInPage {
                page,
                email: form.email.clone(),
                next: next.clone(),
                errors,
                notice: None,
            },
        )
    };
    let mut errors = FormErrors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        return Ok(again(page, StatusCode::UNPROCESSABLE_ENTITY, errors));
    }

    let now = Utc::now();
    let credentials = Credentials {
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match sign_in::check_password(&state, &auth.backend, credentials, ip.as_deref(), now).await? {
        PasswordCheck::Blocked(until) => {
            errors.add(
                "email",
                too_many_attempts(sign_in::minutes_until(until, now)),
            );
            Ok(again(page, StatusCode::TOO_MANY_REQUESTS, errors))
        }
        PasswordCheck::Wrong => {
            errors.add("email", WRONG);
            Ok(again(page, StatusCode::UNAUTHORIZED, errors))
        }
        PasswordCheck::Right(user) => {
            if second_factor::is_enrolled(&state.db, user.id).await? {
                sign_in::await_code(&auth.session, user.id, &next).await?;
                return Ok(redirect("/sign-in/code"));
            }
            sign_in::complete(&state, &mut auth, &user, ip, false).await?;
            Ok(redirect(&next))
        }
    }
}

fn too_many_attempts(minutes: i64) -> String {
    format!(
        "There have been too many attempts to sign in. Wait {minutes} minute{} and try again",
        if minutes == 1 { "" } else { "s" }
    )
}

pub async fn code_page(auth: AuthSession, page: PageContext) -> Response {
    if sign_in::pending(&auth.session).await.is_none() {
        return redirect("/sign-in");
    }
    render(&CodePage {
        page,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn check_code(
    State(state): State<AppState>,
    mut auth: AuthSession,
    page: PageContext,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<CodeForm>,
) -> Result<Response> {
    let Some(pending) = sign_in::pending(&auth.session).await else {
        return Ok(redirect("/sign-in"));
    };
    let mut errors = FormErrors::default();
    let again = |page, status, errors| render_with_status(status, &CodePage { page, errors });
    if form.code.trim().is_empty() {
        errors.add("code", "Enter the code from your authenticator app");
        return Ok(again(page, StatusCode::UNPROCESSABLE_ENTITY, errors));
    }
    let now = Utc::now();
    let check = second_factor::check(
        &state.db,
        &state.settings.auth,
        pending.user_id,
        &form.code,
        ip.as_deref(),
        now,
    )
    .await?;
    let recovery_codes_left = match check {
        CodeCheck::Blocked(until) => {
            errors.add(
                "code",
                too_many_attempts(sign_in::minutes_until(until, now)),
            );
            return Ok(again(page, StatusCode::TOO_MANY_REQUESTS, errors));
        }
        CodeCheck::Wrong => {
            errors.add(
                "code",
                "Enter the code your authenticator app shows now, or one of your recovery codes",
            );
            return Ok(again(page, StatusCode::UNAUTHORIZED, errors));
        }
        CodeCheck::Right {
            recovery_codes_left,
        } => recovery_codes_left,
    };
    // Deactivated between the two steps: start again.
    let Some(user) = auth.backend.get_user_by_id(Some(pending.user_id)).await? else {
        return Ok(redirect("/sign-in"));
    };
    sign_in::complete(&state, &mut auth, &user, ip, true).await?;
    if let Some(left) = recovery_codes_left {
        flash(
            &auth.session,
            format!("You signed in with a recovery code. You have {left} left"),
            Some("Each recovery code works once. You can make new ones from Two-factor sign-in under your account.".into()),
        )
        .await;
    }
    Ok(redirect(&pending.next))
}

pub async fn sign_out(
    State(state): State<AppState>,
    mut auth: AuthSession,
    viewer: Viewer,
) -> Result<Response> {
    // Ends every session of this user, on every device (ASVS 7.4.2).
    users::end_all_sessions(&state.db, &viewer).await?;
    auth.logout().await.map_err(Error::internal)?;
    Ok(redirect("/sign-in?signed_out=1"))
}

pub async fn password_page(page: PageContext) -> Response {
    render(&PasswordPage {
        page,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    mut auth: AuthSession,
    page: PageContext,
    viewer: Viewer,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Result<Response> {
    let change = users::PasswordChange {
        current: form.current_password,
        new: form.new_password,
        confirm: form.confirm_password,
    };
    match users::change_password(&state.db, &viewer, change, &state.settings).await {
        Ok(()) => {
            // The change ended every session; keep this one by signing in again.
            if let Some(user) = auth.backend.get_user_by_id(viewer.user_id).await? {
                auth.login(&user).await.map_err(Error::internal)?;
                policy::mark_signed_in(&auth.session)
                    .await
                    .map_err(Error::internal)?;
            }
            flash(
                &auth.session,
                "Your password has been changed",
                Some("You have been signed out on your other devices.".into()),
            )
            .await;
            Ok(redirect("/"))
        }
        Err(Error::Invalid(errors)) => Ok(render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { page, errors },
        )),
        Err(other) => Err(other),
    }
}

async fn tokens_page(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
    new_token: Option<String>,
    name: String,
    errors: FormErrors,
) -> Result<Response> {
    let tokens = super::tokens::list(&state.db, viewer.user_id.ok_or(Error::Forbidden)?).await?;
    let status = errors.status();
    Ok(render_with_status(
        status,
        &TokensPage {
            page,
            tokens,
            new_token,
            token_name: name,
            errors,
        },
    ))
}

pub async fn tokens(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
) -> Result<Response> {
    tokens_page(
        &state,
        page,
        &viewer,
        None,
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response> {
    match super::create_own_token(&state.db, &viewer, &form.name).await {
        Ok((token, _)) => {
            tokens_page(
                &state,
                page,
                &viewer,
                Some(token),
                String::new(),
                FormErrors::default(),
            )
            .await
        }
        Err(Error::Invalid(errors)) => {
            tokens_page(&state, page, &viewer, None, form.name, errors).await
        }
        Err(other) => Err(other),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response> {
    let token = super::tokens::revoke(&state.db, &viewer, crate::web::parse_id(&id)?).await?;
    flash(
        &session,
        format!("Token \"{}\" revoked", token.name),
        Some("Requests using it are refused from now on.".into()),
    )
    .await;
    Ok(redirect("/account/tokens"))
}
