use axum::extract::State;
use axum::response::Response;

use super::views::CouncilPage;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::Result;
use crate::web::html::render;
use crate::web::page::PageContext;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct WeekQuery {
    week: String,
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<WeekQuery>,
) -> Result<Response> {
    if viewer.is_council() {
        let o = super::overview(&state.db, viewer.council_id()).await?;
        return Ok(render(&CouncilPage { page, o }));
    }
    let week = match query.week.as_str() {
        "" => None,
        text => Some(crate::returns::parse_week(text)?),
    };
    crate::returns::routes::provider_week(&state, page, &viewer, week).await
}
