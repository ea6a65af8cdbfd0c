//! Home pages: the list (with filters, sort, pages and CSV export), the home
//! page, and the add and edit forms.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use importers::vocab::{Contract, Need, ProvisionType, RegistrationStatus, Sector, Sexes};
use tower_sessions::Session;

use super::form::HomeForm;
use super::views::{FormPage, ListPage, ListQuery, RATING_OPTIONS, ShowPage};
use super::{Area, Filter, RatingFilter, Sort, StatusFilter};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::Result;
use crate::organisations::{self, Kind};
use crate::web::forms::{FormErrors, Submitted, optional, saved_or_form_again};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::{DEFAULT_PER_PAGE, Pagination};

fn filter(query: &ListQuery) -> Filter {
    Filter {
        provision_type: ProvisionType::from_code(&query.provision_type),
        rating: RatingFilter::from_code(&query.rating),
        locality: optional(&query.locality),
        provider_id: query.provider.parse().ok(),
        owner: optional(&query.owner),
        council_id: query.council.parse().ok(),
        status: StatusFilter::from_code(&query.status),
        q: optional(&query.q),
        flagged: None,
    }
}

/// Every member council's localities, for the home form's list.
async fn localities(state: &AppState) -> Result<Vec<String>> {
    let mut names: Vec<String> = crate::regions::members(&state.db)
        .await?
        .iter()
        .flat_map(|m| m.locality_names())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

async fn area(state: &AppState) -> Result<Area> {
    Ok(Area {
        members: crate::regions::members(&state.db).await?,
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let sort = Sort::from_codes(&query.sort, &query.dir);
    let (rows, total) = super::list(
        &state.db,
        &viewer,
        &filter(&query),
        sort,
        query.page,
        DEFAULT_PER_PAGE,
    )
    .await?;
    let provider_name = match query.provider.parse::<i64>() {
        Ok(id) if viewer.is_council() => organisations::find(&state.db, id)
            .await
            .ok()
            .map(|o| o.name),
        _ => None,
    };
    let councils = if viewer.is_council() {
        super::council_choices(&state.db).await?
    } else {
        Vec::new()
    };
    Ok(render(&ListPage {
        pagination: Pagination::new(
            "/homes",
            &query.pairs(),
            query.page.get(),
            DEFAULT_PER_PAGE,
            total,
        ),
        page,
        rows,
        query,
        types: ProvisionType::ALL,
        ratings: &RATING_OPTIONS,
        localities: localities(&state).await?,
        councils,
        provider_name,
        can_add: viewer.role.edits_market(),
        is_council: viewer.is_council(),
    }))
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let sort = Sort::from_codes(&query.sort, &query.dir);
    let table = super::export_table(&state.db, &viewer, &filter(&query), sort).await?;
    Ok(table.csv_response("homes.csv"))
}

pub async fn show(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let d = super::find_detail(&state.db, &viewer, &urn).await?;
    let returns = crate::returns::summary::for_home(
        &state.db,
        d.home.id,
        &d.home.name,
        viewer.council_id(),
        &state.settings,
    )
    .await?;
    let case = crate::cases::open_case_for(&state.db, d.home.id, &viewer).await?;
    let flag = d.current().and_then(crate::quality::flag_of);
    Ok(render(&ShowPage {
        page,
        d,
        returns,
        case,
        flag,
        council_editor: viewer.role.edits_market(),
    }))
}

async fn form_page(
    state: &AppState,
    page: PageContext,
    form: HomeForm,
    errors: FormErrors,
    urn: Option<String>,
) -> Result<Response> {
    let status = errors.status();
    let councils = if form.with_registration() {
        organisations::choices(&state.db, Some(Kind::Council)).await?
    } else {
        Vec::new()
    };
    Ok(render_with_status(
        status,
        &FormPage {
            page,
            form,
            errors,
            urn,
            types: ProvisionType::ALL,
            sectors: Sector::ALL,
            statuses: RegistrationStatus::ALL,
            sexes: Sexes::ALL,
            needs: Need::ALL,
            contracts: Contract::ALL,
            localities: localities(state).await?,
            councils,
        },
    ))
}

pub async fn new_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
) -> Result<Response> {
    let mut form = HomeForm::blank();
    if let Some(id) = viewer.council_id() {
        form.host_council_id = id.to_string();
    }
    form_page(&state, page, form, FormErrors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    form: Submitted<HomeForm>,
) -> Result<Response> {
    let (input, raw) = match form {
        Submitted::Valid(input, raw) => (input, raw),
        Submitted::Invalid(raw, errors) => return form_page(&state, page, raw, errors, None).await,
    };
    let area = area(&state).await?;
    saved_or_form_again(
        super::create_now(&state.db, &viewer, input, &area).await,
        &session,
        |home| {
            (
                format!("{} added", home.name),
                format!("/homes/{}", home.urn),
            )
        },
        async |errors| form_page(&state, page, raw, errors, None).await,
    )
    .await
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let d = super::find_detail(&state.db, &viewer, &urn).await?;
    let form = HomeForm::from_detail(&d, viewer.role.edits_market());
    form_page(&state, page, form, FormErrors::default(), Some(d.home.urn)).await
}

pub async fn update(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path(urn): Path<String>,
    form: Submitted<HomeForm>,
) -> Result<Response> {
    let (input, raw) = match form {
        Submitted::Valid(input, raw) => (input, raw),
        Submitted::Invalid(raw, errors) => {
            return form_page(&state, page, raw, errors, Some(urn)).await;
        }
    };
    let area = area(&state).await?;
    saved_or_form_again(
        super::update_now(&state.db, &viewer, &urn, input, &area).await,
        &session,
        |home| {
            (
                format!("{} updated", home.name),
                format!("/homes/{}", home.urn),
            )
        },
        async |errors| form_page(&state, page, raw, errors, Some(urn)).await,
    )
    .await
}

// ---- Placements contact ------------------------------------------------

fn contact_page(
    page: PageContext,
    home: &crate::db::entities::homes::Model,
    provider: Option<&crate::db::entities::organisations::Model>,
    form: organisations::contact::ContactForm,
    errors: FormErrors,
) -> Response {
    let status = errors.status();
    let inherited = provider
        .map(organisations::contact::Contact::of_organisation)
        .filter(|c| !c.is_empty());
    let default_note = Some(match (provider, inherited) {
        (Some(p), Some(c)) => format!(
            "Leave these empty to use {}'s contact: {}.",
            p.name,
            c.summary()
        ),
        (Some(p), None) => format!(
            "Leave these empty to use {}'s contact, when it has one.",
            p.name
        ),
        (None, _) => "This home has no provider recorded: give its own contact.".into(),
    });
    render_with_status(
        status,
        &organisations::views::ContactPage {
            page,
            of: home.name.clone(),
            back: format!("/homes/{}", home.urn),
            action: format!("/homes/{}/contact", home.urn),
            form,
            errors,
            default_note,
        },
    )
}

pub async fn contact_form(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Path(urn): Path<String>,
) -> Result<Response> {
    let d = super::find_detail(&state.db, &viewer, &urn).await?;
    let form = organisations::contact::ContactForm::from_contact(
        &organisations::contact::Contact::of_home(&d.home),
    );
    Ok(contact_page(
        page,
        &d.home,
        d.provider.as_ref(),
        form,
        FormErrors::default(),
    ))
}

pub async fn save_contact(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    Path(urn): Path<String>,
    form: Submitted<organisations::contact::ContactForm>,
) -> Result<Response> {
    let d = super::find_detail(&state.db, &viewer, &urn).await?;
    let contact = match form {
        Submitted::Valid(contact, _) => contact,
        Submitted::Invalid(raw, errors) => {
            return Ok(contact_page(
                page,
                &d.home,
                d.provider.as_ref(),
                raw,
                errors,
            ));
        }
    };
    organisations::contact::set_for_home(&state.db, &viewer, &d.home, contact).await?;
    flash(
        &session,
        format!("Placements contact of {} saved", d.home.name),
        None,
    )
    .await;
    Ok(redirect(&format!("/homes/{}", d.home.urn)))
}
