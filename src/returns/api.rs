//! Returns over the JSON API (v1): file a week's return with PUT, list a
//! home's returns with GET. Authentication is a bearer token carrying its
//! user's permissions; the policy layer checks it before these run.

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use importers::vocab::{IsoWeek, Need, Pence, Sexes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::filing::{self, Filed, Filing};
use super::store::{self, ReturnView};
use super::{ReturnInput, Source, Unavailable, VacancyInput, this_week};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{ApiError, Error};
use crate::web::forms::FormErrors;

/// A week's return as JSON, the same facts as the web form.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Carers or units available: only for fostering agencies and supported
    /// accommodation, which have no fixed places. Ignored for other homes.
    pub capacity: Option<u32>,
    /// Beds occupied by the council's own children.
    pub occupied_ours: u32,
    /// Beds occupied by other councils' children.
    pub occupied_other: u32,
    #[serde(default)]
    pub not_admittable: NotAdmittable,
    /// Admittable vacancies; beds with the same details may share one entry.
    #[serde(default)]
    pub vacancies: Vec<Vacancy>,
    pub note: Option<String>,
}

/// Vacant beds that cannot take a child now, by reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotAdmittable {
    pub staffing: u32,
    pub works: u32,
    pub matching: u32,
    pub registration: u32,
    pub other: u32,
    /// Required when `other` is more than 0.
    pub other_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vacancy {
    pub beds: u32,
    #[schema(value_type = String, format = Date, example = "2026-11-23")]
    #[serde(serialize_with = "crate::web::json::date")]
    pub available_from: NaiveDate,
    pub min_age: u8,
    pub max_age: u8,
    /// `mixed`, `female` or `male`.
    #[schema(example = "mixed")]
    pub sexes: String,
    /// Codes: emotional_behavioural, learning_disability, autism,
    /// physical_disability, sensory_impairment, mental_health, complex_health.
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub solo_only: bool,
    /// Pounds per week, as text with two decimals.
    #[schema(example = "4500.00")]
    pub weekly_fee: Option<String>,
    pub note: Option<String>,
}

/// A filed return.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnResource {
    pub urn: String,
    #[schema(example = "2026-W48")]
    pub week: String,
    pub version: i32,
    /// True for the latest version of the week.
    pub current: bool,
    pub filed_at: String,
    pub filed_by: String,
    pub late: bool,
    pub source: String,
    pub registered_places: Option<i32>,
    pub capacity: Option<i32>,
    pub occupied_ours: i32,
    pub occupied_other: i32,
    pub not_admittable: NotAdmittable,
    /// Admittable vacancies in total.
    pub vacant_beds: i32,
    pub vacancies: Vec<Vacancy>,
    pub note: Option<String>,
}

/// An error: a sentence, and for invalid input each field with its problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "vacancies[0].available_from")]
    pub field: String,
    pub message: String,
}

impl ReturnBody {
    fn into_input(self, states_capacity: bool) -> Result<ReturnInput, FormErrors> {
        let mut errors = FormErrors::default();
        let vacancies = self
            .vacancies
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let at = |name: &str| format!("vacancies[{i}].{name}");
                let sexes = Sexes::from_code(&v.sexes).or_else(|| {
                    errors.add(at("sexes"), "Use mixed, female or male");
                    None
                });
                let mut needs = Vec::new();
                for code in &v.needs {
                    match Need::from_code(code) {
                        Some(n) if !needs.contains(&n) => needs.push(n),
                        Some(_) => {}
                        None => errors.add(at("needs"), format!("'{code}' is not a need code")),
                    }
                }
                let weekly_fee = match v
                    .weekly_fee
                    .as_deref()
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                {
                    None => None,
                    Some(f) => f
                        .parse::<Pence>()
                        .map_err(|e| errors.add(at("weekly_fee"), e.to_string()))
                        .ok(),
                };
                Some(VacancyInput {
                    beds: v.beds,
                    available_from: v.available_from,
                    min_age: v.min_age,
                    max_age: v.max_age,
                    sexes: sexes?,
                    needs,
                    emergency: v.emergency,
                    solo_only: v.solo_only,
                    weekly_fee,
                    note: v.note.filter(|n| !n.trim().is_empty()),
                })
            })
            .collect();
        let n = self.not_admittable;
        errors.into_result(ReturnInput {
            capacity: if states_capacity { self.capacity } else { None },
            occupied_ours: self.occupied_ours,
            occupied_other: self.occupied_other,
            unavailable: Unavailable {
                staffing: n.staffing,
                works: n.works,
                matching: n.matching,
                registration: n.registration,
                other: n.other,
                other_reason: n.other_reason.filter(|r| !r.trim().is_empty()),
            },
            vacancies,
            note: self.note.filter(|n| !n.trim().is_empty()),
        })
    }
}

