//! The forms that change a case, each parsed into the domain's own input
//! (dates, links, levels and owners as types) with every problem named by
//! field. The routes that take them are in `routes.rs`.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::Reason;
use super::activity::{ActionStatus, Escalation, NewAction, NewMeeting, Owner, Rag};
use super::plan::PlanDetails;
use crate::web::forms::{FormErrors, FormInput, date_from_parts, optional};

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct PlanForm {
    pub plan_requested_day: String,
    pub plan_requested_month: String,
    pub plan_requested_year: String,
    pub plan_received_day: String,
    pub plan_received_month: String,
    pub plan_received_year: String,
    #[validate(length(max = 5000, message = "Summary must be 5,000 characters or fewer"))]
    pub plan_summary: String,
    pub plan_url: String,
}

impl FormInput for PlanForm {
    type Parsed = PlanDetails;
    const FIELDS: &'static [&'static str] = &[
        "plan_requested",
        "plan_received",
        "plan_summary",
        "plan_url",
    ];

    fn parse(&self) -> Result<PlanDetails, FormErrors> {
        let mut errors = FormErrors::default();
        let requested_on = date_from_parts(
            &mut errors,
            "plan_requested",
            "Date requested",
            [
                &self.plan_requested_day,
                &self.plan_requested_month,
                &self.plan_requested_year,
            ],
            false,
        );
        let received_on = date_from_parts(
            &mut errors,
            "plan_received",
            "Date received",
            [
                &self.plan_received_day,
                &self.plan_received_month,
                &self.plan_received_year,
            ],
            false,
        );
        let url = match optional(&self.plan_url) {
            None => None,
            Some(text) => match url::Url::parse(&text) {
                Ok(u) if u.scheme() == "https" => Some(u),
                _ => {
                    errors.add("plan_url", "Enter a link starting https://");
                    None
                }
            },
        };
        errors.into_result(PlanDetails {
            requested_on,
            received_on,
            summary: optional(&self.plan_summary),
            url,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct ActionForm {
    #[validate(length(
        min = 1,
        max = 2000,
        message = "Describe the action in 2,000 characters or fewer"
    ))]
    pub action_description: String,
    pub action_owner: String,
    pub action_due_day: String,
    pub action_due_month: String,
    pub action_due_year: String,
}

impl FormInput for ActionForm {
    type Parsed = NewAction;
    const FIELDS: &'static [&'static str] = &["action_description", "action_owner", "action_due"];

    fn parse(&self) -> Result<NewAction, FormErrors> {
        let mut errors = FormErrors::default();
        let owner = Owner::from_code(&self.action_owner);
        if owner.is_none() {
            errors.add("action_owner", "Select who is to do it");
        }
        let due_on = date_from_parts(
            &mut errors,
            "action_due",
            "Due date",
            [
                &self.action_due_day,
                &self.action_due_month,
                &self.action_due_year,
            ],
            false,
        );
        errors.into_result(NewAction {
            description: self.action_description.trim().to_string(),
            owner: owner.unwrap_or(Owner::Provider),
            due_on,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct ActionStatusForm {
    pub status: String,
}

impl FormInput for ActionStatusForm {
    type Parsed = ActionStatus;
    const FIELDS: &'static [&'static str] = &["status"];

    fn parse(&self) -> Result<ActionStatus, FormErrors> {
        ActionStatus::from_code(&self.status).ok_or_else(|| {
            let mut errors = FormErrors::default();
            errors.add("status", "Select the action's status");
            errors
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct MeetingForm {
    pub meeting_held_day: String,
    pub meeting_held_month: String,
    pub meeting_held_year: String,
    #[validate(length(
        min = 1,
        max = 2000,
        message = "Enter who attended, in 2,000 characters or fewer"
    ))]
    pub meeting_attendees: String,
    #[validate(length(
        min = 1,
        max = 10000,
        message = "Enter the meeting's notes, in 10,000 characters or fewer"
    ))]
    pub meeting_notes: String,
    pub meeting_rag: String,
    pub meeting_next_day: String,
    pub meeting_next_month: String,
    pub meeting_next_year: String,
}

