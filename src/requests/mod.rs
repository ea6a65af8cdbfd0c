//! Bed requests: from a search's results, a placements officer asks the
//! providers of the homes that might fit for offers; each provider answers
//! for each of its homes (an offer, or a reason it cannot); the officer
//! compares the offers and records the outcome. A request holds criteria
//! only (as a search does) and a reference for the council's own case
//! system, never the child. It belongs to the council that sent it: other
//! member councils never see it, and a provider sees only its own homes.

pub mod answers;
pub mod api;
pub mod deciding;
pub mod forms;
pub mod link_routes;
pub mod list;
pub mod reminders;
pub mod routes;
pub mod sending;
pub mod stats;
mod views;
pub mod vocab;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use importers::vocab::{Judgement, Need, Pence, ProvisionType, Sexes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::{Role, Viewer};
use crate::db::entities::{
    bed_request_homes, bed_requests, homes, inspections, organisations, users,
};
use crate::error::{Error, Result};
use crate::organisations::contact::Contact;
pub use vocab::{Answer, Consideration, Length, Reason, Stage, Status};

/// A request's reference, `REQ-2026-0142`: the year it was sent and its
/// number in that year, unique across the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    pub fn new(year: i32, sequence: i32) -> Self {
        Reference(format!("REQ-{year}-{sequence:04}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let upper = text.trim().to_ascii_uppercase();
        let mut parts = upper.splitn(3, '-');
        let (Some("REQ"), Some(year), Some(number)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::NotFound);
        };
        let digits = |s: &str, min: usize, max: usize| {
            (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if digits(year, 4, 4) && digits(number, 4, 9) {
            Ok(Reference(upper))
        } else {
            Err(Error::NotFound)
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a request stands for its officer, as of `now`.
pub fn stage(request: &bed_requests::Model, all_answered: bool, now: DateTime<Utc>) -> Stage {
    if request.status != Status::Open.code() {
        Stage::Closed
    } else if all_answered || request.reply_by.with_timezone(&Utc) <= now {
        Stage::AwaitingDecision
    } else {
        Stage::Open
    }
}

/// What a request asks, before or after it is saved.
#[derive(Debug, Clone, Copy)]
pub struct Asks<'a> {
    pub age: i16,
    pub sex: &'a str,
    pub needs_mask: i64,
    pub district: &'a str,
    pub max_miles: i32,
    pub needed_from: chrono::NaiveDate,
    pub provision_types: &'a str,
    pub emergency: bool,
    pub solo: bool,
    pub length: Option<Length>,
    pub considerations: &'a str,
}

impl<'a> From<&'a bed_requests::Model> for Asks<'a> {
    fn from(r: &'a bed_requests::Model) -> Self {
        Asks {
            age: r.age,
            sex: &r.sex,
            needs_mask: r.needs_mask,
            district: &r.district,
            max_miles: r.max_miles,
            needed_from: r.needed_from,
            provision_types: &r.provision_types,
            emergency: r.emergency,
            solo: r.solo,
            length: Length::from_code(&r.duration),
            considerations: &r.considerations,
        }
    }
}

/// "Girl aged 15": the child in a request, as a list shows it.
pub fn child_words(age: i16, sex: &str) -> String {
    let child = match Sexes::from_code(sex) {
        Some(Sexes::Female) => "Girl",
        Some(Sexes::Male) => "Boy",
        _ => "Child",
    };
    format!("{child} aged {age}")
}

/// What a request asks, line by line, in words: the same on its page, in
/// its emails and in exports.
pub fn describe<'a>(asks: impl Into<Asks<'a>>) -> Vec<(&'static str, String)> {
    let r: Asks = asks.into();
    let needs: Vec<&str> = Need::from_mask(r.needs_mask)
        .into_iter()
        .map(Need::label)
        .collect();
    let types: Vec<&str> = r
        .provision_types
        .split(',')
        .filter_map(ProvisionType::from_code)
        .map(ProvisionType::label)
        .collect();
    let mut placement = Vec::new();
    if let Some(length) = r.length {
        placement.push(length.label().to_string());
    }
    if r.emergency {
        placement.push("emergency admission".into());
    }
    if r.solo {
        placement.push("solo placement".into());
    }
    let considerations: Vec<&str> = vocab::split(r.considerations, Consideration::from_code)
        .into_iter()
        .map(Consideration::label)
        .collect();
    let or = |list: Vec<&str>, none: &str| {
        if list.is_empty() {
            none.to_string()
        } else {
            list.join(", ")
        }
    };
    let mut lines = vec![
        ("Child", child_words(r.age, r.sex)),
        ("Needs", or(needs, "No particular needs")),
        (
            "Near",
            format!("{}, within {} miles", r.district, r.max_miles),
        ),
        (
            "Needed from",
            crate::web::filters::long_date(&r.needed_from),
        ),
        ("Kinds of home", or(types, "Any")),
    ];
    if !placement.is_empty() {
        lines.push(("Placement", placement.join("; ")));
    }
    lines.push((
        "Matching considerations",
        if considerations.is_empty() {
            "None".into()
        } else {
            considerations.join("; ")
        },
    ));
    lines
}

/// One home asked in a request, with what the officer compares.
#[derive(Debug, Clone)]
pub struct HomeLine {
    pub row: bed_request_homes::Model,
    pub home: homes::Model,
    pub provider: Option<organisations::Model>,
    pub rating: Option<Judgement>,
    pub flagged: bool,
    pub contact: Contact,
    /// Whether anyone at the provider uses the service (and so was emailed).
    pub reachable: bool,
}

impl HomeLine {
    pub fn answer(&self) -> Option<Answer> {
        self.row.answer.as_deref().and_then(Answer::from_code)
    }

    pub fn reason(&self) -> Option<Reason> {
        self.row.reason.as_deref().and_then(Reason::from_code)
    }

    pub fn fee(&self) -> Option<Pence> {
        self.row.weekly_fee_pence.map(Pence)
    }

    pub fn is_offer(&self) -> bool {
        self.answer() == Some(Answer::Offer)
    }

    pub fn provider_name(&self) -> &str {
        self.provider.as_ref().map_or("", |p| p.name.as_str())
    }
}

/// A request with the homes the viewer may see.
#[derive(Debug, Clone)]
pub struct Detail {
    pub request: bed_requests::Model,
    pub homes: Vec<HomeLine>,
    pub council_name: String,
    /// Every home of the request is here (the council's view), not only
    /// one provider's.
    pub complete: bool,
}

impl Detail {
    pub fn reference(&self) -> &str {
        &self.request.reference
    }

    pub fn status(&self) -> Status {
        Status::from_code(&self.request.status).unwrap_or(Status::Open)
    }

    pub fn is_open(&self) -> bool {
        self.status() == Status::Open
    }

    /// A provider's view says nothing of whether others have answered.
    pub fn stage(&self, now: DateTime<Utc>) -> Stage {
        let all_answered = self.complete && self.homes.iter().all(|h| h.row.answer.is_some());
        stage(&self.request, all_answered, now)
    }

    pub fn line(&self, urn: &str) -> Option<&HomeLine> {
        self.homes
            .iter()
            .find(|h| h.home.urn.eq_ignore_ascii_case(urn.trim()))
    }

    pub fn placed(&self) -> Option<&HomeLine> {
        let id = self.request.placed_home_id?;
        self.homes.iter().find(|h| h.home.id == id)
    }

    /// Time from sending to the first offer.
    pub fn time_to_first_offer(&self) -> Option<Duration> {
        first_offer(&self.request, self.homes.iter().map(|h| &h.row))
    }
}

/// Time from sending to the first offer among these rows (an offer later
/// withdrawn still counts as made).
pub fn first_offer<'a>(
    request: &bed_requests::Model,
    rows: impl Iterator<Item = &'a bed_request_homes::Model>,
) -> Option<Duration> {
    rows.filter(|r| {
        matches!(
            r.answer.as_deref().and_then(Answer::from_code),
            Some(Answer::Offer | Answer::Withdrawn)
        )
    })
    .filter_map(|r| r.answered_at)
    .min()
    .map(|at| at - request.created_at)
}

/// "2 hours 5 minutes", "3 days 4 hours": how long something took.
pub fn duration_words(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (days, hours) {
        (0, 0) => unit(mins, "minute"),
        (0, h) if mins == 0 => unit(h, "hour"),
        (0, h) => format!("{} {}", unit(h, "hour"), unit(mins, "minute")),
        (d, 0) => unit(d, "day"),
        (d, h) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    }
}

/// Holds a request's row until the transaction ends, so that deciding,
/// answering and withdrawing on one request happen one after another: on
/// PostgreSQL a row lock; SQLite's write transaction already holds the
/// whole database.
pub async fn lock(conn: &impl ConnectionTrait, reference: &str) -> Result<()> {
    let reference: Reference = reference.parse()?;
    lock_where(conn, bed_requests::Column::Reference.eq(reference.as_str())).await
}

/// `lock` for a request known by its id (an answer link's).
pub async fn lock_id(conn: &impl ConnectionTrait, id: i64) -> Result<()> {
    lock_where(conn, bed_requests::Column::Id.eq(id)).await
}

async fn lock_where(
    conn: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let _: Vec<i64> = bed_requests::Entity::find()
            .select_only()
            .column(bed_requests::Column::Id)
            .filter(condition)
            .lock_exclusive()
            .into_tuple()
            .all(conn)
            .await?;
    }
    Ok(())
}

