//! Pages: the administrators' outbox (with retry), each user's email
//! preferences, and the unsubscribe link's page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::views::{Choice, OutboxPage, PreferencesPage, UnsubscribePage};
use super::{Category, links, outbox, preferences};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::Pagination;

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: crate::web::pagination::PageNumber,
}

pub async fn outbox_page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<OutboxQuery>,
) -> Result<Response> {
    let status = match query.status.as_str() {
        "queued" | "sent" | "failed" => Some(query.status.as_str()),
        _ => None,
    };
    let (emails, total) = outbox::page(&state.db, status, query.page).await?;
    let filters = vec![("status".to_string(), status.unwrap_or("").to_string())];
    let transport = super::sender::destination(&state.settings.email);
    Ok(render(&OutboxPage {
        page,
        emails,
        status: status.unwrap_or("").to_string(),
        counts: outbox::counts(&state.db).await?,
        pagination: Pagination::new(
            "/admin/outbox",
            &filters,
            query.page.get(),
            outbox::PAGE_SIZE,
            total,
        ),
        runs: crate::jobs::recent_runs(&state.db, 20).await?,
        transport,
    }))
}

pub async fn retry(
    State(state): State<AppState>,
    session: Session,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    let queued = outbox::retry_now(&state.db, &viewer, id, Utc::now()).await?;
    let heading = if queued {
        "The email will be sent again now"
    } else {
        "That email is not failed, so it was not queued again"
    };
    flash(&session, heading, None).await;
    Ok(redirect("/admin/outbox?status=failed"))
}

pub async fn preferences_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
) -> Result<Response> {
    Ok(render(&preferences_view(&state, page, &viewer).await?))
}

async fn preferences_view(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
) -> Result<PreferencesPage> {
    let user_id = viewer.user_id.ok_or(Error::Unauthenticated)?;
    let mut choices = Vec::new();
    for category in preferences::for_role(viewer.role) {
        choices.push(Choice {
            code: category.code(),
            label: category.label(),
            subscribed: !super::opted_out(&state.db, user_id, *category).await?,
        });
    }
    Ok(PreferencesPage { page, choices })
}

pub async fn save_preferences(
    State(state): State<AppState>,
    session: Session,
    viewer: Viewer,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Result<Response> {
    let user_id = viewer.user_id.ok_or(Error::Unauthenticated)?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|_| Error::BadRequest("The form could not be read".into()))?;
    let subscribed: Vec<Category> = pairs
        .iter()
        .filter(|(k, _)| k == "subscribed")
        .filter_map(|(_, v)| Category::from_code(v))
        .collect();
    preferences::save_now(&state.db, &viewer, user_id, &subscribed, Utc::now()).await?;
    flash(&session, "Your email preferences have been saved", None).await;
    Ok(redirect("/account/email"))
}

fn unsubscribe_view(
    page: PageContext,
    token: &str,
    link: std::result::Result<crate::db::entities::email_links::Model, links::Refusal>,
    done: bool,
) -> Response {
    match link {
        Ok(link) => {
            let label = link
                .category
                .as_deref()
                .and_then(Category::from_code)
                .map(|c| c.label().to_lowercase())
                .unwrap_or_default();
            render(&UnsubscribePage {
                page,
                label,
                action: format!("/email/unsubscribe/{token}"),
                done,
                refusal: None,
            })
        }
        Err(refusal) => render_with_status(
            StatusCode::NOT_FOUND,
            &UnsubscribePage {
                page,
                label: String::new(),
                action: String::new(),
                done: false,
                refusal: Some(refusal.message()),
            },
        ),
    }
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    page: PageContext,
    Path(token): Path<String>,
) -> Result<Response> {
    let link = links::check(&state.db, &token, links::Purpose::Unsubscribe, Utc::now()).await?;
    Ok(unsubscribe_view(page, &token, link, false))
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    page: PageContext,
    Path(token): Path<String>,
) -> Result<Response> {
    let link = preferences::unsubscribe(&state.db, &token, Utc::now()).await?;
    Ok(unsubscribe_view(page, &token, link, true))
}
