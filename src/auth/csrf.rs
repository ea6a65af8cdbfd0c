//! Cross-site request forgery protection for every state-changing request
//! (ASVS 3.5.1): a per-session token that every form carries, checked in one
//! middleware before any handler runs, plus a strict same-origin check on the
//! `Origin` / `Sec-Fetch-Site` headers. GET never changes state.
//!
//! Each page carries the token masked afresh (a random pad, then the token
//! XOR the pad), so no two responses hold the same bytes: pages can be
//! compressed without their sizes giving the token away (BREACH).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::app::AppState;
use crate::web::html;

const SESSION_KEY: &str = "csrf";
/// The hidden form field every form posts.
pub const FIELD: &str = "csrf_token";

fn new_token() -> String {
    super::tokens::random_token()
}

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(existing) = session.get::<String>(SESSION_KEY).await? {
        return Ok(existing);
    }
    rotate(session).await
}

/// A fresh token, e.g. at sign-in, so one from before cannot be reused.
pub async fn rotate(session: &Session) -> Result<String, tower_sessions::session::Error> {
    let token = new_token();
    session.insert(SESSION_KEY, token.clone()).await?;
    Ok(token)
}

/// The token as a page carries it: a fresh random pad, then the token XOR
/// the pad, in URL-safe base64.
pub fn masked(token: &str) -> String {
    let token = URL_SAFE_NO_PAD.decode(token).unwrap_or_default();
    let mut pad = vec![0u8; token.len()];
    rand::rng().fill_bytes(&mut pad);
    let xored: Vec<u8> = token.iter().zip(&pad).map(|(t, p)| t ^ p).collect();
    pad.extend(xored);
    URL_SAFE_NO_PAD.encode(pad)
}

/// Whether a submitted (masked) token is the session's token.
fn matches(submitted: &str, expected: &str) -> bool {
    let (Ok(submitted), Ok(expected)) = (
        URL_SAFE_NO_PAD.decode(submitted),
        URL_SAFE_NO_PAD.decode(expected),
    ) else {
        return false;
    };
    if expected.is_empty() || submitted.len() != 2 * expected.len() {
        return false;
    }
    let (pad, xored) = submitted.split_at(expected.len());
    let token: Vec<u8> = xored.iter().zip(pad).map(|(x, p)| x ^ p).collect();
    bool::from(token.ct_eq(&expected))
}

fn refuse(message: &str) -> Response {
    let status = StatusCode::FORBIDDEN;
    (
        status,
        html::error_page(status, "This form could not be sent", message),
    )
        .into_response()
}

/// Checks every POST/PUT/PATCH/DELETE to a page. The JSON API is served
/// outside this layer: it takes bearer tokens only, never a cookie, so a
/// browser cannot be tricked into making its requests.
pub async fn verify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    if !same_origin(headers, &state.settings.server.public_url) {
        tracing::warn!(path = %request.uri().path(), "cross-site form submission refused");
        return refuse("The request came from another website.");
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refuse("Your session has ended. Go back, reload the page and try again.");
    };
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(Some(token)) => token,
        _ => return refuse("Your session has ended. Go back, reload the page and try again."),
    };
    let (parts, body) = request.into_parts();
    let limit = state.settings.uploads.max_file_bytes + 1024 * 1024;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return (
                status,
                html::error_page(status, "The file is too large", "Choose a smaller file."),
            )
                .into_response();
        }
    };
    let submitted = submitted_token(&parts.headers, &bytes).await;
    let valid = submitted.is_some_and(|t| matches(&t, &expected));
    if !valid {
        return refuse(
            "The page you sent it from has expired. Go back, reload the page and try again.",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Same origin: `Origin` (when sent) must be this site as configured in
/// `server.public_url`, scheme, host and port alike; `Sec-Fetch-Site` must not
/// say cross-site. On this machine's own loopback, `localhost` and
/// `127.0.0.1` are the same site (the demo is reached by either name).
fn same_origin(headers: &HeaderMap, public_url: &url::Url) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = text("origin") else {
        return true;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    origin.origin() == public_url.origin()
        || (loopback(&origin)
            && loopback(public_url)
            && origin.scheme() == public_url.scheme()
            && origin.port_or_known_default() == public_url.port_or_known_default())
}

async fn submitted_token(headers: &HeaderMap, body: &Bytes) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return url::form_urlencoded::parse(body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned());
    }
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let bytes = body.clone();
        let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(bytes) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some(FIELD) {
                return field.text().await.ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_masked_copy_differs_and_each_matches_only_its_token() {
        let token = new_token();
        let (one, two) = (masked(&token), masked(&token));
        assert_ne!(one, two, "a fresh pad each time");
        assert!(matches(&one, &token) && matches(&two, &token));
        assert!(!matches(&token, &token), "the bare token is not accepted");
        assert!(!matches(&masked(&new_token()), &token));
        assert!(!matches("not base64!", &token));
        assert!(!matches(&one[..one.len() - 2], &token));
    }
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_must_be_the_public_url_in_scheme_host_and_port() {
        let public = url::Url::parse("https://sufficiency.example.gov.uk").unwrap();
        let from = |origin: &'static str| same_origin(&headers(&[("origin", origin)]), &public);
        assert!(from("https://sufficiency.example.gov.uk"));
        assert!(from("https://sufficiency.example.gov.uk:443"));
        assert!(!from("http://sufficiency.example.gov.uk"), "scheme");
        assert!(!from("https://sufficiency.example.gov.uk:8443"), "port");
        assert!(!from("https://evil.example"));
        assert!(!from("null"));
        // The Host header no longer vouches for an origin.
        assert!(!same_origin(
            &headers(&[("origin", "http://10.0.0.5"), ("host", "10.0.0.5")]),
            &public
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            &public
        ));
        assert!(
            same_origin(&headers(&[]), &public),
            "no headers: the token decides"
        );
        let local = url::Url::parse("http://127.0.0.1:8080").unwrap();
        let at = |origin: &'static str| same_origin(&headers(&[("origin", origin)]), &local);
        assert!(at("http://localhost:8080") && at("http://127.0.0.1:8080"));
        assert!(!at("http://localhost:9090") && !at("https://localhost:8080"));
    }
}
