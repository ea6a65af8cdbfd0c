//! The council's board of returns for a week, and its exports.

use axum::extract::{Query, State};
use axum::response::Response;
use importers::vocab::ProvisionType;

use super::board::{self, Filter};
use super::views::{BoardPage, BoardQuery};
use super::{parse_week, this_week};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::organisations;
use crate::web::html::render;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

/// Homes a page of the returns board shows: more than any one council hosts.
const BOARD_PER_PAGE: u64 = 200;

/// The provider the board's filter names: picked by id (links, the picker)
/// or found by the name typed; the name shown is the organisation's own.
async fn board_provider(state: &AppState, query: &mut BoardQuery) -> Result<Option<String>> {
    let pick = if query.provider_name.trim().is_empty() {
        match query.provider.trim().parse() {
            Ok(id) => organisations::pick::Pick::id(id),
            Err(_) => organisations::pick::Pick::default(),
        }
    } else {
        organisations::pick::Pick::new(&query.provider, &query.provider_name)
    };
    match organisations::pick::resolve(&state.db, organisations::Kind::Provider, &pick, "provider")
        .await
    {
        Ok(id) => {
            query.provider = id.map(|id| id.to_string()).unwrap_or_default();
            query.provider_name = organisations::pick::name_of(&state.db, id).await?;
            Ok(None)
        }
        Err(Error::Invalid(errors)) => {
            query.provider.clear();
            Ok(Some(errors.summary()))
        }
        Err(other) => Err(other),
    }
}

async fn board_for(state: &AppState, viewer: &Viewer, query: &BoardQuery) -> Result<board::Board> {
    let week = if query.week.is_empty() {
        this_week()
    } else {
        parse_week(&query.week)?
    };
    let council_id = match query.council.as_str() {
        "" => viewer.council_id(),
        "all" => None,
        id => Some(crate::web::parse_id(id)?),
    };
    let filter = Filter {
        council_id,
        locality: crate::web::forms::optional(&query.locality),
        provision_type: ProvisionType::from_code(&query.provision_type),
        provider_id: query.provider.parse().ok(),
    };
    board::week(&state.db, viewer, week, &filter, &state.settings).await
}

pub async fn board(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(mut query): Query<BoardQuery>,
) -> Result<Response> {
    let provider_error = board_provider(&state, &mut query).await?;
    let mut board = board_for(&state, &viewer, &query).await?;
    let councils = crate::homes::council_choices(&state.db).await?;
    // A council's board is one page; every council's, thousands of homes,
    // is paged (the totals, and the downloads, are of them all).
    let pagination = Pagination::new(
        "/returns",
        &query.pairs(),
        query.page.get(),
        BOARD_PER_PAGE,
        board.rows.len() as u64,
    );
    board.rows = std::mem::take(&mut board.rows)
        .into_iter()
        .skip(Pagination::offset(pagination.page, BOARD_PER_PAGE) as usize)
        .take(BOARD_PER_PAGE as usize)
        .collect();
    let council = page.council.clone();
    let localities = crate::regions::viewer_council(&state.db, &viewer)
        .await?
        .map(|m| m.locality_names())
        .unwrap_or_default();
    Ok(render(&BoardPage {
        pagination,
        page,
        is_current_week: board.week == this_week(),
        board,
        query,
        council,
        councils,
        localities,
        types: state.settings.market.provision_types.clone(),
        provider_error,
    }))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<BoardQuery>,
) -> Result<Response> {
    let board = board_for(&state, &viewer, &query).await?;
    Ok(board
        .table()
        .csv_response(&format!("returns-{}.csv", board.week)))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<BoardQuery>,
) -> Result<Response> {
    let board = board_for(&state, &viewer, &query).await?;
    Ok(board
        .table()
        .xlsx_response(&format!("returns-{}.xlsx", board.week), "Returns"))
}
