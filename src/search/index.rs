//! The current offers of every open, placed home, held in memory so a
//! search reads no table of its own.
//!
//! Always current: the database bumps `search_versions` in the transaction
//! of any change to homes, offers, inspections, monitoring cases, providers
//! or postcodes (triggers, migration 000014). A request reads that number
//! with its credentials (or on its own) and the index is rebuilt when it
//! moved, so a search sees every commit that came before it, from this
//! instance, another instance or a CLI import.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, FixedOffset, NaiveDate};
use importers::vocab::Judgement;
use sea_orm::{ConnectionTrait, Statement};

use crate::db::entities::{homes, inspections, organisations, return_vacancies, returns};
use crate::error::{Error, Result};
use crate::geo::{Bounds, Origin};

/// One home's current offer, with what a search result shows of the home.
#[derive(Debug)]
pub struct Offer {
    pub home: Arc<homes::Model>,
    pub provider: Option<Arc<organisations::Model>>,
    pub latitude: f64,
    pub longitude: f64,
    /// `band(latitude)`: the offers are ordered by it, then by longitude.
    band: i32,
    pub week_start: NaiveDate,
    pub submitted_at: DateTime<FixedOffset>,
    /// `submitted_at` as a page shows it ("4 October 2022 at 3:05pm"),
    /// written once per snapshot instead of for each result of each search.
    pub updated: Arc<str>,
    pub rating: Option<Judgement>,
    pub rating_date: Option<NaiveDate>,
    pub flagged: bool,
    pub open_case: bool,
    pub vacancies: Vec<Arc<Vacancy>>,
}

/// A vacancy of an offer, as stored.
pub type Vacancy = return_vacancies::Model;

/// Every offer as of one `search_versions` number, by band of latitude and
/// then longitude, and the
/// search origins looked up since (the postcode tables are watched too).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    offers: Vec<Offer>,
    origins: Mutex<HashMap<String, Origin>>,
}

/// A tenth of a degree of latitude (about seven miles): `within` reads a
/// box band by band.
fn band(latitude: f64) -> i32 {
    // Saturates for any input; coordinates are within ±90.
    (latitude * 10.0).floor() as i32
}

/// Origins remembered per snapshot at most (then forgotten all at once).
const ORIGINS_HELD: usize = 10_000;

impl Snapshot {
    /// The offers, put in the order `within` reads them by.
    fn new(version: i64, mut offers: Vec<Offer>) -> Self {
        offers.sort_by(|a, b| {
            a.band
                .cmp(&b.band)
                .then(a.longitude.total_cmp(&b.longitude))
        });
        Snapshot {
            version,
            offers,
            origins: Mutex::default(),
        }
    }

    /// The offers inside a box: for each band of latitude it spans, a
    /// binary search on longitude, so a search reads the offers near it
    /// rather than every offer at its latitude across the country.
    pub fn within(&self, b: Bounds) -> impl Iterator<Item = &Offer> {
        (band(b.min_latitude)..=band(b.max_latitude)).flat_map(move |n| {
            let start = self
                .offers
                .partition_point(|o| (o.band, o.longitude) < (n, b.min_longitude));
            let end = self
                .offers
                .partition_point(|o| (o.band, o.longitude) <= (n, b.max_longitude));
            self.offers[start..end.max(start)]
                .iter()
                .filter(move |o| (b.min_latitude..=b.max_latitude).contains(&o.latitude))
        })
    }

    /// Where a search starts, from what the user typed: remembered for the
    /// life of the snapshot, so a repeated search reads no postcode table.
    pub async fn origin(
        &self,
        conn: &impl ConnectionTrait,
        text: &str,
    ) -> std::result::Result<Option<Origin>, String> {
        let key = text.trim().to_ascii_uppercase();
        if let Some(held) = self.origins.lock().ok().and_then(|o| o.get(&key).cloned()) {
            return Ok(Some(held));
        }
        let found = crate::geo::origin(conn, text).await?;
        if let (Some(origin), Ok(mut held)) = (&found, self.origins.lock()) {
            if held.len() >= ORIGINS_HELD {
                held.clear();
            }
            held.insert(key, origin.clone());
        }
        Ok(found)
    }
}

/// The shared index: the latest snapshot, rebuilt by one search at a time.
#[derive(Default)]
pub struct OfferIndex {
    current: RwLock<Arc<Snapshot>>,
    rebuilding: tokio::sync::Mutex<()>,
}

