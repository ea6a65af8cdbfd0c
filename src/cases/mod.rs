//! Monitoring cases: one open case per home, opened automatically when a
//! home is flagged (or by a commissioner for another concern), holding the
//! improvement plan, actions, monthly meetings, escalation and council-only
//! notes; a close is proposed when the home improves or closes.

pub mod activity;
pub mod forms;
pub mod list;
pub mod plan;
pub mod routes;
mod views;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use importers::vocab::{Judgement, RegistrationStatus};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{
    case_actions, case_escalations, case_meetings, case_notes, homes, inspections, monitoring_cases,
};
use crate::error::{Error, Result};
use crate::quality::{self, Flag};

/// Why a case was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Rating,
    Judgement,
    Safeguarding,
    MonitoringVisit,
    Other,
}

impl Reason {
    /// The reasons a commissioner may open a case for by hand.
    pub const CONCERNS: [Reason; 3] =
        [Reason::Safeguarding, Reason::MonitoringVisit, Reason::Other];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Rating => "rating",
            Reason::Judgement => "judgement",
            Reason::Safeguarding => "safeguarding",
            Reason::MonitoringVisit => "monitoring_visit",
            Reason::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Reason::Rating,
            Reason::Judgement,
            Reason::Safeguarding,
            Reason::MonitoringVisit,
            Reason::Other,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::Rating => "Rated below Good",
            Reason::Judgement => "A judgement area is Inadequate",
            Reason::Safeguarding => "Safeguarding concern",
            Reason::MonitoringVisit => "Monitoring visit",
            Reason::Other => "Other concern",
        }
    }
}

pub fn reason_label(code: &str) -> &'static str {
    Reason::from_code(code)
        .map(Reason::label)
        .unwrap_or("Unknown")
}

pub fn status_label(code: &str) -> &'static str {
    match code {
        "open" => "Open",
        "close_proposed" => "Close proposed",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// Everything a case page shows. Council-only parts are empty for providers.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub case: monitoring_cases::Model,
    pub home: homes::Model,
    pub current: Option<inspections::Model>,
    /// A report awaiting confirmation, newer than the current rating.
    pub pending: Option<inspections::Model>,
    /// The inspection the case was opened for, as it stands now.
    pub opened_for: Option<inspections::Model>,
    pub actions: Vec<case_actions::Model>,
    pub meetings: Vec<case_meetings::Model>,
    pub escalations: Vec<case_escalations::Model>,
    pub notes: Vec<case_notes::Model>,
    /// Plan files without their content, newest first.
    pub files: Vec<plan::PlanFile>,
    /// Council staff see notes and escalations; the home's provider does not.
    pub council_view: bool,
}

impl CaseDetail {
    pub fn is_open(&self) -> bool {
        self.case.status != "closed"
    }

    /// When the next monitoring meeting is due: a month after the last, or
    /// a month after opening when none has been held.
    pub fn next_meeting_due(&self, interval_months: u32) -> NaiveDate {
        next_meeting_due(
            self.meetings.first().map(|m| m.next_due_on),
            self.case.opened_at.date_naive(),
            interval_months,
        )
    }
}

pub fn next_meeting_due(
    last_next_due: Option<NaiveDate>,
    opened_on: NaiveDate,
    interval_months: u32,
) -> NaiveDate {
    last_next_due.unwrap_or_else(|| add_months(opened_on, interval_months))
}

pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(date)
}

