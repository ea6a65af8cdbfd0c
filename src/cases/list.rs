//! The case list: the commissioner's dashboard of flagged homes, and a
//! provider's view of its own homes' cases. Cases are few (tens, not
//! thousands), so they are loaded in a handful of batched queries and
//! sorted by priority in memory.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use importers::vocab::Judgement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::activity::is_overdue;
use crate::auth::Viewer;
use crate::config;
use crate::db::entities::{
    case_actions, case_meetings, homes, inspections, monitoring_cases, organisations,
};
use crate::error::Result;
use crate::web::export::{ExportCell, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Open, including those with a close proposed.
    #[default]
    Open,
    CloseProposed,
    Closed,
    All,
}

impl StatusFilter {
    pub fn from_code(code: &str) -> Self {
        match code {
            "close_proposed" => StatusFilter::CloseProposed,
            "closed" => StatusFilter::Closed,
            "all" => StatusFilter::All,
            _ => StatusFilter::Open,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: StatusFilter,
    pub rating: Option<Judgement>,
    pub level: Option<i16>,
    /// Only cases with an overdue meeting or action.
    pub overdue: bool,
    /// Only homes where our children live.
    pub our_children: bool,
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: i64,
    pub urn: String,
    pub home_name: String,
    pub provider_name: Option<String>,
    pub rating: Option<Judgement>,
    pub reason: String,
    pub status: String,
    pub escalation_level: i16,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub next_meeting_due: NaiveDate,
    pub meeting_overdue: bool,
    pub overdue_actions: usize,
    pub open_actions: usize,
    pub our_children: bool,
}

impl CaseRow {
    /// Days the case has been (or was) open.
    pub fn days_open(&self, today: NaiveDate) -> i64 {
        (self.closed_on.unwrap_or(today) - self.opened_on).num_days()
    }
    pub fn reason_label(&self) -> &'static str {
        super::reason_label(&self.reason)
    }
    pub fn status_label(&self) -> &'static str {
        super::status_label(&self.status)
    }
    pub fn has_overdue(&self) -> bool {
        self.meeting_overdue || self.overdue_actions > 0
    }
}

pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &Filter,
    today: NaiveDate,
    settings: &config::Cases,
) -> Result<Vec<CaseRow>> {
    let mut query = monitoring_cases::Entity::find().order_by_asc(monitoring_cases::Column::Id);
    // Council staff see their own council's cases only.
    if let Some(council) = viewer.council_id() {
        query = query.filter(monitoring_cases::Column::CouncilId.eq(council));
    }
    query = match filter.status {
        StatusFilter::Open => query.filter(monitoring_cases::Column::Status.ne("closed")),
        StatusFilter::CloseProposed => {
            query.filter(monitoring_cases::Column::Status.eq("close_proposed"))
        }
        StatusFilter::Closed => query.filter(monitoring_cases::Column::Status.eq("closed")),
        StatusFilter::All => query,
    };
    if let Some(level) = filter.level {
        query = query.filter(monitoring_cases::Column::EscalationLevel.eq(level));
    }
    if !viewer.is_council() {
        let Some(org) = viewer.organisation_id else {
            return Ok(Vec::new());
        };
        let own: Vec<i64> = homes::Entity::find()
            .select_only()
            .column(homes::Column::Id)
            .filter(homes::Column::ProviderId.eq(org))
            .into_tuple()
            .all(conn)
            .await?;
        query = query.filter(monitoring_cases::Column::HomeId.is_in(own));
    }
    let cases = query.all(conn).await?;
    let case_ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let home_ids: Vec<i64> = cases.iter().map(|c| c.home_id).collect();
    let homes: HashMap<i64, homes::Model> = by_chunks(&home_ids, |chunk| {
        homes::Entity::find()
            .filter(homes::Column::Id.is_in(chunk))
            .all(conn)
    })
    .await?
    .into_iter()
    .map(|h| (h.id, h))
    .collect();
    let provider_ids: Vec<i64> = homes.values().filter_map(|h| h.provider_id).collect();
    let providers: HashMap<i64, String> = by_chunks(&provider_ids, |chunk| {
        organisations::Entity::find()
            .filter(organisations::Column::Id.is_in(chunk))
            .all(conn)
    })
    .await?
    .into_iter()
    .map(|o| (o.id, o.name))
    .collect();
    let ratings: HashMap<i64, Option<Judgement>> = by_chunks(&home_ids, |chunk| {
        inspections::Entity::find()
            .filter(inspections::Column::HomeId.is_in(chunk))
            .filter(inspections::Column::IsCurrent.eq(true))
            .all(conn)
    })
    .await?
    .into_iter()
    .map(|i| {
        (
            i.home_id,
            i.overall.as_deref().and_then(Judgement::from_code),
        )
    })
    .collect();
    // Meetings newest first: the first seen per case is its latest.
    let mut next_due: HashMap<i64, NaiveDate> = HashMap::new();
    for m in by_chunks(&case_ids, |chunk| {
        case_meetings::Entity::find()
            .filter(case_meetings::Column::CaseId.is_in(chunk))
            .order_by_desc(case_meetings::Column::HeldOn)
            .order_by_desc(case_meetings::Column::Id)
            .all(conn)
    })
    .await?
    {
        next_due.entry(m.case_id).or_insert(m.next_due_on);
    }
    let mut actions: HashMap<i64, (usize, usize)> = HashMap::new();
    for a in by_chunks(&case_ids, |chunk| {
        case_actions::Entity::find()
            .filter(case_actions::Column::CaseId.is_in(chunk))
            .all(conn)
    })
    .await?
    {
        let entry = actions.entry(a.case_id).or_default();
        if a.status != "done" {
            entry.0 += 1;
        }
        if is_overdue(&a, today) {
            entry.1 += 1;
        }
    }
    let with_children: HashSet<i64> = match viewer.council_id() {
        Some(council) => {
            crate::returns::store::homes_with_children_of(conn, council, &home_ids).await?
        }
        None => HashSet::new(),
    };

    let mut rows: Vec<CaseRow> = cases
        .into_iter()
        .filter_map(|c| {
            let home = homes.get(&c.home_id)?;
            let opened_on = c.opened_at.date_naive();
            let next_meeting_due = super::next_meeting_due(
                next_due.get(&c.id).copied(),
                opened_on,
                settings.meeting_interval_months,
            );
            let (open_actions, overdue_actions) = actions.get(&c.id).copied().unwrap_or_default();
            let closed = c.status == "closed";
            Some(CaseRow {
                id: c.id,
                urn: home.urn.clone(),
                home_name: home.name.clone(),
                provider_name: home.provider_id.and_then(|p| providers.get(&p).cloned()),
                rating: ratings.get(&home.id).copied().flatten(),
                reason: c.reason,
                status: c.status,
                escalation_level: c.escalation_level,
                opened_on,
                closed_on: c.closed_at.map(|t| t.date_naive()),
                next_meeting_due,
                meeting_overdue: !closed && next_meeting_due < today,
                overdue_actions: if closed { 0 } else { overdue_actions },
                open_actions,
                our_children: with_children.contains(&home.id),
            })
        })
        .filter(|r| filter.rating.is_none() || r.rating == filter.rating)
        .filter(|r| !filter.overdue || r.has_overdue())
        .filter(|r| !filter.our_children || r.our_children)
        .collect();
    // Homes with our children first, then the worst rated, the most
    // escalated, and the longest open.
    rows.sort_by_key(|r| {
        (
            !r.our_children,
            std::cmp::Reverse(r.rating.map(|j| j.rank()).unwrap_or(0)),
            std::cmp::Reverse(r.escalation_level),
            r.opened_on,
            r.id,
        )
    });
    Ok(rows)
}

async fn by_chunks<T, F, Fut>(ids: &[i64], mut load: F) -> Result<Vec<T>>
where
    F: FnMut(Vec<i64>) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<Vec<T>, sea_orm::DbErr>>,
{
    let mut out = Vec::new();
    for chunk in ids.chunks(400) {
        out.extend(load(chunk.to_vec()).await?);
    }
    Ok(out)
}

/// The list as a table for CSV and XLSX export.
pub fn export_table(rows: &[CaseRow], today: NaiveDate, settings: &config::Cases) -> Table {
    Table {
        headers: vec![
            "Case",
            "URN",
            "Home",
            "Provider",
            "Current rating",
            "Reason",
            "Status",
            "Escalation level",
            "Opened",
            "Days open",
            "Next meeting due",
            "Meeting overdue",
            "Open actions",
            "Overdue actions",
            "Our children live there",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    ExportCell::from(r.id),
                    r.urn.clone().into(),
                    r.home_name.clone().into(),
                    r.provider_name.clone().into(),
                    r.rating
                        .map(|j| j.short_label().to_string())
                        .unwrap_or_else(|| "Not rated".into())
                        .into(),
                    r.reason_label().into(),
                    r.status_label().into(),
                    settings.level_name(r.escalation_level).to_string().into(),
                    r.opened_on.to_string().into(),
                    r.days_open(today).into(),
                    r.next_meeting_due.to_string().into(),
                    if r.meeting_overdue { "Yes" } else { "No" }.into(),
                    (r.open_actions as i64).into(),
                    (r.overdue_actions as i64).into(),
                    if r.our_children { "Yes" } else { "No" }.into(),
                ]
            })
            .collect(),
    }
}
