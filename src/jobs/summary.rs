//! The monthly summary to commissioners: monitoring cases (open, escalated,
//! opened and closed last month) and return completion over last month's
//! weeks for homes in our area.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use importers::vocab::IsoWeek;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::auth::Role;
use crate::config::Settings;
use crate::db::entities::{homes, monitoring_cases, returns};
use crate::email::templates::{Figure, MonthlySummary};
use crate::email::{self, Category, recipients};
use crate::error::Result;

fn figure(label: &str, value: impl ToString) -> Figure {
    Figure {
        label: label.into(),
        value: value.to_string(),
    }
}

/// `council`'s summary of the month before `today`'s: its own cases, and
/// returns of the homes in its area.
pub async fn build(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    council: i64,
    today: NaiveDate,
) -> Result<MonthlySummary> {
    let this_month = today.with_day(1).unwrap_or(today);
    let last_month = crate::cases::add_months(this_month - Duration::days(1), 0)
        .with_day(1)
        .unwrap_or(this_month);
    let start = last_month
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .fixed_offset();
    let end = this_month
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .fixed_offset();
    let own =
        || monitoring_cases::Entity::find().filter(monitoring_cases::Column::CouncilId.eq(council));
    let open_cases = own().filter(monitoring_cases::Column::Status.ne("closed"));
    let open = open_cases.clone().count(conn).await?;
    let escalated = open_cases
        .filter(monitoring_cases::Column::EscalationLevel.gt(0))
        .count(conn)
        .await?;
    let opened = own()
        .filter(monitoring_cases::Column::OpenedAt.gte(start))
        .filter(monitoring_cases::Column::OpenedAt.lt(end))
        .count(conn)
        .await?;
    let closed = own()
        .filter(monitoring_cases::Column::ClosedAt.gte(start))
        .filter(monitoring_cases::Column::ClosedAt.lt(end))
        .count(conn)
        .await?;

    // Return completion: filed returns over expected ones, for each week
    // that starts in last month, homes in our area registered that week.
    let mut weeks = Vec::new();
    let mut week = IsoWeek::containing(last_month);
    if week.monday() < last_month {
        week = week.plus(1);
    }
    while week.monday() < this_month {
        weeks.push(week);
        week = week.plus(1);
    }
    let candidates = match (Some(council), weeks.first()) {
        (Some(id), Some(first)) => {
            homes::Entity::find()
                .filter(homes::Column::HostCouncilId.eq(id))
                .filter(crate::homes::registered_during(*first))
                .all(conn)
                .await?
        }
        _ => Vec::new(),
    };
    let expected: usize = weeks
        .iter()
        .map(|w| {
            candidates
                .iter()
                .filter(|h| crate::homes::was_registered_during(h, *w))
                .count()
        })
        .sum();
    let our_homes: Vec<i64> = candidates.iter().map(|h| h.id).collect();
    let weeks: Vec<chrono::NaiveDate> = weeks.iter().map(|w| w.monday()).collect();
    let mut filed = 0;
    for chunk in our_homes.chunks(400) {
        filed += returns::Entity::find()
            .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(returns::Column::WeekStart.is_in(weeks.iter().copied()))
            .filter(returns::Column::IsCurrent.eq(true))
            .count(conn)
            .await? as usize;
    }
    let completion = match (filed * 100).checked_div(expected) {
        Some(p) => format!("{p}% ({filed} of {expected})"),
        None => "No returns expected".into(),
    };
    Ok(MonthlySummary {
        month: last_month.format("%B %Y").to_string(),
        figures: vec![
            figure("Open monitoring cases", open),
            figure("Of which escalated", escalated),
            figure("Cases opened in the month", opened),
            figure("Cases closed in the month", closed),
            figure(
                "Returns filed for the month's weeks (homes in our area)",
                completion,
            ),
        ],
        cases_url: email::link(settings, "/cases"),
        capacity_url: email::link(settings, "/capacity"),
    })
}

/// Queues each member council's summary to its commissioners.
pub async fn send(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut queued = 0;
    for member in crate::regions::members(conn).await? {
        queued += send_for(conn, settings, member.id, today, now).await?;
    }
    Ok(queued)
}

async fn send_for(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    council: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let summary = build(conn, settings, council, today).await?;
    let mut queued = 0;
    for person in recipients::with_roles_in(conn, &[Role::Commissioner], council).await? {
        let key = format!(
            "{}:{}:{}",
            Category::MonthlySummary.code(),
            today.format("%Y-%m"),
            person.user_id.unwrap_or(0)
        );
        if email::queue(
            conn,
            settings,
            &key,
            Category::MonthlySummary,
            &person,
            now,
            |f| summary.render(f),
        )
        .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}
