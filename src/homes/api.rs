//! Homes over the JSON API (v1): lists and one home, with the current
//! rating, where it came from and whether the home is flagged.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use importers::vocab::{Judgement, ProvisionType};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Filter, HomeRow, RatingFilter, Sort};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::db::entities::inspections;
use crate::error::{ApiError, Error};
use crate::web::pagination::PageNumber;

/// A home's rating: its latest full inspection that counts (confirmed, or
/// an unconfirmed report that raises a flag), or a report awaiting
/// confirmation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingResource {
    /// `outstanding`, `good`, `requires_improvement`, `inadequate`, or for
    /// supported accommodation `sa_strong`, `sa_inconsistent`, `sa_weak`.
    pub judgement: Option<String>,
    pub label: Option<String>,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::web::json::date")]
    pub inspection_date: NaiveDate,
    /// `ofsted`, `provider` or `council`.
    pub source: String,
    /// False for a provider's report the council has not confirmed.
    pub confirmed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomeResource {
    pub urn: String,
    pub name: String,
    pub provision_type: String,
    pub registration_status: String,
    pub registered_places: Option<i32>,
    pub locality: Option<String>,
    pub provider: Option<String>,
    pub rating: Option<RatingResource>,
    /// A report newer than `rating` awaiting confirmation. It does not count
    /// until a commissioner or Ofsted's data confirms it, so a report of
    /// Good never lifts a flag on its own.
    pub pending_report: Option<RatingResource>,
    /// The rating and any pending report in words, e.g. "Requires
    /// improvement (Ofsted, 2 March 2024); provider reports Good on 5
    /// December 2026, awaiting confirmation".
    pub rating_summary: String,
    /// Rated below Good, or a judgement area Inadequate.
    pub flagged: bool,
    /// Why, in words, when flagged.
    pub flag: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomePage {
    pub homes: Vec<HomeResource>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HomesQuery {
    /// A judgement code, or `good_or_better`, `below_good`, `not_inspected`.
    pub rating: Option<String>,
    /// `true` for flagged homes only, `false` for the others.
    pub flagged: Option<bool>,
    /// Provision type code, e.g. `childrens_home`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub provision_type: Option<String>,
    pub locality: Option<String>,
    /// From 1; past the last page, the last page.
    #[serde(default)]
    #[param(value_type = Option<u64>, minimum = 1)]
    pub page: crate::web::pagination::PageNumber,
    /// Up to 500; 100 by default.
    pub per_page: Option<u64>,
}

fn rating(i: &inspections::Model) -> RatingResource {
    RatingResource {
        judgement: i.overall.clone(),
        label: i
            .overall
            .as_deref()
            .and_then(Judgement::from_code)
            .map(|j| j.label().to_string()),
        inspection_date: i.inspection_date,
        source: i.source.clone(),
        confirmed: i.verified,
    }
}

fn resource(row: &HomeRow, inspections: &[inspections::Model]) -> HomeResource {
    let current = inspections.iter().find(|i| i.is_current);
    let pending = crate::quality::pending_report(inspections);
    let flag = current.and_then(crate::quality::flag_of);
    HomeResource {
        urn: row.urn.clone(),
        name: row.name.clone(),
        provision_type: row.provision_type.clone(),
        registration_status: row.registration_status.clone(),
        registered_places: row.registered_places,
        locality: row.locality.clone(),
        provider: row.provider_name.clone(),
        rating: current.map(rating),
        pending_report: pending.map(rating),
        rating_summary: crate::quality::rating_in_words(&row.registration_status, current, pending),
        flagged: flag.is_some(),
        flag: flag.map(|f| f.label()),
    }
}

/// Each home's current inspection and the reports awaiting confirmation.
async fn ratings_of(
    state: &AppState,
    rows: &[HomeRow],
) -> Result<HashMap<i64, Vec<inspections::Model>>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_home: HashMap<i64, Vec<inspections::Model>> = HashMap::new();
    for i in inspections::Entity::find()
        .filter(inspections::Column::HomeId.is_in(ids))
        .filter(
            Condition::any()
                .add(inspections::Column::IsCurrent.eq(true))
                .add(inspections::Column::Verified.eq(false)),
        )
        .all(&state.db)
        .await
        .map_err(Error::from)?
    {
        by_home.entry(i.home_id).or_default().push(i);
    }
    Ok(by_home)
}

#[utoipa::path(
    get,
    path = "/api/v1/homes",
    tag = "homes",
    params(HomesQuery),
    responses(
        (status = 200, description = "Homes the token's user may see, by name", body = HomePage),
        (status = 401, description = "No valid token"),
        (status = 422, description = "A parameter is not valid"),
    ),
    security(("bearer" = []))
)]
pub async fn list_homes(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HomesQuery>,
) -> Result<Json<HomePage>, ApiError> {
    let rating = match query.rating.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            RatingFilter::from_code(code)
                .ok_or_else(|| Error::field("rating", format!("'{code}' is not a rating")))?,
        ),
    };
    let provision_type = match query.provision_type.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            ProvisionType::from_code(code)
                .ok_or_else(|| Error::field("type", format!("'{code}' is not a provision type")))?,
        ),
    };
    let filter = Filter {
        rating,
        flagged: query.flagged,
        provision_type,
        locality: query.locality.clone().filter(|l| !l.trim().is_empty()),
        ..Default::default()
    };
    let per_page = query.per_page.unwrap_or(100).clamp(1, 500);
    let (rows, total) = super::list(
        &state.db,
        &viewer,
        &filter,
        Sort::default(),
        query.page,
        per_page,
    )
    .await?;
    let page = query.page.within(total, per_page);
    let ratings = ratings_of(&state, &rows).await?;
    Ok(Json(HomePage {
        homes: rows
            .iter()
            .map(|r| resource(r, ratings.get(&r.id).map_or(&[], Vec::as_slice)))
            .collect(),
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/homes/{urn}",
    tag = "homes",
    params(("urn" = String, Path, description = "Ofsted URN of the home", example = "SC123456")),
    responses(
        (status = 200, description = "The home", body = HomeResource),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not one of your organisation's homes"),
        (status = 404, description = "No home has this URN"),
    ),
    security(("bearer" = []))
)]
pub async fn get_home(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Json<HomeResource>, ApiError> {
    let filter = Filter {
        q: Some(urn.trim().to_ascii_uppercase()),
        status: super::StatusFilter::All,
        ..Default::default()
    };
    let (rows, _) = super::list(
        &state.db,
        &viewer,
        &filter,
        Sort::default(),
        PageNumber::FIRST,
        50,
    )
    .await?;
    let row = rows
        .into_iter()
        .find(|r| r.urn.eq_ignore_ascii_case(urn.trim()))
        .ok_or(Error::NotFound)?;
    let ratings = ratings_of(&state, std::slice::from_ref(&row)).await?;
    Ok(Json(resource(
        &row,
        ratings.get(&row.id).map_or(&[], Vec::as_slice),
    )))
}
