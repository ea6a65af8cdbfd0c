//! Finding a bed that fits a child: admittable vacancies from each home's
//! latest return that fit the child's age, sex and needs, from the date
//! needed, within a distance, in homes rated at least as asked; ranked by
//! distance, rating and freshness. Vacancies that miss by one criterion are
//! listed apart with the reason. Every search is logged with its criteria
//! and counts (the search point as a postcode district only), so
//! commissioners can see unmet demand.

pub mod api;
pub mod demand;
pub mod params;
pub mod routes;
mod views;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use importers::vocab::{Judgement, Need, Pence, ProvisionType, Sexes};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::auth::Viewer;
use crate::db::entities::{
    homes, inspections, monitoring_cases, organisations, return_vacancies, returns, searches,
};
use crate::error::Result;
use crate::geo::{Origin, Point};

/// The lowest rating a search accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinRating {
    Outstanding,
    /// The default: the councils' placement bar.
    Good,
    /// Needs the user's explicit confirmation.
    RequiresImprovement,
    /// Any home, including inadequate and not yet inspected.
    Any,
}

impl MinRating {
    pub const ALL: [MinRating; 4] = [
        MinRating::Outstanding,
        MinRating::Good,
        MinRating::RequiresImprovement,
        MinRating::Any,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MinRating::Outstanding => "outstanding",
            MinRating::Good => "good",
            MinRating::RequiresImprovement => "requires_improvement",
            MinRating::Any => "any",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            MinRating::Outstanding => "Outstanding (or consistently strong)",
            MinRating::Good => "Good or better",
            MinRating::RequiresImprovement => "Requires improvement or better",
            MinRating::Any => "Any rating, including inadequate and not yet inspected",
        }
    }

    /// Below the councils' bar: the user must confirm it.
    pub fn is_below_good(self) -> bool {
        matches!(self, MinRating::RequiresImprovement | MinRating::Any)
    }

    /// Whether a home with this current rating passes.
    pub fn admits(self, rating: Option<Judgement>) -> bool {
        let worst = match self {
            MinRating::Outstanding => 0,
            MinRating::Good => 1,
            MinRating::RequiresImprovement => 2,
            MinRating::Any => return true,
        };
        rating.is_some_and(|j| j.rank() <= worst)
    }
}

/// What the placements officer knows about the child and the placement.
/// No name, date of birth or address: an age, a sex, needs, a district.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria {
    pub age: u8,
    /// `Female` or `Male`: the child's sex.
    pub sex: Sexes,
    pub needs: Vec<Need>,
    pub origin: Origin,
    pub max_miles: u32,
    pub needed_from: NaiveDate,
    /// Empty: every type.
    pub provision_types: Vec<ProvisionType>,
    pub emergency: bool,
    pub solo: bool,
    pub min_rating: MinRating,
}

/// One way a vacancy does not fit.
#[derive(Debug, Clone, PartialEq)]
pub enum Miss {
    Age { min: i16, max: i16 },
    Sex(Sexes),
    Needs(Vec<Need>),
    Date(NaiveDate),
    Distance(f64),
    Rating(Option<Judgement>),
    Emergency,
    Solo,
}

