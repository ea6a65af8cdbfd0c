//! Organisation pages: list and export (council staff), detail with homes
//! (council staff and the organisation's own users), create, edit and merge
//! (admins and commissioners).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use importers::vocab::Sector;
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use super::views::{FormPage, ListPage, MergeChoosePage, MergeConfirmPage, ShowPage};
use super::{Filter, Kind, OrganisationInput, Sort};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::homes;
use crate::web::export::{ExportCell, Table};
use crate::web::forms::{FormErrors, FormInput, Submitted, optional, saved_or_form_again};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::{DEFAULT_PER_PAGE, Pagination};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    kind: String,
    sector: String,
    q: String,
    sort: String,
    page: crate::web::pagination::PageNumber,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            kind: Kind::from_code(&self.kind),
            sector: Sector::from_code(&self.sector),
            q: optional(&self.q),
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        vec![
            ("kind".into(), self.kind.clone()),
            ("sector".into(), self.sector.clone()),
            ("q".into(), self.q.clone()),
            ("sort".into(), self.sort.clone()),
        ]
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (rows, total) = super::list(
        &state.db,
        &query.filter(),
        Sort::from_code(&query.sort),
        query.page,
        DEFAULT_PER_PAGE,
    )
    .await?;
    let pairs = query.pairs();
    Ok(render(&ListPage {
        page,
        rows,
        pagination: Pagination::new(
            "/organisations",
            &pairs,
            query.page.get(),
            DEFAULT_PER_PAGE,
            total,
        ),
        export_href: format!(
            "/organisations/export.csv?{}",
            crate::web::query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        ),
        kind: query.kind,
        sector: query.sector,
        q: query.q,
        sort: query.sort,
        sectors: Sector::ALL,
        can_edit: viewer.role.edits_market(),
    }))
}

pub async fn export_csv(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let (rows, _) = super::list(
        &state.db,
        &query.filter(),
        Sort::from_code(&query.sort),
        crate::web::pagination::PageNumber::FIRST,
        u64::MAX / 2,
    )
    .await?;
    let table = Table {
        headers: vec![
            "Name",
            "Kind",
            "Sector",
            "Contact email",
            "Ownership note",
            "Homes",
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    ExportCell::from(r.name.clone()),
                    r.kind_label().into(),
                    r.sector_label().into(),
                    r.contact_email.clone().into(),
                    r.ownership_note.clone().into(),
                    r.homes.into(),
                ]
            })
            .collect(),
    };
    Ok(table.csv_response("organisations.csv"))
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let org = super::find(&state.db, crate::web::parse_id(&id)?).await?;
    let org_id = org.id;
    let kind = super::kind_of(&org);
    let filter = match kind {
        Kind::Council => homes::Filter {
            council_id: Some(org.id),
            ..Default::default()
        },
        Kind::Provider => homes::Filter {
            provider_id: Some(org.id),
            ..Default::default()
        },
    };
    let (rows, total) = homes::list(
        &state.db,
        &viewer,
        &filter,
        homes::Sort::default(),
        crate::web::pagination::PageNumber::FIRST,
        100,
    )
    .await?;
    let key = if kind == Kind::Council {
        "council"
    } else {
        "provider"
    };
    Ok(render(&ShowPage {
        page,
        kind_label: kind.label(),
        sector_label: super::sector_label(org.sector.as_deref()),
        homes_href: format!("/homes?{key}={}", org.id),
        org,
        homes: rows,
        homes_total: total,
        can_edit: viewer.role.edits_market(),
        is_council: viewer.is_council(),
        aliases: super::merge::aliases_of(&state.db, org_id).await?,
    }))
}

#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct OrganisationForm {
    pub kind: String,
    #[validate(length(min = 1, message = "Enter the organisation's name"))]
    pub name: String,
    pub sector: String,
    pub contact_email: String,
    #[validate(length(
        max = 2000,
        message = "Ownership note must be 2,000 characters or fewer"
    ))]
    pub ownership_note: String,
}

