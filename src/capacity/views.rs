use askama::Template;

use super::chart::{Series, share_lines};
use super::{By, Capacity, Figures};
use crate::returns::chart::{Bar, stacked_bars};
use crate::web::export::{ExportCell, Table};
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "capacity/region.html")]
pub struct RegionalPage {
    pub page: PageContext,
    pub r: super::regional::Regional,
    pub prev: String,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "capacity/dashboard.html")]
pub struct DashboardPage {
    pub page: PageContext,
    pub c: Capacity,
    pub weeks: i64,
    pub chart: String,
    pub shares_chart: String,
    pub prev: String,
    pub next: Option<String>,
}

impl DashboardPage {
    /// The weeks the picker offers: this week and two years back, newest
    /// first, as (code, label).
    pub fn week_choices(&self) -> Vec<(String, String)> {
        let now = crate::returns::this_week();
        (0..104)
            .map(|back| {
                let week = now.plus(-back);
                let label = format!(
                    "{week}: week beginning {}",
                    week.monday().format("%-d %B %Y")
                );
                (week.to_string(), label)
            })
            .collect()
    }
}

pub fn percent(share: Option<f64>) -> String {
    share
        .map(|s| format!("{:.0}%", s * 100.0))
        .unwrap_or_else(|| "–".into())
}

pub fn pounds(pence: &i64) -> String {
    importers::vocab::Pence(*pence).to_string()
}

pub fn chart(c: &Capacity, council: &str) -> String {
    let bars: Vec<Bar> = c
        .trend
        .iter()
        .map(|p| Bar {
            label: p.week.monday().format("%-d %b").to_string(),
            parts: Some([
                p.figures.ours as i32,
                p.figures.other as i32,
                p.figures.not_admittable() as i32,
                p.figures.vacant as i32,
            ]),
        })
        .collect();
    stacked_bars(&format!("Beds in {council}'s homes, week by week"), &bars)
}

/// Other councils' share of places, Good or better and completion, week
/// by week.
pub fn shares_chart(c: &Capacity, council: &str) -> String {
    let labels: Vec<String> = c
        .trend
        .iter()
        .map(|p| p.week.monday().format("%-d %b").to_string())
        .collect();
    let series = |name, share: fn(&Figures) -> Option<f64>| Series {
        name,
        values: c.trend.iter().map(|p| share(&p.figures)).collect(),
    };
    share_lines(
        &format!("Shares of {council}'s homes and places, week by week"),
        &labels,
        &[
            series(
                "Places filled by other councils' children",
                Figures::other_share_of_places,
            ),
            series("Homes rated Good or better", Figures::good_share),
            series("Homes that filed their return", Figures::completion),
        ],
    )
}

fn figure_cells(f: &Figures) -> Vec<ExportCell> {
    vec![
        f.homes.into(),
        f.filed.into(),
        f.places.into(),
        f.ours.into(),
        f.other.into(),
        f.other_members().into(),
        f.outside_region.into(),
        f.staffing.into(),
        f.works.into(),
        f.matching.into(),
        f.registration.into(),
        f.unavailable_other.into(),
        f.vacant.into(),
        percent(f.other_share()).into(),
        percent(f.other_share_of_places()).into(),
        f.good_or_better.into(),
        percent(f.good_share()).into(),
        percent(f.completion()).into(),
    ]
}

const FIGURE_HEADERS: [&str; 18] = [
    "Homes",
    "Returns filed",
    "Registered places",
    "Our children",
    "Other councils' children",
    "Other member councils' children",
    "Children of councils outside the region",
    "Not admittable: staffing",
    "Not admittable: works",
    "Not admittable: matching",
    "Not admittable: registration",
    "Not admittable: other",
    "Vacant",
    "Other councils' share of occupied beds",
    "Other councils' share of places",
    "Rated Good or better",
    "Share rated Good or better",
    "Return completion",
];

/// One of the dashboard's tables for Excel: a grouping, the trend, blocks
/// or fees.
pub fn table(c: &Capacity, which: &str) -> Table {
    let with = |first: &'static str| {
        let mut headers = vec![first];
        headers.extend(FIGURE_HEADERS);
        headers
    };
    if let Some(by) = By::from_code(which) {
        let rows = c
            .groups
            .iter()
            .find(|(b, _)| *b == by)
            .map(|(_, groups)| {
                groups
                    .iter()
                    .map(|(name, f)| {
                        let mut row = vec![ExportCell::from(name.clone())];
                        row.extend(figure_cells(f));
                        row
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Table {
            headers: with(by.label()),
            rows,
        };
    }
    match which {
        "blocks" => Table {
            headers: vec![
                "Week",
                "Block beds",
                "Used by our children",
                "Paid but empty",
            ],
            rows: c
                .blocks
                .iter()
                .map(|b| {
                    vec![
                        ExportCell::from(b.week.to_string()),
                        b.block_beds.into(),
                        b.used.into(),
                        b.paid_but_empty().into(),
                    ]
                })
                .collect(),
        },
        "fees" => Table {
            headers: vec![
                "From",
                "Provision type",
                "Vacancies or offers with a fee",
                "Median weekly fee (£)",
                "Lowest (£)",
                "Highest (£)",
            ],
            rows: c
                .fees
                .iter()
                .map(|f| {
                    vec![
                        ExportCell::from(f.source.label()),
                        ExportCell::from(f.type_label),
                        (f.vacancies as i64).into(),
                        ExportCell::Number(f.median_pence as f64 / 100.0),
                        ExportCell::Number(f.min_pence as f64 / 100.0),
                        ExportCell::Number(f.max_pence as f64 / 100.0),
                    ]
                })
                .collect(),
        },
        _ => Table {
            headers: with("Week"),
            rows: c
                .trend
                .iter()
                .map(|p| {
                    let mut row = vec![ExportCell::from(p.week.to_string())];
                    row.extend(figure_cells(&p.figures));
                    row
                })
                .collect(),
        },
    }
}
