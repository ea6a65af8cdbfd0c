use askama::Template;

use super::report::ChangeReport;
use crate::db::entities::ofsted_imports;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "ofsted/imports.html")]
pub struct ImportsPage {
    pub page: PageContext,
    pub imports: Vec<ofsted_imports::Model>,
    pub error: Option<String>,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "ofsted/import.html")]
pub struct ImportPage {
    pub page: PageContext,
    pub row: ofsted_imports::Model,
    pub report: Option<ChangeReport>,
}

impl ImportPage {
    pub fn running(&self) -> bool {
        self.row.status == "running"
    }
}
