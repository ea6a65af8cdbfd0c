//! The placements team's morning digest: admittable vacancies from each
//! home's latest return in and near the area (the capacity map's circle),
//! grouped by provision type with rating tags, those filed since yesterday
//! marked new. Not sent when nothing is new, unless configured.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use importers::vocab::Judgement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::Role;
use crate::config::Settings;
use crate::db::entities::{homes, inspections, organisations, returns};
use crate::email::templates::{DigestGroup, DigestVacancy, VacancyDigest};
use crate::email::{self, Category, recipients};
use crate::error::Result;
use crate::organisations::contact::Contact;
use crate::search::queries;

/// A digest lists returns no older than this.
const FRESH_WEEKS: i64 = 2;

/// Builds `council`'s digest for `date` (vacancies near its homes); `None`
/// when there is nothing to send.
pub async fn build(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    council: i64,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<VacancyDigest>> {
    let Some(centre) = crate::map::centre(conn, Some(council)).await? else {
        return Ok(None);
    };
    let radius = f64::from(settings.map.radius_miles);
    let market = &settings.market.provision_types;
    let near: HashMap<i64, homes::Model> = crate::map::homes_within(conn, centre, radius, market)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let ids: Vec<i64> = near.keys().copied().collect();
    let since = date - Duration::weeks(FRESH_WEEKS);
    let latest = crate::returns::offers::of_homes(conn, &ids, since).await?;
    let return_ids: Vec<i64> = latest.values().map(|r| r.id).collect();
    let by_return: HashMap<i64, &returns::Model> = latest.values().map(|r| (r.id, r)).collect();
    let mut vacancies = Vec::new();
    for chunk in return_ids.chunks(400) {
        vacancies.extend(queries::vacancies_of(chunk).all(conn).await?);
    }
    let offering: Vec<i64> = latest.keys().copied().collect();
    let ratings: HashMap<i64, inspections::Model> = inspections::Entity::find()
        .filter(inspections::Column::HomeId.is_in(offering.iter().copied()))
        .filter(inspections::Column::IsCurrent.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.home_id, i))
        .collect();
    let providers: HashMap<i64, organisations::Model> = organisations::Entity::find()
        .filter(
            organisations::Column::Id
                .is_in(offering.iter().filter_map(|id| near.get(id)?.provider_id)),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();

    let yesterday = now - Duration::hours(24);
    let mut groups: BTreeMap<&'static str, Vec<DigestVacancy>> = BTreeMap::new();
    let mut new_count = 0;
    for v in &vacancies {
        let Some(ret) = by_return.get(&v.return_id) else {
            continue;
        };
        let Some(home) = near.get(&ret.home_id) else {
            continue;
        };
        // A "no change" copy repeats what was already offered.
        let is_new = ret.submitted_at.with_timezone(&Utc) > yesterday && ret.source != "no_change";
        new_count += usize::from(is_new);
        let provider = home.provider_id.and_then(|p| providers.get(&p));
        let rating = ratings
            .get(&home.id)
            .and_then(|i| i.overall.as_deref())
            .and_then(Judgement::from_code)
            .map(|j| j.short_label().to_string())
            .unwrap_or_else(|| "not yet rated".into());
        groups
            .entry(crate::homes::type_label(&home.provision_type))
            .or_default()
            .push(DigestVacancy {
                home: home.name.clone(),
                provider: provider
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| "provider not recorded".into()),
                contact: Contact::for_home(home, provider).summary(),
                locality: home
                    .locality
                    .clone()
                    .unwrap_or_else(|| "outside our localities".into()),
                details: crate::returns::summary::describe(v),
                rating,
                is_new,
                url: email::link(settings, &format!("/homes/{}", home.urn)),
            });
    }
    let total: usize = groups.values().map(Vec::len).sum();
    if new_count == 0 && !settings.email.digest_when_nothing_new {
        return Ok(None);
    }
    for list in groups.values_mut() {
        list.sort_by(|a, b| b.is_new.cmp(&a.is_new).then(a.home.cmp(&b.home)));
    }
    Ok(Some(VacancyDigest {
        date: date.format("%A %-d %B %Y").to_string(),
        new_count,
        total,
        groups: groups
            .into_iter()
            .map(|(provision_type, vacancies)| DigestGroup {
                provision_type: provision_type.to_string(),
                vacancies,
            })
            .collect(),
        search_url: email::link(settings, "/search"),
    }))
}

/// Queues each member council's digest for `date` to its placements team.
pub async fn send(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut queued = 0;
    for member in crate::regions::members(conn).await? {
        queued += send_for(conn, settings, member.id, date, now).await?;
    }
    Ok(queued)
}

async fn send_for(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    council: i64,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let Some(digest) = build(conn, settings, council, date, now).await? else {
        return Ok(0);
    };
    let mut queued = 0;
    for person in recipients::with_roles_in(conn, &[Role::Placements], council).await? {
        let key = format!(
            "{}:{date}:{}",
            Category::VacancyDigest.code(),
            person.user_id.unwrap_or(0)
        );
        if email::queue(
            conn,
            settings,
            &key,
            Category::VacancyDigest,
            &person,
            now,
            |f| digest.render(f),
        )
        .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}