/// The request a reference names, as the viewer may see it: council staff
/// of the sending council see every home; a provider user sees only its
/// own organisation's homes. Anyone else is told it does not exist.
pub async fn find(conn: &impl ConnectionTrait, reference: &str, viewer: &Viewer) -> Result<Detail> {
    let reference: Reference = reference.parse()?;
    let request = crate::db::unique(
        bed_requests::Entity::find().filter(bed_requests::Column::Reference.eq(reference.as_str())),
        conn,
    )
    .await?
    .ok_or(Error::NotFound)?;
    let provider = match viewer.role {
        Role::Provider => Some(viewer.organisation_id.ok_or(Error::NotFound)?),
        _ if viewer.council_id() == Some(request.council_id) => None,
        _ => return Err(Error::NotFound),
    };
    details(conn, vec![request], provider)
        .await?
        .pop()
        .ok_or(Error::NotFound)
}

/// These requests with their homes (of one provider only, if given), each
/// nearest first; requests with none of the provider's homes are left out.
/// A few queries whatever the number of requests.
pub async fn details(
    conn: &impl ConnectionTrait,
    requests: Vec<bed_requests::Model>,
    provider: Option<i64>,
) -> Result<Vec<Detail>> {
    let ids: Vec<i64> = requests.iter().map(|r| r.id).collect();
    let mut lines = lines_of(conn, &ids, provider).await?;
    let councils: HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(requests.iter().map(|r| r.council_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(requests
        .into_iter()
        .filter_map(|request| {
            let homes = lines.remove(&request.id).unwrap_or_default();
            if provider.is_some() && homes.is_empty() {
                return None;
            }
            Some(Detail {
                council_name: councils
                    .get(&request.council_id)
                    .cloned()
                    .unwrap_or_default(),
                homes,
                request,
                complete: provider.is_none(),
            })
        })
        .collect())
}

/// The homes of one request (of one provider only, if given), nearest first.
pub async fn lines(
    conn: &impl ConnectionTrait,
    request: &bed_requests::Model,
    provider: Option<i64>,
) -> Result<Vec<HomeLine>> {
    Ok(lines_of(conn, &[request.id], provider)
        .await?
        .remove(&request.id)
        .unwrap_or_default())
}

/// The homes of these requests by request, each nearest first (homes
/// without a position last, on either database).
async fn lines_of(
    conn: &impl ConnectionTrait,
    request_ids: &[i64],
    provider: Option<i64>,
) -> Result<HashMap<i64, Vec<HomeLine>>> {
    let mut rows = Vec::new();
    for chunk in request_ids.chunks(500) {
        let mut query = bed_request_homes::Entity::find()
            .filter(bed_request_homes::Column::RequestId.is_in(chunk.iter().copied()));
        if let Some(org) = provider {
            query = query.filter(bed_request_homes::Column::ProviderId.eq(org));
        }
        rows.extend(query.all(conn).await?);
    }
    rows.sort_by(|a, b| {
        let miles = |r: &bed_request_homes::Model| r.miles.unwrap_or(f64::MAX);
        miles(a).total_cmp(&miles(b)).then(a.id.cmp(&b.id))
    });
    let home_ids: Vec<i64> = rows.iter().map(|r| r.home_id).collect();
    let provider_ids: Vec<i64> = rows.iter().filter_map(|r| r.provider_id).collect();
    let mut homes: HashMap<i64, homes::Model> = HashMap::new();
    let mut current: HashMap<i64, inspections::Model> = HashMap::new();
    for chunk in home_ids.chunks(500) {
        homes.extend(
            homes::Entity::find()
                .filter(homes::Column::Id.is_in(chunk.iter().copied()))
                .all(conn)
                .await?
                .into_iter()
                .map(|h| (h.id, h)),
        );
        current.extend(
            inspections::Entity::find()
                .filter(inspections::Column::HomeId.is_in(chunk.iter().copied()))
                .filter(inspections::Column::IsCurrent.eq(true))
                .all(conn)
                .await?
                .into_iter()
                .map(|i| (i.home_id, i)),
        );
    }
    let mut unique_providers = provider_ids.clone();
    unique_providers.sort_unstable();
    unique_providers.dedup();
    let providers: HashMap<i64, organisations::Model> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(unique_providers.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let reachable: HashSet<i64> = users::Entity::find()
        .select_only()
        .column(users::Column::OrganisationId)
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.eq(Role::Provider.code()))
        .filter(users::Column::OrganisationId.is_in(unique_providers))
        .into_tuple::<Option<i64>>()
        .all(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut out: HashMap<i64, Vec<HomeLine>> = HashMap::new();
    for row in rows {
        let Some(home) = homes.get(&row.home_id).cloned() else {
            continue;
        };
        let provider = row.provider_id.and_then(|id| providers.get(&id)).cloned();
        let inspection = current.get(&home.id);
        out.entry(row.request_id).or_default().push(HomeLine {
            rating: inspection
                .and_then(|i| i.overall.as_deref())
                .and_then(Judgement::from_code),
            flagged: inspection.and_then(crate::quality::flag_of).is_some(),
            contact: Contact::for_home(&home, provider.as_ref()),
            reachable: row.provider_id.is_some_and(|id| reachable.contains(&id)),
            provider,
            home,
            row,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_parsed_at_the_boundary() {
        assert_eq!(Reference::new(2026, 142).as_str(), "REQ-2026-0142");
        assert_eq!(Reference::new(2027, 12345).as_str(), "REQ-2027-12345");
        let parsed: Reference = " req-2026-0142 ".parse().unwrap();
        assert_eq!(parsed, Reference::new(2026, 142));
        for bad in [
            "",
            "REQ-26-0001",
            "REQ-2026-12",
            "REF-2026-0001",
            "REQ-2026-00x1",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(Duration::minutes(45)), "45 minutes");
        assert_eq!(duration_words(Duration::minutes(61)), "1 hour 1 minute");
        assert_eq!(duration_words(Duration::hours(2)), "2 hours");
        assert_eq!(duration_words(Duration::hours(50)), "2 days 2 hours");
        assert_eq!(duration_words(Duration::days(1)), "1 day");
    }
}
