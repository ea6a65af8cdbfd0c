//! Reporting and confirming inspections: a provider reports an outcome as
//! soon as it has one; council staff record one by hand or confirm a
//! provider's report.

use axum::extract::{Path, State};
use axum::response::Response;
use importers::vocab::{EventType, Judgement};
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use super::inspections::{self, InspectionInput};
use super::views::ReportPage;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::db::entities::homes;
use crate::error::{Error, Result};
use crate::returns::store::home_by_urn;
use crate::web::forms::{FormErrors, FormInput, Submitted, date_from_parts, optional};
use crate::web::html::{redirect, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::parse_id;

#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ReportForm {
    pub event_type: String,
    pub date_day: String,
    pub date_month: String,
    pub date_year: String,
    pub overall: String,
    pub helped_protected: String,
    pub leaders_managers: String,
    #[validate(length(max = 500, message = "The link must be 500 characters or fewer"))]
    pub report_url: String,
}

fn judgement(errors: &mut FormErrors, field: &str, code: &str) -> Option<Judgement> {
    match code.trim() {
        "" => None,
        code => Judgement::from_code(code).or_else(|| {
            errors.add(field, "Select a judgement from the list");
            None
        }),
    }
}

impl FormInput for ReportForm {
    type Parsed = InspectionInput;
    const FIELDS: &'static [&'static str] = &[
        "event_type",
        "date",
        "overall",
        "helped_protected",
        "leaders_managers",
        "report_url",
    ];

    fn parse(&self) -> Result<InspectionInput, FormErrors> {
        let mut errors = FormErrors::default();
        let event_type = EventType::from_code(&self.event_type);
        if event_type.is_none() {
            errors.add("event_type", "Select the kind of inspection");
        }
        let date = date_from_parts(
            &mut errors,
            "date",
            "Inspection date",
            [&self.date_day, &self.date_month, &self.date_year],
            true,
        );
        let overall = judgement(&mut errors, "overall", &self.overall);
        let helped_protected = judgement(&mut errors, "helped_protected", &self.helped_protected);
        let leaders_managers = judgement(&mut errors, "leaders_managers", &self.leaders_managers);
        let report_url = match optional(&self.report_url) {
            None => None,
            Some(text) => url::Url::parse(&text).ok().or_else(|| {
                errors.add(
                    "report_url",
                    "Enter the link to the report on Ofsted's website, starting https://reports.ofsted.gov.uk/",
                );
                None
            }),
        };
        match (event_type, date) {
            (Some(event_type), Some(date)) if errors.is_empty() => Ok(InspectionInput {
                event_type,
                date,
                overall,
                helped_protected,
                leaders_managers,
                report_url,
            }),
            _ => Err(errors),
        }
    }
}

fn page_for(
    page: PageContext,
    home: homes::Model,
    viewer: &Viewer,
    form: ReportForm,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let judgements = inspections::judgements_for(inspections::scale_of(&home));
    render_with_status(
        status,
        &ReportPage {
            page,
            by_council: viewer.role.edits_market(),
            home,
            form,
            errors,
            judgements,
        },
    )
}

pub async fn new_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let home = home_by_urn(&state.db, &urn).await?;
    let form = ReportForm {
        event_type: EventType::Full.code().into(),
        ..Default::default()
    };
    Ok(page_for(page, home, &viewer, form, FormErrors::default()))
}

pub async fn create(
    State(state): State<AppState>,
    page: PageContext,
    session: Session,
    viewer: Viewer,
    Path(urn): Path<String>,
    form: Submitted<ReportForm>,
) -> Result<Response> {
    let home = home_by_urn(&state.db, &urn).await?;
    let (input, raw) = match form {
        Submitted::Valid(input, raw) => (input, raw),
        Submitted::Invalid(raw, errors) => return Ok(page_for(page, home, &viewer, raw, errors)),
    };
    match inspections::record_and_alert(&state.db, &state.settings, &viewer, &home, &input).await {
        Ok(_) => {
            let heading = if viewer.role.edits_market() {
                "Inspection recorded"
            } else {
                "Inspection reported: the council will confirm it"
            };
            flash(&session, heading, None).await;
            Ok(redirect(&format!("/homes/{}#inspections", home.urn)))
        }
        Err(Error::Invalid(errors)) => Ok(page_for(page, home, &viewer, raw, errors)),
        Err(e) => Err(e),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    viewer: Viewer,
    Path((urn, id)): Path<(String, String)>,
) -> Result<Response> {
    let home = home_by_urn(&state.db, &urn).await?;
    inspections::confirm_and_alert(&state.db, &state.settings, &viewer, &home, parse_id(&id)?)
        .await?;
    flash(&session, "Provider's report confirmed", None).await;
    Ok(redirect(&format!("/homes/{}#inspections", home.urn)))
}