impl FormInput for MeetingForm {
    type Parsed = NewMeeting;
    const FIELDS: &'static [&'static str] = &[
        "meeting_held",
        "meeting_attendees",
        "meeting_notes",
        "meeting_rag",
        "meeting_next",
    ];

    fn parse(&self) -> Result<NewMeeting, FormErrors> {
        let mut errors = FormErrors::default();
        let held_on = date_from_parts(
            &mut errors,
            "meeting_held",
            "Meeting date",
            [
                &self.meeting_held_day,
                &self.meeting_held_month,
                &self.meeting_held_year,
            ],
            true,
        );
        if held_on.is_some_and(|d| d > Utc::now().date_naive()) {
            errors.add("meeting_held", "Meeting date must be today or in the past");
        }
        let rag = Rag::from_code(&self.meeting_rag);
        if rag.is_none() {
            errors.add("meeting_rag", "Select red, amber or green");
        }
        let next_due_on = date_from_parts(
            &mut errors,
            "meeting_next",
            "Next meeting due",
            [
                &self.meeting_next_day,
                &self.meeting_next_month,
                &self.meeting_next_year,
            ],
            false,
        );
        match (held_on, rag) {
            (Some(held_on), Some(rag)) if errors.is_empty() => Ok(NewMeeting {
                held_on,
                attendees: self.meeting_attendees.trim().to_string(),
                notes: self.meeting_notes.trim().to_string(),
                rag,
                next_due_on,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct EscalationForm {
    pub escalation_level: String,
    #[validate(length(min = 1, max = 5000, message = "Say why, in 5,000 characters or fewer"))]
    pub escalation_reason: String,
}

impl FormInput for EscalationForm {
    type Parsed = Escalation;
    const FIELDS: &'static [&'static str] = &["escalation_level", "escalation_reason"];

    fn parse(&self) -> Result<Escalation, FormErrors> {
        let mut errors = FormErrors::default();
        let level = self.escalation_level.parse::<i16>().ok();
        if level.is_none() {
            errors.add("escalation_level", "Select a level");
        }
        errors.into_result(Escalation {
            to_level: level.unwrap_or_default(),
            escalated_on: Utc::now().date_naive(),
            reason: self.escalation_reason.trim().to_string(),
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct NoteForm {
    #[validate(length(
        min = 1,
        max = 10000,
        message = "Enter the note, in 10,000 characters or fewer"
    ))]
    pub note: String,
}

impl FormInput for NoteForm {
    type Parsed = String;
    const FIELDS: &'static [&'static str] = &["note"];

    fn parse(&self) -> Result<String, FormErrors> {
        Ok(self.note.trim().to_string())
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct CloseForm {
    #[validate(length(
        min = 1,
        max = 5000,
        message = "Say why the case can close, in 5,000 characters or fewer"
    ))]
    pub closing_note: String,
    /// The id of the report awaiting confirmation, when ticked.
    pub confirm_report: String,
}

impl FormInput for CloseForm {
    type Parsed = super::Closing;
    const FIELDS: &'static [&'static str] = &["closing_note", "confirm_report"];

    fn parse(&self) -> Result<super::Closing, FormErrors> {
        let confirm_report = match self.confirm_report.trim() {
            "" => None,
            id => match id.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    let mut errors = FormErrors::default();
                    errors.add(
                        "confirm_report",
                        "Tick the box to confirm the reported inspection",
                    );
                    return Err(errors);
                }
            },
        };
        Ok(super::Closing {
            note: self.closing_note.trim().to_string(),
            confirm_report,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct OwnerForm {
    pub owner_user_id: String,
}

impl FormInput for OwnerForm {
    type Parsed = Option<i64>;
    const FIELDS: &'static [&'static str] = &["owner_user_id"];

    fn parse(&self) -> Result<Option<i64>, FormErrors> {
        let mut errors = FormErrors::default();
        let owner = crate::web::forms::optional_number::<i64>(
            &mut errors,
            "owner_user_id",
            &self.owner_user_id,
            "Choose a commissioner or administrator from the list",
        );
        errors.into_result(owner)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct ConcernForm {
    pub reason: String,
    #[validate(length(
        min = 1,
        max = 5000,
        message = "Describe the concern, in 5,000 characters or fewer"
    ))]
    pub note: String,
}

impl FormInput for ConcernForm {
    type Parsed = (Reason, String);
    const FIELDS: &'static [&'static str] = &["reason", "note"];

    fn parse(&self) -> Result<(Reason, String), FormErrors> {
        match Reason::from_code(&self.reason).filter(|r| Reason::CONCERNS.contains(r)) {
            Some(r) => Ok((r, self.note.trim().to_string())),
            None => {
                let mut errors = FormErrors::default();
                errors.add("reason", "Select the kind of concern");
                Err(errors)
            }
        }
    }
}
