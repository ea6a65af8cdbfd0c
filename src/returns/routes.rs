//! Return pages: a provider's week, the return form with "No change" and
//! amendments, and a home's history. The council's board is in
//! `board_routes.rs`, spreadsheet uploads in `upload_routes.rs`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use importers::vocab::IsoWeek;
use serde::Deserialize;
use tower_sessions::Session;

use super::board::{self, Filter};
use super::filing::{self, Filed, Filing, NoChange};
use super::form::{Action, ReturnForm};
use super::parse_week;
use super::store;
use super::views::{FormPage, HistoryPage, NoChangeAllPage, ProviderPage, ProviderRow, week_label};
use super::{Source, Status, this_week};
use crate::app::AppState;
use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::organisations;
use crate::web::forms::FormErrors;
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash, notice};

fn new_key() -> String {
    crate::auth::tokens::random_token()
}

/// Where a filing sends the user next.
fn after_filing(viewer: &Viewer, urn: &str) -> String {
    if viewer.role == Role::Provider {
        "/".into()
    } else {
        format!("/homes/{urn}")
    }
}

/// "Your homes this week", a provider's landing page.
pub async fn provider_week(
    state: &AppState,
    page: PageContext,
    viewer: &Viewer,
    week: Option<IsoWeek>,
) -> Result<Response> {
    let organisation_id = viewer.organisation_id.ok_or(Error::Forbidden)?;
    let org = organisations::find(&state.db, organisation_id).await?;
    let week = week.unwrap_or_else(this_week);
    let filter = Filter {
        provider_id: Some(organisation_id),
        ..Default::default()
    };
    let board = board::week(&state.db, viewer, week, &filter, &state.settings).await?;
    let mut rows = Vec::with_capacity(board.rows.len());
    for row in board.rows {
        let previous = store::latest_before(&state.db, row.home.id, week)
            .await?
            .map(|v| v.ret);
        rows.push(ProviderRow { row, previous });
    }
    Ok(render(&ProviderPage {
        page,
        organisation_name: org.name,
        is_current_week: week == this_week(),
        week,
        due: board.due,
        rows,
    }))
}

pub async fn form_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path((urn, week)): Path<(String, String)>,
) -> Result<Response> {
    let week = parse_week(&week)?;
    let home = store::home_by_urn(&state.db, &urn).await?;
    // A week that may not be filed says why, before any form.
    filing::may_file(&viewer, &home, week, chrono::Utc::now(), &state.settings)?;
    let facts = store::facts(&state.db, &home).await?;
    let current = store::current(&state.db, home.id, week).await?;
    let members = crate::regions::members_for_home(&state.db, &home).await?;
    let (form, prefilled_from, current_version) = match &current {
        Some(view) => (
            ReturnForm::from_input(&view.to_input(), &new_key(), &members),
            None,
            Some(view.ret.version),
        ),
        None => match store::latest_before(&state.db, home.id, week).await? {
            Some(previous) => (
                ReturnForm::from_input(&previous.to_input(), &new_key(), &members),
                Some(previous.week()),
                None,
            ),
            None => (
                ReturnForm::from_input(&Default::default(), &new_key(), &members),
                None,
                None,
            ),
        },
    };
    let mut form = form;
    if current.is_none() && prefilled_from.is_none() {
        // A first return: the counts are for the user to type in.
        form.clear("occupied_outside_region");
    }
    let status = Status::of(
        current.as_ref().map(|c| c.ret.late),
        chrono::Utc::now(),
        state.settings.returns.due(week),
    );
    Ok(render(&FormPage {
        page,
        facts,
        week,
        due: state.settings.returns.due(week),
        status,
        form,
        errors: FormErrors::default(),
        members,
        prefilled_from,
        current_version,
    }))
}

pub async fn submit(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path((urn, week)): Path<(String, String)>,
    mut form: ReturnForm,
) -> Result<Response> {
    let week = parse_week(&week)?;
    let home = store::home_by_urn(&state.db, &urn).await?;
    let facts = store::facts(&state.db, &home).await?;
    let current = store::current(&state.db, home.id, week).await?;
    let members = crate::regions::members_for_home(&state.db, &home).await?;
    let again = |form: ReturnForm, errors: FormErrors, page: PageContext| {
        let status = errors.status();
        render_with_status(
            status,
            &FormPage {
                page,
                facts: facts.clone(),
                week,
                due: state.settings.returns.due(week),
                status: Status::of(
                    current.as_ref().map(|c| c.ret.late),
                    chrono::Utc::now(),
                    state.settings.returns.due(week),
                ),
                form,
                errors,
                members: members.clone(),
                prefilled_from: None,
                current_version: current.as_ref().map(|c| c.ret.version),
            },
        )
    };
    match form.action() {
        Action::AddVacancy => {
            form.add_group(&facts, week.monday());
            return Ok(again(form, FormErrors::default(), page));
        }
        Action::RemoveVacancy(i) => {
            form.remove_group(i);
            return Ok(again(form, FormErrors::default(), page));
        }
        Action::File => {}
    }
    let input = match form.parse(facts.states_capacity(), &members) {
        Ok(input) => input,
        Err(errors) => return Ok(again(form, errors, page)),
    };
    let filing = Filing {
        idempotency_key: form.idempotency_key(),
        ..Filing::new(Source::Form)
    };
    let filed = match filing::file_now(
        &state.db,
        &viewer,
        &home,
        week,
        &input,
        filing,
        &state.settings,
    )
    .await
    {
        Ok(filed) => filed,
        Err(Error::Invalid(errors)) => return Ok(again(form, errors, page)),
        Err(other) => return Err(other),
    };
    let heading = match &filed {
        Filed::Repeated(_) => format!("This return for {} was already filed", home.name),
        Filed::Unchanged(_) => format!(
            "Nothing changed: {}'s return for {week} already says this",
            home.name
        ),
        Filed::New(view) if view.ret.version > 1 => format!(
            "Return for {} amended ({}, version {})",
            home.name, week, view.ret.version
        ),
        Filed::New(_) => format!("Return for {} filed ({week})", home.name),
    };
    flash(
        &session,
        heading,
        Some(format!(
            "{} admittable vacancies reported for the {}.",
            filed.view().ret.vacancies,
            week_label(week)
        )),
    )
    .await;
    Ok(redirect(&after_filing(&viewer, &home.urn)))
}

