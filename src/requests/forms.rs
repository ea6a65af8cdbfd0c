//! The request pages' forms: sending a request, a provider's answer for a
//! home, and the officer's decision. Each parses its strings into the
//! domain's types; the rules that need the database (the search's
//! postcode, the homes) are checked by the domain function.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::answers::{AnswerInput, NOTE_MAX_CHARS};
use super::deciding::Decision;
use super::sending::Draft;
use super::{Consideration, Length, Reason};
use crate::web::forms::{FormErrors, FormInput, date_from_parts, optional};

/// A UK date and time ("14:30", "2:30pm", "9am") as an instant.
pub fn uk_time(date: NaiveDate, time: &str) -> Option<DateTime<Utc>> {
    let t = time.trim().to_ascii_lowercase().replace('.', ":");
    let (clock, pm) = match (t.strip_suffix("pm"), t.strip_suffix("am")) {
        (Some(c), _) => (c.trim().to_string(), Some(true)),
        (_, Some(c)) => (c.trim().to_string(), Some(false)),
        _ => (t.clone(), None),
    };
    let (h, m) = match clock.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (clock.parse::<u32>().ok()?, 0),
    };
    let hour = match pm {
        Some(true) if (1..=11).contains(&h) => h + 12,
        Some(true) if h == 12 => 12,
        Some(false) if h == 12 => 0,
        Some(false) if (1..=11).contains(&h) => h,
        Some(_) => return None,
        None => h,
    };
    let naive = date.and_time(NaiveTime::from_hms_opt(hour, m, 0)?);
    // In the hour the clocks go back, the first of the two times.
    London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct RequestForm {
    /// The search's query string, carried from the results page.
    pub search: String,
    pub homes: Vec<String>,
    /// More homes by URN, separated by spaces, commas or lines.
    pub other_homes: String,
    pub length: String,
    pub considerations: Vec<String>,
    pub reply_day: String,
    pub reply_month: String,
    pub reply_year: String,
    pub reply_time: String,
    pub note: String,
}

impl RequestForm {
    /// The URNs typed in the other-homes box.
    pub fn typed_urns(&self) -> Vec<String> {
        self.other_homes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| s.trim().to_ascii_uppercase())
            .collect()
    }

    pub fn all_urns(&self) -> Vec<String> {
        self.homes
            .iter()
            .map(String::as_str)
            .chain(
                self.other_homes
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty()),
            )
            .map(|s| s.trim().to_ascii_uppercase())
            .collect()
    }

    pub fn has_consideration(&self, c: &Consideration) -> bool {
        self.considerations.iter().any(|x| x == c.code())
    }
}

