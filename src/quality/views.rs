use askama::Template;
use importers::vocab::{EventType, Judgement};

use super::routes::ReportForm;
use crate::db::entities::homes;
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "quality/report.html")]
pub struct ReportPage {
    pub page: PageContext,
    pub home: homes::Model,
    pub form: ReportForm,
    pub errors: FormErrors,
    /// On the home's scale, best first.
    pub judgements: Vec<Judgement>,
    pub by_council: bool,
}

impl ReportPage {
    pub fn event_types(&self) -> Vec<(String, String)> {
        EventType::ALL
            .iter()
            .map(|e| (e.code().to_string(), e.label().to_string()))
            .collect()
    }
    pub fn judgement_choices(&self) -> Vec<(String, String)> {
        self.judgements
            .iter()
            .map(|j| (j.code().to_string(), j.label().to_string()))
            .collect()
    }
}
