//! Headers on every response (ASVS 3.4, 14.3.2): a content security policy
//! without inline script that forbids framing, no MIME sniffing, a strict
//! referrer policy, HSTS over TLS, and no caching of anything but static
//! assets (pages show signed-in data).

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

/// The policy: everything from this origin only, except map tiles (images)
/// from the configured tile server.
pub fn content_security_policy(tile_origin: Option<&str>) -> HeaderValue {
    let tiles = tile_origin.map(|o| format!(" {o}")).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
}

pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_asset = path.starts_with("/assets/");
    let versioned = is_asset
        && path
            .strip_prefix(crate::web::assets::base())
            .is_some_and(|rest| rest.starts_with('/'))
        && crate::web::assets::base() != "/assets";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Room for these eight at once rather than growing the map step by step.
    headers.reserve(8);
    headers.insert(header::CONTENT_SECURITY_POLICY, state.csp.clone());
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if state.settings.auth.secure_cookies {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if versioned {
        // The name changes with the content (see `web::assets`).
        set(header::CACHE_CONTROL, "public, max-age=31536000, immutable");
    } else if is_asset {
        set(header::CACHE_CONTROL, "public, max-age=3600");
    } else {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}
