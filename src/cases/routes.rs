//! Case pages: the list (council dashboard; a provider's own cases), one
//! case with its plan, actions, meetings, escalation and notes, and the
//! forms that change it. Each form posts to its own route; an invalid form
//! shows the case page again with a 422 and an error summary.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Path, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::CaseDetail;
use super::activity;
use super::forms::{
    ActionForm, ActionStatusForm, CloseForm, ConcernForm, EscalationForm, MeetingForm, NoteForm,
    OwnerForm, PlanForm,
};
use super::list::{self, Filter, StatusFilter};
use super::plan;
use super::views::{ListPage, NewPage, ShowPage};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::web::forms::{FormErrors, FormInput, Submitted};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::{DEFAULT_PER_PAGE, Pagination};
use crate::web::parse_id;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub rating: String,
    pub level: String,
    pub overdue: String,
    pub ours: String,
    pub page: crate::web::pagination::PageNumber,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            status: StatusFilter::from_code(&self.status),
            rating: importers::vocab::Judgement::from_code(&self.rating),
            level: self.level.parse().ok(),
            overdue: self.overdue == "yes",
            our_children: self.ours == "yes",
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        vec![
            ("status".into(), self.status.clone()),
            ("rating".into(), self.rating.clone()),
            ("level".into(), self.level.clone()),
            ("overdue".into(), self.overdue.clone()),
            ("ours".into(), self.ours.clone()),
        ]
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let today = Utc::now().date_naive();
    let rows = list::list(
        &state.db,
        &viewer,
        &query.filter(),
        today,
        &state.settings.cases,
    )
    .await?;
    let total = rows.len() as u64;
    let current = query.page.within(total, DEFAULT_PER_PAGE);
    let start = ((current - 1) * DEFAULT_PER_PAGE) as usize;
    let shown: Vec<_> = rows
        .iter()
        .skip(start)
        .take(DEFAULT_PER_PAGE as usize)
        .cloned()
        .collect();
    let pairs = query.pairs();
    let export_query =
        crate::web::query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut by_rating: Vec<(String, usize)> = Vec::new();
    for r in &rows {
        let label = r
            .rating
            .map(|j| j.short_label().to_string())
            .unwrap_or_else(|| "Not rated".into());
        match by_rating.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => by_rating.push((label, 1)),
        }
    }
    let by_level: Vec<(String, usize)> = state
        .settings
        .cases
        .escalation_levels
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let n = rows
                .iter()
                .filter(|r| usize::try_from(r.escalation_level).ok() == Some(i))
                .count();
            (name.clone(), n)
        })
        .collect();
    Ok(render(&ListPage {
        page,
        by_rating,
        by_level,
        overdue_count: rows.iter().filter(|r| r.has_overdue()).count(),
        ours_count: rows.iter().filter(|r| r.our_children).count(),
        total,
        rows: shown,
        pagination: Pagination::new("/cases", &pairs, current, DEFAULT_PER_PAGE, total),
        export_query,
        query,
        today,
        levels: state.settings.cases.escalation_levels.clone(),
        is_council: viewer.is_council(),
        can_import: viewer.role.edits_market(),
    }))
}

async fn export_rows(
    state: &AppState,
    viewer: &Viewer,
    query: &ListQuery,
) -> Result<crate::web::export::Table> {
    let today = Utc::now().date_naive();
    let rows = list::list(
        &state.db,
        viewer,
        &query.filter(),
        today,
        &state.settings.cases,
    )
    .await?;
    Ok(list::export_table(&rows, today, &state.settings.cases))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    Ok(export_rows(&state, &viewer, &query)
        .await?
        .csv_response("monitoring-cases.csv"))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    Ok(export_rows(&state, &viewer, &query)
        .await?
        .xlsx_response("monitoring-cases.xlsx", "Monitoring cases"))
}

/// Every form value a case page can send, kept to fill the forms again.
type Values = BTreeMap<String, String>;

