use axum::extract::State;
use axum::response::Response;

use super::views::{CouncilPage, ProviderPage};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::homes;
use crate::web::html::render;
use crate::web::page::PageContext;

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
) -> Result<Response> {
    if viewer.is_council() {
        let o = super::overview(&state.db, &state.settings.council.name).await?;
        return Ok(render(&CouncilPage { page, o }));
    }
    let organisation_id = viewer.organisation_id.ok_or(Error::Forbidden)?;
    let org = crate::organisations::find(&state.db, organisation_id).await?;
    let (homes, total) = homes::list(
        &state.db,
        &viewer,
        &homes::Filter::default(),
        homes::Sort::default(),
        1,
        200,
    )
    .await?;
    Ok(render(&ProviderPage {
        page,
        organisation_name: org.name,
        homes,
        total,
    }))
}
