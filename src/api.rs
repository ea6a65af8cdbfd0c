//! The JSON API's description: an OpenAPI 3 document generated from the
//! handlers and types (`/api/openapi.json`), and a page people can read (`/api`).

use askama::Template;
use axum::Json;
use axum::response::Response;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::homes::api as homes_api;
use crate::requests::api as requests_api;
use crate::returns::api as returns_api;
use crate::search::api as search_api;
use crate::web::html::render;
use crate::web::page::PageContext;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sufficiency API",
        version = "1",
        description = "Homes with their ratings and flags, weekly vacancy returns, vacancy search and bed requests, for a council's sufficiency service. Authenticate with a bearer token from \"API tokens\" in the service (or `sufficiency token create`); a token can do what its user can."
    ),
    paths(
        homes_api::list_homes,
        homes_api::get_home,
        returns_api::put_return,
        returns_api::list_returns,
        search_api::vacancies,
        requests_api::send,
        requests_api::list,
        requests_api::get,
        requests_api::answer
    ),
    components(schemas(
        returns_api::ReturnBody,
        returns_api::NotAdmittable,
        returns_api::CouncilBeds,
        returns_api::Vacancy,
        returns_api::ReturnResource,
        returns_api::ErrorBody,
        returns_api::FieldError,
        homes_api::HomeResource,
        homes_api::RatingResource,
        homes_api::HomePage,
        search_api::VacancyResource,
        search_api::VacancySearch,
        search_api::DistancesFrom,
        requests_api::RequestBody,
        requests_api::RequestResource,
        requests_api::HomeAnswer,
        requests_api::AnswerBody
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "homes", description = "Homes, their current ratings and flags"),
        (name = "returns", description = "Weekly vacancy returns"),
        (name = "placements", description = "Finding a vacancy that fits a child (council staff)"),
        (name = "requests", description = "Bed requests: councils ask providers for offers; providers answer for their homes")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// One operation as the API page lists it.
pub struct Operation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    page: PageContext,
    operations: Vec<Operation>,
    example: &'static str,
}

const EXAMPLE: &str = r#"curl -X PUT https://sufficiency.example.gov.uk/api/v1/homes/SC123456/returns/2026-W48 \
  -H "Authorization: Bearer sfy_..." -H "Content-Type: application/json" \
  -H "Idempotency-Key: 2026-W48-SC123456" \
  -d '{
    "occupied_by_council": [{ "council": "E06000058", "beds": 1 }],
    "occupied_outside_region": 2,
    "not_admittable": { "staffing": 0 },
    "vacancies": [{
      "beds": 1, "available_from": "2026-11-23", "min_age": 11, "max_age": 17,
      "sexes": "mixed", "needs": ["emotional_behavioural"], "emergency": true,
      "weekly_fee": "4500.00"
    }]
  }'"#;

pub async fn page(page: PageContext) -> Response {
    let doc = ApiDoc::openapi();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
        ] {
            let Some(op) = op else { continue };
            operations.push(Operation {
                method,
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                description: op.description.clone().unwrap_or_default(),
                responses: op
                    .responses
                    .responses
                    .iter()
                    .map(|(code, r)| {
                        let text = match r {
                            utoipa::openapi::RefOr::T(r) => r.description.clone(),
                            utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
                        };
                        (code.clone(), text)
                    })
                    .collect(),
            });
        }
    }
    render(&ApiPage {
        page,
        operations,
        example: EXAMPLE,
    })
}