/// The case, if the viewer may see it: council staff, or a provider user of
/// the home's organisation. Council-only parts are left out for providers.
pub async fn find(conn: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<CaseDetail> {
    let case = monitoring_cases::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let home = homes::Entity::find_by_id(case.home_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let council_view = viewer.is_council();
    if !council_view && !viewer.belongs_to(home.provider_id) {
        return Err(Error::Forbidden);
    }
    // Another member council's case is its own: not found, as if absent.
    if viewer.council_id().is_some() && case.council_id != viewer.council_id() {
        return Err(Error::NotFound);
    }
    let (current, pending) = rating_of(conn, home.id).await?;
    let opened_for = match case.inspection_id {
        Some(id) => inspections::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let actions = case_actions::Entity::find()
        .filter(case_actions::Column::CaseId.eq(id))
        .order_by_asc(case_actions::Column::Id)
        .all(conn)
        .await?;
    let meetings = case_meetings::Entity::find()
        .filter(case_meetings::Column::CaseId.eq(id))
        .order_by_desc(case_meetings::Column::HeldOn)
        .order_by_desc(case_meetings::Column::Id)
        .all(conn)
        .await?;
    let (escalations, notes) = if council_view {
        (
            case_escalations::Entity::find()
                .filter(case_escalations::Column::CaseId.eq(id))
                .order_by_asc(case_escalations::Column::Id)
                .all(conn)
                .await?,
            case_notes::Entity::find()
                .filter(case_notes::Column::CaseId.eq(id))
                .order_by_desc(case_notes::Column::Id)
                .all(conn)
                .await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let files = plan::list(conn, id).await?;
    Ok(CaseDetail {
        case,
        home,
        current,
        pending,
        opened_for,
        actions,
        meetings,
        escalations,
        notes,
        files,
        council_view,
    })
}

/// A home's current rating and a report awaiting confirmation beside it.
async fn rating_of(
    conn: &impl ConnectionTrait,
    home_id: i64,
) -> Result<(Option<inspections::Model>, Option<inspections::Model>)> {
    let all = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home_id))
        .all(conn)
        .await?;
    let pending = quality::pending_report(&all).cloned();
    let current = all.into_iter().find(|i| i.is_current);
    Ok((current, pending))
}

/// What `sync` did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub opened: Vec<i64>,
    pub close_proposed: Vec<i64>,
    pub reopened: Vec<i64>,
}

/// Whose flagged homes get a case automatically: homes in our council's
/// area, and homes anywhere where our children live. (Ofsted's file is
/// national; a case for every flagged home in England would bury the ones
/// that matter.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each member council the home matters to (in its area, or where its
    /// children live) gets a case of its own.
    Region,
    /// As `Region`, and the acting member of staff's council too: a report
    /// entered by hand.
    AndActingCouncil,
}

/// Brings cases in line with the homes' current ratings and registrations:
/// a flagged home in scope without an open case gets one; an open case whose home
/// has since been judged good (by a full inspection after the case opened)
/// or has closed gets a close proposed; a proposal is withdrawn if the home
/// is flagged again. Idempotent: running it twice changes nothing more.
pub async fn sync(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home_ids: &[i64],
    scope: Scope,
) -> Result<SyncReport> {
    const CHUNK: usize = 400;
    let mut report = SyncReport::default();
    for chunk in home_ids.chunks(CHUNK) {
        let homes: HashMap<i64, homes::Model> = homes::Entity::find()
            .filter(homes::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let current: HashMap<i64, inspections::Model> = inspections::Entity::find()
            .filter(inspections::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(inspections::Column::IsCurrent.eq(true))
            .all(conn)
            .await?
            .into_iter()
            .map(|i| (i.home_id, i))
            .collect();
        let mut open: HashMap<i64, Vec<monitoring_cases::Model>> = HashMap::new();
        for case in monitoring_cases::Entity::find()
            .filter(monitoring_cases::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(monitoring_cases::Column::Status.ne("closed"))
            .all(conn)
            .await?
        {
            open.entry(case.home_id).or_default().push(case);
        }
        let interested =
            crate::regions::interested_in(conn, &homes.values().collect::<Vec<_>>()).await?;
        for (home_id, home) in &homes {
            let mut councils = interested.get(home_id).cloned().unwrap_or_default();
            if let (Scope::AndActingCouncil, Some(acting)) = (scope, viewer.council_id())
                && !councils.contains(&acting)
            {
                councils.push(acting);
            }
            let inspection = current.get(home_id);
            let flag = inspection.and_then(quality::flag_of);
            let registered = RegistrationStatus::from_code(&home.registration_status)
                .is_some_and(RegistrationStatus::is_open);
            let cases = open.get(home_id).map(Vec::as_slice).unwrap_or_default();
            if let (Some(flag), true) = (flag, registered) {
                for council in &councils {
                    if cases.iter().all(|c| c.council_id != Some(*council)) {
                        let case =
                            open_automatically(conn, viewer, home, *council, inspection, flag)
                                .await?;
                        report.opened.push(case.id);
                    }
                }
            }
            for case in cases {
                match flag {
                    Some(_) if case.status == "close_proposed" && registered => {
                        let summary = "Close proposal withdrawn: the home is flagged again";
                        set_proposal(conn, viewer, case, None, summary).await?;
                        report.reopened.push(case.id);
                    }
                    _ if case.status == "open" => {
                        if let Some(why) = close_reason(case, home, inspection, registered) {
                            let summary = format!("Close proposed: {why}");
                            set_proposal(conn, viewer, case, Some(why), &summary).await?;
                            report.close_proposed.push(case.id);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(report)
}

/// Proposes closing an open case (`Some(why)`) or withdraws the proposal.
async fn set_proposal(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    case: &monitoring_cases::Model,
    why: Option<String>,
    summary: &str,
) -> Result<()> {
    let mut model = case.clone().into_active_model();
    model.status = Set(if why.is_some() {
        "close_proposed"
    } else {
        "open"
    }
    .into());
    model.close_proposal = Set(why);
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit_case(conn, viewer, case, &updated, summary).await
}

/// Why an open case could now close, if it could.
fn close_reason(
    case: &monitoring_cases::Model,
    home: &homes::Model,
    current: Option<&inspections::Model>,
    registered: bool,
) -> Option<String> {
    if !registered {
        let status = RegistrationStatus::from_code(&home.registration_status)
            .map(|s| s.label().to_lowercase())
            .unwrap_or_else(|| "no longer registered".into());
        return Some(format!("the home's registration is {status}"));
    }
    let i = current?;
    let judgement = i.overall.as_deref().and_then(Judgement::from_code)?;
    let good = matches!(
        judgement,
        Judgement::Outstanding | Judgement::Good | Judgement::SaStrong
    );
    let later = i.inspection_date > case.opened_at.date_naive()
        || case.inspection_id.is_some_and(|id| id != i.id);
    (good && later && quality::flag_of(i).is_none()).then(|| {
        format!(
            "a full inspection on {} judged the home {}",
            crate::web::filters::long_date(&i.inspection_date),
            judgement.short_label()
        )
    })
}

async fn open_automatically(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    council: i64,
    inspection: Option<&inspections::Model>,
    flag: Flag,
) -> Result<monitoring_cases::Model> {
    let note = inspection.map(|i| opening_note(i, flag));
    let opening = Opening {
        council,
        reason: flag.reason_code(),
        note,
        inspection_id: inspection.map(|i| i.id),
        opened_by: OPENED_AUTOMATICALLY.into(),
        owner_user_id: None,
    };
    insert_case(conn, viewer, home, opening).await
}

/// What an automatically opened case says of the inspection behind it,
/// with its source as it stands (so a report confirmed since reads so).
pub fn opening_note(i: &inspections::Model, flag: Flag) -> String {
    format!(
        "{} inspection on {}: {}",
        quality::source_label(&i.source, i.verified),
        crate::web::filters::long_date(&i.inspection_date),
        flag.label()
    )
}

/// Who opens cases automatically, as the case records it.
pub const OPENED_AUTOMATICALLY: &str = "Opened automatically (home flagged)";

/// Why, for which council and by whom a case is opened.
struct Opening {
    council: i64,
    reason: &'static str,
    note: Option<String>,
    inspection_id: Option<i64>,
    opened_by: String,
    owner_user_id: Option<i64>,
}

async fn insert_case(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    opening: Opening,
) -> Result<monitoring_cases::Model> {
    let Opening {
        council,
        reason,
        note,
        inspection_id,
        opened_by,
        owner_user_id,
    } = opening;
    let now = Utc::now().fixed_offset();
    let case = monitoring_cases::ActiveModel {
        home_id: Set(home.id),
        reason: Set(reason.to_string()),
        reason_note: Set(note),
        status: Set("open".into()),
        inspection_id: Set(inspection_id),
        opened_at: Set(now),
        opened_by: Set(opened_by),
        escalation_level: Set(0),
        plan_requested_on: Set(None),
        plan_received_on: Set(None),
        plan_summary: Set(None),
        plan_url: Set(None),
        close_proposal: Set(None),
        closed_at: Set(None),
        closed_by: Set(None),
        closing_note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        owner_user_id: Set(owner_user_id),
        council_id: Set(Some(council)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        viewer,
        Change::created(
            "monitoring_case",
            case.id,
            serde_json::to_value(&case).map_err(Error::internal)?,
        )
        .summary(format!(
            "Monitoring case opened for {} ({}): {}",
            home.name,
            home.urn,
            reason_label(reason)
        )),
    )
    .await?;
    Ok(case)
}

pub(crate) async fn audit_case(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    before: &monitoring_cases::Model,
    after: &monitoring_cases::Model,
    summary: &str,
) -> Result<()> {
    audit::record(
        conn,
        viewer,
        Change::updated(
            "monitoring_case",
            after.id,
            serde_json::to_value(before).map_err(Error::internal)?,
            serde_json::to_value(after).map_err(Error::internal)?,
        )
        .summary(summary.to_string()),
    )
    .await?;
    Ok(())
}

/// A commissioner opens a case for a concern other than a rating, for
/// their council (`council`, the viewer's; the system names one). One open
/// case per home and council: if one is open already, that one is returned.
pub async fn open_concern(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    council: i64,
    reason: Reason,
    note: String,
) -> Result<(monitoring_cases::Model, bool)> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    if viewer.council_id().is_some_and(|own| own != council) {
        return Err(Error::Forbidden);
    }
    if let Some(existing) = open_case_of(conn, home.id, council).await? {
        return Ok((existing, false));
    }
    let opening = Opening {
        council,
        reason: reason.code(),
        note: Some(note),
        inspection_id: None,
        opened_by: viewer.display_name.clone(),
        // Whoever opens a case by hand leads it until they hand it on.
        owner_user_id: viewer.user_id,
    };
    let case = insert_case(conn, viewer, home, opening).await?;
    Ok((case, true))
}

/// The council's open case on a home, if it has one.
pub async fn open_case_of(
    conn: &impl ConnectionTrait,
    home_id: i64,
    council: i64,
) -> Result<Option<monitoring_cases::Model>> {
    Ok(monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.eq(home_id))
        .filter(monitoring_cases::Column::CouncilId.eq(council))
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .one(conn)
        .await?)
}

/// The open case a viewer is shown for a home: council staff their own
/// council's; the home's provider any (the first opened).
pub async fn open_case_for(
    conn: &impl ConnectionTrait,
    home_id: i64,
    viewer: &Viewer,
) -> Result<Option<monitoring_cases::Model>> {
    if let Some(council) = viewer.council_id() {
        return open_case_of(conn, home_id, council).await;
    }
    Ok(monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.eq(home_id))
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .order_by_asc(monitoring_cases::Column::Id)
        .one(conn)
        .await?)
}

/// Another member council monitoring the same home: what its case page
/// shares (no notes).
#[derive(Debug, Clone)]
pub struct OtherMonitoring {
    pub council: String,
    pub rag: Option<String>,
    pub next_meeting_due: NaiveDate,
    pub status: String,
}

/// The other member councils' open cases on a home.
pub async fn monitored_elsewhere(
    conn: &impl ConnectionTrait,
    home_id: i64,
    not_council: Option<i64>,
    interval_months: u32,
) -> Result<Vec<OtherMonitoring>> {
    let cases = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.eq(home_id))
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .all(conn)
        .await?;
    let names: HashMap<i64, String> = crate::regions::members(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let mut out = Vec::new();
    for case in cases.into_iter().filter(|c| c.council_id != not_council) {
        let last = case_meetings::Entity::find()
            .filter(case_meetings::Column::CaseId.eq(case.id))
            .order_by_desc(case_meetings::Column::HeldOn)
            .order_by_desc(case_meetings::Column::Id)
            .one(conn)
            .await?;
        out.push(OtherMonitoring {
            council: case
                .council_id
                .and_then(|c| names.get(&c).cloned())
                .unwrap_or_else(|| "A former member council".into()),
            rag: last.as_ref().map(|m| m.rag.clone()),
            next_meeting_due: next_meeting_due(
                last.map(|m| m.next_due_on),
                case.opened_at.date_naive(),
                interval_months,
            ),
            status: status_label(&case.status).to_string(),
        });
    }
    out.sort_by(|a, b| a.council.cmp(&b.council));
    Ok(out)
}

/// Who may own a case: the case's council's active commissioners and
/// administrators, as (id, name) choices.
pub async fn owner_choices(
    conn: &impl ConnectionTrait,
    council: Option<i64>,
) -> Result<Vec<(String, String)>> {
    let roles = [crate::auth::Role::Commissioner, crate::auth::Role::Admin];
    let people = match council {
        Some(council) => crate::email::recipients::with_roles_in(conn, &roles, council).await?,
        None => crate::email::recipients::with_roles(conn, &roles).await?,
    };
    Ok(people
        .into_iter()
        .filter_map(|p| Some((p.user_id?.to_string(), p.name)))
        .collect())
}

/// Gives a case an owner (or none), who is told of its alerts.
pub async fn set_owner(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    case: &monitoring_cases::Model,
    owner: Option<i64>,
) -> Result<monitoring_cases::Model> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    if let Some(id) = owner {
        let allowed = owner_choices(conn, case.council_id).await?;
        if !allowed.iter().any(|(choice, _)| *choice == id.to_string()) {
            return Err(Error::field(
                "owner_user_id",
                "Choose a commissioner or administrator from the list",
            ));
        }
    }
    let mut model = case.clone().into_active_model();
    model.owner_user_id = Set(owner);
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit_case(conn, viewer, case, &updated, "Case owner changed").await?;
    Ok(updated)
}

/// How a commissioner closes a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    pub note: String,
    /// The report awaiting confirmation the commissioner confirms with it.
    pub confirm_report: Option<i64>,
}

/// Closes a case (a commissioner confirming a proposal, or deciding). When
/// the home is still flagged and only a report awaiting confirmation says
/// otherwise, the close rests on that report: the commissioner confirms it
/// in the same step (audited as theirs), or the case stays open.
pub async fn close(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    closing: Closing,
) -> Result<monitoring_cases::Model> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    let case = monitoring_cases::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if case.status == "closed" {
        return Ok(case);
    }
    let (current, pending) = rating_of(conn, case.home_id).await?;
    if let Some(report) = pending.filter(|p| quality::would_lift_flag(current.as_ref(), p)) {
        if closing.confirm_report != Some(report.id) {
            return Err(Error::field(
                "confirm_report",
                "Confirm the reported inspection to close the case: the home is flagged until it is confirmed",
            ));
        }
        let home = homes::Entity::find_by_id(case.home_id)
            .one(conn)
            .await?
            .ok_or(Error::NotFound)?;
        quality::inspections::confirm(conn, viewer, &home, report.id).await?;
    }
    // Confirming may have proposed the close: close what is there now.
    let case = monitoring_cases::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let note = closing.note;
    let mut model = case.clone().into_active_model();
    let now = Utc::now().fixed_offset();
    model.status = Set("closed".into());
    model.closed_at = Set(Some(now));
    model.closed_by = Set(Some(viewer.display_name.clone()));
    model.closing_note = Set(Some(note));
    model.updated_at = Set(now);
    let updated = model.update(conn).await?;
    audit_case(conn, viewer, &case, &updated, "Monitoring case closed").await?;
    Ok(updated)
}

/// Closes a case (see [`close`]) and queues the alerts a report confirmed
/// on the way may be news for.
pub async fn close_and_alert(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    viewer: &Viewer,
    id: i64,
    closing: Closing,
) -> Result<monitoring_cases::Model> {
    let closed = close(conn, viewer, id, closing).await?;
    crate::quality::alerts::rating_alerts(conn, settings, Utc::now()).await?;
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_meeting_is_a_month_on() {
        let opened = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
        assert_eq!(
            next_meeting_due(None, opened, 1),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default()
        );
        let set = NaiveDate::from_ymd_opt(2026, 4, 2).unwrap_or_default();
        assert_eq!(next_meeting_due(Some(set), opened, 1), set);
    }
}
