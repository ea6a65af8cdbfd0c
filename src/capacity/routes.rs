//! The capacity dashboard page and its tables as CSV and XLSX.

use axum::extract::{Query, State};
use axum::response::Response;
use importers::vocab::IsoWeek;
use serde::Deserialize;

use super::views::{DashboardPage, chart, shares_chart, table};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{Error, Result};
use crate::returns::this_week;
use crate::web::html::render;
use crate::web::page::PageContext;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    pub week: String,
    pub weeks: Option<i64>,
    pub table: String,
}

impl DashboardQuery {
    fn week(&self) -> Result<IsoWeek> {
        if self.week.trim().is_empty() {
            return Ok(this_week());
        }
        let week: IsoWeek = self.week.trim().parse().map_err(|_| Error::NotFound)?;
        if week > this_week() {
            return Err(Error::NotFound);
        }
        Ok(week)
    }

    /// 12 or 52.
    fn weeks(&self) -> i64 {
        if self.weeks == Some(52) { 52 } else { 12 }
    }
}

async fn load(
    state: &AppState,
    viewer: &Viewer,
    query: &DashboardQuery,
) -> Result<super::Capacity> {
    super::capacity(
        &state.db,
        &state.settings.market,
        viewer.council_id(),
        query.week()?,
        query.weeks(),
    )
    .await
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let c = load(&state, &viewer, &query).await?;
    let weeks = query.weeks();
    let link = |w: IsoWeek| format!("/capacity?week={w}&weeks={weeks}");
    Ok(render(&DashboardPage {
        chart: chart(&c, &page.council),
        shares_chart: shares_chart(&c, &page.council),
        prev: link(c.week.plus(-1)),
        next: (c.week < this_week()).then(|| link(c.week.plus(1))),
        page,
        c,
        weeks,
    }))
}

fn file_name(query: &DashboardQuery, week: IsoWeek, extension: &str) -> String {
    let which = if query.table.is_empty() {
        "trend"
    } else {
        query.table.as_str()
    };
    let which: String = which
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("capacity-{which}-{week}.{extension}")
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let c = load(&state, &viewer, &query).await?;
    Ok(table(&c, &query.table).csv_response(&file_name(&query, c.week, "csv")))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let c = load(&state, &viewer, &query).await?;
    Ok(table(&c, &query.table).xlsx_response(&file_name(&query, c.week, "xlsx"), "Capacity"))
}

/// The regional dashboard (regional leads).
pub async fn regional(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let week = query.week()?;
    let r = super::regional::regional(&state.db, &state.settings.market, week).await?;
    let link = |w: IsoWeek| format!("/region?week={w}");
    Ok(render(&super::views::RegionalPage {
        prev: link(r.week.plus(-1)),
        next: (r.week < this_week()).then(|| link(r.week.plus(1))),
        page,
        r,
    }))
}

pub async fn regional_csv(
    State(state): State<AppState>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let week = query.week()?;
    let r = super::regional::regional(&state.db, &state.settings.market, week).await?;
    Ok(r.table().csv_response(&format!("region-{week}.csv")))
}

pub async fn regional_xlsx(
    State(state): State<AppState>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let week = query.week()?;
    let r = super::regional::regional(&state.db, &state.settings.market, week).await?;
    Ok(r.table()
        .xlsx_response(&format!("region-{week}.xlsx"), "Region"))
}
