//! What happens on a case: actions, monitoring meetings, escalation steps
//! and council-only notes. Each change is audited in its transaction.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};

use super::{CaseDetail, add_months, audit_case};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config;
use crate::db::entities::{case_actions, case_escalations, case_meetings, case_notes};
use crate::error::{Error, Result};

/// Who is to carry out an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Council,
    Provider,
}

impl Owner {
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "council" => Some(Owner::Council),
            "provider" => Some(Owner::Provider),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Owner::Council => "council",
            Owner::Provider => "provider",
        }
    }
}

pub fn owner_label(code: &str) -> &'static str {
    match code {
        "council" => "Council",
        "provider" => "Provider",
        _ => "Unknown",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStatus {
    NotStarted,
    InProgress,
    Done,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::NotStarted,
        ActionStatus::InProgress,
        ActionStatus::Done,
    ];
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn code(self) -> &'static str {
        match self {
            ActionStatus::NotStarted => "not_started",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::NotStarted => "Not started",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Done => "Done",
        }
    }
}

pub fn action_status_label(code: &str) -> &'static str {
    ActionStatus::from_code(code)
        .map(ActionStatus::label)
        .unwrap_or("Unknown")
}

/// An action is overdue when it is not done and its due date has passed.
pub fn is_overdue(action: &case_actions::Model, today: NaiveDate) -> bool {
    action.status != "done" && action.due_on.is_some_and(|d| d < today)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rag {
    Red,
    Amber,
    Green,
}

impl Rag {
    pub const ALL: [Rag; 3] = [Rag::Red, Rag::Amber, Rag::Green];
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
    pub fn code(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rag::Red => "Red",
            Rag::Amber => "Amber",
            Rag::Green => "Green",
        }
    }
}

pub fn rag_tag(code: &str) -> (&'static str, &'static str) {
    match Rag::from_code(code) {
        Some(Rag::Red) => ("Red", "govuk-tag--red"),
        Some(Rag::Amber) => ("Amber", "govuk-tag--orange"),
        Some(Rag::Green) => ("Green", "govuk-tag--green"),
        None => ("Unknown", "govuk-tag--grey"),
    }
}

fn council_only(viewer: &Viewer, detail: &CaseDetail) -> Result<()> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    open(detail)
}

fn open(detail: &CaseDetail) -> Result<()> {
    if detail.is_open() {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "This case is closed: its history can be read but not changed".into(),
        ))
    }
}

fn record<T: serde::Serialize>(entity: &str, id: i64, row: &T) -> Result<Change> {
    Ok(Change::created(
        entity,
        id,
        serde_json::to_value(row).map_err(Error::internal)?,
    ))
}

pub struct NewAction {
    pub description: String,
    pub owner: Owner,
    pub due_on: Option<NaiveDate>,
}

