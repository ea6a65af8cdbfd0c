//! The search page: a GET form (shareable URL, no JavaScript needed), its
//! results and near misses, paged, and their CSV/XLSX export.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::params::SearchParams;
use super::views::{SearchPage, page_hit};
use super::{Channel, Criteria, Outcome};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::web::export::Table;
use crate::web::forms::FormErrors;
use crate::web::html::render_with_status;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

const PER_PAGE: u64 = 20;

/// The query string as search parameters (repeated keys become lists).
pub fn params(raw: Option<&str>) -> Result<SearchParams> {
    serde_html_form::from_str(raw.unwrap_or(""))
        .map_err(|_| Error::BadRequest("The search could not be read: start it again".into()))
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = params(raw.as_deref())?;
    if query.is_empty() {
        return Ok(render_with_status(
            StatusCode::OK,
            &SearchPage::new(page, query, state.settings.market.provision_types.clone()),
        ));
    }
    let offers = state.offers.snapshot(&state.db).await?;
    let criteria = match query.parse(&state.db, &offers).await {
        Ok(c) => c,
        Err(errors) => {
            let mut view =
                SearchPage::new(page, query, state.settings.market.provision_types.clone());
            view.errors = errors;
            return Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &view));
        }
    };
    let outcome = super::search(&offers, &criteria, &state.settings);
    let current = query.page.get();
    let near = query.near.get();
    let mut view = SearchPage::new(page, query, state.settings.market.provision_types.clone());
    // Paging through the same search is not another search.
    if current == 1 && near == 1 {
        state
            .search_log
            .record(&viewer, &criteria, &outcome, Channel::Page)
            .await;
    }
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or(""))
            .unwrap_or_default();
    let total = outcome.results.len() as u64;
    let near_total = outcome.near_misses.len() as u64;
    let results = Pagination::new("/search", &pairs, current, PER_PAGE, total);
    let near_misses = Pagination::with_parameter(
        "near",
        "#near-misses",
        "/search",
        &pairs,
        near,
        PER_PAGE,
        near_total,
    )
    .labelled("Pages of near misses");
    view.export_query = crate::web::query_string(
        pairs
            .iter()
            .filter(|(k, _)| k != "page" && k != "near")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    view.results = outcome
        .results
        .iter()
        .skip(Pagination::offset(results.page, PER_PAGE) as usize)
        .take(PER_PAGE as usize)
        .map(|h| page_hit(h, &criteria))
        .collect();
    view.near_misses = outcome
        .near_misses
        .iter()
        .skip(Pagination::offset(near_misses.page, PER_PAGE) as usize)
        .take(PER_PAGE as usize)
        .map(|h| page_hit(h, &criteria))
        .collect();
    view.pagination = Some(results);
    view.near_pagination = Some(near_misses);
    view.near_miss_total = outcome.near_misses.len();
    view.origin_note =
        matches!(criteria.origin.precision, crate::geo::Precision::District).then(|| {
            format!(
                "Distances are measured from the centre of {}.",
                criteria.origin.district.as_str()
            )
        });
    view.searched = true;
    Ok(render_with_status(StatusCode::OK, &view))
}

/// The search a query string asks for, run. Downloads and the map are
/// links from a search page, so criteria that do not parse there are a
/// hand-edited link: a 400 naming every problem, not a form to fill again.
pub async fn run_linked_search(
    state: &AppState,
    query: &SearchParams,
) -> Result<(Criteria, Outcome)> {
    let offers = state.offers.snapshot(&state.db).await?;
    let criteria = query
        .parse(&state.db, &offers)
        .await
        .map_err(|errors: FormErrors| Error::BadRequest(errors.summary()))?;
    let outcome = super::search(&offers, &criteria, &state.settings);
    Ok((criteria, outcome))
}

async fn export_table(state: &AppState, viewer: &Viewer, raw: Option<String>) -> Result<Table> {
    let query = params(raw.as_deref())?;
    let (criteria, outcome) = run_linked_search(state, &query).await?;
    state
        .search_log
        .record(viewer, &criteria, &outcome, Channel::Export)
        .await;
    Ok(super::views::export(&outcome, &criteria))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    Ok(export_table(&state, &viewer, raw)
        .await?
        .csv_response("vacancies.csv"))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    Ok(export_table(&state, &viewer, raw)
        .await?
        .xlsx_response("vacancies.xlsx", "Vacancies"))
}