async fn show_page(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
    detail: CaseDetail,
    errors: FormErrors,
    values: Values,
) -> Result<Response> {
    let status = errors.status();
    let rating = detail
        .current
        .as_ref()
        .and_then(|i| i.overall.as_deref())
        .and_then(importers::vocab::Judgement::from_code);
    let with_children = match viewer.council_id() {
        Some(council) => {
            crate::returns::store::homes_with_children_of(&state.db, council, &[detail.home.id])
                .await?
        }
        None => Default::default(),
    };
    let owners = if viewer.role.is_council() {
        super::owner_choices(&state.db, detail.case.council_id).await?
    } else {
        Vec::new()
    };
    let owner_name = match detail.case.owner_user_id {
        Some(id) => <crate::db::entities::users::Entity as sea_orm::EntityTrait>::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    let elsewhere = if viewer.is_council() {
        super::monitored_elsewhere(
            &state.db,
            detail.home.id,
            detail.case.council_id,
            state.settings.cases.meeting_interval_months,
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(render_with_status(
        status,
        &ShowPage {
            page,
            elsewhere,
            max_plan_bytes: state.settings.cases.max_plan_bytes,
            next_meeting_due: detail.next_meeting_due(state.settings.cases.meeting_interval_months),
            rating,
            our_children: with_children.contains(&detail.home.id),
            can_manage: viewer.role.edits_market() && detail.is_open(),
            can_update: (viewer.role.edits_market() || viewer.belongs_to(detail.home.provider_id))
                && detail.is_open(),
            levels: state.settings.cases.escalation_levels.clone(),
            owners,
            owner_name,
            today: Utc::now().date_naive(),
            d: detail,
            errors,
            values,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let detail = super::find(&state.db, &viewer, parse_id(&id)?).await?;
    show_page(
        &state,
        page,
        &viewer,
        detail,
        FormErrors::default(),
        Values::new(),
    )
    .await
}

/// What every change to a case needs from its request: the case is the
/// path's `{id}`.
pub struct CaseRequest {
    state: AppState,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    id: String,
}

impl FromRequestParts<AppState> for CaseRequest {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let page = PageContext::from_request_parts(parts, state).await?;
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| Error::internal("session layer missing"))?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        let id = params
            .iter()
            .find(|(k, _)| *k == "id")
            .map(|(_, v)| v.to_string())
            .ok_or(Error::NotFound)?;
        Ok(CaseRequest {
            state: state.clone(),
            page,
            session,
            viewer,
            id,
        })
    }
}

/// Runs a change on a case in one transaction; on invalid input shows the
/// case page again with the errors and what was typed.
async fn change<T, F>(
    req: CaseRequest,
    submitted: Submitted<T>,
    done: &str,
    apply: F,
) -> Result<Response>
where
    T: FormInput + Serialize,
    F: AsyncFnOnce(&sea_orm::DatabaseTransaction, &Viewer, &CaseDetail, T::Parsed) -> Result<()>,
{
    let CaseRequest {
        state,
        page,
        session,
        viewer,
        id,
    } = req;
    let id = parse_id(&id)?;
    let detail = super::find(&state.db, &viewer, id).await?;
    let (parsed, raw) = match submitted {
        Submitted::Valid(parsed, raw) => (parsed, raw),
        Submitted::Invalid(raw, errors) => {
            return show_page(&state, page, &viewer, detail, errors, values_of(&raw)).await;
        }
    };
    let applied = crate::db::in_write_transaction(&state.db, async |txn| {
        apply(txn, &viewer, &detail, parsed).await
    })
    .await;
    match applied {
        Ok(()) => {
            flash(&session, done, None).await;
            Ok(redirect(&format!("/cases/{id}")))
        }
        Err(Error::Invalid(errors)) => {
            show_page(&state, page, &viewer, detail, errors, values_of(&raw)).await
        }
        Err(e) => Err(e),
    }
}

fn values_of<T: Serialize>(raw: &T) -> Values {
    match serde_json::to_value(raw) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => Values::new(),
    }
}

// ---- Plan -------------------------------------------------------------

pub async fn save_plan(req: CaseRequest, form: Submitted<PlanForm>) -> Result<Response> {
    change(
        req,
        form,
        "Improvement plan saved",
        async move |txn, v, d, input| plan::save(txn, v, d, input).await.map(|_| ()),
    )
    .await
}

pub async fn upload_plan(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: std::result::Result<
        axum::extract::Multipart,
        axum::extract::multipart::MultipartRejection,
    >,
) -> Result<Response> {
    let detail = super::find(&state.db, &viewer, parse_id(&id)?).await?;
    let file = crate::web::upload::single_file(multipart, "file").await;
    let outcome = match file {
        Err(message) => Err(Error::field("file", message)),
        Ok((name, bytes)) => {
            let max_bytes = state.settings.cases.max_plan_bytes;
            crate::db::in_write_transaction(&state.db, async |txn| {
                plan::store(txn, &viewer, &detail, &name, bytes, max_bytes).await
            })
            .await
        }
    };
    match outcome {
        Ok(_) => {
            flash(&session, "Improvement plan uploaded", None).await;
            Ok(redirect(&format!("/cases/{}", detail.case.id)))
        }
        Err(Error::Invalid(errors)) => {
            show_page(&state, page, &viewer, detail, errors, Values::new()).await
        }
        Err(e) => Err(e),
    }
}

pub async fn plan_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, file_id)): Path<(String, String)>,
) -> Result<Response> {
    let detail = super::find(&state.db, &viewer, parse_id(&id)?).await?;
    let (name, bytes) = plan::content(&state.db, detail.case.id, parse_id(&file_id)?).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            // Downloaded, never shown inline in the service's origin.
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- Actions ----------------------------------------------------------

pub async fn add_action(req: CaseRequest, form: Submitted<ActionForm>) -> Result<Response> {
    change(req, form, "Action added", async move |txn, v, d, input| {
        activity::add_action(txn, v, d, input).await.map(|_| ())
    })
    .await
}

pub async fn update_action(
    req: CaseRequest,
    Path((_, action_id)): Path<(String, String)>,
    form: Submitted<ActionStatusForm>,
) -> Result<Response> {
    let action_id = parse_id(&action_id)?;
    change(
        req,
        form,
        "Action updated",
        async move |txn, v, d, status| {
            activity::update_action_status(txn, v, d, action_id, status)
                .await
                .map(|_| ())
        },
    )
    .await
}

// ---- Meetings ---------------------------------------------------------

pub async fn record_meeting(req: CaseRequest, form: Submitted<MeetingForm>) -> Result<Response> {
    let settings = req.state.settings.cases.clone();
    change(
        req,
        form,
        "Monitoring meeting recorded",
        async move |txn, v, d, input| {
            activity::record_meeting(txn, v, d, input, &settings)
                .await
                .map(|_| ())
        },
    )
    .await
}

// ---- Escalation and notes ---------------------------------------------

pub async fn escalate(req: CaseRequest, form: Submitted<EscalationForm>) -> Result<Response> {
    let settings = req.state.settings.cases.clone();
    change(
        req,
        form,
        "Escalation level changed",
        async move |txn, v, d, input| {
            activity::escalate(txn, v, d, input, &settings)
                .await
                .map(|_| ())
        },
    )
    .await
}

pub async fn add_note(req: CaseRequest, form: Submitted<NoteForm>) -> Result<Response> {
    change(req, form, "Note added", async move |txn, v, d, body| {
        activity::add_note(txn, v, d, body).await.map(|_| ())
    })
    .await
}

pub async fn close(req: CaseRequest, form: Submitted<CloseForm>) -> Result<Response> {
    let settings = req.state.settings.clone();
    change(req, form, "Case closed", async move |txn, v, d, closing| {
        super::close_and_alert(txn, &settings, v, d.case.id, closing)
            .await
            .map(|_| ())
    })
    .await
}

pub async fn set_owner(req: CaseRequest, form: Submitted<OwnerForm>) -> Result<Response> {
    change(
        req,
        form,
        "Case owner changed",
        async move |txn, v, d, owner| super::set_owner(txn, v, &d.case, owner).await.map(|_| ()),
    )
    .await
}

// ---- Opening a case for a concern --------------------------------------

pub async fn new_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let home = crate::returns::store::home_by_urn(&state.db, &urn).await?;
    let open = super::open_case_for(&state.db, home.id, &viewer).await?;
    Ok(render(&NewPage {
        page,
        home,
        open,
        form: ConcernForm::default(),
        errors: FormErrors::default(),
    }))
}

pub async fn open(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path(urn): Path<String>,
    form: Submitted<ConcernForm>,
) -> Result<Response> {
    let home = crate::returns::store::home_by_urn(&state.db, &urn).await?;
    let ((reason, note), _) = match form {
        Submitted::Valid(parsed, raw) => (parsed, raw),
        Submitted::Invalid(form, errors) => {
            let open = super::open_case_for(&state.db, home.id, &viewer).await?;
            return Ok(render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    page,
                    home,
                    open,
                    form,
                    errors,
                },
            ));
        }
    };
    let council = viewer.council_id().ok_or(Error::Forbidden)?;
    let (case, created) = crate::db::in_write_transaction(&state.db, async |txn| {
        super::open_concern(txn, &viewer, &home, council, reason, note).await
    })
    .await?;
    let heading = if created {
        "Monitoring case opened"
    } else {
        "This home already has an open case: add to it here"
    };
    flash(&session, heading, None).await;
    Ok(redirect(&format!("/cases/{}", case.id)))
}
