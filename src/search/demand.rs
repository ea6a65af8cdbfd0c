//! Unmet demand: searches that found nothing, grouped by what was asked
//! ("girls aged 15 with mental health needs within 20 miles: 14 times").

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use importers::vocab::{Need, Sexes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::entities::searches;
use crate::error::Result;
use crate::web::export::{ExportCell, Table};
use crate::web::html::render;
use crate::web::page::PageContext;

#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    pub age: i16,
    pub sexes: String,
    pub needs_mask: i64,
    pub max_miles: i32,
    pub times: usize,
    pub districts: Vec<String>,
}

impl Unmet {
    pub fn sex_label(&self) -> &'static str {
        match Sexes::from_code(&self.sexes) {
            Some(Sexes::Female) => "Girl",
            Some(Sexes::Male) => "Boy",
            _ => "Child",
        }
    }
    pub fn needs_label(&self) -> String {
        let needs: Vec<&str> = Need::from_mask(self.needs_mask)
            .into_iter()
            .map(Need::label)
            .collect();
        if needs.is_empty() {
            "No particular needs".into()
        } else {
            needs.join(", ")
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Demand {
    pub searches: usize,
    pub unmet_searches: usize,
    pub unmet: Vec<Unmet>,
}

/// Searches since `days` ago, and those that found nothing, grouped.
pub async fn since(conn: &impl ConnectionTrait, days: i64) -> Result<Demand> {
    let from = (Utc::now() - Duration::days(days)).fixed_offset();
    let all = searches::Entity::find()
        .filter(searches::Column::SearchedAt.gte(from))
        .all(conn)
        .await?;
    let mut groups: BTreeMap<(i16, String, i64, i32), Unmet> = BTreeMap::new();
    let mut unmet_searches = 0;
    for s in all.iter().filter(|s| s.results == 0) {
        unmet_searches += 1;
        let entry = groups
            .entry((s.age, s.sexes.clone(), s.needs_mask, s.max_miles))
            .or_insert_with(|| Unmet {
                age: s.age,
                sexes: s.sexes.clone(),
                needs_mask: s.needs_mask,
                max_miles: s.max_miles,
                times: 0,
                districts: Vec::new(),
            });
        entry.times += 1;
        if !entry.districts.contains(&s.district) {
            entry.districts.push(s.district.clone());
        }
    }
    let mut unmet: Vec<Unmet> = groups.into_values().collect();
    unmet.sort_by(|a, b| b.times.cmp(&a.times).then(a.age.cmp(&b.age)));
    Ok(Demand {
        searches: all.len(),
        unmet_searches,
        unmet,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DemandQuery {
    days: Option<i64>,
}

#[derive(Template)]
#[template(path = "search/demand.html")]
struct DemandPage {
    page: PageContext,
    demand: Demand,
    days: i64,
}

fn days(query: &DemandQuery) -> i64 {
    query.days.unwrap_or(30).clamp(1, 366)
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    let days = days(&query);
    // Include the searches still queued for the log.
    state.search_log.flush().await;
    let demand = since(&state.db, days).await?;
    Ok(render(&DemandPage { page, demand, days }))
}

pub async fn export_csv(
    State(state): State<AppState>,
    Query(query): Query<DemandQuery>,
) -> Result<Response> {
    state.search_log.flush().await;
    let demand = since(&state.db, days(&query)).await?;
    let table = Table {
        headers: vec![
            "Age",
            "Sex",
            "Needs",
            "Within miles",
            "Searches with no result",
            "Districts",
        ],
        rows: demand
            .unmet
            .iter()
            .map(|u| {
                vec![
                    ExportCell::from(i64::from(u.age)),
                    u.sex_label().into(),
                    u.needs_label().into(),
                    i64::from(u.max_miles).into(),
                    (u.times as i64).into(),
                    u.districts.join(" ").into(),
                ]
            })
            .collect(),
    };
    Ok(table.csv_response("unmet-demand.csv"))
}
