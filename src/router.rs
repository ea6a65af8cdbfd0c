//! Every route and who may use it, on one screen. The policy layer enforces
//! each route's policy before its handler runs; the access-matrix test walks
//! this table, so a new route cannot escape it. Static assets (`/assets/...`)
//! are public and served outside this table.

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::routing::MethodRouter;

use crate::app::AppState;
use crate::auth::policy::{self, Policy};
use crate::{
    api, audit, auth, capacity, cases, dashboard, email, health, homes, map, ofsted, organisations,
    quality, regions, requests, returns, search, users,
};

use Policy::*;

pub fn table() -> Vec<Route> {
    vec![
        Route::at("/healthz", Public).get(health::check),
        Route::at("/sign-in", Public)
            .get(auth::routes::sign_in_page)
            .post(auth::routes::sign_in),
        Route::at("/sign-in/code", Public)
            .get(auth::routes::code_page)
            .post(auth::routes::check_code),
        Route::at("/sign-out", Enrolling).post(auth::routes::sign_out),
        Route::at("/account/two-factor", Enrolling)
            .get(auth::second_factor_routes::show)
            .post(auth::second_factor_routes::enrol),
        Route::at("/account/two-factor/recovery-codes", SignedIn)
            .post(auth::second_factor_routes::new_recovery_codes),
        Route::at("/account/two-factor/off", SignedIn).post(auth::second_factor_routes::turn_off),
        Route::at("/account/reset", Public)
            .get(users::account_pages::reset_page)
            .post(users::account_pages::request_reset),
        Route::at("/account/set-password/{token}", Public)
            .get(users::account_pages::set_password_page)
            .post(users::account_pages::set_password),
        Route::at("/account/password", SignedIn)
            .get(auth::routes::password_page)
            .post(auth::routes::change_password),
        Route::at("/account/tokens", SignedIn)
            .get(auth::routes::tokens)
            .post(auth::routes::create_token),
        Route::at("/account/tokens/{id}/revoke", TokenOwner).post(auth::routes::revoke_token),
        Route::at("/account/email", SignedIn)
            .get(email::routes::preferences_page)
            .post(email::routes::save_preferences),
        // Links from emails: the token is the credential, checked by the handler.
        Route::at("/email/unsubscribe/{token}", Public)
            .get(email::routes::unsubscribe_page)
            .post(email::routes::unsubscribe),
        Route::at("/one-click/{urn}/{token}", Public)
            .get(returns::one_click::page)
            .post(returns::one_click::submit),
        Route::at("/", SignedIn).get(dashboard::routes::show),
        Route::at("/homes", SignedIn).get(homes::routes::list),
        Route::at("/homes/export.csv", SignedIn).get(homes::routes::export_csv),
        Route::at("/homes/new", CouncilEditor)
            .get(homes::routes::new_page)
            .post(homes::routes::create),
        Route::at("/homes/{urn}", HomeViewer).get(homes::routes::show),
        Route::at("/homes/{urn}/edit", HomeEditor)
            .get(homes::routes::edit_page)
            .post(homes::routes::update),
        // Placements contacts: council staff correct any, providers their own.
        Route::at("/homes/{urn}/contact", HomeViewer)
            .get(homes::routes::contact_form)
            .post(homes::routes::save_contact),
        Route::at("/organisations", Council).get(organisations::routes::list),
        Route::at("/organisations/export.csv", Council).get(organisations::routes::export_csv),
        Route::at("/organisations/choices.json", Council).get(organisations::routes::choices_json),
        Route::at("/organisations/new", CouncilEditor)
            .get(organisations::routes::new_page)
            .post(organisations::routes::create),
        Route::at("/organisations/{id}", OrganisationViewer).get(organisations::routes::show),
        Route::at("/organisations/{id}/edit", CouncilEditor)
            .get(organisations::routes::edit_page)
            .post(organisations::routes::update),
        Route::at("/organisations/{id}/contact", OrganisationViewer)
            .get(organisations::routes::contact_form)
            .post(organisations::routes::save_contact),
        Route::at("/organisations/{id}/merge", CouncilEditor)
            .get(organisations::routes::merge_page)
            .post(organisations::routes::merge),
        Route::at("/users", Admin).get(users::routes::list),
        Route::at("/users/new", Admin)
            .get(users::routes::new_page)
            .post(users::routes::create),
        Route::at("/users/{id}/deactivate", Admin).post(users::routes::deactivate),
        Route::at("/users/{id}/reactivate", Admin).post(users::routes::reactivate),
        Route::at("/users/{id}/regional-lead", Admin).post(users::routes::regional_lead),
        Route::at("/users/{id}/two-factor/reset", Admin).post(auth::second_factor_routes::reset),
        Route::at("/region", RegionalLead).get(capacity::routes::regional),
        Route::at("/region/export.csv", RegionalLead).get(capacity::routes::regional_csv),
        Route::at("/region/export.xlsx", RegionalLead).get(capacity::routes::regional_xlsx),
        Route::at("/councils", Admin)
            .get(regions::routes::list)
            .post(regions::routes::add),
        Route::at("/councils/{id}", Admin)
            .get(regions::routes::show)
            .post(regions::routes::update),
        Route::at("/councils/{id}/remove", Admin).post(regions::routes::remove),
        Route::at("/audit", Admin).get(audit::routes::list),
        Route::at("/admin/outbox", Admin).get(email::routes::outbox_page),
        Route::at("/admin/outbox/{id}/retry", Admin).post(email::routes::retry),
        Route::at("/returns", Council).get(returns::board_routes::board),
        Route::at("/returns/export.csv", Council).get(returns::board_routes::export_csv),
        Route::at("/returns/export.xlsx", Council).get(returns::board_routes::export_xlsx),
        Route::at("/returns/no-change", Provider)
            .get(returns::routes::no_change_all_page)
            .post(returns::routes::no_change_all),
        Route::at("/returns/template.xlsx", Provider).get(returns::upload_routes::template_xlsx),
        Route::at("/returns/upload", Provider)
            .get(returns::upload_routes::upload_page)
            .post(returns::upload_routes::upload),
        Route::at("/returns/uploads/{id}", UploadOwner).get(returns::upload_routes::preview),
        Route::at("/returns/uploads/{id}/confirm", UploadOwner)
            .post(returns::upload_routes::confirm),
        Route::at("/returns/uploads/{id}/discard", UploadOwner)
            .post(returns::upload_routes::discard),
        Route::at("/homes/{urn}/returns", HomeViewer).get(returns::routes::history),
        Route::at("/homes/{urn}/returns/{week}", HomeEditor)
            .get(returns::routes::form_page)
            .post(returns::routes::submit),
        Route::at("/homes/{urn}/returns/{week}/no-change", HomeEditor)
            .post(returns::routes::no_change),
        Route::at("/imports/ofsted", CouncilEditor)
            .get(ofsted::routes::list)
            .post(ofsted::routes::upload),
        Route::at("/imports/ofsted/{id}", CouncilEditor).get(ofsted::routes::show),
        Route::at("/homes/{urn}/inspections/new", HomeEditor)
            .get(quality::routes::new_page)
            .post(quality::routes::create),
        Route::at("/homes/{urn}/inspections/{id}/confirm", CouncilEditor)
            .post(quality::routes::confirm),
        Route::at("/homes/{urn}/cases/new", CouncilEditor)
            .get(cases::routes::new_page)
            .post(cases::routes::open),
        Route::at("/cases", SignedIn).get(cases::routes::list),
        Route::at("/cases/export.csv", Council).get(cases::routes::export_csv),
        Route::at("/cases/export.xlsx", Council).get(cases::routes::export_xlsx),
        Route::at("/cases/{id}", CaseViewer).get(cases::routes::show),
        Route::at("/cases/{id}/plan", CaseEditor).post(cases::routes::save_plan),
        Route::at("/cases/{id}/plan/files", CaseEditor).post(cases::routes::upload_plan),
        Route::at("/cases/{id}/plan/files/{file_id}", CaseViewer).get(cases::routes::plan_file),
        Route::at("/cases/{id}/actions", CouncilEditor).post(cases::routes::add_action),
        Route::at("/cases/{id}/actions/{action_id}", CaseEditor).post(cases::routes::update_action),
        Route::at("/cases/{id}/meetings", CouncilEditor).post(cases::routes::record_meeting),
        Route::at("/cases/{id}/escalations", CouncilEditor).post(cases::routes::escalate),
        Route::at("/cases/{id}/notes", Council).post(cases::routes::add_note),
        Route::at("/cases/{id}/close", CouncilEditor).post(cases::routes::close),
        Route::at("/cases/{id}/owner", CouncilEditor).post(cases::routes::set_owner),
        Route::at("/capacity", Council).get(capacity::routes::page),
        Route::at("/capacity/export.csv", Council).get(capacity::routes::export_csv),
        Route::at("/capacity/export.xlsx", Council).get(capacity::routes::export_xlsx),
        Route::at("/map", Council).get(map::routes::page),
        Route::at("/map/homes.json", Council).get(map::routes::data),
        Route::at("/map/export.csv", Council).get(map::routes::export_csv),
        Route::at("/map/export.xlsx", Council).get(map::routes::export_xlsx),
        Route::at("/map/boundaries.geojson", Council).get(map::routes::boundaries),
        Route::at("/search", Council).get(search::routes::page),
        Route::at("/search/export.csv", Council).get(search::routes::export_csv),
        Route::at("/search/export.xlsx", Council).get(search::routes::export_xlsx),
        Route::at("/search/demand", Council).get(search::demand::page),
        Route::at("/search/demand.csv", Council).get(search::demand::export_csv),
        Route::at("/search/demand.xlsx", Council).get(search::demand::export_xlsx),
        // Bed requests: each is its council's own; providers see their homes in it.
        Route::at("/requests", SignedIn).get(requests::routes::list),
        Route::at("/requests/export.csv", Council).get(requests::routes::export_csv),
        Route::at("/requests/export.xlsx", Council).get(requests::routes::export_xlsx),
        Route::at("/requests/providers", Council).get(requests::routes::providers),
        Route::at("/requests/providers.csv", Council).get(requests::routes::providers_csv),
        Route::at("/requests/new", Council)
            .get(requests::routes::new_page)
            .post(requests::routes::send),
        Route::at("/requests/{reference}", RequestViewer).get(requests::routes::show),
        Route::at("/requests/{reference}/decision", RequestOwner).post(requests::routes::decide),
        Route::at("/requests/{reference}/homes/{urn}/answer", RequestAnswerer)
            .post(requests::routes::answer),
        Route::at(
            "/requests/{reference}/homes/{urn}/withdraw",
            RequestAnswerer,
        )
        .post(requests::routes::withdraw),
        // From the request email: the token is the credential, checked by the handler.
        Route::at("/answer/{urn}/{token}", Public)
            .get(requests::link_routes::page)
            .post(requests::link_routes::submit),
        Route::at("/api", Public).get(api::page),
        Route::at("/api/openapi.json", Public).get(api::openapi_json),
        Route::at("/api/v1/vacancies", Council).get(search::api::vacancies),
        Route::at("/api/v1/homes", SignedIn).get(homes::api::list_homes),
        Route::at("/api/v1/homes/{urn}", HomeViewer).get(homes::api::get_home),
        Route::at("/api/v1/homes/{urn}/returns", HomeViewer).get(returns::api::list_returns),
        Route::at("/api/v1/homes/{urn}/returns/{week}", HomeEditor).put(returns::api::put_return),
        // Providers list the requests they were asked; council staff send them.
        Route::at("/api/v1/requests", SignedIn)
            .get(requests::api::list)
            .post_as(Council, requests::api::send),
        Route::at("/api/v1/requests/{reference}", RequestViewer).get(requests::api::get),
        Route::at(
            "/api/v1/requests/{reference}/answers/{urn}",
            RequestAnswerer,
        )
        .put(requests::api::answer),
    ]
}

