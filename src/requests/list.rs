//! The requests list: a council's own requests (open, awaiting decision,
//! closed) with their answers counted, or a provider's requests with its
//! own homes only; and its CSV/XLSX export.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::{Answer, Length, Stage, Status, describe, first_offer, stage};
use crate::auth::Viewer;
use crate::db::entities::{bed_request_homes, bed_requests, homes, organisations};
use crate::error::Result;
use crate::web::export::{ExportCell, Table};

/// A request in a list.
#[derive(Debug, Clone)]
pub struct Summary {
    pub request: bed_requests::Model,
    pub council: String,
    pub asked: usize,
    pub answered: usize,
    /// Offers standing (not withdrawn).
    pub offers: usize,
    pub first_offer: Option<Duration>,
    pub stage: Stage,
    /// For a provider: its homes in the request and their answers.
    pub own_homes: Vec<(String, String, Option<Answer>)>,
    /// The home placed with, if any (name).
    pub placed_with: Option<String>,
}

impl Summary {
    pub fn status(&self) -> Status {
        Status::from_code(&self.request.status).unwrap_or(Status::Open)
    }

    pub fn child(&self) -> String {
        super::child_words(self.request.age, &self.request.sex)
    }

    pub fn first_offer_words(&self) -> String {
        self.first_offer
            .map(super::duration_words)
            .unwrap_or_else(|| "No offer".into())
    }

    /// What a provider still has to do.
    pub fn waiting_on_you(&self) -> usize {
        self.own_homes
            .iter()
            .filter(|(_, _, a)| a.is_none())
            .count()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub stage: Option<Stage>,
    pub length: Option<Length>,
}

/// The requests the viewer may see, newest first: the council's own, or
/// those that asked the provider's homes; with the provider, for a
/// provider user (whose view is of its own homes only).
pub async fn requests_of(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    length: Option<Length>,
) -> Result<(Vec<bed_requests::Model>, Option<i64>)> {
    let mut query = bed_requests::Entity::find();
    let provider = if let Some(council) = viewer.council_id() {
        query = query.filter(bed_requests::Column::CouncilId.eq(council));
        None
    } else if let Some(org) = viewer.organisation_id.filter(|_| !viewer.is_council()) {
        let asked = bed_request_homes::Entity::find()
            .select_only()
            .column(bed_request_homes::Column::RequestId)
            .filter(bed_request_homes::Column::ProviderId.eq(org))
            .into_query();
        query = query.filter(bed_requests::Column::Id.in_subquery(asked));
        Some(org)
    } else {
        return Ok((Vec::new(), None));
    };
    if let Some(length) = length {
        query = query.filter(bed_requests::Column::Duration.eq(length.code()));
    }
    let requests = query
        .order_by_desc(bed_requests::Column::CreatedAt)
        .order_by_desc(bed_requests::Column::Id)
        .all(conn)
        .await?;
    Ok((requests, provider))
}

/// The viewer's requests as a list shows them, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<Summary>> {
    let (requests, provider) = requests_of(conn, viewer, filter.length).await?;
    let ids: Vec<i64> = requests.iter().map(|r| r.id).collect();
    let mut rows: HashMap<i64, Vec<bed_request_homes::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in bed_request_homes::Entity::find()
            .filter(bed_request_homes::Column::RequestId.is_in(chunk.iter().copied()))
            .order_by_asc(bed_request_homes::Column::Id)
            .all(conn)
            .await?
        {
            rows.entry(row.request_id).or_default().push(row);
        }
    }
    let home_ids: Vec<i64> = rows
        .values()
        .flatten()
        .filter(|r| provider.is_none_or(|p| r.provider_id == Some(p)))
        .map(|r| r.home_id)
        .chain(requests.iter().filter_map(|r| r.placed_home_id))
        .collect();
    let mut names: HashMap<i64, (String, String)> = HashMap::new();
    for chunk in home_ids.chunks(500) {
        for h in homes::Entity::find()
            .filter(homes::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            names.insert(h.id, (h.name, h.urn));
        }
    }
    let councils: HashMap<i64, String> = organisations::Entity::find()
        .filter(
            organisations::Column::Id
                .is_in(requests.iter().map(|r| r.council_id).collect::<Vec<_>>()),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut out = Vec::new();
    for request in requests {
        let mut all = rows.remove(&request.id).unwrap_or_default();
        // A provider's counts are of its own homes only.
        if let Some(org) = provider {
            all.retain(|r| r.provider_id == Some(org));
        }
        let answer = |r: &bed_request_homes::Model| r.answer.as_deref().and_then(Answer::from_code);
        let summary = Summary {
            council: councils
                .get(&request.council_id)
                .cloned()
                .unwrap_or_default(),
            asked: all.len(),
            answered: all.iter().filter(|r| r.answer.is_some()).count(),
            offers: all
                .iter()
                .filter(|r| answer(r) == Some(Answer::Offer))
                .count(),
            first_offer: first_offer(&request, all.iter()),
            // A provider's list says nothing of whether others have answered.
            stage: stage(
                &request,
                provider.is_none() && all.iter().all(|r| r.answer.is_some()),
                now,
            ),
            own_homes: match provider {
                Some(_) => all
                    .iter()
                    .filter_map(|r| {
                        let (name, urn) = names.get(&r.home_id)?.clone();
                        Some((name, urn, answer(r)))
                    })
                    .collect(),
                None => Vec::new(),
            },
            placed_with: match provider {
                // A provider learns only whether it was its own home.
                Some(_) => None,
                None => request
                    .placed_home_id
                    .and_then(|id| names.get(&id))
                    .map(|(name, urn)| format!("{name} ({urn})")),
            },
            request,
        };
        if filter.stage.is_none_or(|s| s == summary.stage) {
            out.push(summary);
        }
    }
    Ok(out)
}

