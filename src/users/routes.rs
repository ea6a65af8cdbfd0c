//! Admin pages for users: list, create, deactivate, reactivate.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use super::views::{FormPage, ListPage};
use super::{Filter, NewUser};
use crate::app::AppState;
use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::organisations;
use crate::web::forms::{FormErrors, FormInput, Submitted};
use crate::web::html::{redirect, render, render_with_status};
use crate::web::page::{PageContext, flash};
use crate::web::pagination::{DEFAULT_PER_PAGE, Pagination};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    role: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    inactive: String,
    #[serde(default)]
    page: crate::web::pagination::PageNumber,
}

pub async fn list(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let filter = Filter {
        role: Role::from_code(&query.role),
        include_inactive: !query.inactive.is_empty(),
        q: crate::web::forms::optional(&query.q),
    };
    let (rows, total) = super::list(&state.db, &filter, query.page, DEFAULT_PER_PAGE).await?;
    let pairs = vec![
        ("role".to_string(), query.role.clone()),
        ("q".to_string(), query.q.clone()),
        ("inactive".to_string(), query.inactive.clone()),
    ];
    let pagination = Pagination::new("/users", &pairs, query.page.get(), DEFAULT_PER_PAGE, total);
    Ok(render(&ListPage {
        page,
        rows,
        pagination,
        role: query.role,
        q: query.q,
        include_inactive: filter.include_inactive,
        roles: &Role::ALL,
        me: viewer.user_id,
    }))
}

#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct UserForm {
    #[validate(email(
        message = "Enter an email address in the correct format, like name@example.com"
    ))]
    pub email: String,
    #[validate(length(min = 1, message = "Enter the person's name"))]
    pub display_name: String,
    pub role: String,
    pub organisation_id: String,
    /// The organisation's name as typed (or picked).
    pub organisation_id_name: String,
    /// Council staff's member council (a list when the region has several).
    pub council_id: String,
    /// "yes" for a regional lead.
    pub regional_lead: String,
    pub password: String,
}

impl FormInput for UserForm {
    type Parsed = NewUser;
    const FIELDS: &'static [&'static str] = &[
        "email",
        "display_name",
        "role",
        "organisation_id",
        "organisation_id_name",
        "council_id",
        "regional_lead",
        "password",
    ];

    fn parse(&self) -> Result<NewUser, FormErrors> {
        let mut errors = FormErrors::default();
        if self.display_name.trim().chars().count() > 200 {
            errors.add("display_name", "Name must be 200 characters or fewer");
        }
        let role = Role::from_code(&self.role);
        if role.is_none() {
            errors.add("role", "Select a role");
        }
        let organisation =
            organisations::pick::Pick::from_form(&self.organisation_id, &self.organisation_id_name);
        if role == Some(Role::Provider) && organisation.is_empty() {
            errors.add(
                "organisation_id",
                "Enter the provider organisation this user works for",
            );
        }
        let council = match self.council_id.trim() {
            "" => None,
            id => {
                let parsed = id.parse::<i64>().ok();
                if parsed.is_none() {
                    errors.add(
                        "council_id",
                        "Choose the member council this user works for",
                    );
                }
                parsed
            }
        };
        errors.into_result(())?;
        Ok(NewUser {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: role.unwrap_or(Role::Placements),
            organisation,
            council,
            regional_lead: self.regional_lead == "yes",
            password: self.password.clone(),
        })
    }
}

async fn form_page(
    state: &AppState,
    page: PageContext,
    form: UserForm,
    errors: FormErrors,
) -> Result<Response> {
    let councils = crate::regions::members(&state.db).await?;
    let status = errors.status();
    Ok(render_with_status(
        status,
        &FormPage {
            page,
            form,
            errors,
            roles: &Role::ALL,
            councils,
        },
    ))
}

pub async fn new_page(State(state): State<AppState>, page: PageContext) -> Result<Response> {
    form_page(&state, page, UserForm::default(), FormErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    session: Session,
    form: Submitted<UserForm>,
) -> Result<Response> {
    let (new, raw) = match form {
        Submitted::Valid(new, raw) => (new, raw),
        Submitted::Invalid(raw, errors) => return form_page(&state, page, raw, errors).await,
    };
    match super::create(&state.db, &viewer, new, &state.settings).await {
        Ok(user) => {
            let next = if raw.password.is_empty() {
                "They have been emailed a link to choose their password."
            } else {
                "Give them their password by a separate, secure route. They can change it after signing in."
            };
            flash(
                &session,
                format!("User {} created", user.email),
                Some(next.into()),
            )
            .await;
            Ok(redirect("/users"))
        }
        Err(Error::Invalid(errors)) => {
            let raw = UserForm {
                password: String::new(),
                ..raw
            };
            form_page(&state, page, raw, errors).await
        }
        Err(other) => Err(other),
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = super::set_active(&state.db, &viewer, crate::web::parse_id(&id)?, false).await?;
    flash(
        &session,
        format!("{} has been deactivated", user.email),
        Some("They have been signed out and cannot sign in.".into()),
    )
    .await;
    Ok(redirect("/users"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LeadForm {
    /// "yes" to make the user a regional lead, anything else to stop.
    lead: String,
}

pub async fn regional_lead(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<LeadForm>,
) -> Result<Response> {
    let lead = form.lead == "yes";
    let user =
        super::set_regional_lead(&state.db, &viewer, crate::web::parse_id(&id)?, lead).await?;
    let heading = if lead {
        format!("{} is now a regional lead", user.email)
    } else {
        format!("{} is no longer a regional lead", user.email)
    };
    flash(&session, heading, None).await;
    Ok(redirect("/users"))
}

pub async fn reactivate(
    State(state): State<AppState>,
    viewer: Viewer,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = super::set_active(&state.db, &viewer, crate::web::parse_id(&id)?, true).await?;
    flash(&session, format!("{} can sign in again", user.email), None).await;
    Ok(redirect("/users?inactive=1"))
}
