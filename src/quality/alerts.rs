//! Alerts to commissioners and the placements team (and a case's owner,
//! whatever their role): a home that matters to us (in our area, or where
//! our children live) newly rated below Good; a provider reporting an
//! inspection; a monitoring meeting or improvement action gone overdue.
//! Rating and report alerts are queued in the transaction that records the
//! rating; overdue alerts by the daily job. Each alert's key names its
//! event, so it is sent once per person however often the check runs.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use importers::vocab::Judgement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Role;
use crate::config::Settings;
use crate::db::entities::{case_actions, case_meetings, homes, inspections, monitoring_cases};
use crate::email::templates::Alert;
use crate::email::{self, Category, recipients};
use crate::error::Result;

/// Only inspections this recent raise a rating alert (older ones arrive
/// with a first import and are history, not news).
const RECENT_DAYS: i64 = 90;

/// Who gets alerts: commissioners and placements, and the case's owner.
const ALERTED: &[Role] = &[Role::Commissioner, Role::Placements];

/// To the commissioners and placements teams of `councils`, and the owner.
#[allow(clippy::too_many_arguments)]
async fn send_to(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    councils: &[i64],
    owners: &[i64],
    category: Category,
    event: &str,
    alert: &Alert,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut people = Vec::new();
    for council in councils {
        people.extend(recipients::with_roles_in(conn, ALERTED, *council).await?);
    }
    for id in owners {
        if !people.iter().any(|p| p.user_id == Some(*id))
            && let Some(person) = recipients::user(conn, *id).await?
        {
            people.push(person);
        }
    }
    let mut queued = 0;
    for person in people {
        let key = format!(
            "{}:{event}:{}",
            category.code(),
            person.user_id.unwrap_or(0)
        );
        if email::queue(conn, settings, &key, category, &person, now, |f| {
            alert.render(f)
        })
        .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Where an alert about a home takes one council's staff (their council's
/// open case, or the home), and that case's owner.
async fn home_link(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    home: &homes::Model,
    council: i64,
) -> Result<(String, Vec<i64>)> {
    Ok(
        match crate::cases::open_case_of(conn, home.id, council).await? {
            Some(case) => (
                email::link(settings, &format!("/cases/{}", case.id)),
                case.owner_user_id.into_iter().collect(),
            ),
            None => (
                email::link(settings, &format!("/homes/{}", home.urn)),
                Vec::new(),
            ),
        },
    )
}

/// Queues an alert for every home that matters to us whose current rating
/// is a recent judgement below Good. Safe to call after any change to
/// ratings: each inspection alerts each person once.
pub async fn rating_alerts(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<usize> {
    let since = now.date_naive() - Duration::days(RECENT_DAYS);
    let recent: Vec<inspections::Model> = inspections::Entity::find()
        .filter(inspections::Column::IsCurrent.eq(true))
        .filter(inspections::Column::InspectionDate.gte(since))
        .filter(crate::quality::flagged_condition("inspections"))
        .all(conn)
        .await?;
    if recent.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = recent.iter().map(|i| i.home_id).collect();
    let homes: HashMap<i64, homes::Model> = homes::Entity::find()
        .filter(homes::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let interested =
        crate::regions::interested_in(conn, &homes.values().collect::<Vec<_>>()).await?;
    let mut queued = 0;
    for inspection in recent {
        let Some(home) = homes.get(&inspection.home_id) else {
            continue;
        };
        let Some(councils) = interested.get(&home.id) else {
            continue;
        };
        let our_children = councils.iter().any(|c| Some(*c) != home.host_council_id);
        let Some(flag) = crate::quality::flag_of(&inspection) else {
            continue;
        };
        let rating = inspection
            .overall
            .as_deref()
            .and_then(Judgement::from_code)
            .map(|j| j.short_label().to_string())
            .unwrap_or_else(|| "below Good".into());
        let mut paragraphs = vec![format!(
            "{} (URN {}) is now rated {rating} after the {} on {}: {}.",
            home.name,
            home.urn,
            inspection.event_type.replace('_', " "),
            crate::web::filters::long_date(&inspection.inspection_date),
            flag.label().to_lowercase()
        )];
        if our_children {
            paragraphs
                .push("Children placed by member councils of the region live in this home.".into());
        }
        paragraphs.push(
            "A monitoring case is opened for homes in your council's area and homes where your children live."
                .into(),
        );
        let event = inspection.id.to_string();
        for council in councils {
            let (link_url, owners) = home_link(conn, settings, home, *council).await?;
            let alert = Alert {
                title: format!("{} is now rated {rating}", home.name),
                paragraphs: paragraphs.clone(),
                link_text: "See the home's monitoring".into(),
                link_url,
            };
            queued += send_to(
                conn,
                settings,
                &[*council],
                &owners,
                Category::RatingAlert,
                &event,
                &alert,
                now,
            )
            .await?;
        }
    }
    Ok(queued)
}

/// A provider reported an inspection: commissioners are asked to confirm it
/// (placements see that a rating may be about to change).
pub async fn inspection_reported(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    home: &homes::Model,
    inspection: &inspections::Model,
    now: DateTime<Utc>,
) -> Result<usize> {
    let rating = inspection
        .overall
        .as_deref()
        .and_then(Judgement::from_code)
        .map(|j| j.short_label().to_string())
        .unwrap_or_else(|| "no overall judgement".into());
    let alert = Alert {
        title: format!("{} reported an inspection: {rating}", home.name),
        paragraphs: vec![
            format!(
                "{} reported an inspection of {} (URN {}) on {}, rated {rating}.",
                inspection.reported_by.as_deref().unwrap_or("The provider"),
                home.name,
                home.urn,
                crate::web::filters::long_date(&inspection.inspection_date),
            ),
            "Check it against the report and confirm it; until then it is shown as reported by the provider."
                .into(),
        ],
        link_text: "Confirm the inspection".into(),
        link_url: email::link(settings, &format!("/homes/{}#inspections", home.urn)),
    };
    let councils = crate::regions::interested_in(conn, &[home])
        .await?
        .remove(&home.id)
        .unwrap_or_default();
    let mut queued = 0;
    for council in councils {
        let (_, owners) = home_link(conn, settings, home, council).await?;
        queued += send_to(
            conn,
            settings,
            &[council],
            &owners,
            Category::InspectionReported,
            &inspection.id.to_string(),
            &alert,
            now,
        )
        .await?;
    }
    Ok(queued)
}

/// Daily: monitoring meetings and improvement actions of open cases that
/// are past due on `today` (each alerted once per due date).
pub async fn overdue(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let open = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .all(conn)
        .await?;
    if open.is_empty() {
        return Ok(0);
    }
    let case_ids: Vec<i64> = open.iter().map(|c| c.id).collect();
    let homes: HashMap<i64, homes::Model> = homes::Entity::find()
        .filter(homes::Column::Id.is_in(open.iter().map(|c| c.home_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    // A case's alerts go to its own council's staff.
    let councils_of =
        |case: &monitoring_cases::Model| case.council_id.into_iter().collect::<Vec<i64>>();
    // The latest meeting of each case says when the next is due.
    let mut last_meeting: HashMap<i64, NaiveDate> = HashMap::new();
    for m in case_meetings::Entity::find()
        .filter(case_meetings::Column::CaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(case_meetings::Column::HeldOn)
        .order_by_asc(case_meetings::Column::Id)
        .all(conn)
        .await?
    {
        last_meeting.insert(m.case_id, m.next_due_on);
    }
    let interval = settings.cases.meeting_interval_months;
    let mut queued = 0;
    for case in &open {
        let Some(home) = homes.get(&case.home_id) else {
            continue;
        };
        let due = crate::cases::next_meeting_due(
            last_meeting.get(&case.id).copied(),
            case.opened_at.date_naive(),
            interval,
        );
        if due >= today {
            continue;
        }
        let alert = Alert {
            title: format!("Monitoring meeting overdue: {}", home.name),
            paragraphs: vec![format!(
                "The monitoring meeting for {} (URN {}) was due on {}.",
                home.name,
                home.urn,
                crate::web::filters::long_date(&due)
            )],
            link_text: "Record the meeting".into(),
            link_url: email::link(settings, &format!("/cases/{}", case.id)),
        };
        let event = format!("meeting:{}:{due}", case.id);
        queued += send_to(
            conn,
            settings,
            &councils_of(case),
            &case.owner_user_id.into_iter().collect::<Vec<_>>(),
            Category::OverdueAlert,
            &event,
            &alert,
            now,
        )
        .await?;
    }
    let actions = case_actions::Entity::find()
        .filter(case_actions::Column::CaseId.is_in(case_ids.iter().copied()))
        .filter(case_actions::Column::Status.ne("done"))
        .filter(case_actions::Column::DueOn.lt(today))
        .all(conn)
        .await?;
    let cases: HashMap<i64, &monitoring_cases::Model> = open.iter().map(|c| (c.id, c)).collect();
    for action in actions {
        let (Some(case), Some(due)) = (cases.get(&action.case_id), action.due_on) else {
            continue;
        };
        let Some(home) = homes.get(&case.home_id) else {
            continue;
        };
        let alert = Alert {
            title: format!("Improvement action overdue: {}", home.name),
            paragraphs: vec![
                format!(
                    "An improvement action for {} (URN {}) was due on {}:",
                    home.name,
                    home.urn,
                    crate::web::filters::long_date(&due)
                ),
                format!("\"{}\" (owner: {})", action.description, action.owner),
            ],
            link_text: "See the case".into(),
            link_url: email::link(settings, &format!("/cases/{}", case.id)),
        };
        let event = format!("action:{}:{due}", action.id);
        queued += send_to(
            conn,
            settings,
            &councils_of(case),
            &case.owner_user_id.into_iter().collect::<Vec<_>>(),
            Category::OverdueAlert,
            &event,
            &alert,
            now,
        )
        .await?;
    }
    Ok(queued)
}
