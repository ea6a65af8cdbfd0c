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
    fn parse(raw: Option<String>) -> Result<Self> {
        serde_html_form::from_str(raw.as_deref().unwrap_or(""))
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

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = MapQuery::parse(raw.clone())?;
    let homes = super::homes(&state.db, &state.settings, &query.filter()).await?;
    Ok(render(&MapPage {
        page,
        data_url: format!("/map/homes.json?{}", raw.unwrap_or_default()),
        tile_url: state.settings.map.tile_url.clone(),
        attribution: state.settings.map.tile_attribution.clone(),
        homes,
        query,
    }))
}

pub async fn data(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<MapHome>>> {
    let query = MapQuery::parse(raw)?;
    Ok(Json(
        super::homes(&state.db, &state.settings, &query.filter()).await?,
    ))
}

pub async fn boundaries(State(state): State<AppState>) -> Response {
    // No file is not an error: the map shows without boundaries.
    let body = tokio::fs::read(&state.settings.map.boundaries_file)
        .await
        .unwrap_or_else(|_| br#"{"type":"FeatureCollection","features":[]}"#.to_vec());
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}
