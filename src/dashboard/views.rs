use askama::Template;

use super::Overview;
use crate::homes::HomeRow;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "dashboard/council.html")]
pub struct CouncilPage {
    pub page: PageContext,
    pub o: Overview,
}

#[derive(Template)]
#[template(path = "dashboard/provider.html")]
pub struct ProviderPage {
    pub page: PageContext,
    pub organisation_name: String,
    pub homes: Vec<HomeRow>,
    pub total: u64,
}