impl OrganisationForm {
    fn from_model(org: &crate::db::entities::organisations::Model) -> Self {
        OrganisationForm {
            kind: org.kind.clone(),
            name: org.name.clone(),
            sector: org.sector.clone().unwrap_or_default(),
            contact_email: org.contact_email.clone().unwrap_or_default(),
            ownership_note: org.ownership_note.clone().unwrap_or_default(),
        }
    }
}

impl FormInput for OrganisationForm {
    type Parsed = OrganisationInput;
    const FIELDS: &'static [&'static str] =
        &["kind", "name", "sector", "contact_email", "ownership_note"];

    fn parse(&self) -> Result<OrganisationInput, FormErrors> {
        let mut errors = FormErrors::default();
        if self.name.trim().chars().count() > 200 {
            errors.add("name", "Name must be 200 characters or fewer");
        }
        let kind = Kind::from_code(&self.kind).unwrap_or(Kind::Provider);
        let sector = match self.sector.trim() {
            "" => None,
            code => Sector::from_code(code).or_else(|| {
                errors.add("sector", "Select a sector from the list");
                None
            }),
        };
        let contact_email = optional(&self.contact_email);
        if let Some(email) = &contact_email
            && !validator::ValidateEmail::validate_email(email)
        {
            errors.add(
                "contact_email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        errors.into_result(OrganisationInput {
            kind,
            name: self.name.trim().to_string(),
            sector,
            contact_email,
            ownership_note: optional(&self.ownership_note),
            ons_code: None,
        })
    }
}

fn form_page(
    page: PageContext,
    form: OrganisationForm,
    errors: FormErrors,
    id: Option<i64>,
) -> Response {
    let status = errors.status();
    render_with_status(
        status,
        &FormPage {
            page,
            form,
            errors,
            sectors: Sector::ALL,
            id,
        },
    )
}

pub async fn new_page(page: PageContext) -> Response {
    form_page(
        page,
        OrganisationForm {
            kind: "provider".into(),
            ..Default::default()
        },
        FormErrors::default(),
        None,
    )
}

pub async fn create(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    form: Submitted<OrganisationForm>,
) -> Result<Response> {
    let (input, raw) = match form {
        Submitted::Valid(input, raw) => (input, raw),
        Submitted::Invalid(raw, errors) => return Ok(form_page(page, raw, errors, None)),
    };
    saved_or_form_again(
        super::create_now(&state.db, &viewer, input).await,
        &session,
        |org| {
            (
                format!("{} added", org.name),
                format!("/organisations/{}", org.id),
            )
        },
        async |errors| Ok(form_page(page, raw, errors, None)),
    )
    .await
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: PageContext,
    Path(id): Path<String>,
) -> Result<Response> {
    let org = super::find(&state.db, crate::web::parse_id(&id)?).await?;
    Ok(form_page(
        page,
        OrganisationForm::from_model(&org),
        FormErrors::default(),
        Some(org.id),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
    form: Submitted<OrganisationForm>,
) -> Result<Response> {
    let id = crate::web::parse_id(&id)?;
    let (input, raw) = match form {
        Submitted::Valid(input, raw) => (input, raw),
        Submitted::Invalid(raw, errors) => return Ok(form_page(page, raw, errors, Some(id))),
    };
    saved_or_form_again(
        super::update_now(&state.db, &viewer, id, input).await,
        &session,
        |org| {
            (
                format!("{} updated", org.name),
                format!("/organisations/{}", org.id),
            )
        },
        async |errors| Ok(form_page(page, raw, errors, Some(id))),
    )
    .await
}

// ---- Merging two organisations -----------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeQuery {
    into: String,
    q: String,
}

/// Choosing the organisation to merge into, or, with `?into=`, the
/// confirmation page listing what moves.
pub async fn merge_page(
    State(state): State<AppState>,
    page: PageContext,
    Path(id): Path<String>,
    Query(query): Query<MergeQuery>,
) -> Result<Response> {
    let org = super::find(&state.db, crate::web::parse_id(&id)?).await?;
    let errors = match query.into.trim().parse::<i64>() {
        Ok(into) => match super::merge::preview(&state.db, org.id, into).await {
            Ok(merge) => return Ok(render(&MergeConfirmPage { page, merge })),
            Err(Error::Invalid(errors)) => errors,
            Err(other) => return Err(other),
        },
        Err(_) => FormErrors::default(),
    };
    let (likely, found) = super::merge::candidates(&state.db, &org, Some(&query.q)).await?;
    let status = errors.status();
    Ok(render_with_status(
        status,
        &MergeChoosePage {
            page,
            org,
            likely,
            found,
            q: query.q,
            errors,
        },
    ))
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, Validate)]
#[serde(default)]
pub struct MergeForm {
    pub into: String,
}