impl OfferIndex {
    /// The offers as of the start of this request: the held snapshot when
    /// the database's change counter has not moved, else a fresh one. The
    /// counter is read here, so a search sees every change committed before
    /// it, made by any instance, a command or by hand.
    pub async fn snapshot(&self, conn: &impl ConnectionTrait) -> Result<Arc<Snapshot>> {
        let version = version(conn).await?;
        if let Some(held) = self.held(version) {
            return Ok(held);
        }
        let _one_at_a_time = self.rebuilding.lock().await;
        if let Some(held) = self.held(version) {
            return Ok(held);
        }
        let started = std::time::Instant::now();
        let fresh = Arc::new(load(conn, version).await?);
        tracing::debug!(
            version,
            offers = fresh.offers.len(),
            ms = started.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
        if let Ok(mut current) = self.current.write() {
            *current = fresh.clone();
        }
        Ok(fresh)
    }

    fn held(&self, version: i64) -> Option<Arc<Snapshot>> {
        let current = self.current.read().ok()?;
        // A snapshot tagged with this version or a later one holds every
        // change committed before the search began.
        (current.version >= version && current.version > 0).then(|| current.clone())
    }
}

const VERSION_SUBQUERY: &str = r#"(SELECT "version" FROM "search_versions" WHERE "id" = 1)"#;

/// The database's change counter for what searches show.
pub async fn version(conn: &impl ConnectionTrait) -> Result<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!(r#"SELECT {VERSION_SUBQUERY} AS "version""#),
        ))
        .await?
        .ok_or_else(|| Error::Internal("search_versions has no row".into()))?;
    Ok(row.try_get::<i64>("", "version")?)
}

/// Reads every current offer of an open home with a position: six queries
/// led by `home_offers` (see [`queries`]).
pub async fn load(conn: &impl ConnectionTrait, version: i64) -> Result<Snapshot> {
    let homes = queries::homes().all(conn).await?;
    let returns: HashMap<i64, returns::Model> = queries::returns()
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.home_id, r))
        .collect();
    let mut vacancies: HashMap<i64, Vec<return_vacancies::Model>> = HashMap::new();
    for v in queries::vacancies().all(conn).await? {
        vacancies.entry(v.return_id).or_default().push(v);
    }
    let ratings: HashMap<i64, inspections::Model> = queries::ratings()
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.home_id, i))
        .collect();
    let open_cases: HashSet<i64> = queries::open_cases()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.home_id)
        .collect();
    let providers: HashMap<i64, Arc<organisations::Model>> = queries::providers()
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, Arc::new(o)))
        .collect();

    let offers: Vec<Offer> = homes
        .into_iter()
        .filter_map(|home| {
            let ret = returns.get(&home.id)?;
            let mut vacancies = vacancies.remove(&ret.id)?;
            vacancies.sort_by_key(|v| v.id);
            let vacancies = vacancies.into_iter().map(Arc::new).collect();
            let inspection = ratings.get(&home.id);
            Some(Offer {
                latitude: home.latitude?,
                longitude: home.longitude?,
                band: band(home.latitude?),
                provider: home.provider_id.and_then(|p| providers.get(&p).cloned()),
                week_start: ret.week_start,
                submitted_at: ret.submitted_at,
                updated: crate::web::filters::date_time(&ret.submitted_at).into(),
                rating: inspection
                    .and_then(|i| i.overall.as_deref())
                    .and_then(Judgement::from_code),
                rating_date: inspection.map(|i| i.inspection_date),
                flagged: inspection.and_then(crate::quality::flag_of).is_some(),
                open_case: open_cases.contains(&home.id),
                vacancies,
                home: Arc::new(home),
            })
        })
        .collect();
    Ok(Snapshot::new(version, offers))
}

/// The index's queries, as builders so the query-plan test can check that
/// each reads its table by key or index, driven by `home_offers`.
pub mod queries {
    use importers::vocab::RegistrationStatus;
    use sea_orm::sea_query::{Query, SelectStatement};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

    use crate::db::entities::{
        home_offers, homes, inspections, monitoring_cases, organisations, return_vacancies, returns,
    };

    /// One column of every current offer, as a subquery.
    fn offers(column: home_offers::Column) -> SelectStatement {
        Query::select()
            .column(column)
            .from(home_offers::Entity)
            .to_owned()
    }

    fn offered() -> SelectStatement {
        offers(home_offers::Column::HomeId)
    }

    fn offered_returns() -> SelectStatement {
        offers(home_offers::Column::ReturnId)
    }

    /// Open homes with a position and an offer.
    pub fn homes() -> Select<homes::Entity> {
        homes::Entity::find()
            .filter(homes::Column::Id.in_subquery(offered()))
            .filter(homes::Column::RegistrationStatus.is_in(RegistrationStatus::open_codes()))
            .filter(homes::Column::Latitude.is_not_null())
            .filter(homes::Column::Longitude.is_not_null())
    }

