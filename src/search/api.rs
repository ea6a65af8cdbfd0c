//! `GET /api/v1/vacancies`: the search over the JSON API, with the page's
//! criteria as query parameters.

use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{Channel, Criteria, Hit};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{ApiError, Error};
use crate::geo::Precision;
use crate::web::filters::fixed_point;
use crate::web::json;

/// The criteria (documentation of the query string; parsed as the page's).
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct VacancyQuery {
    /// The child's age in years (0 to 25).
    age: u8,
    /// `female` or `male`.
    sex: String,
    /// Postcode of the child's home or school, or its district (`BH12`).
    postcode: String,
    /// Need codes, comma-separated or repeated, e.g. `autism,mental_health`.
    needs: Option<String>,
    /// Maximum distance in miles (default 20).
    miles: Option<u32>,
    /// Date needed, `YYYY-MM-DD` (default today).
    from: Option<String>,
    /// Provision type codes, comma-separated or repeated (default all).
    #[param(rename = "type")]
    types: Option<String>,
    /// `true` for an emergency placement.
    emergency: Option<bool>,
    /// `true` for a solo placement.
    solo: Option<bool>,
    /// `outstanding`, `good` (default), `requires_improvement` or `any`.
    rating: Option<String>,
    /// Must be `true` to include homes rated below Good.
    confirm_below_good: Option<bool>,
}

/// One vacancy in the answer. Borrows the index's text: the answer is
/// written straight from the snapshot, without copying each string first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VacancyResource<'a> {
    pub urn: &'a str,
    pub home: &'a str,
    pub provider: Option<&'a str>,
    /// Who to ask about the vacancy (the home's own placements contact,
    /// else its provider's), in one line.
    pub provider_contact: Option<String>,
    /// The same contact, field by field.
    pub contact: crate::organisations::contact::Contact,
    pub provision_type: &'a str,
    pub locality: Option<&'a str>,
    pub miles: f64,
    pub beds: i32,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "json::date")]
    pub available_from: chrono::NaiveDate,
    pub min_age: i16,
    pub max_age: i16,
    pub sexes: &'a str,
    pub needs: Vec<&'static str>,
    pub emergency: bool,
    pub solo_only: bool,
    /// Pounds with two decimals, e.g. `"4500.00"`.
    pub weekly_fee: Option<String>,
    pub rating: Option<&'static str>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "json::optional_date")]
    pub rating_date: Option<chrono::NaiveDate>,
    pub flagged: bool,
    pub monitoring_case_open: bool,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "json::date_time")]
    pub last_updated: chrono::DateTime<chrono::FixedOffset>,
    pub stale: bool,
    /// For a near miss: the one criterion it misses.
    pub misses: Option<String>,
}

/// Where the distances are measured from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistancesFrom<'a> {
    /// The postcode or district as understood, e.g. `BH12 1AA` or `BH12`.
    pub place: &'a str,
    /// `postcode`, or `district_centre` when only the district is known
    /// (a district was given, or the postcode is not in the table).
    pub precision: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VacancySearch<'a> {
    pub distances_from: DistancesFrom<'a>,
    /// Vacancies that fit every criterion, best first.
    pub results: Vec<VacancyResource<'a>>,
    /// Vacancies that miss by one criterion, with the reason.
    pub near_misses: Vec<VacancyResource<'a>>,
}

fn resource<'a>(h: &'a Hit, c: &Criteria) -> VacancyResource<'a> {
    let v = &h.vacancy;
    let contact = crate::organisations::contact::Contact::for_home(&h.home, h.provider.as_deref());
    VacancyResource {
        urn: &h.home.urn,
        home: &h.home.name,
        provider: h.provider.as_deref().map(|p| p.name.as_str()),
        provider_contact: Some(contact.summary()).filter(|s| !s.is_empty()),
        contact,
        provision_type: &h.home.provision_type,
        locality: h.home.locality.as_deref(),
        miles: (h.miles * 10.0).round() / 10.0,
        beds: v.beds,
        available_from: v.available_from,
        min_age: v.min_age,
        max_age: v.max_age,
        sexes: &v.sexes,
        needs: importers::vocab::Need::from_mask(v.needs_mask)
            .into_iter()
            .map(|n| n.code())
            .collect(),
        emergency: v.emergency,
        solo_only: v.solo_only,
        weekly_fee: h.fee().map(|p| fixed_point(p.0, 2)),
        rating: h.rating.map(|j| j.code()),
        rating_date: h.rating_date,
        flagged: h.flagged,
        monitoring_case_open: h.open_case,
        last_updated: h.submitted_at,
        stale: h.stale,
        misses: h.miss.as_ref().map(|m| m.reason(c)),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/vacancies",
    tag = "placements",
    params(VacancyQuery),
    responses(
        (status = 200, description = "Vacancies that fit, then near misses", body = VacancySearch),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Council staff only"),
        (status = 422, description = "Criteria missing or not valid; each field named"),
    ),
    security(("bearer" = []))
)]
pub async fn vacancies(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = super::routes::params(raw.as_deref())?;
    let offers = state.offers.snapshot(&state.db).await?;
    let criteria = query
        .parse(&state.db, &offers)
        .await
        .map_err(Error::Invalid)?;
    let outcome = super::search(&offers, &criteria, &state.settings);
    state
        .search_log
        .record(&viewer, &criteria, &outcome, Channel::Api)
        .await;
    let found = VacancySearch {
        distances_from: DistancesFrom {
            place: &criteria.origin.label,
            precision: match criteria.origin.precision {
                Precision::Postcode => "postcode",
                Precision::District => "district_centre",
            },
        },
        results: outcome
            .results
            .iter()
            .map(|h| resource(h, &criteria))
            .collect(),
        near_misses: outcome
            .near_misses
            .iter()
            .map(|h| resource(h, &criteria))
            .collect(),
    };
    // Written into one buffer sized for the answer (about 700 bytes a
    // vacancy): axum's `Json` starts at 128 bytes and grows through a
    // writer, which cost this route a tenth of its time.
    let mut body = Vec::with_capacity(1024 + 768 * (found.results.len() + found.near_misses.len()));
    serde_json::to_writer(&mut body, &found)
        .map_err(|e| Error::Internal(format!("search answer: {e}")))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}
