//! Request pages: the list (a council's own, or a provider's), the new
//! request form from a search, one request (the officer's comparison and
//! decision; a provider's answers for its homes), and exports.

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Deserialize;
use tower_sessions::Session;

use super::answers;
use super::deciding::{self, Decision};
use super::forms::{AnswerForm, DecisionForm, RequestForm};
use super::list::{self, Filter};
use super::views::{Candidate, ConfirmPage, ListPage, NewPage, ProvidersPage, ShowPage};
use super::{Detail, Length, Stage};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::search::demand::DemandQuery;
use crate::web::forms::{FormErrors, Submitted, date_parts};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::{DEFAULT_PER_PAGE, PageNumber, Pagination};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub stage: String,
    pub length: String,
    pub page: PageNumber,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            stage: Stage::from_code(&self.stage),
            length: Length::from_code(&self.length),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let now = Utc::now();
    let everything = list::list(&state.db, &viewer, &Filter::default(), now).await?;
    let filter = query.filter();
    let counts = Stage::ALL
        .iter()
        .map(|s| (*s, everything.iter().filter(|r| r.stage == *s).count()))
        .collect();
    let rows: Vec<_> = everything
        .into_iter()
        .filter(|r| filter.stage.is_none_or(|s| s == r.stage))
        .filter(|r| filter.length.is_none_or(|l| l.code() == r.request.duration))
        .collect();
    let pairs = vec![
        ("stage".to_string(), query.stage.clone()),
        ("length".to_string(), query.length.clone()),
    ];
    let total = rows.len() as u64;
    let current = query.page.within(total, DEFAULT_PER_PAGE);
    let pagination = Pagination::new("/requests", &pairs, current, DEFAULT_PER_PAGE, total);
    let shown = rows
        .into_iter()
        .skip(Pagination::offset(current, DEFAULT_PER_PAGE) as usize)
        .take(DEFAULT_PER_PAGE as usize)
        .collect();
    Ok(render(&ListPage {
        page,
        is_council: viewer.is_council(),
        rows: shown,
        pagination,
        export_query: crate::web::query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        stage: query.stage,
        length: query.length,
        counts,
    }))
}

async fn exported(
    state: &AppState,
    viewer: &Viewer,
    query: &ListQuery,
) -> Result<crate::web::export::Table> {
    let rows = list::list(&state.db, viewer, &query.filter(), Utc::now()).await?;
    Ok(list::export(&rows))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    Ok(exported(&state, &viewer, &query)
        .await?
        .csv_response("requests.csv"))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    Ok(exported(&state, &viewer, &query)
        .await?
        .xlsx_response("requests.xlsx", "Requests"))
}

async fn provider_rows(
    state: &AppState,
    viewer: &Viewer,
    query: &DemandQuery,
) -> Result<Vec<super::stats::ProviderAnswers>> {
    let council = viewer.council_id().ok_or(Error::Forbidden)?;
    let (from, to) = query.period().range(Utc::now());
    super::stats::by_provider(&state.db, council, from, to).await
}

pub async fn providers(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let rows = provider_rows(&state, &viewer, &query).await?;
    let period = query.period();
    Ok(render(&ProvidersPage {
        page,
        rows,
        period,
        period_code: period.code(),
        periods: crate::search::demand::Period::choices().to_vec(),
    }))
}

pub async fn providers_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let rows = provider_rows(&state, &viewer, &query).await?;
    Ok(super::stats::providers_table(&rows).csv_response("providers-answers.csv"))
}

