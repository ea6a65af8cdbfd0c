use askama::Template;

use crate::web::forms::FormErrors;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
pub struct SignInPage {
    pub page: PageContext,
    pub email: String,
    pub next: String,
    pub errors: FormErrors,
    pub notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    pub page: PageContext,
    pub errors: FormErrors,
}
