//! Finding a bed that fits a child: admittable vacancies from each home's
//! latest return that fit the child's age, sex and needs, from the date
//! needed, within a distance, in homes rated at least as asked; ranked by
//! distance, rating and freshness. Vacancies that miss by one criterion are
//! listed apart with the reason. Every search is logged with its criteria
//! and counts (the search point as a postcode district only), so
//! commissioners can see unmet demand.

pub mod api;
pub mod demand;
pub mod index;
pub mod log;
pub mod params;
pub mod routes;
mod views;

pub use index::{OfferIndex, Snapshot};
pub use log::{Channel, SearchLog};

use std::sync::Arc;

use crate::db::entities::{homes, organisations, return_vacancies};
use crate::geo::{Origin, Point};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use importers::vocab::{Judgement, Need, Pence, ProvisionType, Sexes};

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
    /// Empty: every type of the placements market.
    pub provision_types: Vec<ProvisionType>,
    pub emergency: bool,
    pub solo: bool,
    pub min_rating: MinRating,
}

/// One way a vacancy does not fit.
#[derive(Debug, Clone, PartialEq)]
pub enum Miss {
    Age {
        min: i16,
        max: i16,
    },
    Sex(Sexes),
    /// The needs asked for that the vacancy does not list (a `Need` mask).
    Needs(i64),
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
                Need::from_mask(*missing)
                    .iter()
                    .map(|n| n.label().to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Miss::Date(d) => format!(
                "Available from {}, {} days after the date needed",
                crate::web::filters::long_date(d),
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
    pub home: Arc<homes::Model>,
    pub provider: Option<Arc<organisations::Model>>,
    pub vacancy: Arc<index::Vacancy>,
    pub week_start: NaiveDate,
    pub submitted_at: DateTime<FixedOffset>,
    /// When filed, in words (see `index::Offer::updated`).
    pub updated: Arc<str>,
    pub miles: f64,
    pub rating: Option<Judgement>,
    pub rating_date: Option<NaiveDate>,
    pub flagged: bool,
    pub open_case: bool,
    pub stale: bool,
    /// None for a result; for a near miss, the one way it misses.
    pub miss: Option<Miss>,
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

/// Runs a search on a snapshot of the offers index (current as of the
/// database's `search_versions` when taken; see [`index`]), among the
/// homes of the placements market (`settings.market`).
pub fn search(
    offers: &Snapshot,
    criteria: &Criteria,
    settings: &crate::config::Settings,
) -> Outcome {
    let market = &settings.market;
    let stale_after_days = settings.returns.stale_after_days;
    let origin = criteria.origin.point;
    // A wider box than asked, for vacancies that miss only on distance.
    let reach = f64::from(criteria.max_miles) * 1.5 + 1.0;
    let now = Utc::now();
    let since = now.date_naive() - chrono::Duration::weeks(WEEKS_BACK);
    let stale_before = crate::returns::stale_before(now, stale_after_days);
    let mut outcome = Outcome::default();
    for offer in offers.within(origin.bounds(reach)) {
        if offer.week_start < since
            || !market.includes_code(&offer.home.provision_type)
            || !(criteria.provision_types.is_empty()
                || criteria
                    .provision_types
                    .iter()
                    .any(|t| t.code() == offer.home.provision_type))
        {
            continue;
        }
        let miles = origin.miles_to(Point {
            latitude: offer.latitude,
            longitude: offer.longitude,
        });
        let stale = offer.submitted_at < stale_before;
        for vacancy in &offer.vacancies {
            let misses = check(criteria, vacancy, miles, offer.rating);
            if misses.count > 1 {
                continue;
            }
            let hit = Hit {
                home: offer.home.clone(),
                provider: offer.provider.clone(),
                vacancy: vacancy.clone(),
                week_start: offer.week_start,
                submitted_at: offer.submitted_at,
                updated: offer.updated.clone(),
                miles,
                rating: offer.rating,
                rating_date: offer.rating_date,
                flagged: offer.flagged,
                open_case: offer.open_case,
                stale,
                miss: misses.first,
            };
            if hit.miss.is_none() {
                outcome.results.push(hit);
            } else {
                outcome.near_misses.push(hit);
            }
        }
    }
    rank(&mut outcome.results);
    rank(&mut outcome.near_misses);
    outcome
}

/// The queries that carry a search's weight, as builders so the
/// query-plan test can check each uses its index.
pub mod queries {
    use importers::vocab::{ProvisionType, RegistrationStatus};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

    use crate::db::entities::{homes, return_vacancies};
    use crate::geo::Bounds;

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

/// How a vacancy misses the criteria: the first way (in the order below)
/// and how many in all. Held inline: a search checks every vacancy in its
/// box, and most miss on several counts.
#[derive(Debug, Default)]
pub struct Misses {
    pub first: Option<Miss>,
    pub count: usize,
}

impl Misses {
    fn push(&mut self, miss: Miss) {
        if self.first.is_none() {
            self.first = Some(miss);
        }
        self.count += 1;
    }
}

/// Every way a vacancy misses the criteria.
pub fn check(
    c: &Criteria,
    v: &return_vacancies::Model,
    miles: f64,
    rating: Option<Judgement>,
) -> Misses {
    let mut misses = Misses::default();
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
    let unmet = Need::mask(&c.needs) & !v.needs_mask;
    if unmet != 0 {
        misses.push(Miss::Needs(unmet));
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
