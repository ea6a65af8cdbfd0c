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

/// A home in a bed request, with the link that answers for it.
#[derive(Debug, Clone)]
pub struct AskedHome {
    pub name: String,
    pub urn: String,
    pub answer_url: String,
}

/// A council's request for a bed (or the reminder before its reply-by
/// time), to a provider contact: criteria only, never the child.
#[derive(Debug, Clone)]
pub struct BedRequestLetter {
    pub name: String,
    pub council: String,
    pub reference: String,
    pub reply_by: String,
    pub reminder: bool,
    /// What is asked, line by line (`requests::describe`).
    pub asks: Vec<(&'static str, String)>,
    pub note: Option<String>,
    /// The officer who sent it: name and email.
    pub sender: String,
    pub homes: Vec<AskedHome>,
    pub requests_url: String,
}

impl BedRequestLetter {
    fn subject(&self) -> String {
        let prefix = if self.reminder { "Reminder: " } else { "" };
        format!(
            "{prefix}{} asks for a bed ({}): reply by {}",
            self.council, self.reference, self.reply_by
        )
    }
}

letter!(BedRequestLetter, BedRequestText => "emails/bed_request/text.txt",
    BedRequestHtml => "emails/bed_request/html.html");

/// A bed request a provider was asked about has closed.
#[derive(Debug, Clone)]
pub struct RequestClosedLetter {
    pub name: String,
    pub council: String,
    pub reference: String,
    /// The provider's own home the council placed with, if it did.
    pub placed_with_you: Option<String>,
    /// Placed, but with another provider's home.
    pub placed_elsewhere: bool,
    pub homes: Vec<String>,
}

impl RequestClosedLetter {
    fn subject(&self) -> String {
        if self.placed_with_you.is_some() {
            format!("{}: {} accepted your offer", self.reference, self.council)
        } else if self.placed_elsewhere {
            format!("{}: placed elsewhere, thank you", self.reference)
        } else {
            format!("{}: closed without a placement, thank you", self.reference)
        }
    }
}

letter!(RequestClosedLetter, RequestClosedText => "emails/request_closed/text.txt",
    RequestClosedHtml => "emails/request_closed/html.html");

/// Every email as its reader sees it: a change to a template shows as a
/// change to its snapshot (`src/email/snapshots/`).
#[cfg(test)]
mod tests {
    use super::*;

    fn footer(unsubscribe: bool) -> Footer {
        Footer {
            service_url: "https://sufficiency.example.gov.uk/".into(),
            preferences_url: "https://sufficiency.example.gov.uk/account/email".into(),
            unsubscribe_url: unsubscribe
                .then(|| "https://sufficiency.example.gov.uk/email/unsubscribe/TOKEN".into()),
        }
    }

    fn snapshot(name: &str, letter: Letter) {
        insta::assert_snapshot!(
            name,
            format!(
                "Subject: {}\n\n{}\n----- HTML -----\n{}",
                letter.subject, letter.text, letter.html
            )
        );
    }

    #[test]
    fn return_request_and_reminder() {
        let homes = vec![
            RequestedHome {
                name: "Alder House".into(),
                urn: "SC100001".into(),
                no_change_url: Some(
                    "https://sufficiency.example.gov.uk/one-click/SC100001/TOKEN".into(),
                ),
                update_url: "https://sufficiency.example.gov.uk/homes/SC100001/returns/2026-W49"
                    .into(),
            },
            RequestedHome {
                name: "Birch & Beech <Lodge>".into(),
                urn: "SC100002".into(),
                no_change_url: None,
                update_url: "https://sufficiency.example.gov.uk/homes/SC100002/returns/2026-W49"
                    .into(),
            },
        ];
        let mut request = ReturnRequest {
            name: "Pat Provider".into(),
            council: "BCP Council".into(),
            week: "2026-W49".into(),
            due: "Tuesday 1 December, 12:00".into(),
            reminder: false,
            homes,
        };
        snapshot("return_request", request.render(&footer(false)).unwrap());
        request.reminder = true;
        snapshot("return_reminder", request.render(&footer(false)).unwrap());
    }

    #[test]
    fn non_filers() {
        let letter = NonFilers {
            week: "2026-W49".into(),
            expected: 12,
            homes: vec![NonFiler {
                name: "Alder House".into(),
                urn: "SC100001".into(),
                provider: "Sunrise Care Ltd".into(),
            }],
            board_url: "https://sufficiency.example.gov.uk/returns?week=2026-W49".into(),
        }
        .render(&footer(true))
        .unwrap();
        snapshot("non_filers", letter);
    }