impl Miss {
    /// Why, in words for the placements officer.
    pub fn reason(&self, c: &Criteria) -> String {
        match self {
            Miss::Age { min, max } => {
                format!("Takes ages {min} to {max}; the child is {}", c.age)
            }
            Miss::Sex(s) => format!("{} only", s.label().trim_end_matches(" only")),
            Miss::Needs(missing) => format!(
                "Does not list {}",
                missing
                    .iter()
                    .map(|n| n.label().to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Miss::Date(d) => format!(
                "Available from {}, {} days after the date needed",
                d.format("%-d %B %Y"),
                (*d - c.needed_from).num_days()
            ),
            Miss::Distance(m) => format!("{m:.1} miles away, beyond {} miles", c.max_miles),
            Miss::Rating(r) => match r {
                Some(j) => format!("Rated {}", j.short_label()),
                None => "Not yet rated".into(),
            },
            Miss::Emergency => "Not for emergency placements".into(),
            Miss::Solo => "Not a solo placement".into(),
        }
    }
}

/// A vacancy in a search's results.
#[derive(Debug, Clone)]
pub struct Hit {
    pub home: homes::Model,
    pub provider: Option<organisations::Model>,
    pub vacancy: return_vacancies::Model,
    pub week_start: NaiveDate,
    pub submitted_at: DateTime<FixedOffset>,
    pub miles: f64,
    pub rating: Option<Judgement>,
    pub rating_date: Option<NaiveDate>,
    pub flagged: bool,
    pub open_case: bool,
    pub stale: bool,
    /// Empty for a result; one entry for a near miss.
    pub misses: Vec<Miss>,
}

impl Hit {
    pub fn fee(&self) -> Option<Pence> {
        self.vacancy.weekly_fee_pence.map(Pence)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub results: Vec<Hit>,
    pub near_misses: Vec<Hit>,
}

/// How many weeks back a return still counts (older ones are shown stale).
const WEEKS_BACK: i64 = 8;

pub async fn search(
    conn: &impl ConnectionTrait,
    criteria: &Criteria,
    stale_after_days: i64,
) -> Result<Outcome> {
    let origin = criteria.origin.point;
    // A wider box than asked, for vacancies that miss only on distance.
    let reach = f64::from(criteria.max_miles) * 1.5 + 1.0;
    let b = origin.bounds(reach);
    let since = Utc::now().date_naive() - chrono::Duration::weeks(WEEKS_BACK);
    // One query: the vacancies of the current offers of the open homes in
    // reach, with their returns.
    let mut by_return: HashMap<i64, returns::Model> = HashMap::new();
    let mut vacancies = Vec::new();
    for (vacancy, ret) in queries::offers_near(b, &criteria.provision_types, since)
        .select_also(returns::Entity)
        .all(conn)
        .await?
    {
        if let Some(ret) = ret {
            by_return.insert(ret.id, ret);
            vacancies.push(vacancy);
        }
    }
    if vacancies.is_empty() {
        return Ok(Outcome::default());
    }
    let latest: HashMap<i64, &returns::Model> =
        by_return.values().map(|r| (r.home_id, r)).collect();
    let candidates: HashMap<i64, homes::Model> = homes::Entity::find()
        .filter(homes::Column::Id.is_in(latest.keys().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let home_ids: Vec<i64> = latest.keys().copied().collect();
    let current: HashMap<i64, inspections::Model> = inspections::Entity::find()
        .filter(inspections::Column::HomeId.is_in(home_ids.iter().copied()))
        .filter(inspections::Column::IsCurrent.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.home_id, i))
        .collect();
    let with_case: std::collections::HashSet<i64> = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.is_in(home_ids.iter().copied()))
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.home_id)
        .collect();
    // Only the providers of homes with something to offer.
    let mut provider_ids: Vec<i64> = latest
        .keys()
        .filter_map(|id| candidates.get(id)?.provider_id)
        .collect();
    provider_ids.sort_unstable();
    provider_ids.dedup();
    let providers: HashMap<i64, organisations::Model> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(provider_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();

    let now = Utc::now();
    let mut outcome = Outcome::default();
    for vacancy in vacancies {
        let Some(ret) = by_return.get(&vacancy.return_id) else {
            continue;
        };
        let Some(home) = candidates.get(&ret.home_id) else {
            continue;
        };
        let (Some(lat), Some(lon)) = (home.latitude, home.longitude) else {
            continue;
        };
        let miles = origin.miles_to(Point {
            latitude: lat,
            longitude: lon,
        });
        let inspection = current.get(&home.id);
        let rating = inspection
            .and_then(|i| i.overall.as_deref())
            .and_then(Judgement::from_code);
        let misses = check(criteria, &vacancy, miles, rating);
        if misses.len() > 1 {
            continue;
        }
        let hit = Hit {
            provider: home.provider_id.and_then(|p| providers.get(&p).cloned()),
            home: home.clone(),
            week_start: ret.week_start,
            submitted_at: ret.submitted_at,
            miles,
            rating,
            rating_date: inspection.map(|i| i.inspection_date),
            flagged: inspection.and_then(crate::quality::flag_of).is_some(),
            open_case: with_case.contains(&home.id),
            stale: (now - ret.submitted_at.with_timezone(&Utc)).num_days() > stale_after_days,
            vacancy,
            misses,
        };
        if hit.misses.is_empty() {
            outcome.results.push(hit);
        } else {
            outcome.near_misses.push(hit);
        }
    }
    rank(&mut outcome.results);
    rank(&mut outcome.near_misses);
    Ok(outcome)
}

/// The queries that carry a search's weight, as builders so the
/// query-plan test can check each uses its index.
pub mod queries {
    use chrono::NaiveDate;
    use importers::vocab::{ProvisionType, RegistrationStatus};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

    use crate::db::entities::{home_offers, homes, return_vacancies};
    use crate::geo::Bounds;

    /// The vacancies of the current offers (`home_offers`) of open homes
    /// inside a box, from returns of `since` or later: index
    /// `homes_position`, then primary keys and `return_vacancies_return`.
    pub fn offers_near(
        b: Bounds,
        types: &[ProvisionType],
        since: NaiveDate,
    ) -> Select<return_vacancies::Entity> {
        use sea_orm::{JoinType, QuerySelect, RelationTrait};
        let mut query = return_vacancies::Entity::find()
            .join(
                JoinType::InnerJoin,
                return_vacancies::Relation::Returns.def(),
            )
            .join(
                JoinType::InnerJoin,
                home_offers::Relation::Returns.def().rev(),
            )
            .join(JoinType::InnerJoin, home_offers::Relation::Homes.def())
            .filter(homes::Column::Latitude.between(b.min_latitude, b.max_latitude))
            .filter(homes::Column::Longitude.between(b.min_longitude, b.max_longitude))
            .filter(homes::Column::RegistrationStatus.is_in(RegistrationStatus::open_codes()))
            .filter(home_offers::Column::WeekStart.gte(since));
        if !types.is_empty() {
            query =
                query.filter(homes::Column::ProvisionType.is_in(types.iter().map(|t| t.code())));
        }
        query
    }

    /// Open homes inside a box (index `homes_position`).
    pub fn homes_near(b: Bounds, types: &[ProvisionType]) -> Select<homes::Entity> {
        let open = RegistrationStatus::open_codes();
        let mut query = homes::Entity::find()
            .filter(homes::Column::Latitude.between(b.min_latitude, b.max_latitude))
            .filter(homes::Column::Longitude.between(b.min_longitude, b.max_longitude))
            .filter(homes::Column::RegistrationStatus.is_in(open));
        if !types.is_empty() {
            query =
                query.filter(homes::Column::ProvisionType.is_in(types.iter().map(|t| t.code())));
        }
        query
    }

    /// The vacancies of these returns (index `return_vacancies_return`).
    pub fn vacancies_of(return_ids: &[i64]) -> Select<return_vacancies::Entity> {
        return_vacancies::Entity::find()
            .filter(return_vacancies::Column::ReturnId.is_in(return_ids.iter().copied()))
    }
}

/// Every way a vacancy misses the criteria.
pub fn check(
    c: &Criteria,
    v: &return_vacancies::Model,
    miles: f64,
    rating: Option<Judgement>,
) -> Vec<Miss> {
    let mut misses = Vec::new();
    let age = i16::from(c.age);
    if age < v.min_age || age > v.max_age {
        misses.push(Miss::Age {
            min: v.min_age,
            max: v.max_age,
        });
    }
    let sexes = Sexes::from_code(&v.sexes).unwrap_or(Sexes::Mixed);
    if sexes != Sexes::Mixed && sexes != c.sex {
        misses.push(Miss::Sex(sexes));
    }
    let missing: Vec<Need> = c
        .needs
        .iter()
        .copied()
        .filter(|n| v.needs_mask & n.bit() == 0)
        .collect();
    if !missing.is_empty() {
        misses.push(Miss::Needs(missing));
    }
    if v.available_from > c.needed_from {
        misses.push(Miss::Date(v.available_from));
    }
    if miles > f64::from(c.max_miles) {
        misses.push(Miss::Distance(miles));
    }
    if !c.min_rating.admits(rating) {
        misses.push(Miss::Rating(rating));
    }
    if c.emergency && !v.emergency {
        misses.push(Miss::Emergency);
    }
    if c.solo && !v.solo_only {
        misses.push(Miss::Solo);
    }
    misses
}

/// Fresh before stale; then nearest (to the mile), best rated, most
/// recently updated.
fn rank(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        let key = |h: &Hit| {
            (
                h.stale,
                h.miles.floor() as i64,
                h.rating.map(|j| j.rank()).unwrap_or(9),
            )
        };
        key(a)
            .cmp(&key(b))
            .then(b.submitted_at.cmp(&a.submitted_at))
            .then(a.miles.total_cmp(&b.miles))
            .then(a.vacancy.id.cmp(&b.vacancy.id))
    });
}

/// Where a search was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Page,
    Api,
    Export,
}

