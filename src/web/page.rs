//! What every page's layout needs: who is signed in, the navigation for
//! their role, the form token, and a one-off confirmation message.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::app::AppState;
use crate::auth::{Role, Viewer, csrf};
use crate::error::Error;

#[derive(Debug, Clone, Default)]
pub struct PageContext {
    /// Short name of the viewer's council ("BCP"): "our council" on pages.
    pub council: String,
    /// The viewer's member council, for council staff.
    pub council_id: Option<i64>,
    /// Whose service this is, in the header: the viewer's council, or the
    /// region for providers and visitors.
    pub owner: String,
    pub user: Option<NavUser>,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    pub flash: Option<Flash>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub role: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// A confirmation shown once, on the page the user is sent to next.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub heading: String,
    pub body: Option<String>,
    /// False for something the user must act on (shown as "Important").
    #[serde(default = "yes")]
    pub success: bool,
}

fn yes() -> bool {
    true
}

const FLASH_KEY: &str = "flash";

pub async fn flash(session: &Session, heading: impl Into<String>, body: Option<String>) {
    store_flash(
        session,
        Flash {
            heading: heading.into(),
            body,
            success: true,
        },
    )
    .await;
}

/// A message the user must act on, shown once on the next page.
pub async fn notice(session: &Session, heading: impl Into<String>, body: Option<String>) {
    store_flash(
        session,
        Flash {
            heading: heading.into(),
            body,
            success: false,
        },
    )
    .await;
}

async fn store_flash(session: &Session, flash: Flash) {
    if let Err(err) = session.insert(FLASH_KEY, flash).await {
        tracing::warn!(error = %err, "could not store confirmation message");
    }
}

impl PageContext {
    /// For pages rendered outside a request's context (error pages).
    pub fn bare(_title: &str) -> Self {
        PageContext::default()
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }

    /// Where to link static files (`/assets/{version}`, see `web::assets`).
    pub fn assets(&self) -> &'static str {
        crate::web::assets::base()
    }
}

fn navigation(viewer: &Viewer, path: &str) -> Vec<NavItem> {
    let mut items: Vec<(String, &'static str)> = if viewer.role.is_council() {
        vec![
            ("/".into(), "Overview"),
            ("/homes".into(), "Homes"),
            ("/search".into(), "Find a bed"),
            ("/requests".into(), "Requests"),
            ("/map".into(), "Map"),
            ("/capacity".into(), "Capacity"),
            ("/returns".into(), "Returns"),
            ("/cases".into(), "Cases"),
        ]
    } else {
        vec![
            ("/".into(), "This week"),
            ("/homes".into(), "Homes"),
            ("/requests".into(), "Requests"),
            ("/cases".into(), "Cases"),
        ]
    };
    if viewer.role.is_council() && viewer.regional_lead {
        items.push(("/region".into(), "Region"));
    }
    if viewer.role.is_council() {
        items.push(("/organisations".into(), "Organisations"));
    } else if let Some(org) = viewer.organisation_id {
        items.push((format!("/organisations/{org}"), "Your organisation"));
    }
    if viewer.role == Role::Admin {
        items.push(("/users".into(), "Users"));
        items.push(("/councils".into(), "Councils"));
        items.push(("/audit".into(), "Audit log"));
    }
    items
        .into_iter()
        .map(|(href, label)| {
            let active = if href == "/" {
                path == "/"
            } else {
                path.strip_prefix(href.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            };
            NavItem {
                href,
                label,
                active,
            }
        })
        .collect()
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| Error::internal("session layer missing"))?;
        let viewer = parts.extensions.get::<Viewer>();
        let path = parts.uri.path().to_string();
        let csrf_token = csrf::masked(&csrf::token(&session).await.map_err(Error::internal)?);
        // Look before removing: `remove` marks the session changed, and a
        // changed session is written back (a disk sync) on every page.
        let flash = match session.get::<Flash>(FLASH_KEY).await {
            Ok(Some(_)) => session.remove::<Flash>(FLASH_KEY).await.unwrap_or_default(),
            _ => None,
        };
        let member = match viewer.and_then(Viewer::council_id) {
            Some(id) => crate::regions::member(&state.db, id).await?,
            None => None,
        };
        let (council, owner) = match &member {
            Some(m) => (m.short_name.clone(), format!("{} Council", m.short_name)),
            None => (
                state.settings.council.short_name.clone(),
                state.settings.region.name.clone(),
            ),
        };
        Ok(PageContext {
            council,
            council_id: member.map(|m| m.id),
            owner,
            user: viewer.map(|v| NavUser {
                name: v.display_name.clone(),
                role: v.role.label(),
            }),
            nav: viewer.map(|v| navigation(v, &path)).unwrap_or_default(),
            csrf_token,
            flash,
            path,
        })
    }
}
