//! Route access policies. Every route in `router.rs` names one; the layer
//! here enforces it before the handler runs, including the object-level
//! checks (a provider reaches only its own organisation's homes), so no
//! handler has to remember to. Domain queries are scoped to the viewer as
//! well, as a second line.

use axum::RequestExt;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{AuthSession, Role, Viewer};
use crate::app::AppState;
use crate::audit::{self, Change};
use crate::db::entities::{
    api_tokens, bed_request_homes, bed_requests, homes, monitoring_cases, return_uploads,
};
use crate::web::client_ip::ClientIp;
use crate::web::html;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Any signed-in user, even one who must still set up the second factor
    /// their role requires (setting it up, signing out).
    Enrolling,
    /// Council staff: admin, commissioners, placements.
    Council,
    /// Council staff who change market data: admin, commissioners.
    CouncilEditor,
    Admin,
    /// Council staff, or a provider user whose organisation owns the home `{urn}`.
    HomeViewer,
    /// Admin or commissioners, or a provider user whose organisation owns the home `{urn}`.
    HomeEditor,
    /// Council staff, or a member of organisation `{id}`.
    OrganisationViewer,
    /// Provider users only (their own organisation's work).
    Provider,
    /// The provider user's organisation uploaded spreadsheet `{id}`.
    UploadOwner,
    /// API token `{id}` is the user's own (an admin may act on any).
    TokenOwner,
    /// Council staff, or a provider user whose organisation owns the home of
    /// monitoring case `{id}`.
    CaseViewer,
    /// Admin or commissioners, or a provider user whose organisation owns
    /// the home of monitoring case `{id}`.
    CaseEditor,
    /// Council staff who are regional leads: the region's figures.
    RegionalLead,
    /// Staff of the council that sent bed request `{reference}`, or a
    /// provider user whose organisation has a home in it.
    RequestViewer,
    /// Staff of the council that sent bed request `{reference}`.
    RequestOwner,
    /// A provider user whose organisation owns home `{urn}`, asked in bed
    /// request `{reference}`.
    RequestAnswerer,
}

impl Policy {
    /// Roles that can ever pass; object-level policies add a check on the
    /// resource for provider users.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Policy::Public | Policy::SignedIn | Policy::Enrolling => {
                &[Admin, Commissioner, Placements, Provider]
            }
            Policy::Council | Policy::RegionalLead | Policy::RequestOwner => {
                &[Admin, Commissioner, Placements]
            }
            Policy::RequestViewer => &[Admin, Commissioner, Placements, Provider],
            Policy::RequestAnswerer => &[Provider],
            Policy::CouncilEditor => &[Admin, Commissioner],
            Policy::Admin => &[Admin],
            Policy::HomeViewer | Policy::OrganisationViewer => {
                &[Admin, Commissioner, Placements, Provider]
            }
            Policy::HomeEditor => &[Admin, Commissioner, Provider],
            Policy::Provider | Policy::UploadOwner => &[Provider],
            Policy::TokenOwner | Policy::CaseViewer => &[Admin, Commissioner, Placements, Provider],
            Policy::CaseEditor => &[Admin, Commissioner, Provider],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Policy::Public => "anyone",
            Policy::SignedIn => "any signed-in user",
            Policy::Enrolling => "any signed-in user, before setting up two-factor sign-in",
            Policy::Council => "council staff",
            Policy::CouncilEditor => "admins and commissioners",
            Policy::Admin => "admins",
            Policy::HomeViewer => "council staff and the home's own provider",
            Policy::HomeEditor => "admins, commissioners and the home's own provider",
            Policy::OrganisationViewer => "council staff and the organisation's own users",
            Policy::Provider => "provider users",
            Policy::UploadOwner => "the uploading organisation's users",
            Policy::TokenOwner => "the token's own user and admins",
            Policy::CaseViewer => "council staff and the provider of the case's home",
            Policy::CaseEditor => "admins, commissioners and the provider of the case's home",
            Policy::RegionalLead => "council staff who are regional leads",
            Policy::RequestViewer => "the sending council's staff and the providers asked",
            Policy::RequestOwner => "the sending council's staff",
            Policy::RequestAnswerer => "the provider of the home asked",
        }
    }
}

enum Decision {
    Allow,
    SignIn,
    /// The role requires a second factor this session has not passed.
    EnrolFirst,
    Refuse,
    /// The resource the path names does not exist.
    NotFound,
}

