use askama::Template;

use super::UserRow;
use crate::auth::Role;
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<UserRow>,
    pub pagination: Pagination,
    pub role: String,
    pub q: String,
    pub include_inactive: bool,
    pub roles: &'static [Role],
    pub me: Option<i64>,
}

#[derive(Template)]
#[template(path = "users/form.html")]
pub struct FormPage {
    pub page: PageContext,
    pub form: super::routes::UserForm,
    pub errors: FormErrors,
    pub roles: &'static [Role],
    /// The region's member councils, for council staff.
    pub councils: Vec<crate::regions::Member>,
}
