//! The capacity dashboard: for a week, the beds in our council's homes and
//! who uses them (our children, other councils' children, not admittable by
//! reason, vacant), broken down by locality, type, sector and owner; the
//! trend over 12 or 52 weeks; block-contract utilisation; and the weekly
//! fees providers asked for vacancies over the last quarter (and offered to
//! the council's bed requests, apart).
//!
//! A home's figures for a week are its return for that week, or failing
//! that its latest return of the three weeks before (what the council
//! would otherwise assume); completion counts only returns for the week.
//! A past week is read as it was: homes registered by then (one closed
//! since counts in the weeks it filed for), the places its return gave,
//! and the rating of its latest full inspection by the end of that week.

pub mod chart;
pub mod regional;
pub mod routes;
pub mod views;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use importers::vocab::{IsoWeek, Judgement, ProvisionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use crate::config::Market;
use crate::db::entities::{
    council_contracts, homes, inspections, organisations, return_vacancies, returns,
};
use crate::error::Result;
use crate::search::MinRating;

/// Beds and their use, summed over some homes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub homes: i64,
    pub filed: i64,
    pub places: i64,
    pub ours: i64,
    /// Other councils' children: other members' and outside the region.
    pub other: i64,
    pub outside_region: i64,
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
            self.ours += i64::from(r.ours);
            self.other += i64::from(r.occupied - r.ours);
            self.outside_region += i64::from(r.occupied_outside_region);
            self.staffing += i64::from(r.unavailable_staffing);
            self.works += i64::from(r.unavailable_works);
            self.matching += i64::from(r.unavailable_matching);
            self.registration += i64::from(r.unavailable_registration);
            self.unavailable_other += i64::from(r.unavailable_other);
            self.vacant += i64::from(r.vacancies);
        }
    }

    /// Adds another area's figures (the region's totals).
    pub fn merge(&mut self, other: &Figures) {
        self.homes += other.homes;
        self.filed += other.filed;
        self.places += other.places;
        self.ours += other.ours;
        self.other += other.other;
        self.outside_region += other.outside_region;
        self.staffing += other.staffing;
        self.works += other.works;
        self.matching += other.matching;
        self.registration += other.registration;
        self.unavailable_other += other.unavailable_other;
        self.vacant += other.vacant;
        self.good_or_better += other.good_or_better;
    }

    /// Beds other member councils' children occupy.
    pub fn other_members(&self) -> i64 {
        self.other - self.outside_region
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

/// Where a fee comes from: a vacancy in a weekly return (what a provider
/// asks of anyone) or an offer to one of our bed requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FeeSource {
    Vacancies,
    Offers,
}

impl FeeSource {
    pub fn label(self) -> &'static str {
        match self {
            FeeSource::Vacancies => "Vacancies in returns",
            FeeSource::Offers => "Offers to our requests",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FeeBand {
    pub source: FeeSource,
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
    /// Beds in the council's homes used by other member councils'
    /// children, in the week: (council, beds) for those with any, most first.
    pub by_member: Vec<(String, i64)>,
}

/// Beds each other member council's children occupy in these returns: the
/// councils with any, most first (a national region has 153 members).
async fn by_member(
    conn: &impl ConnectionTrait,
    return_ids: &[i64],
    council: Option<i64>,
) -> Result<Vec<(String, i64)>> {
    let lines = crate::returns::store::placements_of(conn, return_ids).await?;
    let mut beds: HashMap<i64, i64> = HashMap::new();
    for line in lines.values().flatten() {
        if Some(line.council_id) != council {
            *beds.entry(line.council_id).or_default() += i64::from(line.beds);
        }
    }
    if beds.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(String, i64)> = crate::regions::members(conn)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.name, *beds.get(&m.id)?)))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// How far back a home's latest return still stands for a week.
const CARRY_WEEKS: i64 = 3;

/// The fees are of the last quarter's vacancies.
const FEE_WEEKS: i64 = 13;

