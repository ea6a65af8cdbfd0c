//! The map page (with a table of the same homes, for everyone and for
//! browsers without JavaScript), its data, and the council boundaries.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::views::MapPage;
use super::{Filter, MapHome};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::search::MinRating;
use crate::web::html::render;
use crate::web::page::PageContext;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MapQuery {
    #[serde(rename = "type")]
    pub types: Vec<String>,
    pub rating: String,
    pub vacancies: String,
}

impl MapQuery {
    fn parse(raw: Option<&str>) -> Result<Self> {
        serde_html_form::from_str(raw.unwrap_or(""))
            .map_err(|_| Error::BadRequest("The filters could not be read".into()))
    }

    fn filter(&self) -> Filter {
        Filter {
            provision_types: self
                .types
                .iter()
                .filter_map(|t| importers::vocab::ProvisionType::from_code(t))
                .collect(),
            min_rating: MinRating::from_code(&self.rating),
            with_vacancies: self.vacancies == "yes",
        }
    }
}

/// Where a search shown on the map started, and how far it looked.
pub struct SearchArea {
    pub latitude: f64,
    pub longitude: f64,
    /// The postcode, or the district whose centre stands in for it.
    pub place: String,
    pub district_centre: bool,
    pub miles: u32,
}

/// The homes a query asks for: with a search's criteria (the link from the
/// search page), the homes with a fitting vacancy and where the search
/// started; otherwise every home in and around the council that passes the
/// map's own filters.
async fn homes_for(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
) -> Result<(Vec<MapHome>, Option<SearchArea>)> {
    let council = viewer.council_id();
    let search = crate::search::routes::params(raw)?;
    if search.is_empty() {
        let query = MapQuery::parse(raw)?;
        let homes = super::homes(&state.db, &state.settings, council, &query.filter()).await?;
        return Ok((homes, None));
    }
    // The same search seen on a map: not logged again.
    let (criteria, outcome) = crate::search::routes::run_linked_search(state, &search).await?;
    let homes = super::fitting(&state.db, &state.settings, council, &outcome).await?;
    let origin = &criteria.origin;
    let area = SearchArea {
        latitude: origin.point.latitude,
        longitude: origin.point.longitude,
        place: origin.label.clone(),
        district_centre: origin.precision == crate::geo::Precision::District,
        miles: criteria.max_miles,
    };
    Ok((homes, Some(area)))
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let (homes, area) = homes_for(&state, &viewer, raw.as_deref()).await?;
    let raw = raw.unwrap_or_default();
    Ok(render(&MapPage {
        page,
        data_url: format!("/map/homes.json?{raw}"),
        query_string: raw.clone(),
        search_url: area.is_some().then(|| format!("/search?{raw}")),
        search_area: area,
        tile_url: state.settings.map.tile_url.clone(),
        attribution: state.settings.map.tile_attribution.clone(),
        homes,
        query: MapQuery::parse(Some(&raw))?,
        types: state.settings.market.provision_types.clone(),
    }))
}

pub async fn data(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<MapHome>>> {
    Ok(Json(homes_for(&state, &viewer, raw.as_deref()).await?.0))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let (homes, _) = homes_for(&state, &viewer, raw.as_deref()).await?;
    Ok(super::views::table(&homes).csv_response("map-homes.csv"))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let (homes, _) = homes_for(&state, &viewer, raw.as_deref()).await?;
    Ok(super::views::table(&homes).xlsx_response("map-homes.xlsx", "Homes"))
}

pub async fn boundaries(State(state): State<AppState>) -> Response {
    // No file is not an error: the map shows without boundaries.
    let body = tokio::fs::read(&state.settings.map.boundaries_file)
        .await
        .unwrap_or_else(|_| br#"{"type":"FeatureCollection","features":[]}"#.to_vec());
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}