/// The homes a search offers to ask (its results, then its near misses),
/// ticked as the form has them (all, on a first visit).
async fn candidates(
    state: &AppState,
    search: &str,
    ticked: Option<&[String]>,
) -> Result<(Vec<(&'static str, String)>, Vec<Candidate>)> {
    let query = crate::search::routes::params(Some(search))?;
    let (criteria, outcome) = crate::search::routes::run_linked_search(state, &query).await?;
    let out: Vec<Candidate> = super::sending::askable(&outcome)
        .into_iter()
        .map(|hit| Candidate {
            urn: hit.home.urn.clone(),
            name: hit.home.name.clone(),
            provider: hit
                .provider
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            miles: (hit.miles * 10.0).round() / 10.0,
            miss: hit.miss.as_ref().map(|m| m.reason(&criteria)),
            ticked: ticked.is_none_or(|t| t.contains(&hit.home.urn)),
        })
        .collect();
    let asks = super::describe(super::Asks {
        age: i16::from(criteria.age),
        sex: criteria.sex.code(),
        needs_mask: importers::vocab::Need::mask(&criteria.needs),
        district: criteria.origin.district.as_str(),
        max_miles: criteria.max_miles as i32,
        needed_from: criteria.needed_from,
        provision_types: &super::vocab::join(
            &criteria.provision_types,
            importers::vocab::ProvisionType::code,
        ),
        emergency: criteria.emergency,
        solo: criteria.solo,
        length: None,
        considerations: "",
    });
    Ok((asks, out))
}

fn new_view(page: PageContext, state: &AppState, form: RequestForm, errors: FormErrors) -> NewPage {
    NewPage {
        page,
        errors,
        search_url: format!("/search?{}", form.search),
        form,
        asks: Vec::new(),
        candidates: Vec::new(),
        note_max_chars: state.settings.requests.note_max_chars,
    }
}

/// The suggested reply-by time: `default_reply_hours` ahead, on the hour.
fn default_reply_by(state: &AppState, now: DateTime<Utc>) -> DateTime<Utc> {
    let at = now + Duration::hours(state.settings.requests.default_reply_hours);
    at.duration_trunc(Duration::hours(1)).unwrap_or(at) + Duration::hours(1)
}

/// GET /requests/new?<search>: the request pre-filled from the search.
pub async fn new_page(
    State(state): State<AppState>,
    page: PageContext,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let search = raw.unwrap_or_default();
    // A request starts from a search's results.
    if search.is_empty() {
        return Ok(redirect("/search"));
    }
    let (asks, candidates) = candidates(&state, &search, None).await?;
    let reply_by = default_reply_by(&state, Utc::now()).with_timezone(&chrono_tz::Europe::London);
    let [reply_day, reply_month, reply_year] = date_parts(Some(reply_by.date_naive()));
    let form = RequestForm {
        search,
        reply_day,
        reply_month,
        reply_year,
        reply_time: reply_by.format("%H:%M").to_string(),
        ..Default::default()
    };
    let mut view = new_view(page, &state, form, FormErrors::default());
    view.asks = asks;
    view.candidates = candidates;
    Ok(render(&view))
}

/// POST /requests/new: send it, or the form again with its errors.
pub async fn send(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    form: Submitted<RequestForm>,
) -> Result<Response> {
    let (form, errors) = match form {
        Submitted::Valid(draft, form) => {
            match super::sending::send(&state, &viewer, draft, Utc::now()).await {
                Ok(request) => {
                    flash(
                        &session,
                        format!("Request {} sent", request.reference),
                        Some(
                            "Each provider asked that uses the service has an email with a link to answer for each of its homes. The request page marks any provider you need to ring."
                                .into(),
                        ),
                    )
                    .await;
                    return Ok(redirect(&format!("/requests/{}", request.reference)));
                }
                Err(Error::Invalid(errors)) => (form, errors),
                Err(other) => return Err(other),
            }
        }
        Submitted::Invalid(form, errors) => (form, errors),
    };
    let ticked = form.all_urns();
    let found = candidates(&state, &form.search, Some(&ticked)).await;
    let mut view = new_view(page, &state, form, errors);
    if let Ok((asks, candidates)) = found {
        // URNs added by hand stay in the box; the search's homes are ticks.
        let listed: Vec<String> = candidates.iter().map(|c| c.urn.clone()).collect();
        view.form.other_homes = ticked
            .iter()
            .filter(|u| !listed.contains(u) && !view.form.homes.contains(u))
            .chain(view.form.homes.iter().filter(|u| !listed.contains(u)))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        view.asks = asks;
        view.candidates = candidates;
    }
    Ok(render_with_status(view.errors.status(), &view))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub sort: String,
}

/// The comparison in the order asked (nearest first by default).
fn sort_lines(d: &mut Detail, sort: &str) {
    let fee = |l: &super::HomeLine| l.row.weekly_fee_pence.unwrap_or(i64::MAX);
    let answered = |l: &super::HomeLine| l.row.answered_at.map_or(i64::MAX, |t| t.timestamp());
    let available = |l: &super::HomeLine| l.row.available_from.unwrap_or(chrono::NaiveDate::MAX);
    let rating = |l: &super::HomeLine| l.rating.map_or(9, |j| j.rank());
    let miles = |l: &super::HomeLine| l.row.miles.unwrap_or(f64::MAX);
    // Offers first in every order: they are what the officer compares.
    let offer = |l: &super::HomeLine| !l.is_offer();
    d.homes.sort_by(|a, b| {
        offer(a).cmp(&offer(b)).then(match sort {
            "fee" => fee(a).cmp(&fee(b)),
            "available" => available(a).cmp(&available(b)),
            "answered" => answered(a).cmp(&answered(b)),
            "rating" => rating(a).cmp(&rating(b)),
            _ => miles(a).total_cmp(&miles(b)),
        })
    });
}

async fn show_page(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
    reference: &str,
    sort: String,
) -> Result<ShowPage> {
    let mut d = super::find(&state.db, reference, viewer).await?;
    sort_lines(&mut d, &sort);
    let sender = match d.request.created_by {
        Some(id) => crate::email::recipients::user(&state.db, id).await?,
        None => None,
    };
    let sender = super::sending::sender_text(
        &d.request.created_by_name,
        sender.as_ref().map_or("", |u| u.email.as_str()),
    );
    Ok(ShowPage {
        page,
        d,
        is_council: viewer.is_council(),
        now: Utc::now(),
        sort,
        errors: FormErrors::default(),
        error_urn: String::new(),
        form: AnswerForm::default(),
        sender,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(reference): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response> {
    Ok(render(
        &show_page(&state, page, &viewer, &reference, query.sort).await?,
    ))
}

/// The request page again with a form's errors (422).
async fn show_with_errors(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
    reference: &str,
    errors: FormErrors,
    urn: &str,
    form: AnswerForm,
) -> Result<Response> {
    let mut view = show_page(state, page, viewer, reference, String::new()).await?;
    view.errors = errors;
    view.error_urn = urn.to_string();
    view.form = form;
    Ok(render_with_status(view.errors.status(), &view))
}

/// What recording `decision` will do, in words for the officer.
fn consequences(d: &Detail, decision: &Decision) -> (String, Vec<String>) {
    let mut providers: Vec<&str> = Vec::new();
    for line in &d.homes {
        let name = line.provider_name();
        if !providers.contains(&name) {
            providers.push(name);
        }
    }
    match decision {
        Decision::Placed(urn) => {
            let Some(chosen) = d.line(urn) else {
                return (String::new(), Vec::new());
            };
            let fee = chosen
                .fee()
                .map(|f| format!(", {f} a week"))
                .unwrap_or_default();
            let others = providers
                .iter()
                .filter(|p| **p != chosen.provider_name())
                .count();
            (
                format!(
                    "Placed with {} ({}){fee}",
                    chosen.home.name,
                    chosen.provider_name()
                ),
                vec![
                    format!(
                        "{} will be told its offer was accepted. Send the referral through the council's own secure channels.",
                        chosen.provider_name()
                    ),
                    format!(
                        "{others} other provider{} will be told the child was placed elsewhere.",
                        if others == 1 { "" } else { "s" }
                    ),
                ],
            )
        }
        other => (
            if *other == Decision::NoSuitableOffer {
                "No suitable offer".into()
            } else {
                "Withdrawn: the council no longer needs the bed".into()
            },
            vec![format!(
                "The {} provider{} asked will be told the request closed without a placement.",
                providers.len(),
                if providers.len() == 1 { "" } else { "s" }
            )],
        ),
    }
}

/// POST: the outcome chosen is shown with what it will do, to confirm;
/// confirmed, it is recorded.
pub async fn decide(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path(reference): Path<String>,
    form: Submitted<DecisionForm>,
) -> Result<Response> {
    let errors = match form {
        Submitted::Valid(decision, form) if form.confirmed != "yes" => {
            let d = super::find(&state.db, &reference, &viewer).await?;
            match deciding::check(&d, &decision) {
                Ok(_) => {
                    let (words, consequences) = consequences(&d, &decision);
                    return Ok(render(&ConfirmPage {
                        page,
                        reference: d.reference().to_string(),
                        outcome: form.outcome,
                        decision: words,
                        consequences,
                    }));
                }
                Err(Error::Invalid(errors)) => errors,
                Err(other) => return Err(other),
            }
        }
        Submitted::Valid(decision, _) => {
            match deciding::decide(&state.db, &state.settings, &viewer, &reference, &decision).await
            {
                Ok(d) => {
                    let body = match decision {
                        Decision::Placed(_) => {
                            "The provider whose offer you took, and the others, have been emailed."
                        }
                        _ => "The providers asked have been emailed that it is closed.",
                    };
                    flash(
                        &session,
                        format!("{}: {}", d.reference(), d.status().label()),
                        Some(body.into()),
                    )
                    .await;
                    return Ok(redirect(&format!("/requests/{}", d.reference())));
                }
                Err(Error::Invalid(errors)) => errors,
                Err(other) => return Err(other),
            }
        }
        Submitted::Invalid(_, errors) => errors,
    };
    show_with_errors(
        &state,
        page,
        &viewer,
        &reference,
        errors,
        "",
        AnswerForm::default(),
    )
    .await
}

pub async fn answer(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path((reference, urn)): Path<(String, String)>,
    form: Submitted<AnswerForm>,
) -> Result<Response> {
    let (form, errors) = match form {
        Submitted::Valid(input, form) => {
            match answers::answer(&state.db, &viewer, &reference, &urn, &input).await {
                Ok(()) => {
                    flash(&session, "Answer sent to the council", None).await;
                    return Ok(redirect(&format!(
                        "/requests/{}",
                        reference.to_ascii_uppercase()
                    )));
                }
                Err(Error::Invalid(errors)) => (form, errors),
                Err(other) => return Err(other),
            }
        }
        Submitted::Invalid(form, errors) => (form, errors),
    };
    show_with_errors(
        &state,
        page,
        &viewer,
        &reference,
        errors,
        &urn.to_ascii_uppercase(),
        form,
    )
    .await
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path((reference, urn)): Path<(String, String)>,
) -> Result<Response> {
    match answers::withdraw_offer(&state.db, &viewer, &reference, &urn).await {
        Ok(()) => {
            flash(&session, "Offer withdrawn", None).await;
            Ok(redirect(&format!(
                "/requests/{}",
                reference.to_ascii_uppercase()
            )))
        }
        Err(Error::Invalid(errors)) => {
            show_with_errors(
                &state,
                page,
                &viewer,
                &reference,
                errors,
                &urn.to_ascii_uppercase(),
                AnswerForm::default(),
            )
            .await
        }
        Err(other) => Err(other),
    }
}
