//! The capacity dashboard: for a week, the beds in our council's homes and
//! who uses them (our children, other councils' children, not admittable by
//! reason, vacant), broken down by locality, type, sector and owner; the
//! trend over 12 or 52 weeks; block-contract utilisation; and the weekly
//! fees providers asked for vacancies over the last quarter.
//!
//! A home's figures for a week are its return for that week, or failing
//! that its latest return of the three weeks before (what the council
//! would otherwise assume); completion counts only returns for the week.
//! A past week is read as it was: homes registered by then (one closed
//! since counts in the weeks it filed for), the places its return gave,
//! and the rating of its latest full inspection by the end of that week.

pub mod chart;
pub mod routes;
pub mod views;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use importers::vocab::{IsoWeek, Judgement, ProvisionType, RegistrationStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::{homes, inspections, organisations, return_vacancies, returns};
use crate::error::Result;
use crate::search::MinRating;

/// Beds and their use, summed over some homes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub homes: i64,
    pub filed: i64,
    pub places: i64,
    pub ours: i64,
    pub other: i64,
    pub staffing: i64,
    pub works: i64,
    pub matching: i64,
    pub registration: i64,
    pub unavailable_other: i64,
    pub vacant: i64,
    pub good_or_better: i64,
}

impl Figures {
    fn add(&mut self, home: &homes::Model, standing: &Standing) {
        self.homes += 1;
        // The places the home's return gave for the week, else today's.
        let places = standing.ret.and_then(|r| r.registered_places);
        self.places += i64::from(places.or(home.registered_places).unwrap_or(0));
        self.good_or_better += i64::from(standing.good);
        if let Some(r) = standing.ret {
            self.filed += i64::from(standing.filed);
            self.ours += i64::from(r.occupied_ours);
            self.other += i64::from(r.occupied_other);
            self.staffing += i64::from(r.unavailable_staffing);
            self.works += i64::from(r.unavailable_works);
            self.matching += i64::from(r.unavailable_matching);
            self.registration += i64::from(r.unavailable_registration);
            self.unavailable_other += i64::from(r.unavailable_other);
            self.vacant += i64::from(r.vacancies);
        }
    }

    pub fn not_admittable(&self) -> i64 {
        self.staffing + self.works + self.matching + self.registration + self.unavailable_other
    }

    /// Of the local registered places, the share filled by other councils'
    /// children (BCP 1.11: "local beds which are filled by other Local
    /// Authority children").
    pub fn other_share_of_places(&self) -> Option<f64> {
        (self.places > 0).then(|| self.other as f64 / self.places as f64)
    }

    /// Of occupied beds, the share used by other councils' children.
    pub fn other_share(&self) -> Option<f64> {
        let occupied = self.ours + self.other;
        (occupied > 0).then(|| self.other as f64 / occupied as f64)
    }

    pub fn completion(&self) -> Option<f64> {
        (self.homes > 0).then(|| self.filed as f64 / self.homes as f64)
    }

    pub fn good_share(&self) -> Option<f64> {
        (self.homes > 0).then(|| self.good_or_better as f64 / self.homes as f64)
    }
}

/// One way of grouping homes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Locality,
    Type,
    Sector,
    Owner,
}

impl By {
    pub const ALL: [By; 4] = [By::Locality, By::Type, By::Sector, By::Owner];
    pub fn code(self) -> &'static str {
        match self {
            By::Locality => "locality",
            By::Type => "type",
            By::Sector => "sector",
            By::Owner => "owner",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            By::Locality => "Locality",
            By::Type => "Provision type",
            By::Sector => "Sector",
            By::Owner => "Owner",
        }
    }
}

#[derive(Debug, Clone)]
pub struct WeekPoint {
    pub week: IsoWeek,
    pub figures: Figures,
}

#[derive(Debug, Clone)]
pub struct BlockWeek {
    pub week: IsoWeek,
    pub block_beds: i64,
    /// Block beds filled by our children.
    pub used: i64,
}

impl BlockWeek {
    pub fn paid_but_empty(&self) -> i64 {
        self.block_beds - self.used
    }
}

#[derive(Debug, Clone)]
pub struct FeeBand {
    pub type_label: &'static str,
    pub vacancies: usize,
    pub median_pence: i64,
    pub min_pence: i64,
    pub max_pence: i64,
}

