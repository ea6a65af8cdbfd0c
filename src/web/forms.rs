//! Forms: field errors in the order the form shows them, and the validating
//! extractor every form handler uses. A form type derives `Validate` for the
//! simple rules and implements [`FormInput::parse`] to turn its strings into
//! domain types ("parse, don't validate"). Extra fields a browser (or an
//! attacker) sends are ignored by serde, so they can never set an
//! organisation, a role or a rating (no mass assignment).

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors};

/// Field errors, first problem first, for the GOV.UK error summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    /// The status a form page answers with: 422 when it has errors.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        // One message per field: the first problem is the one to fix.
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(". ")
    }

    /// Orders errors as the fields appear on the page.
    pub fn sort_by_fields(&mut self, order: &[&str]) {
        self.0
            .sort_by_key(|(f, _)| order.iter().position(|o| o == f).unwrap_or(usize::MAX));
    }

    pub fn into_result<T>(self, value: T) -> Result<T, FormErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<ValidationErrors> for FormErrors {
    fn from(errors: ValidationErrors) -> Self {
        let mut out = FormErrors::default();
        for (field, errs) in errors.field_errors() {
            for e in errs {
                let message = e
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("Check the {}", field.replace('_', " ")));
                out.add(field.to_string(), message);
            }
        }
        out
    }
}

/// A form's raw fields (all strings, as browsers send them) and how to turn
/// them into the typed values a domain function takes.
pub trait FormInput: DeserializeOwned + Validate + Default + Send {
    type Parsed;
    /// Field names in page order, so the error summary follows the page.
    const FIELDS: &'static [&'static str];

    fn parse(&self) -> Result<Self::Parsed, FormErrors>;
}

/// The end of a create or update form post: a confirmation and the saved
/// thing's page (`confirm` gives the message and the path), or, when the
/// domain refused the input, the form again with its errors.
pub async fn saved_or_form_again<T>(
    outcome: crate::error::Result<T>,
    session: &tower_sessions::Session,
    confirm: impl FnOnce(&T) -> (String, String),
    form_again: impl AsyncFnOnce(FormErrors) -> crate::error::Result<Response>,
) -> crate::error::Result<Response> {
    match outcome {
        Ok(saved) => {
            let (message, next) = confirm(&saved);
            crate::web::page::flash(session, message, None).await;
            Ok(crate::web::html::redirect(&next))
        }
        Err(crate::error::Error::Invalid(errors)) => form_again(errors).await,
        Err(other) => Err(other),
    }
}

/// A submitted form: either parsed values, or the raw input with its errors
/// so the page can be shown again (422) with what the user typed.
pub enum Submitted<T: FormInput> {
    Valid(T::Parsed, T),
    Invalid(T, FormErrors),
}

impl<S, T> FromRequest<S> for Submitted<T>
where
    S: Send + Sync,
    T: FormInput,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable = || {
            let status = StatusCode::BAD_REQUEST;
            let message =
                "The form could not be read. Go back, check what you entered and try again.";
            (
                status,
                super::html::error_page(status, "There is a problem", message),
            )
                .into_response()
        };
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| unreadable())?;
        // serde_html_form reads repeated keys (checkboxes) into lists.
        let raw: T = serde_html_form::from_bytes(&body).map_err(|e| {
            tracing::debug!(error = %e, "unreadable form");
            unreadable()
        })?;
        let mut errors = match raw.validate() {
            Ok(()) => FormErrors::default(),
            Err(e) => FormErrors::from(e),
        };
        let parsed = raw.parse();
        match parsed {
            Ok(parsed) if errors.is_empty() => Ok(Submitted::Valid(parsed, raw)),
            Ok(_) => {
                errors.sort_by_fields(T::FIELDS);
                Ok(Submitted::Invalid(raw, errors))
            }
            Err(more) => {
                for (f, m) in more.iter() {
                    errors.add(f, m);
                }
                errors.sort_by_fields(T::FIELDS);
                Ok(Submitted::Invalid(raw, errors))
            }
        }
    }
}

/// Optional text: blank becomes `None`, anything else is trimmed.
pub fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Parses an optional number field, recording a message on failure.
pub fn optional_number<T: std::str::FromStr>(
    errors: &mut FormErrors,
    field: &str,
    text: &str,
    message: &str,
) -> Option<T> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add(field, message);
            None
        }
    }
}

/// A GOV.UK date input's three boxes as a date. Blank is `None` (an error
/// when `required`); a partial or impossible date records a message under
/// `field`, worded with `label` (e.g. "Inspection date").
pub fn date_from_parts(
    errors: &mut FormErrors,
    field: &str,
    label: &str,
    [day, month, year]: [&str; 3],
    required: bool,
) -> Option<chrono::NaiveDate> {
    let parts = [day, month, year].map(str::trim);
    if parts.iter().all(|p| p.is_empty()) {
        if required {
            errors.add(field, format!("Enter the {}", label.to_lowercase()));
        }
        return None;
    }
    if parts.iter().any(|p| p.is_empty()) {
        errors.add(field, format!("{label} must include a day, month and year"));
        return None;
    }
    let numbers = parts.map(|p| p.parse::<u32>().ok());
    let date = match numbers {
        [Some(d), Some(m), Some(y)] if (1900..=2200).contains(&y) => {
            chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
        }
        _ => None,
    };
    if date.is_none() {
        errors.add(field, format!("{label} must be a real date"));
    }
    date
}

/// A date's three boxes, for filling a date input again.
pub fn date_parts(date: Option<chrono::NaiveDate>) -> [String; 3] {
    match date {
        Some(d) => [
            d.day().to_string(),
            d.month().to_string(),
            d.year().to_string(),
        ],
        None => Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_per_field_in_page_order() {
        let mut e = FormErrors::default();
        e.add("postcode", "Enter a postcode");
        e.add("name", "Enter a name");
        e.add("name", "Name is too long");
        e.sort_by_fields(&["name", "postcode"]);
        let fields: Vec<&str> = e.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "postcode"]);
        assert_eq!(e.get("name"), Some("Enter a name"));
    }
}
