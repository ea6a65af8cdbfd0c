//! Returns by spreadsheet: the week's template, the upload, its preview,
//! then confirm or discard.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tower_sessions::Session;

use super::routes::WeekForm;
use super::{parse_week, this_week};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::Result;
use crate::web::html::{redirect, render_with_status};
use crate::web::page::{PageContext, flash};

pub async fn template_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<WeekForm>,
) -> Result<Response> {
    use axum::response::IntoResponse;
    let week = if form.week.is_empty() {
        this_week()
    } else {
        parse_week(&form.week)?
    };
    let bytes = super::template::template(&state.db, &viewer, week, &state.settings).await?;
    let name = format!("returns-{week}.xlsx");
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn upload_page_with(state: &AppState, page: PageContext, error: Option<String>) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_with_status(
        status,
        &super::views::UploadPage {
            page,
            error,
            max_mb: state.settings.uploads.max_file_bytes / (1024 * 1024),
            max_rows: state.settings.uploads.max_rows,
            week: this_week(),
        },
    )
}

pub async fn upload_page(State(state): State<AppState>, page: PageContext) -> Response {
    upload_page_with(&state, page, None)
}

pub async fn upload(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    multipart: std::result::Result<
        axum::extract::Multipart,
        axum::extract::multipart::MultipartRejection,
    >,
) -> Result<Response> {
    let (name, bytes) = match crate::web::upload::single_file(multipart, "file").await {
        Ok(file) => file,
        Err(message) => return Ok(upload_page_with(&state, page, Some(message))),
    };
    match super::upload::receive(
        &state.db,
        &state.sandbox,
        &viewer,
        &name,
        bytes,
        &state.settings,
    )
    .await
    {
        Ok(id) => Ok(redirect(&format!("/returns/uploads/{id}"))),
        Err(super::upload::UploadError::File(e)) => {
            Ok(upload_page_with(&state, page, Some(e.message)))
        }
        Err(super::upload::UploadError::App(e)) => Err(e),
    }
}

pub async fn preview(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let upload = super::upload::find(&state.db, &viewer, &id).await?;
    let status = if upload.preview.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_with_status(
        status,
        &super::views::PreviewPage { page, id, upload },
    ))
}

pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let done = super::upload::confirm(&state.db, &viewer, &id, &state.settings).await?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    flash(
        &session,
        format!(
            "{} return{} filed from your spreadsheet",
            done.filed,
            plural(done.filed)
        ),
        (done.unchanged > 0).then(|| {
            format!(
                "{} row{} had no change and filed nothing: those returns stand as they were.",
                done.unchanged,
                plural(done.unchanged)
            )
        }),
    )
    .await;
    Ok(redirect("/"))
}

pub async fn discard(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    super::upload::discard(&state.db, &viewer, &id).await?;
    flash(
        &session,
        "The upload was discarded: nothing was filed",
        None,
    )
    .await;
    Ok(redirect("/"))
}
