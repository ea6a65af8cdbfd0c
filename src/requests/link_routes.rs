//! Answering from the request email without signing in. The link names
//! the home and carries a single-use token made for one provider contact,
//! one request and one home, expiring at the reply-by time. Opening it
//! shows the request and the answer form (a GET changes nothing, so mail
//! scanners cannot answer); sending the form records the answer as the
//! contact the link was sent to, through the same `answers::record` as a
//! signed-in answer, and uses the link up in the same transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::Detail;
use super::answers::{self, AnswerInput};
use super::forms::AnswerForm;
use super::views::AnswerLinkPage;
use crate::app::AppState;
use crate::auth::{Role, Viewer};
use crate::db::entities::{bed_requests, email_links, homes, users};
use crate::email::links::{self, Purpose, Refusal};
use crate::error::{Error, Result};
use crate::web::forms::{FormErrors, Submitted};
use crate::web::html::render_with_status;
use crate::web::page::PageContext;

/// What a checked link allows: its request (with only the link's home)
/// and who answers.
struct Checked {
    link: email_links::Model,
    detail: Detail,
    viewer: Viewer,
}

/// Checks a link for `urn`: the token's own home, unexpired, unused, its
/// user still active and still with the provider asked.
async fn check(
    conn: &impl ConnectionTrait,
    urn: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Checked, Refusal>> {
    let link = match links::check(conn, token, Purpose::AnswerRequest, now).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (Some(home_id), Some(request_id)) = (link.home_id, link.request_id) else {
        return Ok(Err(Refusal::Invalid));
    };
    let home = homes::Entity::find_by_id(home_id).one(conn).await?;
    let request = bed_requests::Entity::find_by_id(request_id)
        .one(conn)
        .await?;
    let (Some(home), Some(request)) = (home, request) else {
        return Ok(Err(Refusal::Invalid));
    };
    if !home.urn.eq_ignore_ascii_case(urn.trim()) {
        return Ok(Err(Refusal::Invalid));
    }
    let user = users::Entity::find_by_id(link.user_id).one(conn).await?;
    let Some(user) = user.filter(|u| u.active) else {
        return Ok(Err(Refusal::Invalid));
    };
    let viewer = Viewer::of_user(user).ok_or_else(|| Error::internal("unknown role"))?;
    let mut homes = super::lines(conn, &request, viewer.organisation_id).await?;
    homes.retain(|l| l.home.id == home.id);
    if homes.is_empty() || viewer.role != Role::Provider {
        return Ok(Err(Refusal::Invalid));
    }
    let council_name = crate::regions::member(conn, request.council_id)
        .await?
        .map(|m| m.name)
        .unwrap_or_default();
    Ok(Ok(Checked {
        link,
        detail: Detail {
            request,
            homes,
            council_name,
            complete: false,
        },
        viewer,
    }))
}

fn refused(page: PageContext, refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::Invalid => StatusCode::NOT_FOUND,
        Refusal::Expired | Refusal::Used => StatusCode::GONE,
    };
    let message = match refusal {
        Refusal::Expired => {
            "This link has expired: the reply-by time has passed. Contact the council if you can still offer.".to_string()
        }
        other => format!(
            "{} You can sign in to see the request under Requests.",
            other.message()
        ),
    };
    render_with_status(
        status,
        &AnswerLinkPage {
            page,
            d: None,
            action: String::new(),
            state: "refused",
            message,
            errors: FormErrors::default(),
            form: AnswerForm::default(),
        },
    )
}

fn form_page(
    page: PageContext,
    checked: Checked,
    action: String,
    errors: FormErrors,
    form: AnswerForm,
) -> Response {
    let now = Utc::now();
    let line = &checked.detail.homes[0];
    let (state, message) = match answers::closed_reason(&checked.detail.request, &line.row, now) {
        Some(why) => ("closed", why.to_string()),
        None => ("form", String::new()),
    };
    let status = errors.status();
    render_with_status(
        status,
        &AnswerLinkPage {
            page,
            d: Some(checked.detail),
            action,
            state,
            message,
            errors,
            form,
        },
    )
}

/// GET: the request and the form for the link's home.
pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Path((urn, token)): Path<(String, String)>,
) -> Result<Response> {
    match check(&state.db, &urn, &token, Utc::now()).await? {
        Ok(checked) => {
            let action = format!("/answer/{}/{token}", checked.detail.homes[0].home.urn);
            Ok(form_page(
                page,
                checked,
                action,
                FormErrors::default(),
                AnswerForm::default(),
            ))
        }
        Err(refusal) => Ok(refused(page, refusal)),
    }
}

/// Records the answer and uses up the link, in one transaction; a refused
/// answer leaves the link usable.
async fn answer_by_link(
    db: &sea_orm::DatabaseConnection,
    urn: &str,
    token: &str,
    input: &AnswerInput,
    client_ip: Option<String>,
) -> Result<std::result::Result<Checked, Refusal>> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    // The link's request, held before reading it (see `requests::lock`).
    if let Ok(Ok(link)) = links::check(&txn, token, Purpose::AnswerRequest, now).await
        && let Some(request) = link.request_id
    {
        super::lock_id(&txn, request).await?;
    }
    let checked = match check(&txn, urn, token, now).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !links::consume(&txn, &checked.link, now).await? {
        return Ok(Err(Refusal::Used));
    }
    let viewer = Viewer {
        client_ip,
        ..checked.viewer.clone()
    };
    let line = &checked.detail.homes[0];
    answers::record(
        &txn,
        &viewer,
        &checked.detail.request,
        &line.row,
        input,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(checked))
}

/// POST: record the answer and confirm it.
pub async fn submit(
    State(state): State<AppState>,
    page: PageContext,
    client: crate::web::client_ip::ClientIp,
    Path((urn, token)): Path<(String, String)>,
    form: Submitted<AnswerForm>,
) -> Result<Response> {
    let action = format!("/answer/{}/{token}", urn.to_ascii_uppercase());
    let (form, errors) = match form {
        Submitted::Valid(input, form) => {
            match answer_by_link(&state.db, &urn, &token, &input, client.0).await {
                Ok(Ok(checked)) => {
                    // Re-read: the page confirms what was recorded.
                    let mut detail = checked.detail;
                    let home_id = detail.homes[0].home.id;
                    detail.homes =
                        super::lines(&state.db, &detail.request, checked.viewer.organisation_id)
                            .await?
                            .into_iter()
                            .filter(|l| l.home.id == home_id)
                            .collect();
                    return Ok(render_with_status(
                        StatusCode::OK,
                        &AnswerLinkPage {
                            page,
                            d: Some(detail),
                            action: String::new(),
                            state: "answered",
                            message: "Your answer has been sent to the council.".into(),
                            errors: FormErrors::default(),
                            form: AnswerForm::default(),
                        },
                    ));
                }
                Ok(Err(refusal)) => return Ok(refused(page, refusal)),
                Err(Error::Invalid(errors)) => (form, errors),
                Err(other) => return Err(other),
            }
        }
        Submitted::Invalid(form, errors) => (form, errors),
    };
    match check(&state.db, &urn, &token, Utc::now()).await? {
        Ok(checked) => Ok(form_page(page, checked, action, errors, form)),
        Err(refusal) => Ok(refused(page, refusal)),
    }
}
