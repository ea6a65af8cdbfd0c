use askama::Template;

use super::Overview;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "dashboard/council.html")]
pub struct CouncilPage {
    pub page: PageContext,
    pub o: Overview,
}
