//! Bed requests over the JSON API (v1): council staff send a request and
//! read its answers; providers list the requests that asked their homes
//! and answer for each home. The same domain functions as the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use importers::vocab::Pence;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::answers::{self, AnswerInput};
use super::list;
use super::sending::{self, Draft};
use super::{Answer, Consideration, Detail, HomeLine, Length, Reason, Status};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{ApiError, Error};
use crate::returns::api::ApiJson;
use crate::search::params::SearchParams;
use crate::web::forms::FormErrors;

/// A request to send: the search's criteria, the homes to ask, and what
/// providers need to answer. Nothing about the child beyond the criteria.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// The child's age in years (0 to 25).
    pub age: u8,
    /// `female` or `male`.
    pub sex: String,
    #[serde(default)]
    pub needs: Vec<String>,
    /// Postcode of the child's home or school, or its district (`BH12`);
    /// only the district is kept.
    pub postcode: String,
    /// Within this many miles (default 20).
    pub miles: Option<u32>,
    /// `YYYY-MM-DD` (default today).
    #[schema(value_type = Option<String>, format = Date)]
    pub needed_from: Option<NaiveDate>,
    /// Provision type codes (default: all).
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub solo: bool,
    /// `outstanding`, `good` (default), `requires_improvement` or `any`.
    pub rating: Option<String>,
    /// Must be true to include homes rated below Good.
    #[serde(default)]
    pub confirm_below_good: bool,
    /// URNs of the homes to ask; omitted: the homes the search finds
    /// (results and near misses).
    pub homes: Option<Vec<String>>,
    /// `emergency`, `short_term` or `long_term`.
    #[schema(example = "short_term")]
    pub length: String,
    /// Codes: only_child, going_missing, exploitation, school_place,
    /// no_pets, level_access.
    #[serde(default)]
    pub considerations: Vec<String>,
    /// When providers must answer by (RFC 3339, with its offset).
    #[schema(value_type = String, format = DateTime, example = "2026-12-07T15:00:00Z")]
    pub reply_by: String,
    /// A short note to providers; it must not identify the child.
    pub note: Option<String>,
}

impl RequestBody {
    /// The draft, with the problems of the codes and time given (the rest
    /// is checked by `sending::send`, so every problem is reported at once).
    fn into_draft(self) -> Draft {
        let mut errors = FormErrors::default();
        let length = Length::from_code(&self.length);
        if length.is_none() {
            errors.add("length", format!("Use one of {}", Length::codes()));
        }
        let reply_by = DateTime::parse_from_rfc3339(self.reply_by.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                errors.add(
                    "reply_by",
                    "reply_by must be a date and time with its offset, like 2026-12-07T15:00:00Z",
                )
            })
            .ok();
        let mut considerations = Vec::new();
        for code in &self.considerations {
            match Consideration::from_code(code) {
                Some(c) if !considerations.contains(&c) => considerations.push(c),
                Some(_) => {}
                None => errors.add(
                    "considerations",
                    format!("'{code}' is not one of {}", Consideration::codes()),
                ),
            }
        }
        considerations.sort();
        let search = SearchParams {
            age: self.age.to_string(),
            sex: self.sex,
            needs: self.needs,
            postcode: self.postcode,
            miles: self.miles.map(|m| m.to_string()).unwrap_or_default(),
            from: self
                .needed_from
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            types: self.types,
            emergency: if self.emergency {
                "yes".into()
            } else {
                String::new()
            },
            solo: if self.solo {
                "yes".into()
            } else {
                String::new()
            },
            rating: self.rating.unwrap_or_default(),
            confirm_below_good: if self.confirm_below_good {
                "yes".into()
            } else {
                String::new()
            },
            ..Default::default()
        };
        Draft {
            search,
            homes: self.homes,
            length,
            considerations,
            reply_by,
            note: self.note,
            problems: errors,
            typed: Vec::new(),
        }
    }
}

/// One home asked, with its answer (a provider sees only its own homes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomeAnswer {
    pub urn: String,
    pub home: String,
    pub provider: String,
    pub miles: Option<f64>,
    /// The home's current overall rating code, if rated.
    pub rating: Option<&'static str>,
    /// Rated Requires Improvement or Inadequate.
    pub flagged: bool,
    /// `offer`, `cannot_offer`, `withdrawn`, or null while unanswered.
    pub answer: Option<&'static str>,
    #[schema(value_type = Option<String>, format = Date)]
    pub available_from: Option<NaiveDate>,
    /// Pounds per week with two decimals.
    pub weekly_fee: Option<String>,
    /// `no_vacancy`, `does_not_meet_needs`, `matching` or `other`.
    pub reason: Option<&'static str>,
    pub note: Option<String>,
    pub answered_at: Option<String>,
    /// Who to contact at the home (council staff only).
    pub contact: Option<crate::organisations::contact::Contact>,
}

