use askama::Template;
use importers::vocab::Sector;

use super::OrganisationRow;
use crate::db::entities::organisations;
use crate::homes::HomeRow;
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "organisations/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<OrganisationRow>,
    pub pagination: Pagination,
    pub kind: String,
    pub sector: String,
    pub q: String,
    pub sort: String,
    pub sectors: &'static [Sector],
    pub export_href: String,
    pub can_edit: bool,
}

#[derive(Template)]
#[template(path = "organisations/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub org: organisations::Model,
    pub kind_label: &'static str,
    pub sector_label: &'static str,
    pub homes: Vec<HomeRow>,
    pub homes_total: u64,
    pub homes_href: String,
    pub can_edit: bool,
    pub is_council: bool,
    /// Spellings merged into this organisation.
    pub aliases: Vec<String>,
}

#[derive(Template)]
#[template(path = "organisations/form.html")]
pub struct FormPage {
    pub page: PageContext,
    pub form: super::routes::OrganisationForm,
    pub errors: FormErrors,
    pub sectors: &'static [Sector],
    /// `None` when creating.
    pub id: Option<i64>,
}

#[derive(Template)]
#[template(path = "organisations/merge.html")]
pub struct MergeChoosePage {
    pub page: PageContext,
    pub org: organisations::Model,
    /// Names differing only by "Limited", case or punctuation.
    pub likely: Vec<organisations::Model>,
    /// Names containing what was searched for.
    pub found: Vec<organisations::Model>,
    pub q: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "organisations/merge_confirm.html")]
pub struct MergeConfirmPage {
    pub page: PageContext,
    pub merge: super::merge::Merge,
}

/// An organisation's or a home's placements contact form.
#[derive(Template)]
#[template(path = "contact/form.html")]
pub struct ContactPage {
    pub page: PageContext,
    /// Whose contact it is.
    pub of: String,
    pub back: String,
    pub action: String,
    pub form: super::contact::ContactForm,
    pub errors: FormErrors,
    /// For a home: what applies when its own is left empty.
    pub default_note: Option<String>,
}
