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

#[derive(Template)]
#[template(path = "auth/tokens.html")]
pub struct TokensPage {
    pub page: PageContext,
    pub tokens: Vec<crate::db::entities::api_tokens::Model>,
    /// Shown once, straight after it is created.
    pub new_token: Option<String>,
    /// What was typed as the new token's name (askama macros bind a
    /// parameter called `name`, so the field must not be called that).
    pub token_name: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/code.html")]
pub struct CodePage {
    pub page: PageContext,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
pub struct TwoFactorPage {
    pub page: PageContext,
    /// The QR code and secret to set up, when not set up yet.
    pub enrolment: Option<super::second_factor::Enrolment>,
    /// The viewer's role must use it.
    pub required: bool,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub page: PageContext,
    /// Shown once: only their hashes are kept.
    pub codes: Vec<String>,
    pub first_time: bool,
}
