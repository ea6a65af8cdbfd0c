//! Importing Ofsted's provider file from the web: upload, progress, the
//! change report. Admins and commissioners only.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::views::{ImportPage, ImportsPage};
use super::web_import;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::PageContext;
use crate::web::parse_id;

async fn imports_page(
    state: &AppState,
    page: PageContext,
    error: Option<String>,
) -> Result<Response> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_with_status(
        status,
        &ImportsPage {
            page,
            imports: web_import::recent(&state.db, 20).await?,
            error,
            max_mb: state.settings.uploads.max_file_bytes / (1024 * 1024),
        },
    ))
}

pub async fn list(State(state): State<AppState>, page: PageContext) -> Result<Response> {
    imports_page(&state, page, None).await
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
        Err(message) => return imports_page(&state, page, Some(message)).await,
    };
    let (row, format) = match web_import::start(&state.db, &viewer, &name, &bytes).await {
        Ok(started) => started,
        Err(Error::Invalid(errors)) => {
            return imports_page(&state, page, Some(errors.summary())).await;
        }
        Err(e) => return Err(e),
    };
    let id = row.id;
    let task_state = state.clone();
    tokio::spawn(async move {
        let s = &task_state;
        if let Err(e) =
            web_import::run(&s.db, &s.sandbox, &s.settings, &viewer, id, format, bytes).await
        {
            tracing::error!(error = %e, import = id, "recording the Ofsted import's outcome failed");
        }
    });
    Ok(redirect(&format!("/imports/ofsted/{id}")))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    list: String,
    page: String,
}

/// An import's progress, then its change report: what matters to us in
/// full, the rest of England's entries of each list on pages of their own
/// (`?list=new-registrations&page=2`).
pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let row = web_import::find(&state.db, parse_id(&id)?).await?;
    let mut view = ImportPage {
        page,
        report: web_import::report_of(&row),
        row,
        list: None,
    };
    if let Some(list) = super::report::List::from_code(&query.list) {
        let elsewhere = view.entries(list).iter().filter(|e| !e.ours).count() as u64;
        let pagination = crate::web::pagination::Pagination::new(
            &format!("/imports/ofsted/{id}"),
            &[("list".to_string(), list.code().to_string())],
            query.page.parse().unwrap_or(1),
            super::views::PER_PAGE,
            elsewhere,
        );
        view.list = Some((list, pagination));
    }
    Ok(render(&view))
}
