//! A home's returns at a glance, for its home page: the latest figures with
//! when they were filed, the last 12 weeks, and a chart of them.

use chrono::{DateTime, FixedOffset, Utc};
use importers::vocab::{IsoWeek, Need, Pence, Sexes};
use sea_orm::DatabaseConnection;

use super::chart::{self, Bar};
use super::store::{self, ReturnView};
use super::{Status, this_week};
use crate::config::Settings;
use crate::db::entities::{return_vacancies, returns};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct WeekLine {
    pub week: IsoWeek,
    pub ret: Option<returns::Model>,
    pub status: Status,
}

impl WeekLine {
    pub fn unavailable(&self) -> Option<i32> {
        self.ret.as_ref().map(|r| {
            r.unavailable_staffing
                + r.unavailable_works
                + r.unavailable_matching
                + r.unavailable_registration
                + r.unavailable_other
        })
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub this_week: IsoWeek,
    /// The most recent current return of any week up to this one.
    pub latest: Option<ReturnView>,
    /// Newest first.
    pub weeks: Vec<WeekLine>,
    pub chart_svg: String,
    pub stale_after_days: i64,
}

impl Summary {
    pub fn last_updated(&self) -> Option<DateTime<FixedOffset>> {
        self.latest.as_ref().map(|l| l.ret.submitted_at)
    }

    /// Figures older than the configured days are shown, and ranked, as stale.
    pub fn is_stale(&self) -> bool {
        let stale_before = super::stale_before(Utc::now(), self.stale_after_days);
        self.last_updated().is_none_or(|t| t < stale_before)
    }

    pub fn latest_week(&self) -> String {
        self.latest
            .as_ref()
            .map(|l| l.week().to_string())
            .unwrap_or_default()
    }
}

pub async fn for_home(
    db: &DatabaseConnection,
    home_id: i64,
    home_name: &str,
    settings: &Settings,
) -> Result<Summary> {
    let now_week = this_week();
    let from = now_week.plus(-11);
    let filed = store::weeks(db, home_id, from, now_week).await?;
    let now = Utc::now();
    let mut weeks = Vec::with_capacity(12);
    let mut bars = Vec::with_capacity(12);
    for i in 0..12 {
        let week = from.plus(i);
        let ret = filed
            .iter()
            .find(|r| r.week_start == week.monday())
            .cloned();
        let status = Status::of(
            ret.as_ref().map(|r| r.late),
            now,
            settings.returns.due(week),
        );
        bars.push(Bar {
            label: week.monday().format("%-d %b").to_string(),
            parts: ret.as_ref().map(|r| {
                let unavailable = r.unavailable_staffing
                    + r.unavailable_works
                    + r.unavailable_matching
                    + r.unavailable_registration
                    + r.unavailable_other;
                [r.occupied_ours, r.occupied_other, unavailable, r.vacancies]
            }),
        });
        weeks.push(WeekLine { week, ret, status });
    }
    weeks.reverse();
    let latest = store::latest_before(db, home_id, now_week.plus(1)).await?;
    Ok(Summary {
        this_week: now_week,
        latest,
        weeks,
        chart_svg: chart::stacked_bars(&format!("Beds at {home_name}, last 12 weeks"), &bars),
        stale_after_days: settings.returns.stale_after_days,
    })
}

/// Readable details of one vacancy row.
pub fn describe(v: &return_vacancies::Model) -> String {
    let sexes = Sexes::from_code(&v.sexes).map(Sexes::label).unwrap_or("");
    let needs: Vec<&str> = Need::from_mask(v.needs_mask)
        .into_iter()
        .map(Need::label)
        .collect();
    let mut parts = vec![
        format!("{} bed{}", v.beds, if v.beds == 1 { "" } else { "s" }),
        format!("from {}", crate::web::filters::long_date(&v.available_from)),
        format!("ages {} to {}", v.min_age, v.max_age),
        sexes.to_lowercase(),
    ];
    if !needs.is_empty() {
        parts.push(format!("needs: {}", needs.join(", ").to_lowercase()));
    }
    if v.emergency {
        parts.push("emergency placements".into());
    }
    if v.solo_only {
        parts.push("solo placement only".into());
    }
    if let Some(fee) = v.weekly_fee_pence {
        parts.push(format!("{} a week", Pence(fee)));
    }
    parts.join(", ")
}