/// A request with the answers the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestResource {
    #[schema(example = "REQ-2026-0142")]
    pub reference: String,
    pub council: String,
    pub sent_at: String,
    pub reply_by: String,
    /// `open`, `placed`, `no_suitable_offer` or `withdrawn`.
    pub status: &'static str,
    /// `open` (waiting for answers), `awaiting` (a decision) or `closed`.
    pub stage: &'static str,
    pub age: i16,
    pub sex: String,
    pub needs: Vec<&'static str>,
    pub district: String,
    pub max_miles: i32,
    #[schema(value_type = String, format = Date)]
    pub needed_from: NaiveDate,
    pub types: Vec<String>,
    pub emergency: bool,
    pub solo: bool,
    pub length: String,
    pub considerations: Vec<&'static str>,
    pub note: Option<String>,
    /// The home placed with (its URN), once placed: for the council, or
    /// for the provider whose home it is.
    pub placed_with: Option<String>,
    pub decided_at: Option<String>,
    pub homes: Vec<HomeAnswer>,
}

fn home_answer(line: &HomeLine, council: bool) -> HomeAnswer {
    HomeAnswer {
        urn: line.home.urn.clone(),
        home: line.home.name.clone(),
        provider: line.provider_name().to_string(),
        miles: line.row.miles,
        rating: line.rating.map(|j| j.code()),
        flagged: line.flagged,
        answer: line.answer().map(Answer::code),
        available_from: line.row.available_from,
        weekly_fee: line
            .fee()
            .map(|p| format!("{}.{:02}", p.0 / 100, p.0 % 100)),
        reason: line.reason().map(Reason::code),
        note: line.row.note.clone(),
        answered_at: line.row.answered_at.map(|t| t.to_rfc3339()),
        contact: council.then(|| line.contact.clone()),
    }
}

fn resource(d: &Detail, council: bool) -> RequestResource {
    let r = &d.request;
    let placed = d.placed().map(|l| l.home.urn.clone());
    RequestResource {
        reference: r.reference.clone(),
        council: d.council_name.clone(),
        sent_at: r.created_at.to_rfc3339(),
        reply_by: r.reply_by.to_rfc3339(),
        status: d.status().code(),
        stage: d.stage(Utc::now()).code(),
        age: r.age,
        sex: r.sex.clone(),
        needs: importers::vocab::Need::from_mask(r.needs_mask)
            .into_iter()
            .map(|n| n.code())
            .collect(),
        district: r.district.clone(),
        max_miles: r.max_miles,
        needed_from: r.needed_from,
        types: r
            .provision_types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        emergency: r.emergency,
        solo: r.solo,
        length: r.duration.clone(),
        considerations: super::vocab::split(&r.considerations, Consideration::from_code)
            .into_iter()
            .map(Consideration::code)
            .collect(),
        note: r.note.clone(),
        placed_with: placed,
        decided_at: r.decided_at.map(|t| t.to_rfc3339()),
        homes: d.homes.iter().map(|l| home_answer(l, council)).collect(),
    }
}

