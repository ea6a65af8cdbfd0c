//! The emails, each a folder under `templates/emails/` with a plain-text
//! and an HTML part in the plain GOV.UK Notify style. Each email is a data
//! struct here; `render` fills both parts and the subject.

use askama::Template;

use super::{Footer, Letter};
use crate::error::{Error, Result};

/// Declares the two template structs of an email and its `render`.
macro_rules! letter {
    ($data:ident, $text:ident => $text_path:literal, $html:ident => $html_path:literal) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a $data,
            footer: &'a Footer,
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a $data,
            footer: &'a Footer,
        }

        impl $data {
            pub fn render(&self, footer: &Footer) -> Result<Letter> {
                let text = $text { m: self, footer }
                    .render()
                    .map_err(Error::internal)?;
                let html = $html { m: self, footer }
                    .render()
                    .map_err(Error::internal)?;
                Ok(Letter {
                    subject: self.subject(),
                    text,
                    html,
                })
            }
        }
    };
}

/// A home in a return request or reminder.
#[derive(Debug, Clone)]
pub struct RequestedHome {
    pub name: String,
    pub urn: String,
    /// One-click "no change since last week"; none when there is nothing to copy.
    pub no_change_url: Option<String>,
    pub update_url: String,
}

/// Monday's request (and Tuesday's reminder) to a provider contact.
#[derive(Debug, Clone)]
pub struct ReturnRequest {
    pub name: String,
    pub council: String,
    pub week: String,
    pub due: String,
    pub reminder: bool,
    pub homes: Vec<RequestedHome>,
}

impl ReturnRequest {
    fn subject(&self) -> String {
        if self.reminder {
            format!(
                "Reminder: vacancy return for week {} due {}",
                self.week, self.due
            )
        } else {
            format!("Vacancy return for week {} due {}", self.week, self.due)
        }
    }
}

letter!(ReturnRequest, ReturnRequestText => "emails/return_request/text.txt",
    ReturnRequestHtml => "emails/return_request/html.html");

/// A home that has not filed.
#[derive(Debug, Clone)]
pub struct NonFiler {
    pub name: String,
    pub urn: String,
    pub provider: String,
}

/// Tuesday afternoon's list of homes that have not filed, to commissioners.
#[derive(Debug, Clone)]
pub struct NonFilers {
    pub week: String,
    pub expected: usize,
    pub homes: Vec<NonFiler>,
    pub board_url: String,
}

impl NonFilers {
    fn subject(&self) -> String {
        format!(
            "{} of {} homes have not filed for week {}",
            self.homes.len(),
            self.expected,
            self.week
        )
    }
}

letter!(NonFilers, NonFilersText => "emails/non_filers/text.txt",
    NonFilersHtml => "emails/non_filers/html.html");

/// A vacancy in the morning digest.
#[derive(Debug, Clone)]
pub struct DigestVacancy {
    pub home: String,
    pub provider: String,
    /// Who to ask, in one line; empty when none is recorded.
    pub contact: String,
    pub locality: String,
    pub details: String,
    pub rating: String,
    pub is_new: bool,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct DigestGroup {
    pub provision_type: String,
    pub vacancies: Vec<DigestVacancy>,
}

/// The placements team's morning list of beds.
#[derive(Debug, Clone)]
pub struct VacancyDigest {
    pub date: String,
    pub new_count: usize,
    pub total: usize,
    pub groups: Vec<DigestGroup>,
    pub search_url: String,
}

impl VacancyDigest {
    fn subject(&self) -> String {
        format!(
            "Vacancies on {}: {} new, {} in all",
            self.date, self.new_count, self.total
        )
    }
}

letter!(VacancyDigest, VacancyDigestText => "emails/vacancy_digest/text.txt",
    VacancyDigestHtml => "emails/vacancy_digest/html.html");

/// A short alert: a title, a few paragraphs and one link.
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub link_text: String,
    pub link_url: String,
}

impl Alert {
    fn subject(&self) -> String {
        self.title.clone()
    }
}

letter!(Alert, AlertText => "emails/alert/text.txt", AlertHtml => "emails/alert/html.html");

/// One line of the monthly summary.
#[derive(Debug, Clone)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// The monthly summary to commissioners.
#[derive(Debug, Clone)]
pub struct MonthlySummary {
    pub month: String,
    pub figures: Vec<Figure>,
    pub cases_url: String,
    pub capacity_url: String,
}

impl MonthlySummary {
    fn subject(&self) -> String {
        format!("Monthly summary for {}", self.month)
    }
}

letter!(MonthlySummary, MonthlySummaryText => "emails/monthly_summary/text.txt",
    MonthlySummaryHtml => "emails/monthly_summary/html.html");

/// An invitation or a password reset: a link to set a password.
#[derive(Debug, Clone)]
pub struct AccountLink {
    pub title: String,
    pub intro: String,
    pub link_text: String,
    pub url: String,
    pub expires: String,
}

impl AccountLink {
    fn subject(&self) -> String {
        self.title.clone()
    }
}

letter!(AccountLink, AccountLinkText => "emails/account_link/text.txt",
    AccountLinkHtml => "emails/account_link/html.html");
