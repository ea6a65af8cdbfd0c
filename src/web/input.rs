//! Control characters are refused at the door. A NUL cannot be stored in
//! PostgreSQL text (the query fails) and SQLite would keep it; other control
//! characters hide text and break exports. No field of this service needs
//! one, so every path, query string, form and JSON body with a control
//! character other than tab, line feed and carriage return (browsers send
//! new lines in a text area as CR LF) is answered 422 before any handler
//! runs, the same on both databases. Uploaded files are the importers'
//! business: their cells are cleaned as they are read.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Error};
use crate::web::forms::FormErrors;
use crate::web::html;

/// True for the characters refused: C0 controls but tab, LF and CR; DEL; C1.
pub fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Where a refused character was found: the field's name, or the part of
/// the request.
fn first_refused(request_parts: &axum::http::request::Parts, body: &[u8]) -> Option<String> {
    let uri = &request_parts.uri;
    if percent_decoded(uri.path()).chars().any(is_refused) {
        return Some("address".into());
    }
    if let Some(query) = uri.query()
        && let Some(name) = refused_in_form(query.as_bytes())
    {
        return Some(name);
    }
    let content_type = request_parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return refused_in_form(body);
    }
    if content_type.starts_with("application/json") {
        // Not JSON at all: the handler says so.
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        return refused_in_json(&value, "body");
    }
    None
}

fn refused_in_form(bytes: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .find(|(k, v)| k.chars().any(is_refused) || v.chars().any(is_refused))
        .map(|(k, _)| k.chars().filter(|c| !is_refused(*c)).collect())
}

fn refused_in_json(value: &serde_json::Value, name: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.chars().any(is_refused).then(|| name.to_string()),
        serde_json::Value::Array(items) => items.iter().find_map(|v| refused_in_json(v, name)),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.chars().any(is_refused) {
                Some(name.to_string())
            } else {
                refused_in_json(v, k)
            }
        }),
        _ => None,
    }
}

/// The path as routing sees it (`%00` is a NUL there).
fn percent_decoded(path: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let reads_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("application/x-www-form-urlencoded") || t.starts_with("application/json")
        });
    // The body limit layer outside bounds what is read here.
    let bytes = if reads_body {
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    } else {
        return match first_refused(&parts, &[]) {
            Some(field) => refusal(&parts, &field),
            None => next.run(Request::from_parts(parts, body)).await,
        };
    };
    match first_refused(&parts, &bytes) {
        Some(field) => refusal(&parts, &field),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

fn refusal(parts: &axum::http::request::Parts, field: &str) -> Response {
    let message = format!(
        "'{field}' contains a control character (such as a null character), which cannot be saved. Remove it and try again"
    );
    if parts.uri.path().starts_with(crate::router::API_PREFIX) {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        return ApiError(Error::Invalid(errors)).into_response();
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    (
        status,
        html::error_page(
            status,
            "Some of what you sent cannot be saved",
            &format!("{message}. Nothing has been saved."),
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_controls_are_found_but_new_lines_and_tabs_are_not() {
        assert_eq!(refused_in_form(b"email=nul%00@x").as_deref(), Some("email"));
        assert_eq!(refused_in_form(b"note=a%1Bb").as_deref(), Some("note"));
        assert_eq!(refused_in_form(b"note=line%0D%0Anext%09tab"), None);
        let json = serde_json::json!({"vacancies": [{"note": "a\u{0}b"}]});
        assert_eq!(refused_in_json(&json, "body").as_deref(), Some("note"));
        assert_eq!(
            percent_decoded("/api/v1/homes/SC%00X"),
            "/api/v1/homes/SC\0X"
        );
        assert_eq!(percent_decoded("/homes/a+b"), "/homes/a+b");
    }
}