/// Decides for a viewer; `path` holds the route's parameters.
async fn decide(
    policy: Policy,
    viewer: Option<&Viewer>,
    path: &[(String, String)],
    db: &DatabaseConnection,
) -> Result<Decision, sea_orm::DbErr> {
    if policy == Policy::Public {
        return Ok(Decision::Allow);
    }
    let Some(viewer) = viewer else {
        return Ok(Decision::SignIn);
    };
    if !policy.roles().contains(&viewer.role) {
        return Ok(Decision::Refuse);
    }
    let param = |name: &str| {
        path.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if policy == Policy::TokenOwner {
        let Some(id) = param("id").and_then(|id| id.parse::<i64>().ok()) else {
            return Ok(Decision::NotFound);
        };
        let owner: Option<i64> = api_tokens::Entity::find_by_id(id)
            .select_only()
            .column(api_tokens::Column::UserId)
            .into_tuple()
            .one(db)
            .await?;
        return Ok(match owner {
            None => Decision::NotFound,
            Some(user) if viewer.user_id == Some(user) || viewer.role == Role::Admin => {
                Decision::Allow
            }
            Some(_) => Decision::Refuse,
        });
    }
    if policy == Policy::RegionalLead {
        return Ok(if viewer.regional_lead {
            Decision::Allow
        } else {
            Decision::Refuse
        });
    }
    if matches!(
        policy,
        Policy::RequestViewer | Policy::RequestOwner | Policy::RequestAnswerer
    ) {
        return request_decision(viewer, param("reference"), param("urn"), db).await;
    }
    if viewer.role != Role::Provider {
        return Ok(Decision::Allow);
    }
    let allowed = match policy {
        Policy::HomeViewer | Policy::HomeEditor => match param("urn") {
            Some(urn) => {
                let owner: Option<Option<i64>> = homes::Entity::find()
                    .select_only()
                    .column(homes::Column::ProviderId)
                    .filter(homes::Column::Urn.eq(urn.to_ascii_uppercase()))
                    .into_tuple()
                    .one(db)
                    .await?;
                // URNs are public (Ofsted publishes them), so saying one is
                // unknown reveals nothing.
                match owner {
                    None => return Ok(Decision::NotFound),
                    Some(o) => viewer.belongs_to(o),
                }
            }
            None => false,
        },
        Policy::UploadOwner => match param("id") {
            Some(id) => {
                let owner: Option<i64> = return_uploads::Entity::find_by_id(id.to_string())
                    .select_only()
                    .column(return_uploads::Column::OrganisationId)
                    .into_tuple()
                    .one(db)
                    .await?;
                owner.is_some_and(|o| viewer.belongs_to(Some(o)))
            }
            None => false,
        },
        Policy::CaseViewer | Policy::CaseEditor => match param("id") {
            Some(id) => {
                // The case's home's owner; an unknown case is refused like
                // another provider's, so ids reveal nothing.
                let owner: Option<Option<i64>> = match id.parse::<i64>() {
                    Ok(id) => {
                        homes::Entity::find()
                            .select_only()
                            .column(homes::Column::ProviderId)
                            .inner_join(monitoring_cases::Entity)
                            .filter(monitoring_cases::Column::Id.eq(id))
                            .into_tuple()
                            .one(db)
                            .await?
                    }
                    Err(_) => None,
                };
                owner.is_some_and(|o| viewer.belongs_to(o))
            }
            None => false,
        },
        Policy::OrganisationViewer => param("id")
            .and_then(|id| id.parse::<i64>().ok())
            .is_some_and(|id| viewer.belongs_to(Some(id))),
        _ => true,
    };
    Ok(if allowed {
        Decision::Allow
    } else {
        Decision::Refuse
    })
}

/// The request policies: another council's request is not found, and so
/// is a request that did not ask the provider (references are sequential:
/// telling "not yours" from "none" would say which exist); a provider
/// reaches a request only through a home of its own in it (and, to answer,
/// only that home).
async fn request_decision(
    viewer: &Viewer,
    reference: Option<&str>,
    urn: Option<&str>,
    db: &DatabaseConnection,
) -> Result<Decision, sea_orm::DbErr> {
    let Some(reference) = reference.and_then(|r| r.parse::<crate::requests::Reference>().ok())
    else {
        return Ok(Decision::NotFound);
    };
    let request = crate::db::unique(
        bed_requests::Entity::find().filter(bed_requests::Column::Reference.eq(reference.as_str())),
        db,
    )
    .await?;
    let Some(request) = request else {
        return Ok(Decision::NotFound);
    };
    if viewer.role != Role::Provider {
        return Ok(if viewer.council_id() == Some(request.council_id) {
            Decision::Allow
        } else {
            Decision::NotFound
        });
    }
    let mut homes = bed_request_homes::Entity::find()
        .inner_join(homes::Entity)
        .filter(bed_request_homes::Column::RequestId.eq(request.id))
        .filter(bed_request_homes::Column::ProviderId.eq(viewer.organisation_id));
    if let Some(urn) = urn {
        homes = homes.filter(homes::Column::Urn.eq(urn.to_ascii_uppercase()));
    }
    Ok(if homes.one(db).await?.is_some() {
        Decision::Allow
    } else {
        Decision::NotFound
    })
}

const SIGNED_IN_AT: &str = "signed_in_at";

/// Records when the session signed in, for the absolute timeout.
pub async fn mark_signed_in(
    session: &tower_sessions::Session,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(SIGNED_IN_AT, Utc::now()).await
}

const LAST_SEEN_AT: &str = "last_seen_at";

/// Sliding expiry: tower-sessions saves (and so re-dates) only a modified
/// session, so an active user would be signed out 30 minutes after signing
/// in. Noting activity at most once a minute re-dates the session without
/// a write on every request.
async fn keep_alive(session: &tower_sessions::Session) {
    let now = Utc::now();
    let seen = session
        .get::<DateTime<Utc>>(LAST_SEEN_AT)
        .await
        .ok()
        .flatten();
    if seen.is_none_or(|at| now - at >= Duration::minutes(1)) {
        let _ = session.insert(LAST_SEEN_AT, now).await;
    }
}

/// The bearer token of an API request, if it sent one.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The layer every route gets, with its policy. Pages authenticate by
/// session; the JSON API (`/api/v1/...`) by bearer token only, and answers
/// in JSON.
pub async fn enforce(
    policy: Policy,
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    use crate::error::{ApiError, Error};
    let client_ip = ClientIp::from_request(&request, &state.settings.server).0;
    let api = request.uri().path().starts_with(crate::router::API_PREFIX);
    let mut viewer = None;
    if api {
        if let Some(token) = bearer(request.headers()) {
            match super::tokens::authenticate(&state, token, client_ip.clone()).await {
                Ok(Some(found)) => viewer = Some(found),
                Ok(None) => return ApiError(Error::Unauthenticated).into_response(),
                Err(e) => return ApiError(e).into_response(),
            }
        }
    } else if let Some(mut auth) = request.extensions().get::<AuthSession>().cloned()
        && let Some(user) = auth.user.clone()
    {
        if session_too_old(&auth, state.settings.auth.session_absolute_hours).await {
            // Absolute timeout (ASVS 7.3.2): sign in again after 12 hours
            // however active the session has been.
            let _ = auth.logout().await;
        } else {
            keep_alive(&auth.session).await;
            viewer = Some(Viewer::from_session(&user, client_ip.clone()));
        }
    }
    let path: Vec<(String, String)> = match request.extract_parts::<RawPathParams>().await {
        Ok(params) => params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut decision = match decide(policy, viewer.as_ref(), &path, &state.db).await {
        Ok(d) => d,
        Err(err) if api => return ApiError(err.into()).into_response(),
        Err(err) => return Error::from(err).into_response(),
    };
    // A page session whose role needs a second factor it has not passed
    // reaches only the pages for setting one up.
    if matches!(decision, Decision::Allow)
        && !matches!(policy, Policy::Public | Policy::Enrolling)
        && let (Some(viewer), Some(auth)) = (&viewer, request.extensions().get::<AuthSession>())
        && !api
        && super::sign_in::must_enrol(&state, &auth.session, viewer).await
    {
        decision = Decision::EnrolFirst;
    }
    match decision {
        Decision::Allow => {
            if let Some(v) = viewer {
                request.extensions_mut().insert(v);
            }
            next.run(request).await
        }
        Decision::SignIn if api => ApiError(Error::Unauthenticated).into_response(),
        Decision::SignIn => sign_in_first(&request),
        Decision::EnrolFirst => html::redirect("/account/two-factor"),
        Decision::NotFound if api => ApiError(Error::NotFound).into_response(),
        Decision::NotFound => Error::NotFound.into_response(),
        Decision::Refuse => {
            let viewer = viewer.unwrap_or_else(|| Viewer::system("anonymous"));
            let change = Change::event(
                "access_refused",
                "route",
                Some(request.uri().path().to_string()),
            )
            .summary(format!(
                "{} {} refused ({} only)",
                request.method(),
                request.uri().path(),
                policy.describe()
            ));
            if let Err(err) = audit::record(&state.db, &viewer, change).await {
                tracing::error!(error = %err, "could not record refused access");
            }
            if api {
                ApiError(Error::Forbidden).into_response()
            } else {
                Error::Forbidden.into_response()
            }
        }
    }
}

async fn session_too_old(auth: &AuthSession, limit_hours: i64) -> bool {
    match auth.session.get::<DateTime<Utc>>(SIGNED_IN_AT).await {
        Ok(Some(at)) => Utc::now() - at > Duration::hours(limit_hours),
        // A signed-in session without the mark predates it: treat as expired.
        _ => true,
    }
}

/// Pages send the visitor to sign in and back; anything else gets 401.
fn sign_in_first(request: &Request) -> Response {
    if request.method() == Method::GET {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
        return html::redirect(&format!("/sign-in?next={next}"));
    }
    let status = StatusCode::UNAUTHORIZED;
    (
        status,
        html::error_page(
            status,
            "Sign in to continue",
            "Your session has ended. Sign in and try again.",
        ),
    )
        .into_response()
}

/// Where to go after signing in: only a path on this site. Browsers drop
/// tabs and newlines from a URL and read `\\` as `/`, so `/\t/evil.example`
/// or `/\\evil.example` would leave the site: any control character,
/// whitespace or backslash, or a second leading slash, gives `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            p
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/homes?page=2")), "/homes?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/\u{0}x")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn editors_are_a_subset_of_viewers() {
        for role in Policy::HomeEditor.roles() {
            assert!(Policy::HomeViewer.roles().contains(role));
        }
        assert!(!Policy::HomeEditor.roles().contains(&Role::Placements));
    }
}