impl FormInput for RequestForm {
    type Parsed = Draft;
    const FIELDS: &'static [&'static str] = &[
        "search",
        "homes",
        "other_homes",
        "length",
        "considerations",
        "reply_by",
        "note",
    ];

    fn parse(&self) -> Result<Draft, FormErrors> {
        let mut errors = FormErrors::default();
        let search = crate::search::routes::params(Some(&self.search))
            .map_err(|_| {
                errors.add(
                    "search",
                    "The search could not be read: start again from the search",
                )
            })
            .unwrap_or_default();
        let length = if self.length.trim().is_empty() {
            None
        } else {
            Length::from_code(&self.length).or_else(|| {
                errors.add(
                    "length",
                    "Select how long the placement is expected to last",
                );
                None
            })
        };
        let mut considerations = Vec::new();
        for code in &self.considerations {
            match Consideration::from_code(code) {
                Some(c) if !considerations.contains(&c) => considerations.push(c),
                Some(_) => {}
                None => errors.add("considerations", "Choose considerations from the list"),
            }
        }
        considerations.sort();
        let date = date_from_parts(
            &mut errors,
            "reply_by",
            "Reply-by date",
            [&self.reply_day, &self.reply_month, &self.reply_year],
            false,
        );
        let reply_by = match (date, self.reply_time.trim()) {
            (Some(d), time) if !time.is_empty() => uk_time(d, time).or_else(|| {
                errors.add("reply_by", "Enter the reply-by time like 14:30 or 2:30pm");
                None
            }),
            (Some(_), _) => {
                errors.add("reply_by", "Enter the reply-by time, like 14:30");
                None
            }
            (None, _) => None,
        };
        errors.into_result(Draft {
            search,
            homes: Some(self.all_urns()),
            length,
            considerations,
            reply_by,
            note: optional(&self.note),
            problems: FormErrors::default(),
            typed: self.typed_urns(),
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct AnswerForm {
    pub answer: String,
    pub available_day: String,
    pub available_month: String,
    pub available_year: String,
    pub weekly_fee: String,
    pub reason: String,
    #[validate(length(max = 500, message = "The note must be 500 characters or fewer"))]
    pub note: String,
}

impl FormInput for AnswerForm {
    type Parsed = AnswerInput;
    const FIELDS: &'static [&'static str] =
        &["answer", "available", "weekly_fee", "reason", "note"];

    fn parse(&self) -> Result<AnswerInput, FormErrors> {
        let mut errors = FormErrors::default();
        let note = optional(&self.note);
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS)
        {
            errors.add("note", "The note must be 500 characters or fewer");
        }
        let answer = match self.answer.as_str() {
            "offer" => {
                let from = date_from_parts(
                    &mut errors,
                    "available",
                    "Date the bed is available from",
                    [
                        &self.available_day,
                        &self.available_month,
                        &self.available_year,
                    ],
                    true,
                );
                let fee = match self.weekly_fee.trim() {
                    "" => {
                        errors.add("weekly_fee", "Enter the weekly fee, like 4500.00");
                        None
                    }
                    text => text
                        .parse::<importers::vocab::Pence>()
                        .map_err(|e| errors.add("weekly_fee", e.to_string()))
                        .ok(),
                };
                let from =
                    from.filter(
                        |d| match super::answers::available_from_problem(*d, Utc::now()) {
                            Some(problem) => {
                                errors.add("available", problem);
                                false
                            }
                            None => true,
                        },
                    );
                match (from, fee) {
                    (Some(available_from), Some(weekly_fee)) => Some(AnswerInput::Offer {
                        available_from,
                        weekly_fee,
                        note,
                    }),
                    _ => None,
                }
            }
            "cannot_offer" => match Reason::from_code(&self.reason) {
                Some(Reason::Other) if note.is_none() => {
                    errors.add("note", "Say why in the note when the reason is Other");
                    None
                }
                Some(reason) => Some(AnswerInput::CannotOffer { reason, note }),
                None => {
                    errors.add("reason", "Select why you cannot offer");
                    None
                }
            },
            _ => {
                errors.add("answer", "Select whether you can offer a bed");
                None
            }
        };
        match answer {
            Some(a) if errors.is_empty() => Ok(a),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct DecisionForm {
    /// `placed:<URN>` for the offer taken, `no_suitable_offer` or `withdrawn`.
    pub outcome: String,
    /// `yes` once the officer has seen what the outcome will do.
    pub confirmed: String,
}

impl FormInput for DecisionForm {
    type Parsed = Decision;
    const FIELDS: &'static [&'static str] = &["outcome"];

    fn parse(&self) -> Result<Decision, FormErrors> {
        let mut errors = FormErrors::default();
        let outcome = self.outcome.trim();
        let decision = match outcome.strip_prefix("placed:") {
            Some(urn) if !urn.trim().is_empty() => {
                Some(Decision::Placed(urn.trim().to_ascii_uppercase()))
            }
            _ if outcome == "no_suitable_offer" => Some(Decision::NoSuitableOffer),
            _ if outcome == "withdrawn" => Some(Decision::Withdrawn),
            _ => {
                errors.add("outcome", "Select the outcome");
                None
            }
        };
        decision.ok_or(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_times_are_uk_times() {
        let winter = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let summer = NaiveDate::from_ymd_opt(2026, 7, 7).unwrap();
        let at = |d, t| uk_time(d, t).map(|t| t.to_rfc3339());
        assert_eq!(
            at(winter, "14:30").as_deref(),
            Some("2026-12-07T14:30:00+00:00")
        );
        assert_eq!(
            at(summer, "2:30pm").as_deref(),
            Some("2026-07-07T13:30:00+00:00")
        );
        assert_eq!(
            at(winter, "9am").as_deref(),
            Some("2026-12-07T09:00:00+00:00")
        );
        assert_eq!(
            at(winter, "12am").as_deref(),
            Some("2026-12-07T00:00:00+00:00")
        );
        assert_eq!(at(winter, "25:00"), None);
        assert_eq!(at(winter, "13pm"), None);
        assert_eq!(at(winter, "soon"), None);
    }
}
