//! Administrators' pages for the region's member councils: the list, adding
//! one by ONS code, changing its short name and localities, removing it.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use super::views::{CouncilPage, CouncilsPage};
use super::{Added, CouncilNames, MemberChange, OnsCode};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::web::forms::{FormErrors, FormInput, Submitted, saved_or_form_again};
use crate::web::html::{redirect, render_with_status};
use crate::web::page::{PageContext, flash};

/// "Add a council": its ONS code.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct AddForm {
    pub code: String,
}

impl FormInput for AddForm {
    type Parsed = OnsCode;
    const FIELDS: &'static [&'static str] = &["code"];

    fn parse(&self) -> Result<OnsCode, FormErrors> {
        OnsCode::parse(&self.code).map_err(|message| {
            let mut errors = FormErrors::default();
            errors.add("code", message);
            errors
        })
    }
}

/// A member's settings as typed.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct CouncilForm {
    pub short_name: String,
    pub localities: String,
}

impl FormInput for CouncilForm {
    type Parsed = MemberChange;
    const FIELDS: &'static [&'static str] = &["short_name", "localities"];

    fn parse(&self) -> Result<MemberChange, FormErrors> {
        let mut errors = FormErrors::default();
        if self.short_name.trim().chars().count() > 40 {
            errors.add("short_name", "Short name must be 40 characters or fewer");
        }
        let localities = super::parse_localities(&self.localities).unwrap_or_else(|message| {
            errors.add("localities", message);
            Vec::new()
        });
        errors.into_result(MemberChange {
            short_name: Some(self.short_name.clone()),
            localities,
        })
    }
}

async fn list_page(
    state: &AppState,
    page: PageContext,
    form: AddForm,
    errors: FormErrors,
) -> Result<Response> {
    let members = super::members(&state.db).await?;
    let staff = super::staff_counts(&state.db).await?;
    let status = errors.status();
    Ok(render_with_status(
        status,
        &CouncilsPage {
            page,
            members,
            staff,
            form,
            errors,
        },
    ))
}

pub async fn list(State(state): State<AppState>, page: PageContext) -> Result<Response> {
    list_page(&state, page, AddForm::default(), FormErrors::default()).await
}

pub async fn add(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    form: Submitted<AddForm>,
) -> Result<Response> {
    let (code, raw) = match form {
        Submitted::Valid(code, raw) => (code, raw),
        Submitted::Invalid(raw, errors) => return list_page(&state, page, raw, errors).await,
    };
    let names = CouncilNames::load(&state.settings.map.boundaries_file);
    let added = crate::db::in_write_transaction(&state.db, async |txn| {
        super::add(txn, &viewer, &code, &names, None, Vec::new()).await
    })
    .await;
    saved_or_form_again(
        added,
        &session,
        |(member, added)| {
            let message = match added {
                Added::Added => format!("{} added to the region", member.name),
                Added::AlreadyMember => format!("{} is already a member", member.name),
            };
            (message, format!("/councils/{}", member.id))
        },
        async |errors| list_page(&state, page, raw, errors).await,
    )
    .await
}

async fn council_page(
    state: &AppState,
    page: PageContext,
    id: i64,
    form: Option<CouncilForm>,
    errors: FormErrors,
) -> Result<Response> {
    let member = super::member(&state.db, id).await?.ok_or(Error::NotFound)?;
    let form = form.unwrap_or_else(|| CouncilForm {
        short_name: member.short_name.clone(),
        localities: super::localities_text(&member.localities),
    });
    let status = errors.status();
    Ok(render_with_status(
        status,
        &CouncilPage {
            page,
            member,
            form,
            errors,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = crate::web::parse_id(&id)?;
    council_page(&state, page, id, None, FormErrors::default()).await
}

pub async fn update(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
    form: Submitted<CouncilForm>,
) -> Result<Response> {
    let id = crate::web::parse_id(&id)?;
    let (change, raw) = match form {
        Submitted::Valid(change, raw) => (change, raw),
        Submitted::Invalid(raw, errors) => {
            return council_page(&state, page, id, Some(raw), errors).await;
        }
    };
    let updated = crate::db::in_write_transaction(&state.db, async |txn| {
        super::update(txn, &viewer, id, change).await
    })
    .await;
    saved_or_form_again(
        updated,
        &session,
        |member| (format!("{} updated", member.name), "/councils".into()),
        async |errors| council_page(&state, page, id, Some(raw), errors).await,
    )
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = crate::web::parse_id(&id)?;
    let removed = crate::db::in_write_transaction(&state.db, async |txn| {
        super::remove(txn, &viewer, id).await
    })
    .await?;
    flash(
        &session,
        format!("{} removed from the region", removed.name),
        Some("Its cases and searches are kept; its staff can no longer be added.".into()),
    )
    .await;
    Ok(redirect("/councils"))
}
