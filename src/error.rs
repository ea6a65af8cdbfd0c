//! The application's one error type and the one place it becomes a response.
//!
//! Policy: internal text never reaches a client. 5xx errors are logged with
//! their context and shown as a generic page; 4xx errors carry only text
//! written for the user. A unique-constraint violation is turned into a field
//! error by the domain function that knows which field it was.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;

use crate::web::forms::FormErrors;
use crate::web::html;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("access refused")]
    Forbidden,
    #[error("sign-in required")]
    Unauthenticated,
    /// Input that parsed but breaks a rule; keyed by form field.
    #[error("invalid input: {0:?}")]
    Invalid(FormErrors),
    /// The request cannot be met; the text is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// The database is unreachable or stayed locked past its timeout.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Database(DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            Error::Unavailable(err.to_string())
        } else {
            Error::Database(err)
        }
    }
}

impl Error {
    pub fn internal(context: impl std::fmt::Display) -> Self {
        Error::Internal(context.to_string())
    }

    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        Error::Invalid(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told. Never includes internal detail.
    pub fn public_message(&self) -> (&'static str, String) {
        match self {
            Error::NotFound => ("Page not found", "If you typed the web address, check it is correct.".into()),
            Error::Forbidden => (
                "You do not have access to this page",
                "Your account cannot see or change this. If you think it should, contact your administrator.".into(),
            ),
            Error::Unauthenticated => ("Sign in to continue", "You need to sign in to see this page.".into()),
            Error::Invalid(errors) => ("There is a problem", errors.summary()),
            Error::BadRequest(text) => ("There is a problem", text.clone()),
            Error::Unavailable(_) => (
                "Sorry, the service is busy",
                "Nothing was saved. Try again in a minute.".into(),
            ),
            Error::Database(_) | Error::Internal(_) => (
                "Sorry, there is a problem with the service",
                "Try again later. If the problem continues, contact your administrator.".into(),
            ),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, status = status.as_u16(), "request failed");
        }
        if matches!(self, Error::Unauthenticated) {
            return html::redirect("/sign-in");
        }
        let (title, message) = self.public_message();
        (status, html::error_page(status, title, &message)).into_response()
    }
}

/// The same errors for the JSON API: a status and a JSON body, never a page.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError(err)
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, status = status.as_u16(), "API request failed");
        }
        let message = match &self.0 {
            Error::NotFound => "Not found".to_string(),
            Error::Forbidden => "Your token cannot see or change this".to_string(),
            Error::Unauthenticated => {
                "Send a valid API token: Authorization: Bearer sfy_...".to_string()
            }
            Error::Invalid(_) => "The request has problems: see fields".to_string(),
            other => other.public_message().1,
        };
        let fields: Vec<serde_json::Value> = match &self.0 {
            Error::Invalid(errors) => errors
                .iter()
                .map(|(f, m)| serde_json::json!({ "field": f, "message": m }))
                .collect(),
            _ => Vec::new(),
        };
        let mut response = (
            status,
            axum::Json(serde_json::json!({ "error": message, "fields": fields })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
