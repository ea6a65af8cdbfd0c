use askama::Template;

use super::Member;
use super::routes::{AddForm, CouncilForm};
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "regions/councils.html")]
pub struct CouncilsPage {
    pub page: PageContext,
    pub members: Vec<Member>,
    /// (council, active staff)
    pub staff: Vec<(i64, i64)>,
    pub form: AddForm,
    pub errors: FormErrors,
}

impl CouncilsPage {
    pub fn staff_of(&self, member: &Member) -> i64 {
        self.staff
            .iter()
            .find(|(id, _)| *id == member.id)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }

    pub fn localities(member: &Member) -> String {
        if member.localities.is_empty() {
            "None".into()
        } else {
            member.locality_names().join(", ")
        }
    }
}

#[derive(Template)]
#[template(path = "regions/council.html")]
pub struct CouncilPage {
    pub page: PageContext,
    pub member: Member,
    pub form: CouncilForm,
    pub errors: FormErrors,
}
