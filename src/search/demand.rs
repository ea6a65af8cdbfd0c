//! Unmet demand: searches that found nothing, grouped by what was asked
//! ("girls aged 15 to 17 with mental health needs in fostering within 20
//! miles: 14 times this month"), and beside them the council's bed
//! requests that closed with no suitable offer, with the reasons providers
//! gave for not offering (`requests::stats`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use importers::vocab::{Need, ProvisionType, Sexes};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Viewer;
use crate::db::entities::searches;
use crate::error::Result;
use crate::web::export::{ExportCell, Table};
use crate::web::html::render;
use crate::web::page::PageContext;

/// The age bands demand is counted in, as sufficiency strategies count
/// children ("girls aged 15-17").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgeBand {
    UnderFive,
    FiveToTen,
    ElevenToFourteen,
    FifteenToSeventeen,
    EighteenAndOver,
}

impl AgeBand {
    pub fn of(age: i16) -> Self {
        match age {
            ..=4 => AgeBand::UnderFive,
            5..=10 => AgeBand::FiveToTen,
            11..=14 => AgeBand::ElevenToFourteen,
            15..=17 => AgeBand::FifteenToSeventeen,
            _ => AgeBand::EighteenAndOver,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::UnderFive => "under 5",
            AgeBand::FiveToTen => "5 to 10",
            AgeBand::ElevenToFourteen => "11 to 14",
            AgeBand::FifteenToSeventeen => "15 to 17",
            AgeBand::EighteenAndOver => "18 and over",
        }
    }
}

/// Searches that found nothing, for one kind of child and distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    pub band: AgeBand,
    /// The ages asked for inside the band, youngest first.
    pub ages: Vec<i16>,
    pub sexes: String,
    pub needs_mask: i64,
    /// The kinds of home asked for (codes, comma-separated); empty for any.
    pub provision_types: String,
    pub max_miles: i32,
    pub times: usize,
    /// Postcode districts searched from, in order.
    pub districts: Vec<String>,
}

