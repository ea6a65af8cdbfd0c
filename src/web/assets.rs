//! Static files, served by the app itself (no CDN): GOV.UK Frontend,
//! Leaflet and accessible-autocomplete from their npm packages, and the
//! service's own CSS and JavaScript. Paths follow what
//! GOV.UK Frontend's stylesheet expects (`/assets/fonts`, `/assets/images`).

use std::path::Path;

use axum::Router;
use tower_http::services::ServeDir;

pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let govuk = dir.join("node_modules/govuk-frontend/dist/govuk");
    Router::new()
        .nest_service("/assets/govuk", ServeDir::new(&govuk))
        .nest_service("/assets/fonts", ServeDir::new(govuk.join("assets/fonts")))
        .nest_service("/assets/images", ServeDir::new(govuk.join("assets/images")))
        .nest_service("/assets/app", ServeDir::new(dir.join("app")))
        .nest_service(
            "/assets/leaflet",
            ServeDir::new(dir.join("node_modules/leaflet/dist")),
        )
        .nest_service(
            "/assets/autocomplete",
            ServeDir::new(dir.join("node_modules/accessible-autocomplete/dist")),
        )
}

/// True when the npm packages have been installed (`make assets`).
pub fn installed(dir: &Path) -> bool {
    dir.join("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css")
        .is_file()
}
