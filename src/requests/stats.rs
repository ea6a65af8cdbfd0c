//! What commissioners learn from requests: the requests that closed with
//! no suitable offer (unmet demand, grouped as the search demand is), the
//! reasons providers gave for not offering, each provider's answering,
//! and the fees offered (for the fee benchmark). A council's own requests
//! only.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};

use super::{Answer, Reason, Status};
use crate::db::entities::{bed_request_homes, bed_requests, homes, organisations};
use crate::error::Result;
use crate::search::demand::{AgeBand, Unmet};
use crate::web::export::{ExportCell, Table};

/// Requests that found no suitable offer, and why providers said no.
#[derive(Debug, Clone, Default)]
pub struct RequestDemand {
    /// Requests sent in the period.
    pub sent: usize,
    /// Requests that closed in the period with no suitable offer.
    pub unmet_requests: usize,
    pub unmet: Vec<Unmet>,
    /// Reasons given for not offering, in answers to the period's requests.
    pub reasons: Vec<(Reason, usize)>,
}

/// The council's requests sent in `[from, to)`, and those that closed in it
/// with no suitable offer grouped by age band, sex, needs, kinds of home
/// and distance (most frequent first).
pub async fn demand(
    conn: &impl ConnectionTrait,
    council: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<RequestDemand> {
    use bed_requests::Column as R;
    let sent = bed_requests::Entity::find()
        .filter(R::CouncilId.eq(council))
        .filter(R::CreatedAt.gte(from.fixed_offset()))
        .filter(R::CreatedAt.lt(to.fixed_offset()))
        .all(conn)
        .await?;
    let unmet_requests = bed_requests::Entity::find()
        .filter(R::CouncilId.eq(council))
        .filter(R::Status.eq(Status::NoSuitableOffer.code()))
        .filter(R::DecidedAt.gte(from.fixed_offset()))
        .filter(R::DecidedAt.lt(to.fixed_offset()))
        .all(conn)
        .await?;
    let mut groups: BTreeMap<(AgeBand, String, i64, String, i32), Unmet> = BTreeMap::new();
    for r in &unmet_requests {
        let band = AgeBand::of(r.age);
        let entry = groups
            .entry((
                band,
                r.sex.clone(),
                r.needs_mask,
                r.provision_types.clone(),
                r.max_miles,
            ))
            .or_insert_with(|| Unmet {
                band,
                ages: Vec::new(),
                sexes: r.sex.clone(),
                needs_mask: r.needs_mask,
                provision_types: r.provision_types.clone(),
                max_miles: r.max_miles,
                times: 0,
                districts: Vec::new(),
            });
        entry.times += 1;
        if let Err(at) = entry.ages.binary_search(&r.age) {
            entry.ages.insert(at, r.age);
        }
        if let Err(at) = entry.districts.binary_search(&r.district) {
            entry.districts.insert(at, r.district.clone());
        }
    }
    let mut unmet: Vec<Unmet> = groups.into_values().collect();
    unmet.sort_by(|a, b| b.times.cmp(&a.times).then(a.band.cmp(&b.band)));
    let ids: Vec<i64> = sent.iter().map(|r| r.id).collect();
    let mut reasons: BTreeMap<Reason, usize> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let given: Vec<Option<String>> = bed_request_homes::Entity::find()
            .select_only()
            .column(bed_request_homes::Column::Reason)
            .filter(bed_request_homes::Column::RequestId.is_in(chunk.iter().copied()))
            .filter(bed_request_homes::Column::Answer.eq(Answer::CannotOffer.code()))
            .into_tuple()
            .all(conn)
            .await?;
        for reason in given.iter().flatten().filter_map(|r| Reason::from_code(r)) {
            *reasons.entry(reason).or_default() += 1;
        }
    }
    let mut reasons: Vec<(Reason, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(RequestDemand {
        sent: sent.len(),
        unmet_requests: unmet_requests.len(),
        unmet,
        reasons,
    })
}

/// How one provider answered the council's requests.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderAnswers {
    pub provider: String,
    /// Requests that asked at least one of its homes.
    pub requests: usize,
    pub homes_asked: usize,
    pub answered: usize,
    /// Offers made (including those later withdrawn).
    pub offers: usize,
    pub placements: usize,
    pub median_time_to_answer: Option<Duration>,
}

impl ProviderAnswers {
    pub fn median_words(&self) -> String {
        self.median_time_to_answer
            .map(super::duration_words)
            .unwrap_or_else(|| "No answers".into())
    }
}