impl Unmet {
    pub fn sex_label(&self) -> &'static str {
        match Sexes::from_code(&self.sexes) {
            Some(Sexes::Female) => "Girls",
            Some(Sexes::Male) => "Boys",
            _ => "Children",
        }
    }
    pub fn ages_label(&self) -> String {
        let ages: Vec<String> = self.ages.iter().map(i16::to_string).collect();
        ages.join(", ")
    }
    /// The kinds of home asked for, in words.
    pub fn types_label(&self) -> String {
        let labels: Vec<&str> = self
            .provision_types
            .split(',')
            .filter_map(ProvisionType::from_code)
            .map(ProvisionType::label)
            .collect();
        if labels.is_empty() {
            "Any kind of home".into()
        } else {
            labels.join(", ")
        }
    }

    pub fn needs_label(&self) -> String {
        let needs: Vec<&str> = Need::from_mask(self.needs_mask)
            .into_iter()
            .map(Need::label)
            .collect();
        if needs.is_empty() {
            "No particular needs".into()
        } else {
            needs.join(", ")
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Demand {
    pub searches: usize,
    pub unmet_searches: usize,
    pub unmet: Vec<Unmet>,
}

/// The searches that found nothing, counted by the database per age, sex,
/// needs, distance and district: a period's log may hold hundreds of
/// thousands of searches, and only these few groups leave the database.
#[derive(Debug, FromQueryResult)]
struct UnmetCount {
    age: i16,
    sexes: String,
    needs_mask: i64,
    provision_types: String,
    max_miles: i32,
    district: String,
    times: i64,
}

/// Searches from `from` until `to`, and those that found nothing, grouped
/// by age band, sex, needs, kinds of home and distance; most frequent first.
/// `council`'s searches only: each council's search log is its own.
pub async fn between(
    conn: &impl ConnectionTrait,
    council: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Demand> {
    use searches::Column as S;
    let in_period = Condition::all()
        .add(S::SearchedAt.gte(from.fixed_offset()))
        .add(S::SearchedAt.lt(to.fixed_offset()))
        .add(match council {
            Some(id) => S::CouncilId.eq(id),
            None => S::CouncilId.is_null(),
        });
    let searches = searches::Entity::find()
        .filter(in_period.clone())
        .count(conn)
        .await?;
    let counted = searches::Entity::find()
        .select_only()
        .columns([
            S::Age,
            S::Sexes,
            S::NeedsMask,
            S::ProvisionTypes,
            S::MaxMiles,
            S::District,
        ])
        .column_as(S::Id.count(), "times")
        .filter(in_period)
        .filter(S::Results.eq(0))
        .group_by(S::Age)
        .group_by(S::Sexes)
        .group_by(S::NeedsMask)
        .group_by(S::ProvisionTypes)
        .group_by(S::MaxMiles)
        .group_by(S::District)
        .into_model::<UnmetCount>()
        .all(conn)
        .await?;
    let mut groups: BTreeMap<(AgeBand, String, i64, String, i32), Unmet> = BTreeMap::new();
    let mut unmet_searches = 0;
    for s in counted {
        let times = usize::try_from(s.times).unwrap_or(0);
        unmet_searches += times;
        let band = AgeBand::of(s.age);
        let entry = groups
            .entry((
                band,
                s.sexes.clone(),
                s.needs_mask,
                s.provision_types.clone(),
                s.max_miles,
            ))
            .or_insert_with(|| Unmet {
                band,
                ages: Vec::new(),
                sexes: s.sexes,
                needs_mask: s.needs_mask,
                provision_types: s.provision_types,
                max_miles: s.max_miles,
                times: 0,
                districts: Vec::new(),
            });
        entry.times += times;
        if let Err(at) = entry.ages.binary_search(&s.age) {
            entry.ages.insert(at, s.age);
        }
        if let Err(at) = entry.districts.binary_search(&s.district) {
            entry.districts.insert(at, s.district);
        }
    }
    let mut unmet: Vec<Unmet> = groups.into_values().collect();
    unmet.sort_by(|a, b| b.times.cmp(&a.times).then(a.band.cmp(&b.band)));
    Ok(Demand {
        searches: usize::try_from(searches).unwrap_or(usize::MAX),
        unmet_searches,
        unmet,
    })
}

/// The period asked about: this calendar month by default, last month, or
/// the last so many days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    ThisMonth,
    LastMonth,
    Days(i64),
}

impl Period {
    /// The periods pages offer, as (code, label).
    pub fn choices() -> [(String, String); 6] {
        [
            Period::ThisMonth,
            Period::LastMonth,
            Period::Days(7),
            Period::Days(30),
            Period::Days(90),
            Period::Days(365),
        ]
        .map(|p| (p.code(), p.label()))
    }

    pub fn code(self) -> String {
        match self {
            Period::ThisMonth => "this-month".into(),
            Period::LastMonth => "last-month".into(),
            Period::Days(n) => n.to_string(),
        }
    }

    pub fn label(self) -> String {
        match self {
            Period::ThisMonth => "This month".into(),
            Period::LastMonth => "Last month".into(),
            Period::Days(n) => format!("In the last {n} days"),
        }
    }

    /// The period's start and end (exclusive), as of `now`.
    pub fn range(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let first_of = |date: NaiveDate| {
            date.with_day(1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .unwrap_or(now)
        };
        let this_month = first_of(now.date_naive());
        match self {
            Period::ThisMonth => (this_month, now),
            Period::LastMonth => (
                first_of(this_month.date_naive() - Duration::days(1)),
                this_month,
            ),
            Period::Days(n) => (now - Duration::days(n), now),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DemandQuery {
    pub period: String,
}

impl DemandQuery {
    pub fn period(&self) -> Period {
        match self.period.as_str() {
            "last-month" => Period::LastMonth,
            other => other
                .parse::<i64>()
                .map(|n| Period::Days(n.clamp(1, 366)))
                .unwrap_or(Period::ThisMonth),
        }
    }
}

#[derive(Template)]
#[template(path = "search/demand.html")]
struct DemandPage {
    page: PageContext,
    demand: Demand,
    /// The council's bed requests that found no suitable offer.
    requests: crate::requests::stats::RequestDemand,
    period: Period,
    period_code: String,
}

impl DemandPage {
    fn periods(&self) -> [(String, String); 6] {
        Period::choices()
    }
}

async fn load(
    state: &AppState,
    viewer: &Viewer,
    period: Period,
) -> Result<(Demand, crate::requests::stats::RequestDemand)> {
    // Include the searches still queued for the log.
    state.search_log.flush().await;
    let (from, to) = period.range(Utc::now());
    let searches = between(&state.db, viewer.council_id(), from, to).await?;
    let requests = match viewer.council_id() {
        Some(council) => crate::requests::stats::demand(&state.db, council, from, to).await?,
        None => Default::default(),
    };
    Ok((searches, requests))
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let period = query.period();
    let (demand, requests) = load(&state, &viewer, period).await?;
    Ok(render(&DemandPage {
        page,
        demand,
        requests,
        period,
        period_code: period.code(),
    }))
}

/// Unmet demand for export: searches that found nothing, then requests
/// that closed with no suitable offer, in the same groups.
fn table(demand: &Demand, requests: &crate::requests::stats::RequestDemand) -> Table {
    let row = |source: &str, u: &Unmet| {
        vec![
            ExportCell::from(source),
            ExportCell::from(u.band.label()),
            u.ages_label().into(),
            u.sex_label().into(),
            u.needs_label().into(),
            u.types_label().into(),
            i64::from(u.max_miles).into(),
            (u.times as i64).into(),
            u.districts.join(" ").into(),
        ]
    };
    Table {
        headers: vec![
            "Source",
            "Age band",
            "Ages asked",
            "Sex",
            "Needs",
            "Kinds of home",
            "Within miles",
            "Times",
            "Districts",
        ],
        rows: demand
            .unmet
            .iter()
            .map(|u| row("Search with no result", u))
            .chain(
                requests
                    .unmet
                    .iter()
                    .map(|u| row("Request with no suitable offer", u)),
            )
            .collect(),
    }
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let (demand, requests) = load(&state, &viewer, query.period()).await?;
    Ok(table(&demand, &requests).csv_response("unmet-demand.csv"))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let (demand, requests) = load(&state, &viewer, query.period()).await?;
    Ok(table(&demand, &requests).xlsx_response("unmet-demand.xlsx", "Unmet demand"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_fall_into_the_bands_strategies_count() {
        let bands: Vec<&str> = [0, 4, 5, 10, 11, 14, 15, 17, 18, 25]
            .map(|a| AgeBand::of(a).label())
            .to_vec();
        assert_eq!(
            bands,
            [
                "under 5",
                "under 5",
                "5 to 10",
                "5 to 10",
                "11 to 14",
                "11 to 14",
                "15 to 17",
                "15 to 17",
                "18 and over",
                "18 and over"
            ]
        );
    }

    #[test]
    fn months_run_from_the_first_at_midnight() {
        let now = "2026-03-15T10:00:00Z"
            .parse::<DateTime<Utc>>()
            .unwrap_or_default();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        assert_eq!(
            Period::ThisMonth.range(now),
            (at("2026-03-01T00:00:00Z"), now)
        );
        assert_eq!(
            Period::LastMonth.range(now),
            (at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z"))
        );
        let january = at("2026-01-09T00:00:00Z");
        assert_eq!(
            Period::LastMonth.range(january).0,
            at("2025-12-01T00:00:00Z")
        );
        assert_eq!(Period::Days(7).range(now).0, at("2026-03-08T10:00:00Z"));
    }
}
