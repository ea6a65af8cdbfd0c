//! Turning templates into responses, and the generic error page.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::page::PageContext;

/// Renders a page. A template that fails to render is a bug: logged, and the
/// user sees the generic error page.
pub fn render(template: &impl Template) -> Response {
    render_with_status(StatusCode::OK, template)
}

/// Room for a whole page at once: askama's own size hint is the template's
/// literal text, so a page of results grew its buffer (copying it) three
/// or four times. Under 64 KB: glibc (the allocator of the tests; the binary
/// uses mimalloc) consolidates its whole heap whenever a block that large
/// is freed.
const PAGE_ROOM: usize = 48 * 1024;

pub fn render_with_status(status: StatusCode, template: &impl Template) -> Response {
    let mut body = String::with_capacity(PAGE_ROOM);
    match template.render_into(&mut body) {
        Ok(()) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            (
                status,
                error_page(
                    status,
                    "Sorry, there is a problem with the service",
                    "Try again later.",
                ),
            )
                .into_response()
        }
    }
}

/// 303 See Other: the browser follows it with a GET (post/redirect/get).
pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: PageContext,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// The generic error page: a title and a sentence, nothing internal.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Html<String> {
    let page = ErrorPage {
        page: PageContext::bare(title),
        status: status.as_u16(),
        title,
        message,
    };
    // A failure here would loop, so fall back to plain text.
    Html(
        page.render()
            .unwrap_or_else(|_| format!("{title}. {message}")),
    )
}
