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
use super::{Occupancy, ReturnInput, Source, Unavailable, VacancyInput, this_week};
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
    /// Beds occupied by each member council's children: a line per council
    /// with children there, by ONS code. Councils not listed have none.
    pub occupied_by_council: Option<Vec<CouncilBeds>>,
    /// Beds occupied by children of councils outside the region.
    pub occupied_outside_region: Option<u32>,
    /// Deprecated: beds occupied by the home's host council's children
    /// (which must be a member). Use `occupied_by_council`.
    #[schema(deprecated)]
    pub occupied_ours: Option<u32>,
    /// Deprecated: beds occupied by other councils' children, counted as
    /// outside the region. Use `occupied_outside_region`.
    #[schema(deprecated)]
    pub occupied_other: Option<u32>,
    #[serde(default)]
    pub not_admittable: NotAdmittable,
    /// Admittable vacancies; beds with the same details may share one entry.
    #[serde(default)]
    pub vacancies: Vec<Vacancy>,
    pub note: Option<String>,
}

/// Beds occupied by one member council's children.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilBeds {
    /// The council's ONS code.
    #[schema(example = "E06000058")]
    pub council: String,
    pub beds: u32,
}

/// The region's member councils as the API names them (ONS codes).
pub struct Members {
    by_code: std::collections::HashMap<String, i64>,
    by_id: std::collections::HashMap<i64, String>,
}

impl Members {
    pub async fn load(conn: &impl sea_orm::ConnectionTrait) -> crate::error::Result<Members> {
        let members = crate::regions::members(conn).await?;
        let coded = members
            .into_iter()
            .filter_map(|m| m.ons_code.map(|code| (code, m.id)));
        let by_code: std::collections::HashMap<String, i64> = coded.collect();
        let by_id = by_code.iter().map(|(c, id)| (*id, c.clone())).collect();
        Ok(Members { by_code, by_id })
    }

    fn lines(&self, view: &ReturnView) -> Vec<CouncilBeds> {
        view.placements
            .iter()
            .map(|p| CouncilBeds {
                council: self.by_id.get(&p.council_id).cloned().unwrap_or_default(),
                beds: p.beds.max(0) as u32,
            })
            .collect()
    }
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
    /// Beds occupied in all.
    pub occupied: i32,
    pub occupied_by_council: Vec<CouncilBeds>,
    pub occupied_outside_region: i32,
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
    /// Beds occupied as the body states them: by council, or in the
    /// deprecated two numbers (`host` is the home's council if a member).
    fn occupancy(
        &self,
        members: &Members,
        host: Option<i64>,
        errors: &mut FormErrors,
    ) -> Occupancy {
        let new = self.occupied_by_council.is_some() || self.occupied_outside_region.is_some();
        let old = self.occupied_ours.is_some() || self.occupied_other.is_some();
        if new && old {
            errors.add(
                "occupied_ours",
                "Send occupied_by_council and occupied_outside_region, or the deprecated \
                 occupied_ours and occupied_other, not both",
            );
            return Occupancy::default();
        }
        if old {
            let ours = self.occupied_ours.unwrap_or(0);
            if ours > 0 && host.is_none() {
                errors.add(
                    "occupied_ours",
                    "occupied_ours counts the children of the home's own council, which is \
                     not a member of the region: use occupied_by_council and \
                     occupied_outside_region",
                );
            }
            return Occupancy::from_host_and_other(host, ours, self.occupied_other.unwrap_or(0));
        }
        if !new {
            errors.add(
                "occupied_by_council",
                "State the beds occupied: occupied_by_council (a line per member council \
                 with children there, [] if none) and occupied_outside_region",
            );
        }
        let mut occupancy = Occupancy {
            outside_region: self.occupied_outside_region.unwrap_or(0),
            ..Default::default()
        };
        for (i, line) in self.occupied_by_council.iter().flatten().enumerate() {
            let code = line.council.trim().to_uppercase();
            match members.by_code.get(&code) {
                Some(id) if occupancy.of(*id) > 0 => errors.add(
                    format!("occupied_by_council[{i}].council"),
                    format!("{code} is listed twice: one line per council"),
                ),
                Some(id) => occupancy.set(*id, line.beds),
                None => errors.add(
                    format!("occupied_by_council[{i}].council"),
                    format!(
                        "'{}' is not a member council of the region: count its children in \
                         occupied_outside_region",
                        line.council
                    ),
                ),
            }
        }
        occupancy
    }

    fn into_input(
        self,
        states_capacity: bool,
        members: &Members,
        host: Option<i64>,
    ) -> Result<ReturnInput, FormErrors> {
        let mut errors = FormErrors::default();
        let occupied = self.occupancy(members, host, &mut errors);
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
            occupied,
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

fn resource(urn: &str, view: &ReturnView, members: &Members) -> ReturnResource {
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
        occupied: r.occupied,
        occupied_by_council: members.lines(view),
        occupied_outside_region: r.occupied_outside_region,
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
    let members = Members::load(&state.db).await?;
    let host = home
        .host_council_id
        .filter(|id| members.by_id.contains_key(id));
    let input = body
        .into_input(facts.states_capacity(), &members, host)
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
    Ok((status, Json(resource(&home.urn, filed.view(), &members))))
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
    let members = Members::load(&state.db).await?;
    let out = store::listed(&state.db, home.id, from, to, query.versions)
        .await?
        .iter()
        .map(|view| resource(&home.urn, view, &members))
        .collect();
    Ok(Json(out))
}
