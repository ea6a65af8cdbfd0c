//! Monitoring cases for the demo: the imports open cases for flagged homes
//! in BCP; once returns say where our children live, homes elsewhere get
//! theirs too. Each open case is then given a plausible history (backdated
//! opening, plan, actions, monthly meetings, some overdue, a few
//! escalations) through the same domain functions the pages use; and two
//! providers report new inspections awaiting the council's confirmation.

use chrono::{Duration, Utc};
use importers::vocab::EventType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::fnv;
use crate::app::StartError;
use crate::auth::{Role, Viewer};
use crate::cases::activity::{self, ActionStatus, Escalation, NewAction, NewMeeting, Owner, Rag};
use crate::cases::{self, Scope, plan};
use crate::config::Settings;
use crate::db::entities::{homes, monitoring_cases};
use crate::quality::inspections::{self, InspectionInput};

const ACTIONS: [(&str, Owner); 6] = [
    (
        "Recruit and induct a permanent registered manager",
        Owner::Provider,
    ),
    (
        "Review every child's risk assessment and safety plan",
        Owner::Provider,
    ),
    (
        "Send monthly staffing and training figures",
        Owner::Provider,
    ),
    ("Visit the home unannounced", Owner::Council),
    (
        "Review placements with each child's social worker",
        Owner::Council,
    ),
    (
        "Complete missing-from-care return interviews within 72 hours",
        Owner::Provider,
    ),
];

const NOTES: [&str; 4] = [
    "Improvement since the new manager started; keep monthly meetings until re-inspection.",
    "Staffing remains the main risk: agency use over 40% last month.",
    "Social workers report children feel safer; incidents down.",
    "Plan received late and thin on timescales; asked for a revised version.",
];