fn resource(urn: &str, view: &ReturnView) -> ReturnResource {
    let r = &view.ret;
    ReturnResource {
        urn: urn.to_string(),
        week: view.week().to_string(),
        version: r.version,
        current: r.is_current,
        filed_at: r.submitted_at.to_rfc3339(),
        filed_by: r.submitted_by.clone(),
        late: r.late,
        source: r.source.clone(),
        registered_places: r.registered_places,
        capacity: r.capacity,
        occupied_ours: r.occupied_ours,
        occupied_other: r.occupied_other,
        not_admittable: NotAdmittable {
            staffing: r.unavailable_staffing.max(0) as u32,
            works: r.unavailable_works.max(0) as u32,
            matching: r.unavailable_matching.max(0) as u32,
            registration: r.unavailable_registration.max(0) as u32,
            other: r.unavailable_other.max(0) as u32,
            other_reason: r.unavailable_other_reason.clone(),
        },
        vacant_beds: r.vacancies,
        vacancies: view
            .to_input()
            .vacancies
            .into_iter()
            .map(|v| Vacancy {
                beds: v.beds,
                available_from: v.available_from,
                min_age: v.min_age,
                max_age: v.max_age,
                sexes: v.sexes.code().to_string(),
                needs: v.needs.iter().map(|n| n.code().to_string()).collect(),
                emergency: v.emergency,
                solo_only: v.solo_only,
                weekly_fee: v
                    .weekly_fee
                    .map(|p| format!("{}.{:02}", p.0 / 100, p.0 % 100)),
                note: v.note,
            })
            .collect(),
        note: r.note.clone(),
    }
}

/// JSON bodies: unreadable JSON is 400, JSON of the wrong shape is 422,
/// both with a JSON error body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ApiError(Error::field("body", e.body_text())))
            }
            Err(e) => Err(ApiError(Error::BadRequest(format!(
                "The body must be JSON with Content-Type: application/json ({})",
                e.body_text()
            )))),
        }
    }
}

fn parse_week(text: &str) -> Result<IsoWeek, ApiError> {
    text.trim()
        .parse::<IsoWeek>()
        .map_err(|e| ApiError(Error::field("week", e.to_string())))
}

/// File a home's return for a week.
///
/// Filing the same content again changes nothing (200, the existing return).
/// Different content files a new version; earlier versions are kept. Send an
/// `Idempotency-Key` header to make a retried request safe in every case.
#[utoipa::path(
    put,
    path = "/api/v1/homes/{urn}/returns/{week}",
    tag = "returns",
    params(
        ("urn" = String, Path, description = "Ofsted URN of the home", example = "SC123456"),
        ("week" = String, Path, description = "ISO week", example = "2026-W48"),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique string, up to 64 characters"),
    ),
    request_body = ReturnBody,
    responses(
        (status = 201, description = "Filed: the first return for this week", body = ReturnResource),
        (status = 200, description = "Filed as a new version, or unchanged", body = ReturnResource),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not one of your organisation's homes", body = ErrorBody),
        (status = 404, description = "No home has this URN, or the week is not valid", body = ErrorBody),
        (status = 422, description = "The return breaks a rule; each field says how", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_return(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((urn, week)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReturnBody>,
) -> Result<(StatusCode, Json<ReturnResource>), ApiError> {
    let week = parse_week(&week)?;
    let home = store::home_by_urn(&state.db, &urn).await?;
    let facts = store::facts(&state.db, &home).await?;
    let input = body
        .into_input(facts.states_capacity())
        .map_err(|e| ApiError(Error::Invalid(e)))?;
    let filing = Filing {
        idempotency_key: idempotency_key(&headers)?,
        ..Filing::new(Source::Api)
    };
    let filed = filing::file_now(
        &state.db,
        &viewer,
        &home,
        week,
        &input,
        filing,
        &state.settings,
    )
    .await?;
    let status = match &filed {
        Filed::New(view) if view.ret.version == 1 => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(resource(&home.urn, filed.view()))))
}

/// The `Idempotency-Key` header, if sent: up to 64 characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > 64 {
        return Err(ApiError(Error::field(
            "idempotency_key",
            "The Idempotency-Key header must be 1 to 64 visible characters",
        )));
    }
    Ok(Some(format!("api:{key}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// First week, e.g. 2026-W37 (default: 11 weeks before `to`).
    pub from: Option<String>,
    /// Last week (default: this week).
    pub to: Option<String>,
    /// Every version, not only the current one of each week.
    #[serde(default)]
    pub versions: bool,
}

/// A home's returns for a run of weeks, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/homes/{urn}/returns",
    tag = "returns",
    params(("urn" = String, Path, description = "Ofsted URN of the home"), ListQuery),
    responses(
        (status = 200, description = "The returns", body = [ReturnResource]),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not one of your organisation's homes", body = ErrorBody),
        (status = 404, description = "No home has this URN", body = ErrorBody),
        (status = 422, description = "A week is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_returns(
    State(state): State<AppState>,
    Path(urn): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ReturnResource>>, ApiError> {
    let week = |text: &Option<String>, field: &'static str, default: IsoWeek| match text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Ok(default),
        Some(t) => t
            .parse::<IsoWeek>()
            .map_err(|e| ApiError(Error::field(field, e.to_string()))),
    };
    let to = week(&query.to, "to", this_week())?;
    let from = week(&query.from, "from", to.plus(-11))?;
    let home = store::home_by_urn(&state.db, &urn).await?;
    let out = store::listed(&state.db, home.id, from, to, query.versions)
        .await?
        .iter()
        .map(|view| resource(&home.urn, view))
        .collect();
    Ok(Json(out))
}
