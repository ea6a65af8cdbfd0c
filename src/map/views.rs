use askama::Template;
use importers::vocab::ProvisionType;

use super::MapHome;
use super::routes::MapQuery;
use crate::search::MinRating;
use crate::web::export::{ExportCell, Table};
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "map/map.html")]
pub struct MapPage {
    pub page: PageContext,
    pub homes: Vec<MapHome>,
    /// The placements market's kinds of home, for the filter.
    pub types: Vec<ProvisionType>,
    pub query: MapQuery,
    pub data_url: String,
    /// The query string the page was asked with, for its downloads.
    pub query_string: String,
    /// Back to the search whose fitting homes the map shows, if it does.
    pub search_url: Option<String>,
    /// Where that search started and how far it looked.
    pub search_area: Option<super::routes::SearchArea>,
    pub tile_url: String,
    pub attribution: String,
}

impl MapPage {
    pub fn has_type(&self, t: &ProvisionType) -> bool {
        self.query.types.iter().any(|c| c == t.code())
    }
    pub fn ratings(&self) -> [MinRating; 4] {
        MinRating::ALL
    }
    pub fn vacant(&self) -> i32 {
        self.homes.iter().filter_map(|h| h.vacancies).sum()
    }
}

/// The map's homes for Excel: the table under the map, with positions.
pub fn table(homes: &[MapHome]) -> Table {
    Table {
        headers: vec![
            "URN",
            "Home",
            "Provider",
            "Provision type",
            "Locality",
            "Latitude",
            "Longitude",
            "Rating",
            "Flagged",
            "Places",
            "Our children",
            "Other councils' children",
            "Not admittable",
            "Vacant",
            "Latest return",
            "Stale",
        ],
        rows: homes
            .iter()
            .map(|h| {
                vec![
                    ExportCell::from(h.urn.as_str()),
                    h.name.as_str().into(),
                    h.provider.as_deref().into(),
                    h.type_label.into(),
                    h.locality.as_deref().into(),
                    ExportCell::Number(h.latitude),
                    ExportCell::Number(h.longitude),
                    h.rating_label.as_str().into(),
                    if h.flagged { "Yes" } else { "No" }.into(),
                    h.places.into(),
                    h.occupied_ours.into(),
                    h.occupied_other.into(),
                    h.not_admittable.into(),
                    h.vacancies.into(),
                    h.week.as_deref().into(),
                    if h.stale { "Yes" } else { "No" }.into(),
                ]
            })
            .collect(),
    }
}