async fn copy_forward(
    state: &AppState,
    viewer: &Viewer,
    urn: &str,
    week: IsoWeek,
    session: &Session,
) -> Result<String> {
    let home = store::home_by_urn(&state.db, urn).await?;
    let outcome = filing::no_change_now(&state.db, viewer, &home, week, &state.settings).await?;
    let form = format!("/homes/{}/returns/{week}", home.urn);
    Ok(match outcome {
        NoChange::Filed(_) => {
            flash(
                session,
                format!("No change filed for {}", home.name),
                Some(format!(
                    "Last week's figures were filed for the {}.",
                    week_label(week)
                )),
            )
            .await;
            after_filing(viewer, &home.urn)
        }
        NoChange::AlreadyFiled(_) => {
            flash(
                session,
                format!("{} has already filed for {week}", home.name),
                None,
            )
            .await;
            after_filing(viewer, &home.urn)
        }
        NoChange::NothingToCopy => {
            notice(
                session,
                format!("{} has no earlier return to copy", home.name),
                Some("Fill in this week's return instead.".into()),
            )
            .await;
            form
        }
        NoChange::NoLongerFits(why) => {
            notice(
                session,
                format!("Last week's figures for {} no longer fit", home.name),
                Some(format!("{why}. Update the return instead.")),
            )
            .await;
            form
        }
        NoChange::Refused(why) => {
            notice(
                session,
                format!("Nothing filed for {}", home.name),
                Some(why),
            )
            .await;
            after_filing(viewer, &home.urn)
        }
    })
}

pub async fn no_change(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path((urn, week)): Path<(String, String)>,
) -> Result<Response> {
    let week = parse_week(&week)?;
    let next = copy_forward(&state, &viewer, &urn, week, &session).await?;
    Ok(redirect(&next))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WeekForm {
    pub week: String,
}

/// "No change for all homes", asked once: the homes it will file.
pub async fn no_change_all_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(form): Query<WeekForm>,
) -> Result<Response> {
    let week = if form.week.is_empty() {
        this_week()
    } else {
        parse_week(&form.week)?
    };
    let homes = filing::still_to_file(&state.db, &viewer, week, &state.settings).await?;
    let (mut copyable, mut without) = (Vec::new(), Vec::new());
    for (home, previous) in homes {
        match previous {
            Some(view) => copyable.push((home, view.ret)),
            None => without.push(home),
        }
    }
    Ok(render(&NoChangeAllPage {
        page,
        week,
        copyable,
        without,
    }))
}

/// "No change for all homes": every home of the provider not yet filed this
/// week that has an earlier return, in one transaction.
pub async fn no_change_all(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    axum::Form(form): axum::Form<WeekForm>,
) -> Result<Response> {
    let week = if form.week.is_empty() {
        this_week()
    } else {
        parse_week(&form.week)?
    };
    let done = filing::no_change_for_all(&state.db, &viewer, week, &state.settings).await?;
    let (filed, skipped) = (done.filed.len(), done.skipped);
    let plural = if filed == 1 { "return" } else { "returns" };
    if skipped.is_empty() {
        flash(
            &session,
            format!("{filed} {plural} filed with no change"),
            Some(format!("For the {}.", week_label(week))),
        )
        .await;
    } else {
        notice(
            &session,
            format!(
                "{filed} {plural} filed with no change; {} still to do",
                skipped.len()
            ),
            Some(format!(
                "{}. Fill in their returns with the form.",
                skipped.join("; ")
            )),
        )
        .await;
    }
    Ok(redirect(&if week == this_week() {
        "/".to_string()
    } else {
        format!("/?week={week}")
    }))
}

pub async fn history(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let home = store::home_by_urn(&state.db, &urn).await?;
    let versions = store::versions(&state.db, home.id, 520).await?;
    Ok(render(&HistoryPage {
        page,
        can_file: viewer.role.edits_market() || viewer.belongs_to(home.provider_id),
        home,
        versions,
    }))
}