impl Channel {
    fn code(self) -> &'static str {
        match self {
            Channel::Page => "page",
            Channel::Api => "api",
            Channel::Export => "export",
        }
    }
}

/// Records a search: criteria and counts, the origin as a district only.
pub async fn log(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    c: &Criteria,
    outcome: &Outcome,
    channel: Channel,
) -> Result<()> {
    searches::ActiveModel {
        searched_at: Set(Utc::now().fixed_offset()),
        user_id: Set(viewer.user_id),
        role: Set(viewer.role.code().to_string()),
        channel: Set(channel.code().into()),
        district: Set(c.origin.district.as_str().to_string()),
        age: Set(i16::from(c.age)),
        sexes: Set(c.sex.code().to_string()),
        needs_mask: Set(Need::mask(&c.needs)),
        max_miles: Set(c.max_miles as i32),
        needed_from: Set(c.needed_from),
        provision_types: Set(c
            .provision_types
            .iter()
            .map(|t| t.code())
            .collect::<Vec<_>>()
            .join(",")),
        emergency: Set(c.emergency),
        solo: Set(c.solo),
        min_rating: Set(c.min_rating.code().into()),
        results: Set(outcome.results.len() as i32),
        near_misses: Set(outcome.near_misses.len() as i32),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rating_gate_defaults_to_good() {
        assert!(MinRating::Good.admits(Some(Judgement::Outstanding)));
        assert!(MinRating::Good.admits(Some(Judgement::SaStrong)));
        assert!(!MinRating::Good.admits(Some(Judgement::RequiresImprovement)));
        assert!(!MinRating::Good.admits(None));
        assert!(MinRating::RequiresImprovement.admits(Some(Judgement::SaInconsistent)));
        assert!(!MinRating::RequiresImprovement.admits(Some(Judgement::Inadequate)));
        assert!(MinRating::Any.admits(None));
        assert!(!MinRating::Outstanding.admits(Some(Judgement::Good)));
    }
}