/// Send a bed request.
///
/// Each provider of the homes asked is emailed a link per home to answer.
#[utoipa::path(
    post,
    path = "/api/v1/requests",
    tag = "requests",
    request_body = RequestBody,
    responses(
        (status = 201, description = "Sent", body = RequestResource),
        (status = 401, description = "No valid token", body = crate::returns::api::ErrorBody),
        (status = 403, description = "Not council staff", body = crate::returns::api::ErrorBody),
        (status = 422, description = "The request breaks a rule; each field says how", body = crate::returns::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<RequestResource>), ApiError> {
    let request = sending::send(&state, &viewer, body.into_draft(), Utc::now()).await?;
    let detail = super::find(&state.db, &request.reference, &viewer).await?;
    Ok((StatusCode::CREATED, Json(resource(&detail, true))))
}

/// A request and its answers.
///
/// Council staff of the sending council see every home; a provider sees
/// only its own homes in it.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{reference}",
    tag = "requests",
    params(("reference" = String, Path, example = "REQ-2026-0142")),
    responses(
        (status = 200, description = "The request", body = RequestResource),
        (status = 401, description = "No valid token", body = crate::returns::api::ErrorBody),
        (status = 404, description = "No such request, another council's, or one that asked none of your homes", body = crate::returns::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<RequestResource>, ApiError> {
    let detail = super::find(&state.db, &reference, &viewer).await?;
    Ok(Json(resource(&detail, viewer.is_council())))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `true`: only requests still open (waiting for answers or a decision).
    #[param(value_type = Option<bool>)]
    pub open: Option<String>,
}

/// The most requests one answer lists, newest first.
const LIST_LIMIT: usize = 500;

/// Requests: a council's own, or those that asked the provider's homes;
/// the newest 500.
#[utoipa::path(
    get,
    path = "/api/v1/requests",
    tag = "requests",
    params(ListParams),
    responses(
        (status = 200, description = "Newest first", body = [RequestResource]),
        (status = 401, description = "No valid token", body = crate::returns::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<RequestResource>>, ApiError> {
    let open_only = params.open.as_deref() == Some("true");
    let (requests, provider) = list::requests_of(&state.db, &viewer, None).await?;
    let requests: Vec<_> = requests
        .into_iter()
        // Closed is decided; open covers waiting for answers and a decision.
        .filter(|r| !open_only || r.status == Status::Open.code())
        .take(LIST_LIMIT)
        .collect();
    let details = super::details(&state.db, requests, provider).await?;
    Ok(Json(
        details
            .iter()
            .map(|d| resource(d, viewer.is_council()))
            .collect(),
    ))
}

/// A provider's answer for one home.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// `offer`, `cannot_offer`, or `withdrawn` to withdraw an offer.
    pub answer: String,
    /// For an offer.
    #[schema(value_type = Option<String>, format = Date)]
    pub available_from: Option<NaiveDate>,
    /// For an offer: pounds per week, like `"4500.00"`.
    pub weekly_fee: Option<String>,
    /// For cannot_offer: no_vacancy, does_not_meet_needs, matching, other.
    pub reason: Option<String>,
    pub note: Option<String>,
}

enum AnswerCommand {
    Answer(AnswerInput),
    Withdraw,
}

impl AnswerBody {
    fn command(self) -> Result<AnswerCommand, FormErrors> {
        let mut errors = FormErrors::default();
        let note = self.note.filter(|n| !n.trim().is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > answers::NOTE_MAX_CHARS)
        {
            errors.add("note", "The note must be 500 characters or fewer");
        }
        let command = match self.answer.as_str() {
            "offer" => {
                let fee = match self.weekly_fee.as_deref().map(str::trim) {
                    None | Some("") => {
                        errors.add("weekly_fee", "An offer needs a weekly fee, like 4500.00");
                        None
                    }
                    Some(text) => text
                        .parse::<Pence>()
                        .map_err(|e| errors.add("weekly_fee", e.to_string()))
                        .ok(),
                };
                if self.available_from.is_none() {
                    errors.add(
                        "available_from",
                        "An offer needs the date the bed is available from",
                    );
                }
                match (self.available_from, fee) {
                    (Some(available_from), Some(weekly_fee)) => {
                        Some(AnswerCommand::Answer(AnswerInput::Offer {
                            available_from,
                            weekly_fee,
                            note,
                        }))
                    }
                    _ => None,
                }
            }
            "cannot_offer" => match self.reason.as_deref().and_then(Reason::from_code) {
                Some(Reason::Other) if note.is_none() => {
                    errors.add("note", "Say why in the note when the reason is other");
                    None
                }
                Some(reason) => Some(AnswerCommand::Answer(AnswerInput::CannotOffer {
                    reason,
                    note,
                })),
                None => {
                    errors.add("reason", format!("Use one of {}", Reason::codes()));
                    None
                }
            },
            "withdrawn" => Some(AnswerCommand::Withdraw),
            _ => {
                errors.add("answer", "Use offer, cannot_offer or withdrawn");
                None
            }
        };
        match command {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(errors),
        }
    }
}

/// Answer for one of your homes in a request (or withdraw its offer).
///
/// A home is answered once; an offer can be withdrawn until the council
/// decides. Answers close at the reply-by time.
#[utoipa::path(
    put,
    path = "/api/v1/requests/{reference}/answers/{urn}",
    tag = "requests",
    params(
        ("reference" = String, Path, example = "REQ-2026-0142"),
        ("urn" = String, Path, example = "SC123456"),
    ),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Recorded: the request as you see it", body = RequestResource),
        (status = 401, description = "No valid token", body = crate::returns::api::ErrorBody),
        (status = 403, description = "Not a provider's token", body = crate::returns::api::ErrorBody),
        (status = 404, description = "No such request, or this home of yours was not asked in it", body = crate::returns::api::ErrorBody),
        (status = 422, description = "Answered already, closed, or a field breaks a rule", body = crate::returns::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((reference, urn)): Path<(String, String)>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<RequestResource>, ApiError> {
    match body.command().map_err(|e| ApiError(Error::Invalid(e)))? {
        AnswerCommand::Answer(input) => {
            answers::answer(&state.db, &viewer, &reference, &urn, &input).await?
        }
        AnswerCommand::Withdraw => {
            answers::withdraw_offer(&state.db, &viewer, &reference, &urn).await?
        }
    }
    let detail = super::find(&state.db, &reference, &viewer).await?;
    Ok(Json(resource(&detail, false)))
}
