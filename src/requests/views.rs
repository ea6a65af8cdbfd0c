//! The request pages' data.

use askama::Template;
use chrono::{DateTime, Utc};

use super::list::Summary;
use super::stats::ProviderAnswers;
use super::{Consideration, Detail, HomeLine, Length, Reason, Stage};
use crate::search::demand::Period;
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

/// A home offered on the new-request form.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub urn: String,
    pub name: String,
    pub provider: String,
    pub miles: f64,
    /// None for a result; for a near miss, how it misses.
    pub miss: Option<String>,
    pub ticked: bool,
}

#[derive(Template)]
#[template(path = "requests/new.html")]
pub struct NewPage {
    pub page: PageContext,
    pub errors: FormErrors,
    pub form: super::forms::RequestForm,
    /// What the search asks, in words.
    pub asks: Vec<(&'static str, String)>,
    pub candidates: Vec<Candidate>,
    pub note_max_chars: usize,
    pub search_url: String,
}

impl NewPage {
    pub fn note_hint(&self) -> String {
        format!(
            "Up to {} characters, about the placement only. It must not identify the child.",
            self.note_max_chars
        )
    }
    pub fn lengths(&self) -> &'static [Length] {
        Length::ALL
    }
    pub fn considerations(&self) -> &'static [Consideration] {
        Consideration::ALL
    }
}

#[derive(Template)]
#[template(path = "requests/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub is_council: bool,
    pub rows: Vec<Summary>,
    pub pagination: Pagination,
    pub stage: String,
    pub length: String,
    pub export_query: String,
    pub counts: Vec<(Stage, usize)>,
}

impl ListPage {
    pub fn stages(&self) -> &'static [Stage] {
        Stage::ALL
    }
    pub fn lengths(&self) -> &'static [Length] {
        Length::ALL
    }
}

#[derive(Template)]
#[template(path = "requests/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub d: Detail,
    pub is_council: bool,
    pub now: DateTime<Utc>,
    /// The comparison's order: `miles`, `fee`, `available`, `answered`, `rating`.
    pub sort: String,
    pub errors: FormErrors,
    /// The home whose answer form the errors belong to.
    pub error_urn: String,
    pub form: super::forms::AnswerForm,
    /// The officer who sent it, to contact (name and email).
    pub sender: String,
}

impl ShowPage {
    /// The orders the comparison offers: (code, label, chosen).
    pub fn sorts(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            ("miles", "nearest"),
            ("fee", "lowest fee"),
            ("available", "soonest available"),
            ("rating", "best rated"),
            ("answered", "first answered"),
        ]
        .into_iter()
        .map(|(code, label)| {
            let chosen = self.sort == code || (code == "miles" && self.sort.is_empty());
            (code, label, chosen)
        })
        .collect()
    }
    pub fn first_offer_words(&self) -> String {
        match self.d.time_to_first_offer() {
            Some(t) => format!("{} after sending", super::duration_words(t)),
            None => "None yet".into(),
        }
    }
    pub fn is_placed(&self, line: &HomeLine) -> bool {
        self.d.request.placed_home_id == Some(line.home.id)
    }
    /// An unanswered home: still waiting, or past answering.
    pub fn unanswered_words(&self) -> &'static str {
        if self.d.is_open() && self.d.request.reply_by.with_timezone(&Utc) > self.now {
            "Waiting"
        } else {
            "No answer"
        }
    }
    /// A closed request as a provider reads it, for one of its homes.
    pub fn outcome_for(&self, line: &HomeLine) -> Option<&'static str> {
        match self.d.status() {
            super::Status::Open => None,
            super::Status::Placed if self.is_placed(line) => Some("Offer accepted"),
            super::Status::Placed => Some("Placed elsewhere"),
            _ => Some("Closed without a placement"),
        }
    }
    /// The request's state in the heading: a provider is told whether the
    /// placement was with one of its homes, never with whose.
    pub fn status_words(&self) -> &'static str {
        if self.is_council || self.d.is_open() {
            return self.d.status().label();
        }
        match self.d.homes.iter().find_map(|h| self.outcome_for(h)) {
            Some(_) if self.d.placed().is_some() => "Offer accepted",
            Some(words) => words,
            None => self.d.status().label(),
        }
    }
    pub fn asks(&self) -> Vec<(&'static str, String)> {
        super::describe(&self.d.request)
    }
    pub fn reasons(&self) -> &'static [Reason] {
        Reason::ALL
    }
    pub fn offers(&self) -> Vec<&HomeLine> {
        self.d.homes.iter().filter(|h| h.is_offer()).collect()
    }
    pub fn can_answer(&self, line: &HomeLine) -> bool {
        super::answers::closed_reason(&self.d.request, &line.row, self.now).is_none()
    }
    /// The answer form's values for this home (what was typed, on an error).
    pub fn form_for(&self, line: &HomeLine) -> super::forms::AnswerForm {
        if self.error_urn == line.home.urn {
            self.form.clone()
        } else {
            super::forms::AnswerForm::default()
        }
    }
    pub fn errors_for(&self, line: &HomeLine) -> FormErrors {
        if self.error_urn == line.home.urn {
            self.errors.clone()
        } else {
            FormErrors::default()
        }
    }
}

#[derive(Template)]
#[template(path = "requests/answer_link.html")]
pub struct AnswerLinkPage {
    pub page: PageContext,
    pub d: Option<Detail>,
    pub action: String,
    /// `form`, `answered` (just now), `refused`.
    pub state: &'static str,
    pub message: String,
    pub errors: FormErrors,
    pub form: super::forms::AnswerForm,
}

impl AnswerLinkPage {
    pub fn asks(&self) -> Vec<(&'static str, String)> {
        self.d
            .as_ref()
            .map(|d| super::describe(&d.request))
            .unwrap_or_default()
    }
    pub fn reasons(&self) -> &'static [Reason] {
        Reason::ALL
    }
    pub fn reply_by(&self) -> String {
        self.d
            .as_ref()
            .map(|d| super::sending::reply_by_text(&d.request))
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "requests/providers.html")]
pub struct ProvidersPage {
    pub page: PageContext,
    pub rows: Vec<ProviderAnswers>,
    pub period: Period,
    pub period_code: String,
    pub periods: Vec<(String, String)>,
}

/// Before an outcome is recorded: what it will do, to confirm.
#[derive(Template)]
#[template(path = "requests/confirm.html")]
pub struct ConfirmPage {
    pub page: PageContext,
    pub reference: String,
    /// The outcome's form value, sent again with the confirmation.
    pub outcome: String,
    /// What is decided, in words.
    pub decision: String,
    /// Who will be told what.
    pub consequences: Vec<String>,
}