/// The columns of a return the dashboard counts: a view reads a quarter or
/// a year of every local home's returns, and the rest of a return (its
/// note, who filed it and when) is text to fetch and decode for nothing.
#[derive(Debug, FromQueryResult)]
struct ReturnFigures {
    id: i64,
    home_id: i64,
    week_start: NaiveDate,
    registered_places: Option<i32>,
    occupied: i32,
    occupied_outside_region: i32,
    /// Beds the council's own children occupy.
    ours: i32,
    unavailable_staffing: i32,
    unavailable_works: i32,
    unavailable_matching: i32,
    unavailable_registration: i32,
    unavailable_other: i32,
    vacancies: i32,
}

/// What the database says of each local home over the weeks asked about:
/// its current returns and its full inspections, so that a past week is
/// read as it was then, not as the homes are today.
#[derive(Default)]
struct History {
    returns: HashMap<i64, BTreeMap<NaiveDate, ReturnFigures>>,
    /// Each home's full inspections that count as a rating (confirmed, or
    /// raising a flag), newest first (date, then id).
    ratings: HashMap<i64, Vec<(NaiveDate, Option<Judgement>)>>,
}

/// A home as it stood in one week.
struct Standing<'a> {
    ret: Option<&'a ReturnFigures>,
    /// Its return is for this week, not carried from an earlier one.
    filed: bool,
    good: bool,
}