/// One provider's answering, counted up.
#[derive(Default)]
struct Tally {
    requests: Vec<i64>,
    homes_asked: usize,
    answered: usize,
    offers: usize,
    placements: usize,
    times: Vec<Duration>,
}

fn median(mut times: Vec<Duration>) -> Option<Duration> {
    times.sort();
    let n = times.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(times[n / 2]),
        _ => Some((times[n / 2 - 1] + times[n / 2]) / 2),
    }
}

/// Per provider, for the council's requests sent in `[from, to)`: most
/// asked first.
pub async fn by_provider(
    conn: &impl ConnectionTrait,
    council: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ProviderAnswers>> {
    use bed_requests::Column as R;
    let requests: HashMap<i64, bed_requests::Model> = bed_requests::Entity::find()
        .filter(R::CouncilId.eq(council))
        .filter(R::CreatedAt.gte(from.fixed_offset()))
        .filter(R::CreatedAt.lt(to.fixed_offset()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let ids: Vec<i64> = requests.keys().copied().collect();
    let mut per: BTreeMap<i64, Tally> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        for row in bed_request_homes::Entity::find()
            .filter(bed_request_homes::Column::RequestId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            let (Some(provider), Some(request)) = (row.provider_id, requests.get(&row.request_id))
            else {
                continue;
            };
            let tally = per.entry(provider).or_default();
            if !tally.requests.contains(&row.request_id) {
                tally.requests.push(row.request_id);
            }
            tally.homes_asked += 1;
            if let Some(at) = row.answered_at {
                tally.answered += 1;
                tally.times.push(at - request.created_at);
            }
            if matches!(
                row.answer.as_deref().and_then(Answer::from_code),
                Some(Answer::Offer | Answer::Withdrawn)
            ) {
                tally.offers += 1;
            }
            if request.placed_home_id == Some(row.home_id) {
                tally.placements += 1;
            }
        }
    }
    let names: HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(per.keys().copied().collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut out: Vec<ProviderAnswers> = per
        .into_iter()
        .map(|(id, tally)| ProviderAnswers {
            provider: names.get(&id).cloned().unwrap_or_default(),
            requests: tally.requests.len(),
            homes_asked: tally.homes_asked,
            answered: tally.answered,
            offers: tally.offers,
            placements: tally.placements,
            median_time_to_answer: median(tally.times),
        })
        .collect();
    out.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then(a.provider.cmp(&b.provider))
    });
    Ok(out)
}

pub fn providers_table(rows: &[ProviderAnswers]) -> Table {
    Table {
        headers: vec![
            "Provider",
            "Requests received",
            "Homes asked",
            "Answered",
            "Offers made",
            "Placements",
            "Median hours to answer",
        ],
        rows: rows
            .iter()
            .map(|p| {
                vec![
                    ExportCell::from(p.provider.as_str()),
                    (p.requests as i64).into(),
                    (p.homes_asked as i64).into(),
                    (p.answered as i64).into(),
                    (p.offers as i64).into(),
                    (p.placements as i64).into(),
                    p.median_time_to_answer
                        .map(|d| ExportCell::Number((d.num_minutes() as f64 / 6.0).round() / 10.0))
                        .unwrap_or(ExportCell::Empty),
                ]
            })
            .collect(),
    }
}

/// A fee offered in answer to one of the council's requests.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedFee {
    pub provision_type: String,
    pub weekly_fee_pence: i64,
}

/// Fees offered to the council's requests, answered in `[from, to)`
/// (offers later withdrawn included: the price was still asked).
pub async fn offered_fees(
    conn: &impl ConnectionTrait,
    council: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OfferedFee>> {
    use bed_request_homes::Column as H;
    let rows: Vec<(String, i64)> = bed_request_homes::Entity::find()
        .select_only()
        .column(homes::Column::ProvisionType)
        .column(H::WeeklyFeePence)
        .join(
            JoinType::InnerJoin,
            bed_request_homes::Relation::BedRequests.def(),
        )
        .join(
            JoinType::InnerJoin,
            bed_request_homes::Relation::Homes.def(),
        )
        .filter(bed_requests::Column::CouncilId.eq(council))
        .filter(H::Answer.is_in([Answer::Offer.code(), Answer::Withdrawn.code()]))
        .filter(H::WeeklyFeePence.is_not_null())
        .filter(H::AnsweredAt.gte(from.fixed_offset()))
        .filter(H::AnsweredAt.lt(to.fixed_offset()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(provision_type, weekly_fee_pence)| OfferedFee {
            provision_type,
            weekly_fee_pence,
        })
        .collect())
}