/// A council's requests as a table for CSV/XLSX.
pub fn export(rows: &[Summary]) -> Table {
    // Sortable, in UK time, for the council's own systems.
    let time = |t: &chrono::DateTime<chrono::FixedOffset>| {
        ExportCell::from(
            t.with_timezone(&chrono_tz::Europe::London)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        )
    };
    Table {
        headers: vec![
            "Reference",
            "Sent",
            "Sent by",
            "Child",
            "Needs",
            "Near",
            "Needed from",
            "Kinds of home",
            "Placement",
            "Matching considerations",
            "Reply by",
            "Homes asked",
            "Answered",
            "Offers standing",
            "Hours to first offer",
            "Stage",
            "Outcome",
            "Placed with",
            "Decided",
        ],
        rows: rows
            .iter()
            .map(|s| {
                let r = &s.request;
                let lines = describe(r);
                let line = |label: &str| {
                    ExportCell::from(
                        lines
                            .iter()
                            .find(|(l, _)| *l == label)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                    )
                };
                vec![
                    r.reference.clone().into(),
                    time(&r.created_at),
                    r.created_by_name.clone().into(),
                    line("Child"),
                    line("Needs"),
                    line("Near"),
                    line("Needed from"),
                    line("Kinds of home"),
                    line("Placement"),
                    line("Matching considerations"),
                    time(&r.reply_by),
                    (s.asked as i64).into(),
                    (s.answered as i64).into(),
                    (s.offers as i64).into(),
                    s.first_offer
                        .map(|d| ExportCell::Number((d.num_minutes() as f64 / 6.0).round() / 10.0))
                        .unwrap_or(ExportCell::Empty),
                    s.stage.label().into(),
                    s.status().label().into(),
                    s.placed_with.clone().into(),
                    r.decided_at.as_ref().map(time).unwrap_or(ExportCell::Empty),
                ]
            })
            .collect(),
    }
}