/// One path: its policy, its methods and their handlers. A method may
/// have a stricter policy of its own (`post_as`).
pub struct Route {
    pub path: &'static str,
    pub policy: Policy,
    pub methods: Vec<Method>,
    handlers: MethodRouter<AppState>,
    /// Methods with their own policy, and their handlers.
    stricter: Vec<(Method, Policy, MethodRouter<AppState>)>,
}

impl Route {
    fn at(path: &'static str, policy: Policy) -> Self {
        Route {
            path,
            policy,
            methods: Vec::new(),
            handlers: MethodRouter::new(),
            stricter: Vec::new(),
        }
    }

    /// The policy a method of this path is under.
    pub fn policy_for(&self, method: &Method) -> Policy {
        self.stricter
            .iter()
            .find(|(m, _, _)| m == method)
            .map_or(self.policy, |(_, policy, _)| *policy)
    }

    fn post_as<H: Handler<T, AppState>, T: 'static>(mut self, policy: Policy, handler: H) -> Self {
        self.methods.push(Method::POST);
        self.stricter
            .push((Method::POST, policy, MethodRouter::new().post(handler)));
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::GET);
        self.handlers = self.handlers.get(handler);
        self
    }

    fn put<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::PUT);
        self.handlers = self.handlers.put(handler);
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::POST);
        self.handlers = self.handlers.post(handler);
        self
    }
}

/// Where the JSON API's paths start.
pub const API_PREFIX: &str = "/api/v1/";

/// The two kinds of route, served behind different layers (`app::build`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Pages and forms: signed in by session cookie, forms CSRF-checked.
    Web,
    /// The JSON API: bearer tokens only, so no session or CSRF layers.
    Api,
}

/// One surface's routes, each behind its policy layer.
pub fn routes(state: &AppState, surface: Surface) -> Router<AppState> {
    let wanted = |route: &Route| (surface == Surface::Api) == route.path.starts_with(API_PREFIX);
    table()
        .into_iter()
        .filter(wanted)
        .fold(Router::new(), |router, route| {
            let guard = |policy: Policy| {
                from_fn_with_state(
                    state.clone(),
                    move |state: State<AppState>, request: Request, next: Next| {
                        policy::enforce(policy, state, request, next)
                    },
                )
            };
            let mut handlers = route.handlers.route_layer(guard(route.policy));
            for (_, policy, stricter) in route.stricter {
                handlers = handlers.merge(stricter.route_layer(guard(policy)));
            }
            router.route(route.path, handlers)
        })
}
