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
use crate::db::entities::homes;
use crate::web::client_ip::ClientIp;
use crate::web::html;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
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
}

impl Policy {
    /// Roles that can ever pass; object-level policies add a check on the
    /// resource for provider users.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Policy::Public | Policy::SignedIn => &[Admin, Commissioner, Placements, Provider],
            Policy::Council => &[Admin, Commissioner, Placements],
            Policy::CouncilEditor => &[Admin, Commissioner],
            Policy::Admin => &[Admin],
            Policy::HomeViewer | Policy::OrganisationViewer => {
                &[Admin, Commissioner, Placements, Provider]
            }
            Policy::HomeEditor => &[Admin, Commissioner, Provider],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Policy::Public => "anyone",
            Policy::SignedIn => "any signed-in user",
            Policy::Council => "council staff",
            Policy::CouncilEditor => "admins and commissioners",
            Policy::Admin => "admins",
            Policy::HomeViewer => "council staff and the home's own provider",
            Policy::HomeEditor => "admins, commissioners and the home's own provider",
            Policy::OrganisationViewer => "council staff and the organisation's own users",
        }
    }
}

enum Decision {
    Allow,
    SignIn,
    Refuse,
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
    if viewer.role != Role::Provider {
        return Ok(Decision::Allow);
    }
    let param = |name: &str| {
        path.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
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
                // An unknown URN is refused too: a provider learns nothing
                // about homes that are not its own.
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

const SIGNED_IN_AT: &str = "signed_in_at";

/// Records when the session signed in, for the absolute timeout.
pub async fn mark_signed_in(
    session: &tower_sessions::Session,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(SIGNED_IN_AT, Utc::now()).await
}

/// The layer every route gets, with its policy.
pub async fn enforce(
    policy: Policy,
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let client_ip = ClientIp::from_request(&request, &state.settings.server).0;
    let mut viewer = None;
    if let Some(mut auth) = request.extensions().get::<AuthSession>().cloned()
        && let Some(user) = auth.user.clone()
    {
        if session_too_old(&auth, state.settings.auth.session_absolute_hours).await {
            // Absolute timeout (ASVS 7.3.2): sign in again after 12 hours
            // however active the session has been.
            let _ = auth.logout().await;
        } else {
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
    let decision = match decide(policy, viewer.as_ref(), &path, &state.db).await {
        Ok(d) => d,
        Err(err) => return crate::error::Error::from(err).into_response(),
    };
    match decision {
        Decision::Allow => {
            if let Some(v) = viewer {
                request.extensions_mut().insert(v);
            }
            next.run(request).await
        }
        Decision::SignIn => sign_in_first(&request),
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
            crate::error::Error::Forbidden.into_response()
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

/// Only local paths are followed after sign-in (no open redirects).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
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