pub async fn add_action(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    input: NewAction,
) -> Result<case_actions::Model> {
    council_only(viewer, detail)?;
    let action = case_actions::ActiveModel {
        case_id: Set(detail.case.id),
        description: Set(input.description),
        owner: Set(input.owner.code().into()),
        due_on: Set(input.due_on),
        status: Set(ActionStatus::NotStarted.code().into()),
        updated_by: Set(viewer.display_name.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let change = record("case_action", action.id, &action)?;
    audit::record(conn, viewer, change.summary("Action added")).await?;
    Ok(action)
}

/// Council staff update any action; the provider updates the status of
/// the actions it owns (its own progress), nothing else.
pub async fn update_action_status(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    action_id: i64,
    status: ActionStatus,
) -> Result<case_actions::Model> {
    let allowed = viewer.role.edits_market() || viewer.belongs_to(detail.home.provider_id);
    if !allowed {
        return Err(Error::Forbidden);
    }
    open(detail)?;
    let action = case_actions::Entity::find_by_id(action_id)
        .filter(case_actions::Column::CaseId.eq(detail.case.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    // The provider reports progress on its own actions, not the council's.
    if !viewer.role.edits_market() && action.owner != Owner::Provider.code() {
        return Err(Error::Forbidden);
    }
    if action.status == status.code() {
        return Ok(action);
    }
    let mut model = action.clone().into_active_model();
    model.status = Set(status.code().into());
    model.updated_by = Set(viewer.display_name.clone());
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit::record(
        conn,
        viewer,
        Change::updated(
            "case_action",
            updated.id,
            serde_json::to_value(&action).map_err(Error::internal)?,
            serde_json::to_value(&updated).map_err(Error::internal)?,
        )
        .summary(format!("Action marked {}", status.label().to_lowercase())),
    )
    .await?;
    Ok(updated)
}

pub struct NewMeeting {
    pub held_on: NaiveDate,
    pub attendees: String,
    pub notes: String,
    pub rag: Rag,
    /// Defaults to a month (the configured interval) after the meeting.
    pub next_due_on: Option<NaiveDate>,
}

pub async fn record_meeting(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    input: NewMeeting,
    settings: &config::Cases,
) -> Result<case_meetings::Model> {
    council_only(viewer, detail)?;
    let next_due_on = input
        .next_due_on
        .unwrap_or_else(|| add_months(input.held_on, settings.meeting_interval_months));
    if next_due_on <= input.held_on {
        return Err(Error::field(
            "next_due_on",
            "The next meeting must be after this one",
        ));
    }
    let meeting = case_meetings::ActiveModel {
        case_id: Set(detail.case.id),
        held_on: Set(input.held_on),
        attendees: Set(input.attendees),
        notes: Set(input.notes),
        rag: Set(input.rag.code().into()),
        next_due_on: Set(next_due_on),
        recorded_by: Set(viewer.display_name.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let change = record("case_meeting", meeting.id, &meeting)?;
    audit::record(conn, viewer, change.summary("Monitoring meeting recorded")).await?;
    Ok(meeting)
}

pub struct Escalation {
    pub to_level: i16,
    pub escalated_on: NaiveDate,
    pub reason: String,
}

/// Moves the case to another level (up, or back down), recording why.
pub async fn escalate(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    input: Escalation,
    settings: &config::Cases,
) -> Result<case_escalations::Model> {
    council_only(viewer, detail)?;
    let levels = settings.escalation_levels.len() as i16;
    if !(0..levels).contains(&input.to_level) {
        return Err(Error::field("to_level", "Select a level"));
    }
    let from = detail.case.escalation_level;
    if input.to_level == from {
        return Err(Error::field(
            "to_level",
            format!(
                "The case is already at {}: select another level",
                settings.level_name(from)
            ),
        ));
    }
    let step = case_escalations::ActiveModel {
        case_id: Set(detail.case.id),
        from_level: Set(from),
        to_level: Set(input.to_level),
        escalated_on: Set(input.escalated_on),
        reason: Set(input.reason),
        escalated_by: Set(viewer.display_name.clone()),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let mut model = detail.case.clone().into_active_model();
    model.escalation_level = Set(input.to_level);
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit_case(
        conn,
        viewer,
        &detail.case,
        &updated,
        &format!(
            "Escalated from {} to {}",
            settings.level_name(from),
            settings.level_name(input.to_level)
        ),
    )
    .await?;
    Ok(step)
}

pub async fn add_note(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    body: String,
) -> Result<case_notes::Model> {
    if !viewer.is_council() {
        return Err(Error::Forbidden);
    }
    open(detail)?;
    let note = case_notes::ActiveModel {
        case_id: Set(detail.case.id),
        body: Set(body),
        written_by: Set(viewer.display_name.clone()),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    // The audit row names the note, not its text: notes are council-only
    // and the audit log is read more widely.
    audit::record(
        conn,
        viewer,
        Change::event(
            "add_note",
            "monitoring_case",
            Some(detail.case.id.to_string()),
        )
        .summary("Council note added"),
    )
    .await?;
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_means_past_due_and_not_done() {
        let now = Utc::now().fixed_offset();
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
        let mut action = case_actions::Model {
            id: 1,
            case_id: 1,
            description: "Recruit a registered manager".into(),
            owner: "provider".into(),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 25),
            status: "in_progress".into(),
            updated_by: "x".into(),
            created_at: now,
            updated_at: now,
        };
        assert!(is_overdue(&action, today));
        action.status = "done".into();
        assert!(!is_overdue(&action, today));
        action.status = "not_started".into();
        action.due_on = Some(today);
        assert!(!is_overdue(&action, today));
    }
}
