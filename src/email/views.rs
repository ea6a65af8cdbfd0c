//! Template data for the outbox, preferences and unsubscribe pages.

use askama::Template;

use super::Category;
use crate::db::entities::{job_runs, outbox_emails};
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "email/outbox.html")]
pub struct OutboxPage {
    pub page: PageContext,
    pub emails: Vec<outbox_emails::Model>,
    pub status: String,
    pub counts: Vec<(String, i64)>,
    pub pagination: Pagination,
    pub runs: Vec<job_runs::Model>,
    pub transport: String,
}

impl OutboxPage {
    pub fn statuses(&self) -> Vec<(String, String)> {
        [
            ("", "All"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ]
        .iter()
        .map(|(code, label)| {
            let n: i64 = match *code {
                "" => self.counts.iter().map(|c| c.1).sum(),
                code => self
                    .counts
                    .iter()
                    .filter(|c| c.0 == code)
                    .map(|c| c.1)
                    .sum(),
            };
            (code.to_string(), format!("{label} ({n})"))
        })
        .collect()
    }

    pub fn category_label(&self, code: &str) -> &'static str {
        Category::from_code(code)
            .map(Category::label)
            .unwrap_or("Other")
    }

    pub fn tag_class(&self, status: &str) -> &'static str {
        match status {
            "sent" => "govuk-tag--green",
            "failed" => "govuk-tag--red",
            _ => "govuk-tag--blue",
        }
    }
}

/// One choice on the preferences page.
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub subscribed: bool,
}

#[derive(Template)]
#[template(path = "email/preferences.html")]
pub struct PreferencesPage {
    pub page: PageContext,
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "email/unsubscribe.html")]
pub struct UnsubscribePage {
    pub page: PageContext,
    pub label: String,
    pub action: String,
    pub done: bool,
    pub refusal: Option<&'static str>,
}