    #[test]
    fn vacancy_digest() {
        let letter = VacancyDigest {
            date: "Monday 30 November 2026".into(),
            new_count: 1,
            total: 2,
            groups: vec![DigestGroup {
                provision_type: "Children's home".into(),
                vacancies: vec![
                    DigestVacancy {
                        home: "Alder House".into(),
                        provider: "Sunrise Care Ltd".into(),
                        contact: "Sam Lee, 01202 123456".into(),
                        locality: "Poole".into(),
                        details: "1 bed from 30 Nov 2026; ages 11 to 17; mixed".into(),
                        rating: "Good".into(),
                        is_new: true,
                        url: "https://sufficiency.example.gov.uk/homes/SC100001".into(),
                    },
                    DigestVacancy {
                        home: "Cedar View".into(),
                        provider: "Brightside Homes Limited".into(),
                        contact: String::new(),
                        locality: "Bournemouth".into(),
                        details: "2 beds from 7 Dec 2026; ages 8 to 12; girls".into(),
                        rating: "Outstanding".into(),
                        is_new: false,
                        url: "https://sufficiency.example.gov.uk/homes/SC100003".into(),
                    },
                ],
            }],
            search_url: "https://sufficiency.example.gov.uk/search".into(),
        }
        .render(&footer(true))
        .unwrap();
        snapshot("vacancy_digest", letter);
    }

    #[test]
    fn alert() {
        let letter = Alert {
            title: "Alder House is now rated Inadequate".into(),
            paragraphs: vec![
                "Ofsted published the report on 1 December 2026.".into(),
                "A monitoring case has been opened.".into(),
            ],
            link_text: "See the case".into(),
            link_url: "https://sufficiency.example.gov.uk/cases/7".into(),
        }
        .render(&footer(true))
        .unwrap();
        snapshot("alert", letter);
    }

    #[test]
    fn monthly_summary() {
        let letter = MonthlySummary {
            month: "November 2026".into(),
            figures: vec![
                Figure {
                    label: "Homes in the placements market".into(),
                    value: "42".into(),
                },
                Figure {
                    label: "Vacant beds on the last Monday".into(),
                    value: "7".into(),
                },
            ],
            cases_url: "https://sufficiency.example.gov.uk/cases".into(),
            capacity_url: "https://sufficiency.example.gov.uk/capacity".into(),
        }
        .render(&footer(true))
        .unwrap();
        snapshot("monthly_summary", letter);
    }

    #[test]
    fn account_link() {
        let letter = AccountLink {
            title: "Reset your Sufficiency password".into(),
            intro: "Someone asked to reset the password for this email address.".into(),
            link_text: "Choose a new password".into(),
            url: "https://sufficiency.example.gov.uk/account/set-password/TOKEN".into(),
            expires: "This link works once, until 10:30 on 6 December 2026.".into(),
        }
        .render(&footer(false))
        .unwrap();
        snapshot("account_link", letter);
    }

    #[test]
    fn bed_request_and_its_reminder() {
        let letter = |reminder| BedRequestLetter {
            name: "Sam Provider".into(),
            council: "Bournemouth, Christchurch and Poole".into(),
            reference: "REQ-2026-0142".into(),
            reply_by: "3:00pm on Monday 7 December".into(),
            reminder,
            asks: vec![
                ("Child", "Girl aged 15".into()),
                ("Needs", "Mental health".into()),
                ("Near", "BH12, within 20 miles".into()),
                (
                    "Matching considerations",
                    "Needs a home without pets".into(),
                ),
            ],
            note: Some("An introductory visit <this week> & soon".into()),
            sender: "Pat Placements (pat@bcp.example)".into(),
            homes: vec![AskedHome {
                name: "Alder House".into(),
                urn: "SC100001".into(),
                answer_url: "https://sufficiency.example.gov.uk/answer/SC100001/TOKEN".into(),
            }],
            requests_url: "https://sufficiency.example.gov.uk/requests".into(),
        };
        snapshot("bed_request", letter(false).render(&footer(false)).unwrap());
        snapshot(
            "bed_request_reminder",
            letter(true).render(&footer(false)).unwrap(),
        );
    }

    #[test]
    fn request_closed_placed_elsewhere_and_accepted() {
        let letter = |placed_with_you: Option<&str>, placed_elsewhere| RequestClosedLetter {
            name: "Sam Provider".into(),
            council: "Bournemouth, Christchurch and Poole".into(),
            reference: "REQ-2026-0142".into(),
            placed_with_you: placed_with_you.map(String::from),
            placed_elsewhere,
            homes: vec!["Alder House".into(), "Birch Lodge".into()],
        };
        snapshot(
            "request_placed_elsewhere",
            letter(None, true).render(&footer(true)).unwrap(),
        );
        snapshot(
            "request_offer_accepted",
            letter(Some("Alder House"), false)
                .render(&footer(false))
                .unwrap(),
        );
        snapshot(
            "request_closed_without_placement",
            letter(None, false).render(&footer(true)).unwrap(),
        );
    }
}