impl FormInput for MergeForm {
    type Parsed = i64;
    const FIELDS: &'static [&'static str] = &["into"];

    fn parse(&self) -> Result<i64, FormErrors> {
        self.into.trim().parse().map_err(|_| {
            let mut errors = FormErrors::default();
            errors.add("into", "Choose the organisation to merge into");
            errors
        })
    }
}

pub async fn merge(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
    form: Submitted<MergeForm>,
) -> Result<Response> {
    let from = crate::web::parse_id(&id)?;
    let into = match form {
        Submitted::Valid(into, _) => into,
        Submitted::Invalid(..) => return Ok(redirect(&format!("/organisations/{from}/merge"))),
    };
    let merged = super::merge::merge_now(&state.db, &viewer, from, into).await?;
    flash(
        &session,
        format!("'{}' merged into {}", merged.from.name, merged.into.name),
        Some(format!(
            "{} homes and {} users moved. Imports will match '{}' to this organisation.",
            merged.homes.len(),
            merged.users.len(),
            merged.from.name
        )),
    )
    .await;
    Ok(redirect(&format!("/organisations/{into}")))
}

// ---- Placements contact ------------------------------------------------

fn contact_page(
    page: PageContext,
    org: &crate::db::entities::organisations::Model,
    form: super::contact::ContactForm,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    render_with_status(
        status,
        &super::views::ContactPage {
            page,
            of: org.name.clone(),
            back: format!("/organisations/{}", org.id),
            action: format!("/organisations/{}/contact", org.id),
            form,
            errors,
            default_note: Some(
                "This is the contact for every home of the organisation; a home can have its own on its page.".into(),
            ),
        },
    )
}

pub async fn contact_form(
    State(state): State<AppState>,
    page: PageContext,
    Path(id): Path<String>,
) -> Result<Response> {
    let org = super::find(&state.db, crate::web::parse_id(&id)?).await?;
    let form =
        super::contact::ContactForm::from_contact(&super::contact::Contact::of_organisation(&org));
    Ok(contact_page(page, &org, form, FormErrors::default()))
}

pub async fn save_contact(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
    form: Submitted<super::contact::ContactForm>,
) -> Result<Response> {
    let org = super::find(&state.db, crate::web::parse_id(&id)?).await?;
    let contact = match form {
        Submitted::Valid(contact, _) => contact,
        Submitted::Invalid(raw, errors) => return Ok(contact_page(page, &org, raw, errors)),
    };
    super::contact::set_for_organisation(&state.db, &viewer, &org, contact).await?;
    flash(
        &session,
        format!("Placements contact of {} saved", org.name),
        None,
    )
    .await;
    Ok(redirect(&format!("/organisations/{}", org.id)))
}

// ---- Type-to-find suggestions ------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChoicesQuery {
    kind: String,
    q: String,
}

/// Organisations whose names contain what was typed, for the pickers
/// (`assets/app/picker.mjs`): at most 20, by name.
pub async fn choices_json(
    State(state): State<AppState>,
    Query(query): Query<ChoicesQuery>,
) -> Result<axum::Json<Vec<super::pick::Choice>>> {
    let kind = Kind::from_code(&query.kind).unwrap_or(Kind::Provider);
    let found = super::pick::choices(&state.db, kind, &query.q).await?;
    Ok(axum::Json(found))
}
