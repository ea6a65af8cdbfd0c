use askama::Template;
use importers::vocab::ProvisionType;

use super::MapHome;
use super::routes::MapQuery;
use crate::search::MinRating;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "map/map.html")]
pub struct MapPage {
    pub page: PageContext,
    pub homes: Vec<MapHome>,
    pub query: MapQuery,
    pub data_url: String,
    /// Back to the search whose fitting homes the map shows, if it does.
    pub search_url: Option<String>,
    pub tile_url: String,
    pub attribution: String,
}

impl MapPage {
    pub fn types(&self) -> &'static [ProvisionType] {
        ProvisionType::ALL
    }
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