#[derive(Debug, Clone)]
pub struct Capacity {
    pub week: IsoWeek,
    pub totals: Figures,
    /// For each grouping, its groups in name order.
    pub groups: Vec<(By, Vec<(String, Figures)>)>,
    pub trend: Vec<WeekPoint>,
    pub blocks: Vec<BlockWeek>,
    pub fees: Vec<FeeBand>,
}

/// How far back a home's latest return still stands for a week.
const CARRY_WEEKS: i64 = 3;

/// The fees are of the last quarter's vacancies.
const FEE_WEEKS: i64 = 13;

/// What the database says of each local home over the weeks asked about:
/// its current returns and its full inspections, so that a past week is
/// read as it was then, not as the homes are today.
struct History {
    returns: HashMap<i64, BTreeMap<NaiveDate, returns::Model>>,
    /// Each home's full inspections, newest first (date, then id).
    ratings: HashMap<i64, Vec<(NaiveDate, Option<Judgement>)>>,
}

/// A home as it stood in one week.
struct Standing<'a> {
    ret: Option<&'a returns::Model>,
    /// Its return is for this week, not carried from an earlier one.
    filed: bool,
    good: bool,
}

impl History {
    async fn load(
        conn: &impl ConnectionTrait,
        ids: &[i64],
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Self> {
        let mut history = History {
            returns: HashMap::new(),
            ratings: HashMap::new(),
        };
        for chunk in ids.chunks(400) {
            for r in returns::Entity::find()
                .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
                .filter(returns::Column::IsCurrent.eq(true))
                .filter(returns::Column::WeekStart.between(first.monday(), last.monday()))
                .all(conn)
                .await?
            {
                history
                    .returns
                    .entry(r.home_id)
                    .or_default()
                    .insert(r.week_start, r);
            }
            for i in inspections::Entity::find()
                .filter(inspections::Column::HomeId.is_in(chunk.iter().copied()))
                .filter(inspections::Column::EventType.eq("full"))
                .order_by_desc(inspections::Column::InspectionDate)
                .order_by_desc(inspections::Column::Id)
                .all(conn)
                .await?
            {
                let overall = i.overall.as_deref().and_then(Judgement::from_code);
                history
                    .ratings
                    .entry(i.home_id)
                    .or_default()
                    .push((i.inspection_date, overall));
            }
        }
        Ok(history)
    }

    /// Home `h` in week `w`, or `None` if it did not count then: registered
    /// after the week, or closed now and without a return for the week.
    fn standing(&self, h: &homes::Model, w: IsoWeek) -> Option<Standing<'_>> {
        if h.registration_date.is_some_and(|d| d > w.sunday()) {
            return None;
        }
        let ret = self.returns.get(&h.id).and_then(|list| {
            let from = w.plus(-CARRY_WEEKS).monday();
            list.range(from..=w.monday()).next_back().map(|(_, r)| r)
        });
        let filed = ret.is_some_and(|r| r.week_start == w.monday());
        let open_now = RegistrationStatus::from_code(&h.registration_status)
            .is_some_and(RegistrationStatus::is_open);
        if !open_now && !filed {
            return None;
        }
        // The rating of the latest full inspection by the end of the week:
        // the rule that marks an inspection current, applied to that week.
        let good = self
            .ratings
            .get(&h.id)
            .and_then(|list| list.iter().find(|(date, _)| *date <= w.sunday()))
            .is_some_and(|(_, overall)| MinRating::Good.admits(*overall));
        Some(Standing { ret, filed, good })
    }
}

