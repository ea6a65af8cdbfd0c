//! The capacity map: homes in and around the host council with their
//! position, rating and latest return, for council staff only (exact
//! positions are addresses by another name).

pub mod routes;
mod views;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use importers::vocab::{Judgement, ProvisionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::db::entities::{homes, inspections, organisations, returns};
use crate::error::Result;
use crate::geo::Point;
use crate::search::MinRating;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Empty: every type.
    pub provision_types: Vec<ProvisionType>,
    pub min_rating: Option<MinRating>,
    pub with_vacancies: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapHome {
    pub urn: String,
    pub name: String,
    pub provider: Option<String>,
    pub provision_type: String,
    pub type_label: &'static str,
    pub locality: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub rating: Option<String>,
    pub rating_label: String,
    pub flagged: bool,
    pub places: Option<i32>,
    pub occupied_ours: Option<i32>,
    pub occupied_other: Option<i32>,
    pub not_admittable: Option<i32>,
    pub vacancies: Option<i32>,
    pub week: Option<String>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub stale: bool,
}

/// The centre the map starts from: the middle of our council's homes.
pub async fn centre(
    conn: &impl ConnectionTrait,
    our_council_id: Option<i64>,
) -> Result<Option<Point>> {
    let mut query = homes::Entity::find().filter(homes::Column::Latitude.is_not_null());
    if let Some(id) = our_council_id {
        query = query.filter(homes::Column::HostCouncilId.eq(id));
    }
    let ours = query.all(conn).await?;
    let points: Vec<(f64, f64)> = ours
        .iter()
        .filter_map(|h| Some((h.latitude?, h.longitude?)))
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let n = points.len() as f64;
    Ok(Some(Point {
        latitude: points.iter().map(|p| p.0).sum::<f64>() / n,
        longitude: points.iter().map(|p| p.1).sum::<f64>() / n,
    }))
}

/// Open homes of these types (every type if none) within `radius` miles
/// of `centre`.
pub async fn homes_within(
    conn: &impl ConnectionTrait,
    centre: Point,
    radius: f64,
    types: &[ProvisionType],
) -> Result<Vec<homes::Model>> {
    Ok(
        crate::search::queries::homes_near(centre.bounds(radius), types)
            .all(conn)
            .await?
            .into_iter()
            .filter(|h| match (h.latitude, h.longitude) {
                (Some(latitude), Some(longitude)) => {
                    centre.miles_to(Point {
                        latitude,
                        longitude,
                    }) <= radius
                }
                _ => false,
            })
            .collect(),
    )
}

/// Homes in and around the host council that pass the map's own filters.
/// `council` is the viewer's: the map centres on it and counts its
/// children's beds as "ours".
pub async fn homes(
    conn: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    council: Option<i64>,
    filter: &Filter,
) -> Result<Vec<MapHome>> {
    let Some(centre) = centre(conn, council).await? else {
        return Ok(Vec::new());
    };
    let radius = f64::from(settings.map.radius_miles);
    // The placements market's kinds of home, or those of them asked for.
    let types: Vec<ProvisionType> = settings
        .market
        .provision_types
        .iter()
        .copied()
        .filter(|t| filter.provision_types.is_empty() || filter.provision_types.contains(t))
        .collect();
    let found = homes_within(conn, centre, radius, &types).await?;
    describe(conn, settings, council, found, filter).await
}

/// The homes with a vacancy that fits a search: the search's own criteria
/// as the map's filters.
pub async fn fitting(
    conn: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    council: Option<i64>,
    outcome: &crate::search::Outcome,
) -> Result<Vec<MapHome>> {
    let mut seen = std::collections::HashSet::new();
    let found: Vec<homes::Model> = outcome
        .results
        .iter()
        .filter(|hit| seen.insert(hit.home.id))
        .map(|hit| hit.home.as_ref().clone())
        .collect();
    describe(conn, settings, council, found, &Filter::default()).await
}

/// Each home with its rating and latest return, in name order.
async fn describe(
    conn: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    council: Option<i64>,
    found: Vec<homes::Model>,
    filter: &Filter,
) -> Result<Vec<MapHome>> {
    let ids: Vec<i64> = found.iter().map(|h| h.id).collect();
    let mut current: HashMap<i64, inspections::Model> = HashMap::new();
    let mut latest: HashMap<i64, returns::Model> = HashMap::new();
    let since = Utc::now().date_naive() - chrono::Duration::weeks(8);
    for chunk in ids.chunks(400) {
        for i in inspections::Entity::find()
            .filter(inspections::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(inspections::Column::IsCurrent.eq(true))
            .all(conn)
            .await?
        {
            current.insert(i.home_id, i);
        }
        for r in returns::Entity::find()
            .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(returns::Column::IsCurrent.eq(true))
            .filter(returns::Column::WeekStart.gte(since))
            .all(conn)
            .await?
        {
            if latest
                .get(&r.home_id)
                .is_none_or(|l| r.week_start > l.week_start)
            {
                latest.insert(r.home_id, r);
            }
        }
    }
    let return_ids: Vec<i64> = latest.values().map(|r| r.id).collect();
    let ours: HashMap<i64, i32> = crate::returns::store::placements_of(conn, &return_ids)
        .await?
        .into_iter()
        .map(|(ret, lines)| {
            let beds = lines.iter().filter(|l| Some(l.council_id) == council);
            (ret, beds.map(|l| l.beds).sum())
        })
        .collect();
    let providers: HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(found.iter().filter_map(|h| h.provider_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let now = Utc::now();
    let stale_before = crate::returns::stale_before(now, settings.returns.stale_after_days);
    let mut out: Vec<MapHome> = found
        .into_iter()
        .filter_map(|h| {
            let inspection = current.get(&h.id);
            let judgement = inspection
                .and_then(|i| i.overall.as_deref())
                .and_then(Judgement::from_code);
            if let Some(min) = filter.min_rating
                && !min.admits(judgement)
            {
                return None;
            }
            let ret = latest.get(&h.id);
            if filter.with_vacancies && ret.is_none_or(|r| r.vacancies == 0) {
                return None;
            }
            Some(MapHome {
                urn: h.urn.clone(),
                name: h.name.clone(),
                provider: h.provider_id.and_then(|p| providers.get(&p).cloned()),
                type_label: crate::homes::type_label(&h.provision_type),
                provision_type: h.provision_type.clone(),
                locality: h.locality.clone(),
                latitude: h.latitude?,
                longitude: h.longitude?,
                rating: judgement.map(|j| j.code().to_string()),
                rating_label: crate::quality::RatingState::of(&h.registration_status, inspection)
                    .label(),
                flagged: inspection.and_then(crate::quality::flag_of).is_some(),
                places: h.registered_places,
                occupied_ours: ret.map(|r| ours.get(&r.id).copied().unwrap_or(0)),
                occupied_other: ret.map(|r| r.occupied - ours.get(&r.id).copied().unwrap_or(0)),
                not_admittable: ret.map(|r| {
                    r.unavailable_staffing
                        + r.unavailable_works
                        + r.unavailable_matching
                        + r.unavailable_registration
                        + r.unavailable_other
                }),
                vacancies: ret.map(|r| r.vacancies),
                week: ret.map(|r| importers::vocab::IsoWeek::containing(r.week_start).to_string()),
                updated: ret.map(|r| r.submitted_at),
                stale: ret.is_none_or(|r| r.submitted_at < stale_before),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.urn.cmp(&b.urn)));
    Ok(out)
}