/// Returns how many cases were open at the end.
pub async fn generate(db: &DatabaseConnection, settings: &Settings) -> Result<usize, StartError> {
    let council = Viewer {
        display_name: "Demo commissioner".into(),
        role: Role::Commissioner,
        ..Viewer::system("demo builder")
    };
    let home_ids: Vec<i64> = homes::Entity::find()
        .select_only()
        .column(homes::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let txn = crate::db::begin_write(db).await?;
    cases::sync(&txn, &council, &home_ids, Scope::Region).await?;
    txn.commit().await?;

    let open = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .order_by_asc(monitoring_cases::Column::Id)
        .all(db)
        .await?;
    let today = Utc::now().date_naive();
    for (n, case) in open.iter().enumerate() {
        let detail = cases::find(db, &council, case.id).await?;
        let seed = fnv(&detail.home.urn);
        let days_open = 25 + (seed % 150) as i64;
        let opened = today - Duration::days(days_open);
        let txn = crate::db::begin_write(db).await?;
        // Backdated as if opened when the flag was first known.
        let mut model = case.clone().into_active_model();
        model.opened_at = Set((Utc::now() - Duration::days(days_open)).fixed_offset());
        model.update(&txn).await?;
        let detail = cases::find(&txn, &council, case.id).await?;
        let received = (days_open > 40).then(|| opened + Duration::days(18 + (seed % 10) as i64));
        plan::save(
            &txn,
            &council,
            &detail,
            plan::PlanDetails {
                requested_on: Some(opened + Duration::days(5)),
                received_on: received,
                summary: received.map(|_| {
                    "Staffing stabilised with two permanent recruits; safeguarding training for all staff by the end of next month; weekly manager audits of incident records.".into()
                }),
                url: None,
            },
        )
        .await?;
        for k in 0..(2 + seed % 3) as usize {
            let (text, owner) = ACTIONS[(seed as usize + k) % ACTIONS.len()];
            let due = opened + Duration::days(30 + 20 * k as i64);
            let action = activity::add_action(
                &txn,
                &council,
                &detail,
                NewAction {
                    description: text.into(),
                    owner,
                    due_on: Some(due),
                },
            )
            .await?;
            let status = match (due < today, (seed >> k) % 3) {
                (true, 0) => None,
                (true, _) => Some(ActionStatus::Done),
                (false, 0) => Some(ActionStatus::InProgress),
                _ => None,
            };
            if let Some(status) = status {
                activity::update_action_status(&txn, &council, &detail, action.id, status).await?;
            }
        }
        // Monthly meetings since opening; every third case has missed its latest.
        let mut held = opened + Duration::days(28);
        let skip_last = n % 3 == 0;
        let mut meetings = Vec::new();
        while held < today {
            meetings.push(held);
            held = cases::add_months(held, settings.cases.meeting_interval_months);
        }
        if skip_last && meetings.len() > 1 {
            meetings.pop();
        }
        for (m, day) in meetings.iter().enumerate() {
            let rag = match (seed + m as u64) % 4 {
                0 => Rag::Red,
                1 | 2 => Rag::Amber,
                _ => Rag::Green,
            };
            activity::record_meeting(
                &txn,
                &council,
                &detail,
                NewMeeting {
                    held_on: *day,
                    attendees: "Commissioning officer; registered manager; responsible individual"
                        .into(),
                    notes: NOTES[(seed as usize + m) % NOTES.len()].into(),
                    rag,
                    next_due_on: None,
                },
                &settings.cases,
            )
            .await?;
        }
        if n % 4 == 1 && days_open > 45 {
            let detail = cases::find(&txn, &council, case.id).await?;
            activity::escalate(
                &txn,
                &council,
                &detail,
                Escalation {
                    to_level: if n % 8 == 1 { 2 } else { 1 },
                    escalated_on: opened + Duration::days(35),
                    reason: "No improvement plan after the agreed date, and a second red meeting."
                        .into(),
                },
                &settings.cases,
            )
            .await?;
        }
        if n % 2 == 0 {
            activity::add_note(
                &txn,
                &council,
                &detail,
                NOTES[(seed as usize + 1) % NOTES.len()].into(),
            )
            .await?;
        }
        txn.commit().await?;
    }
    report_new_inspections(db).await?;
    Ok(monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .all(db)
        .await?
        .len())
}

/// Two providers report inspections the council has still to confirm: one
/// reports Good for a flagged home with an open case (it stays flagged
/// until confirmed: the case page asks to confirm it before closing), one
/// reports Requires improvement for a home rated Good (flagged at once).
async fn report_new_inspections(db: &DatabaseConnection) -> Result<(), StartError> {
    let candidates = homes::Entity::find()
        .filter(homes::Column::ProvisionType.eq("childrens_home"))
        .filter(homes::Column::RegistrationStatus.eq("active"))
        .filter(homes::Column::ProviderId.is_not_null())
        .order_by_asc(homes::Column::Urn)
        .all(db)
        .await?;
    let open_cases: Vec<i64> = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.eq("open"))
        .filter(monitoring_cases::Column::Reason.eq("rating"))
        .order_by_asc(monitoring_cases::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.home_id)
        .collect();
    let flagged = open_cases
        .iter()
        .find_map(|id| candidates.iter().find(|h| h.id == *id));
    let mut rated_good = None;
    for home in &candidates {
        let current = crate::db::entities::inspections::Entity::find()
            .filter(crate::db::entities::inspections::Column::HomeId.eq(home.id))
            .filter(crate::db::entities::inspections::Column::IsCurrent.eq(true))
            .one(db)
            .await?;
        if current.is_some_and(|i| i.overall.as_deref() == Some("good")) {
            rated_good = Some(home);
            break;
        }
    }
    let reported_on = Utc::now().date_naive() - Duration::days(9);
    for (home, judgement) in [(flagged, "good"), (rated_good, "requires_improvement")] {
        let Some(home) = home else { continue };
        let provider = Viewer {
            display_name: "Registered manager (demo)".into(),
            role: Role::Provider,
            organisation_id: home.provider_id,
            ..Viewer::system("demo builder")
        };
        let txn = crate::db::begin_write(db).await?;
        inspections::record(
            &txn,
            &provider,
            home,
            &InspectionInput {
                event_type: EventType::Full,
                date: reported_on,
                overall: importers::vocab::Judgement::from_code(judgement),
                helped_protected: importers::vocab::Judgement::from_code(judgement),
                leaders_managers: importers::vocab::Judgement::from_code("good"),
                report_url: None,
            },
        )
        .await?;
        txn.commit().await?;
    }
    Ok(())
}