    pub fn returns() -> Select<returns::Entity> {
        returns::Entity::find().filter(returns::Column::Id.in_subquery(offered_returns()))
    }

    pub fn vacancies() -> Select<return_vacancies::Entity> {
        return_vacancies::Entity::find()
            .filter(return_vacancies::Column::ReturnId.in_subquery(offered_returns()))
    }

    /// The current inspection of each home with an offer.
    pub fn ratings() -> Select<inspections::Entity> {
        inspections::Entity::find()
            .filter(inspections::Column::HomeId.in_subquery(offered()))
            .filter(inspections::Column::IsCurrent.eq(true))
    }

    pub fn open_cases() -> Select<monitoring_cases::Entity> {
        monitoring_cases::Entity::find()
            .filter(monitoring_cases::Column::HomeId.in_subquery(offered()))
            .filter(monitoring_cases::Column::Status.ne("closed"))
    }

    pub fn providers() -> Select<organisations::Entity> {
        organisations::Entity::find().filter(
            organisations::Column::Id.in_subquery(
                Query::select()
                    .column(homes::Column::ProviderId)
                    .from(homes::Entity)
                    .and_where(homes::Column::Id.in_subquery(offered()))
                    .to_owned(),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An offer at a position (the rest as any offer).
    fn offer_at(home: &Arc<homes::Model>, latitude: f64, longitude: f64) -> Offer {
        let submitted_at = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z").unwrap();
        Offer {
            home: home.clone(),
            provider: None,
            latitude,
            longitude,
            band: band(latitude),
            week_start: submitted_at.date_naive(),
            submitted_at,
            updated: "23 November 2026 at 9:00am".into(),
            rating: None,
            rating_date: None,
            flagged: false,
            open_case: false,
            vacancies: Vec::new(),
        }
    }

    #[test]
    fn a_box_holds_exactly_the_offers_inside_it() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z").unwrap();
        let home = Arc::new(homes::Model {
            id: 1,
            urn: "SC000001".into(),
            name: "A home".into(),
            provision_type: "childrens_home".into(),
            sector: None,
            registered_places: None,
            min_age: None,
            max_age: None,
            sexes: None,
            short_break_only: false,
            multi_building: false,
            registration_status: "active".into(),
            registration_date: None,
            host_council_id: None,
            locality: None,
            address_line1: None,
            address_line2: None,
            town: None,
            county: None,
            postcode: None,
            latitude: None,
            longitude: None,
            provider_id: None,
            created_at: now,
            updated_at: now,
            status_as_at: None,
            owner_as_at: None,
            name_as_at: None,
            address_as_at: None,
            details_as_at: None,
            registration_ended_on: None,
            contact_name: None,
            contact_phone: None,
            contact_email: None,
        });
        // Offers across Great Britain, some exactly on band edges and on
        // the boxes' own edges.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |range: f64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * range
        };
        let mut points: Vec<(f64, f64)> = (0..3_000)
            .map(|_| (49.9 + next(6.0), -6.0 + next(7.8)))
            .collect();
        points.extend([(50.7, -1.9), (50.8, -1.8), (51.0, -2.0), (50.6999, -1.9)]);
        let snapshot = Snapshot::new(
            1,
            points
                .iter()
                .map(|&(la, lo)| offer_at(&home, la, lo))
                .collect(),
        );
        let mut boxes: Vec<Bounds> = (0..200)
            .map(|_| {
                let (la, lo, d) = (49.9 + next(6.0), -6.0 + next(7.8), next(3.0));
                Bounds {
                    min_latitude: la - d,
                    max_latitude: la + d,
                    min_longitude: lo - d,
                    max_longitude: lo + d,
                }
            })
            .collect();
        boxes.push(Bounds {
            min_latitude: 50.7,
            max_latitude: 51.0,
            min_longitude: -2.0,
            max_longitude: -1.8,
        });
        for b in boxes {
            let mut found: Vec<(f64, f64)> = snapshot
                .within(b)
                .map(|o| (o.latitude, o.longitude))
                .collect();
            let mut expected: Vec<(f64, f64)> = points
                .iter()
                .copied()
                .filter(|&(la, lo)| {
                    (b.min_latitude..=b.max_latitude).contains(&la)
                        && (b.min_longitude..=b.max_longitude).contains(&lo)
                })
                .collect();
            found.sort_by(|a, b| a.partial_cmp(b).unwrap());
            expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(found, expected, "{b:?}");
        }
    }
}
