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
    /// Beds the viewer's council's children occupy, when filed.
    pub ours: i32,
}

impl WeekLine {
    /// Beds other councils' children occupy, when filed.
    pub fn others(&self) -> i32 {
        self.ret.as_ref().map(|r| r.occupied).unwrap_or(0) - self.ours
    }

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
    /// The latest return's beds by placing council: (name, beds), members
    /// first, then "Councils outside the region".
    pub occupied_by: Vec<(String, i32)>,
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

/// `council` is the viewer's: its children's beds are "ours" in the chart.
pub async fn for_home(
    db: &DatabaseConnection,
    home_id: i64,
    home_name: &str,
    council: Option<i64>,
    settings: &Settings,
) -> Result<Summary> {
    let now_week = this_week();
    let from = now_week.plus(-11);
    let filed = store::weeks(db, home_id, from, now_week).await?;
    let ids: Vec<i64> = filed.iter().map(|r| r.id).collect();
    let placements = store::placements_of(db, &ids).await?;
    let ours_in = |ret: &returns::Model| -> i32 {
        placements
            .get(&ret.id)
            .into_iter()
            .flatten()
            .filter(|p| Some(p.council_id) == council)
            .map(|p| p.beds)
            .sum()
    };
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
                let ours = ours_in(r);
                [ours, r.occupied - ours, unavailable, r.vacancies]
            }),
        });
        let ours = ret.as_ref().map(&ours_in).unwrap_or(0);
        weeks.push(WeekLine {
            week,
            ret,
            status,
            ours,
        });
    }
    weeks.reverse();
    let latest = store::latest_before(db, home_id, now_week.plus(1)).await?;
    let mut occupied_by = Vec::new();
    if let Some(view) = &latest {
        let names: std::collections::HashMap<i64, String> = crate::regions::members(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        for line in &view.placements {
            let name = names.get(&line.council_id).cloned().unwrap_or_default();
            occupied_by.push((name, line.beds));
        }
        occupied_by.push((
            "Councils outside the region".to_string(),
            view.ret.occupied_outside_region,
        ));
    }
    Ok(Summary {
        occupied_by,
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
