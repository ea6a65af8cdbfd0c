//! The audit log, for admins: newest first, filterable, read-only.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::Filter;
use super::views::ListPage;
use crate::app::AppState;
use crate::error::Result;
use crate::web::forms::optional;
use crate::web::html::render;
use crate::web::page::PageContext;
use crate::web::pagination::{DEFAULT_PER_PAGE, Pagination};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    entity_type: String,
    entity_id: String,
    action: String,
    actor: String,
    page: crate::web::pagination::PageNumber,
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: crate::auth::Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let filter = Filter {
        entity_type: optional(&query.entity_type),
        entity_id: optional(&query.entity_id),
        action: optional(&query.action),
        actor: optional(&query.actor),
        council: viewer.council_id(),
    };
    let (rows, total) = super::list(&state.db, &filter, query.page, DEFAULT_PER_PAGE).await?;
    let pairs = vec![
        ("entity_type".to_string(), query.entity_type.clone()),
        ("entity_id".to_string(), query.entity_id.clone()),
        ("action".to_string(), query.action.clone()),
        ("actor".to_string(), query.actor.clone()),
    ];
    Ok(render(&ListPage {
        page,
        rows,
        pagination: Pagination::new("/audit", &pairs, query.page.get(), DEFAULT_PER_PAGE, total),
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        action: query.action,
        actor: query.actor,
    }))
}