pub async fn capacity(
    conn: &impl ConnectionTrait,
    our_council_id: Option<i64>,
    week: IsoWeek,
    trend_weeks: i64,
) -> Result<Capacity> {
    // Every home the council hosts or hosted: one closed since still counts
    // in the weeks it filed for.
    let local = match our_council_id {
        Some(id) => {
            homes::Entity::find()
                .filter(homes::Column::HostCouncilId.eq(id))
                .all(conn)
                .await?
        }
        None => Vec::new(),
    };
    let ids: Vec<i64> = local.iter().map(|h| h.id).collect();
    // Returns for the trend (with its carry) and the fees' quarter.
    let first = week.plus(-(trend_weeks.max(FEE_WEEKS) - 1) - CARRY_WEEKS);
    let history = History::load(conn, &ids, first, week).await?;

    let providers: HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(local.iter().filter_map(|h| h.provider_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let key = |by: By, h: &homes::Model| -> String {
        match by {
            By::Locality => h.locality.clone().unwrap_or_else(|| "Not recorded".into()),
            By::Type => crate::homes::type_label(&h.provision_type).to_string(),
            By::Sector => crate::organisations::sector_label(h.sector.as_deref()).to_string(),
            By::Owner => h
                .provider_id
                .and_then(|p| providers.get(&p).cloned())
                .unwrap_or_else(|| "Not recorded".into()),
        }
    };
    let mut totals = Figures::default();
    let mut grouped: Vec<(By, BTreeMap<String, Figures>)> =
        By::ALL.iter().map(|b| (*b, BTreeMap::new())).collect();
    for h in &local {
        let Some(standing) = history.standing(h, week) else {
            continue;
        };
        totals.add(h, &standing);
        for (by, groups) in grouped.iter_mut() {
            groups.entry(key(*by, h)).or_default().add(h, &standing);
        }
    }
    let mut trend = Vec::new();
    let mut blocks = Vec::new();
    for k in (0..trend_weeks).rev() {
        let w = week.plus(-k);
        let mut figures = Figures::default();
        let mut block = BlockWeek {
            week: w,
            block_beds: 0,
            used: 0,
        };
        for h in &local {
            let Some(standing) = history.standing(h, w) else {
                continue;
            };
            figures.add(h, &standing);
            // Contracts have no history: today's block beds, for every week.
            if let Some(beds) = h.block_beds.filter(|b| *b > 0) {
                block.block_beds += i64::from(beds);
                block.used +=
                    i64::from(standing.ret.map(|r| r.occupied_ours.min(beds)).unwrap_or(0));
            }
        }
        trend.push(WeekPoint { week: w, figures });
        if block.block_beds > 0 {
            blocks.push(block);
        }
    }
    let fees = fees(conn, &local, &history, week).await?;
    Ok(Capacity {
        week,
        totals,
        groups: grouped
            .into_iter()
            .map(|(by, groups)| (by, groups.into_iter().collect()))
            .collect(),
        trend,
        blocks,
        fees,
    })
}

/// Weekly fees of the vacancies offered in returns of the `FEE_WEEKS` to
/// `week`, by type. A vacancy a home offers week after week (the same
/// beds-from date, ages, sexes, needs and fee) counts once, so a long-open
/// bed does not outweigh the rest of the market.
async fn fees(
    conn: &impl ConnectionTrait,
    local: &[homes::Model],
    history: &History,
    week: IsoWeek,
) -> Result<Vec<FeeBand>> {
    let type_of: HashMap<i64, &str> = local
        .iter()
        .map(|h| (h.id, h.provision_type.as_str()))
        .collect();
    // The quarter's returns, already loaded with the trend: return -> home.
    let quarter = week.plus(-(FEE_WEEKS - 1)).monday()..=week.monday();
    let home_of: HashMap<i64, i64> = history
        .returns
        .values()
        .flat_map(|list| list.range(quarter.clone()).map(|(_, r)| (r.id, r.home_id)))
        .collect();
    let return_ids: Vec<i64> = home_of.keys().copied().collect();
    let mut offered = HashSet::new();
    let mut by_type: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    for part in return_ids.chunks(400) {
        for v in return_vacancies::Entity::find()
            .filter(return_vacancies::Column::ReturnId.is_in(part.iter().copied()))
            .filter(return_vacancies::Column::WeeklyFeePence.is_not_null())
            .all(conn)
            .await?
        {
            let (Some(fee), Some(&home)) = (v.weekly_fee_pence, home_of.get(&v.return_id)) else {
                continue;
            };
            let vacancy = (
                home,
                v.available_from,
                v.min_age,
                v.max_age,
                v.sexes,
                v.needs_mask,
                fee,
            );
            if !offered.insert(vacancy) {
                continue;
            }
            let label = type_of
                .get(&home)
                .and_then(|t| ProvisionType::from_code(t))
                .map(ProvisionType::label)
                .unwrap_or("Unknown");
            by_type.entry(label).or_default().push(fee);
        }
    }
    Ok(by_type
        .into_iter()
        .map(|(type_label, mut fees)| {
            fees.sort_unstable();
            let n = fees.len();
            let median = if n % 2 == 1 {
                fees[n / 2]
            } else {
                (fees[n / 2 - 1] + fees[n / 2]) / 2
            };
            FeeBand {
                type_label,
                vacancies: n,
                median_pence: median,
                min_pence: fees[0],
                max_pence: fees[n - 1],
            }
        })
        .collect())
}