impl History {
    /// By joining to the homes of the council rather than listing their
    /// ids: one statement of a few parameters however many homes, where a
    /// list of ids was a statement per 400 homes that SQLite (with
    /// `ANALYZE`'s statistics) prepared afresh each time.
    async fn load(
        conn: &impl ConnectionTrait,
        council_id: i64,
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Self> {
        use returns::Column as R;
        let mut history = History::default();
        for r in returns::Entity::find()
            .select_only()
            .columns([
                R::Id,
                R::HomeId,
                R::WeekStart,
                R::RegisteredPlaces,
                R::Occupied,
                R::OccupiedOutsideRegion,
                R::UnavailableStaffing,
                R::UnavailableWorks,
                R::UnavailableMatching,
                R::UnavailableRegistration,
                R::UnavailableOther,
                R::Vacancies,
            ])
            .column_as(crate::returns::store::beds_of(council_id), "ours")
            .inner_join(homes::Entity)
            .filter(homes::Column::HostCouncilId.eq(council_id))
            .filter(R::IsCurrent.eq(true))
            .filter(R::WeekStart.between(first.monday(), last.monday()))
            .into_model::<ReturnFigures>()
            .all(conn)
            .await?
        {
            history
                .returns
                .entry(r.home_id)
                .or_default()
                .insert(r.week_start, r);
        }
        let full: Vec<(i64, NaiveDate, Option<String>)> = inspections::Entity::find()
            .select_only()
            .columns([
                inspections::Column::HomeId,
                inspections::Column::InspectionDate,
                inspections::Column::Overall,
            ])
            .inner_join(homes::Entity)
            .filter(homes::Column::HostCouncilId.eq(council_id))
            .filter(crate::quality::counts_as_current_condition("inspections"))
            .order_by_desc(inspections::Column::InspectionDate)
            .order_by_desc(inspections::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        for (home_id, date, overall) in full {
            let overall = overall.as_deref().and_then(Judgement::from_code);
            history
                .ratings
                .entry(home_id)
                .or_default()
                .push((date, overall));
        }
        Ok(history)
    }

    /// Home `h` in week `w`, or `None` if it did not count then: registered
    /// after the week, or closed before it and without a return for it.
    fn standing(&self, h: &homes::Model, w: IsoWeek) -> Option<Standing<'_>> {
        if h.registration_date.is_some_and(|d| d > w.sunday()) {
            return None;
        }
        let ret = self.returns.get(&h.id).and_then(|list| {
            let from = w.plus(-CARRY_WEEKS).monday();
            list.range(from..=w.monday()).next_back().map(|(_, r)| r)
        });
        let filed = ret.is_some_and(|r| r.week_start == w.monday());
        if !crate::homes::was_registered_during(h, w) && !filed {
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

/// The names of the providers of the council's homes, by id.
async fn provider_names(
    conn: &impl ConnectionTrait,
    council_id: i64,
) -> Result<HashMap<i64, String>> {
    let names: Vec<(i64, String)> = homes::Entity::find()
        .select_only()
        .columns([organisations::Column::Id, organisations::Column::Name])
        .distinct()
        .join(JoinType::InnerJoin, homes::Relation::Organisations1.def())
        .filter(homes::Column::HostCouncilId.eq(council_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(names.into_iter().collect())
}

/// Every home of the placements market the council hosts or hosted: one
/// closed since still counts in the weeks it filed for.
async fn local_homes(
    conn: &impl ConnectionTrait,
    market: &Market,
    council_id: i64,
) -> Result<Vec<homes::Model>> {
    Ok(homes::Entity::find()
        .filter(homes::Column::HostCouncilId.eq(council_id))
        .filter(crate::homes::in_market(market))
        .all(conn)
        .await?)
}

/// A council's area in one week, as its dashboard counts it, without the
/// trend, groupings and fees (a line of the regional dashboard).
pub async fn area_totals(
    conn: &impl ConnectionTrait,
    market: &Market,
    council_id: i64,
    week: IsoWeek,
) -> Result<Figures> {
    let local = local_homes(conn, market, council_id).await?;
    let history = History::load(conn, council_id, week.plus(-CARRY_WEEKS), week).await?;
    let mut totals = Figures::default();
    for h in &local {
        if let Some(standing) = history.standing(h, week) {
            totals.add(h, &standing);
        }
    }
    Ok(totals)
}

pub async fn capacity(
    conn: &impl ConnectionTrait,
    market: &Market,
    our_council_id: Option<i64>,
    week: IsoWeek,
    trend_weeks: i64,
) -> Result<Capacity> {
    let local = match our_council_id {
        Some(id) => local_homes(conn, market, id).await?,
        None => Vec::new(),
    };
    // Returns for the trend (with its carry) and the fees' quarter.
    let first = week.plus(-(trend_weeks.max(FEE_WEEKS) - 1) - CARRY_WEEKS);
    let (history, providers, fees) = match our_council_id {
        Some(id) => (
            History::load(conn, id, first, week).await?,
            provider_names(conn, id).await?,
            fees(conn, market, id, week).await?,
        ),
        None => Default::default(),
    };
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
    let mut week_returns = Vec::new();
    let mut grouped: Vec<(By, BTreeMap<String, Figures>)> =
        By::ALL.iter().map(|b| (*b, BTreeMap::new())).collect();
    for h in &local {
        let Some(standing) = history.standing(h, week) else {
            continue;
        };
        totals.add(h, &standing);
        week_returns.extend(standing.ret.map(|r| r.id));
        for (by, groups) in grouped.iter_mut() {
            groups.entry(key(*by, h)).or_default().add(h, &standing);
        }
    }
    // The council's own block contracts, in its area's homes.
    let block_beds: HashMap<i64, i32> = match our_council_id {
        Some(id) => council_contracts::Entity::find()
            .filter(council_contracts::Column::CouncilId.eq(id))
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.home_id, c.block_beds.filter(|b| *b > 0)?)))
            .collect(),
        None => HashMap::new(),
    };
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
            if let Some(&beds) = block_beds.get(&h.id) {
                block.block_beds += i64::from(beds);
                block.used += i64::from(standing.ret.map(|r| r.ours.min(beds)).unwrap_or(0));
            }
        }
        trend.push(WeekPoint { week: w, figures });
        if block.block_beds > 0 {
            blocks.push(block);
        }
    }
    let by_member = by_member(conn, &week_returns, our_council_id).await?;
    Ok(Capacity {
        week,
        totals,
        by_member,
        groups: grouped
            .into_iter()
            .map(|(by, groups)| (by, groups.into_iter().collect()))
            .collect(),
        trend,
        blocks,
        fees,
    })
}

/// A vacancy with a fee, and the home that offered it.
#[derive(Debug, FromQueryResult)]
struct PricedVacancy {
    home_id: i64,
    provision_type: String,
    available_from: NaiveDate,
    min_age: i16,
    max_age: i16,
    sexes: String,
    needs_mask: i64,
    weekly_fee_pence: i64,
}

/// Weekly fees of the vacancies offered in returns of the `FEE_WEEKS` to
/// `week`, by type. A vacancy a home offers week after week (the same
/// beds-from date, ages, sexes, needs and fee) counts once, so a long-open
/// bed does not outweigh the rest of the market. Beside them, by type,
/// the fees offered in answer to the council's bed requests in those weeks.
async fn fees(
    conn: &impl ConnectionTrait,
    market: &Market,
    council_id: i64,
    week: IsoWeek,
) -> Result<Vec<FeeBand>> {
    use return_vacancies::Column as V;
    let priced: Vec<PricedVacancy> = return_vacancies::Entity::find()
        .select_only()
        .column(returns::Column::HomeId)
        .column(homes::Column::ProvisionType)
        .columns([
            V::AvailableFrom,
            V::MinAge,
            V::MaxAge,
            V::Sexes,
            V::NeedsMask,
            V::WeeklyFeePence,
        ])
        .inner_join(returns::Entity)
        .join(JoinType::InnerJoin, returns::Relation::Homes.def())
        .filter(homes::Column::HostCouncilId.eq(council_id))
        .filter(crate::homes::in_market(market))
        .filter(returns::Column::IsCurrent.eq(true))
        .filter(
            returns::Column::WeekStart.between(week.plus(-(FEE_WEEKS - 1)).monday(), week.monday()),
        )
        .filter(V::WeeklyFeePence.is_not_null())
        .into_model()
        .all(conn)
        .await?;
    let mut offered = HashSet::new();
    let mut by_type: BTreeMap<(FeeSource, &'static str), Vec<i64>> = BTreeMap::new();
    for v in priced {
        let fee = v.weekly_fee_pence;
        let label = ProvisionType::from_code(&v.provision_type)
            .map(ProvisionType::label)
            .unwrap_or("Unknown");
        let vacancy = (
            v.home_id,
            v.available_from,
            v.min_age,
            v.max_age,
            v.sexes,
            v.needs_mask,
            fee,
        );
        if offered.insert(vacancy) {
            by_type
                .entry((FeeSource::Vacancies, label))
                .or_default()
                .push(fee);
        }
    }
    let start = week.plus(-(FEE_WEEKS - 1)).monday();
    // Weeks run from midnight in the UK.
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(chrono_tz::Europe::London).earliest())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    if let (Some(from), Some(to)) = (midnight(start), midnight(week.plus(1).monday())) {
        for offer in crate::requests::stats::offered_fees(conn, council_id, from, to).await? {
            let label = ProvisionType::from_code(&offer.provision_type)
                .map(ProvisionType::label)
                .unwrap_or("Unknown");
            by_type
                .entry((FeeSource::Offers, label))
                .or_default()
                .push(offer.weekly_fee_pence);
        }
    }
    Ok(by_type
        .into_iter()
        .map(|((source, type_label), mut fees)| {
            fees.sort_unstable();
            let n = fees.len();
            let median = if n % 2 == 1 {
                fees[n / 2]
            } else {
                (fees[n / 2 - 1] + fees[n / 2]) / 2
            };
            FeeBand {
                source,
                type_label,
                vacancies: n,
                median_pence: median,
                min_pence: fees[0],
                max_pence: fees[n - 1],
            }
        })
        .collect())
}
