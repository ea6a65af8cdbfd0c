//! SECURITY.md items 1-2: every route, walked as anonymous, each council
//! role, the owning provider and another provider. The routes come from the
//! router's own table, and each must also be listed here with the policy we
//! expect, so a new route cannot escape the matrix.

use axum::http::{Method, StatusCode};
use sufficiency::auth::policy::Policy;
use sufficiency::router;

use crate::support::seed::{CANARY_A, CANARY_B};
use crate::support::{Persona, TestApp};

const EXPECTED: &[(&str, Policy)] = &[
    ("/healthz", Policy::Public),
    ("/sign-in", Policy::Public),
    ("/sign-in/code", Policy::Public),
    ("/sign-out", Policy::Enrolling),
    ("/account/two-factor", Policy::Enrolling),
    ("/account/two-factor/recovery-codes", Policy::SignedIn),
    ("/account/two-factor/off", Policy::SignedIn),
    ("/account/password", Policy::SignedIn),
    ("/", Policy::SignedIn),
    ("/homes", Policy::SignedIn),
    ("/homes/export.csv", Policy::SignedIn),
    ("/homes/new", Policy::CouncilEditor),
    ("/homes/{urn}", Policy::HomeViewer),
    ("/homes/{urn}/edit", Policy::HomeEditor),
    ("/homes/{urn}/contact", Policy::HomeViewer),
    ("/organisations", Policy::Council),
    ("/organisations/export.csv", Policy::Council),
    ("/organisations/choices.json", Policy::Council),
    ("/organisations/new", Policy::CouncilEditor),
    ("/organisations/{id}", Policy::OrganisationViewer),
    ("/organisations/{id}/edit", Policy::CouncilEditor),
    ("/organisations/{id}/contact", Policy::OrganisationViewer),
    ("/organisations/{id}/merge", Policy::CouncilEditor),
    ("/users", Policy::Admin),
    ("/users/new", Policy::Admin),
    ("/users/{id}/deactivate", Policy::Admin),
    ("/users/{id}/reactivate", Policy::Admin),
    ("/users/{id}/regional-lead", Policy::Admin),
    ("/users/{id}/two-factor/reset", Policy::Admin),
    ("/audit", Policy::Admin),
    ("/councils", Policy::Admin),
    ("/councils/{id}", Policy::Admin),
    ("/councils/{id}/remove", Policy::Admin),
    ("/region", Policy::RegionalLead),
    ("/region/export.csv", Policy::RegionalLead),
    ("/region/export.xlsx", Policy::RegionalLead),
    ("/account/tokens", Policy::SignedIn),
    ("/account/tokens/{id}/revoke", Policy::TokenOwner),
    ("/returns", Policy::Council),
    ("/returns/export.csv", Policy::Council),
    ("/returns/export.xlsx", Policy::Council),
    ("/returns/no-change", Policy::Provider),
    ("/returns/template.xlsx", Policy::Provider),
    ("/returns/upload", Policy::Provider),
    ("/returns/uploads/{id}", Policy::UploadOwner),
    ("/returns/uploads/{id}/confirm", Policy::UploadOwner),
    ("/returns/uploads/{id}/discard", Policy::UploadOwner),
    ("/homes/{urn}/returns", Policy::HomeViewer),
    ("/homes/{urn}/returns/{week}", Policy::HomeEditor),
    ("/homes/{urn}/returns/{week}/no-change", Policy::HomeEditor),
    ("/imports/ofsted", Policy::CouncilEditor),
    ("/imports/ofsted/{id}", Policy::CouncilEditor),
    ("/homes/{urn}/inspections/new", Policy::HomeEditor),
    (
        "/homes/{urn}/inspections/{id}/confirm",
        Policy::CouncilEditor,
    ),
    ("/homes/{urn}/cases/new", Policy::CouncilEditor),
    ("/cases", Policy::SignedIn),
    ("/cases/export.csv", Policy::Council),
    ("/cases/export.xlsx", Policy::Council),
    ("/cases/{id}", Policy::CaseViewer),
    ("/cases/{id}/plan", Policy::CaseEditor),
    ("/cases/{id}/plan/files", Policy::CaseEditor),
    ("/cases/{id}/plan/files/{file_id}", Policy::CaseViewer),
    ("/cases/{id}/actions", Policy::CouncilEditor),
    ("/cases/{id}/actions/{action_id}", Policy::CaseEditor),
    ("/cases/{id}/meetings", Policy::CouncilEditor),
    ("/cases/{id}/escalations", Policy::CouncilEditor),
    ("/cases/{id}/notes", Policy::Council),
    ("/cases/{id}/close", Policy::CouncilEditor),
    ("/cases/{id}/owner", Policy::CouncilEditor),
    ("/capacity", Policy::Council),
    ("/capacity/export.csv", Policy::Council),
    ("/capacity/export.xlsx", Policy::Council),
    ("/map", Policy::Council),
    ("/map/homes.json", Policy::Council),
    ("/map/boundaries.geojson", Policy::Council),
    ("/search", Policy::Council),
    ("/search/export.csv", Policy::Council),
    ("/search/export.xlsx", Policy::Council),
    ("/search/demand", Policy::Council),
    ("/search/demand.csv", Policy::Council),
    ("/search/demand.xlsx", Policy::Council),
    ("/map/export.csv", Policy::Council),
    ("/map/export.xlsx", Policy::Council),
    ("/api/v1/vacancies", Policy::Council),
    ("/api", Policy::Public),
    ("/api/openapi.json", Policy::Public),
    ("/api/v1/homes", Policy::SignedIn),
    ("/api/v1/homes/{urn}", Policy::HomeViewer),
    ("/api/v1/homes/{urn}/returns", Policy::HomeViewer),
    ("/api/v1/homes/{urn}/returns/{week}", Policy::HomeEditor),
    ("/account/email", Policy::SignedIn),
    ("/account/reset", Policy::Public),
    ("/account/set-password/{token}", Policy::Public),
    ("/email/unsubscribe/{token}", Policy::Public),
    ("/one-click/{urn}/{token}", Policy::Public),
    ("/admin/outbox", Policy::Admin),
    ("/admin/outbox/{id}/retry", Policy::Admin),
    ("/requests", Policy::SignedIn),
    ("/requests/export.csv", Policy::Council),
    ("/requests/export.xlsx", Policy::Council),
    ("/requests/providers", Policy::Council),
    ("/requests/providers.csv", Policy::Council),
    ("/requests/new", Policy::Council),
    ("/requests/{reference}", Policy::RequestViewer),
    ("/requests/{reference}/decision", Policy::RequestOwner),
    (
        "/requests/{reference}/homes/{urn}/answer",
        Policy::RequestAnswerer,
    ),
    (
        "/requests/{reference}/homes/{urn}/withdraw",
        Policy::RequestAnswerer,
    ),
    ("/answer/{urn}/{token}", Policy::Public),
    ("/api/v1/requests", Policy::SignedIn),
    ("/api/v1/requests/{reference}", Policy::RequestViewer),
    (
        "/api/v1/requests/{reference}/answers/{urn}",
        Policy::RequestAnswerer,
    ),
];

/// Methods under a stricter policy than their path's.
const STRICTER: &[(&str, Method, Policy)] = &[("/api/v1/requests", Method::POST, Policy::Council)];

#[test]
fn every_route_has_an_expected_policy() {
    let table = router::table();
    for route in &table {
        let expected = EXPECTED.iter().find(|(p, _)| *p == route.path);
        assert_eq!(
            expected.map(|(_, policy)| *policy),
            Some(route.policy),
            "{} is declared {:?}; add it to EXPECTED with the policy it should have",
            route.path,
            route.policy
        );
    }
    for (path, _) in EXPECTED {
        assert!(
            table.iter().any(|r| r.path == *path),
            "{path} is expected but not routed"
        );
    }
    for route in &table {
        for method in &route.methods {
            let stricter = STRICTER
                .iter()
                .find(|(p, m, _)| *p == route.path && m == method)
                .map_or(route.policy, |(_, _, policy)| *policy);
            assert_eq!(
                route.policy_for(method),
                stricter,
                "{method} {} has its own policy; list it in STRICTER",
                route.path
            );
        }
    }
}

/// Who should get through, independent of the implementation: provider A
/// owns the home and the organisation the paths point at; the case is our
/// council's, so another member council's staff are refused it (as not
/// found: its id reveals nothing) and see everything shared.
fn should_allow(policy: Policy, persona: Persona, path: &str) -> bool {
    use Persona::*;
    if persona == OtherCouncil {
        return !path.starts_with("/cases/{id}")
            && !is_our_request(path)
            && should_allow(policy, Commissioner, path);
    }
    match policy {
        Policy::Public => true,
        Policy::SignedIn | Policy::Enrolling => persona != Anonymous,
        Policy::Council => matches!(persona, Admin | Commissioner | Placements),
        Policy::CouncilEditor => matches!(persona, Admin | Commissioner),
        Policy::Admin => persona == Admin,
        Policy::HomeViewer | Policy::OrganisationViewer => {
            matches!(persona, Admin | Commissioner | Placements | ProviderA)
        }
        Policy::HomeEditor => matches!(persona, Admin | Commissioner | ProviderA),
        Policy::Provider => matches!(persona, ProviderA | ProviderB),
        Policy::UploadOwner => persona == ProviderA,
        Policy::TokenOwner => matches!(persona, Admin | ProviderA),
        Policy::CaseViewer => matches!(persona, Admin | Commissioner | Placements | ProviderA),
        Policy::CaseEditor => matches!(persona, Admin | Commissioner | ProviderA),
        // No seeded persona is a regional lead (tests/it/regions.rs has one).
        Policy::RegionalLead => false,
        Policy::RequestViewer => matches!(persona, Admin | Commissioner | Placements | ProviderA),
        Policy::RequestOwner => matches!(persona, Admin | Commissioner | Placements),
        Policy::RequestAnswerer => persona == ProviderA,
    }
}

/// Paths of our council's seeded bed request: another council's staff are
/// told it does not exist.
fn is_our_request(path: &str) -> bool {
    path.starts_with("/requests/{reference}") || path.starts_with("/api/v1/requests/{reference}")
}

fn concrete(path: &str, app: &TestApp) -> String {
    let id = if path.starts_with("/users") {
        app.seed.spare_user_id.to_string()
    } else if path.starts_with("/returns/uploads") {
        app.seed.upload_a.clone()
    } else if path.starts_with("/account/tokens") {
        app.seed.token_a_id.to_string()
    } else if path.starts_with("/councils") {
        app.seed.our_council_id.to_string()
    } else if path.starts_with("/cases") {
        app.seed.case_a.to_string()
    } else if path.contains("/inspections/") {
        app.seed.report_a.to_string()
    } else {
        app.seed.provider_a_id.to_string()
    };
    path.replace("{urn}", &app.seed.home_a1)
        .replace("{id}", &id)
        .replace("{week}", &sufficiency::returns::this_week().to_string())
        .replace("{action_id}", &app.seed.action_a.to_string())
        .replace("{file_id}", &app.seed.plan_file_a.to_string())
        .replace("{reference}", &app.seed.request_a)
        // Links from emails: the token is the credential; a made-up one is refused.
        .replace("{token}", "made-up-token")
}

#[tokio::test]
async fn every_route_admits_exactly_who_its_policy_says() {
    for route in router::table() {
        // A fresh application per route: allowed POSTs change data.
        let app = TestApp::new().await;
        let path = concrete(route.path, &app);
        for persona in Persona::ALL {
            for method in &route.methods {
                // The JSON API takes bearer tokens; pages take sessions.
                let api = path.starts_with("/api/v1/");
                let mut client = if api {
                    app.api_client(persona).await
                } else {
                    app.signed_in(persona).await
                };
                let response = match *method {
                    Method::GET => client.get(&path).await,
                    Method::PUT => client.put_json(&path, "{}").await,
                    _ => client.post_form(&path, &[]).await,
                };
                let went_to_sign_in = response
                    .location()
                    .is_some_and(|l| l.starts_with("/sign-in"))
                    // Where these go once done, or without a password first.
                    && !matches!(route.path, "/sign-out" | "/sign-in/code");
                let refused = matches!(
                    response.status,
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ) || went_to_sign_in
                    // Another council's case or request is not found, as if
                    // absent; so is a request that did not ask the provider.
                    || (persona == Persona::OtherCouncil
                        && (route.path.starts_with("/cases/{id}") || is_our_request(route.path))
                        && response.status == StatusCode::NOT_FOUND)
                    || (persona == Persona::ProviderB
                        && is_our_request(route.path)
                        && response.status == StatusCode::NOT_FOUND);
                // SECURITY.md item 4: addresses reach only council staff and
                // the home's own provider, and never a URL.
                let forbidden: &[&str] = match persona {
                    Persona::Anonymous => &[CANARY_A, CANARY_B],
                    Persona::ProviderA => &[CANARY_B],
                    Persona::ProviderB => &[CANARY_A],
                    _ => &[],
                };
                for canary in forbidden {
                    assert!(
                        !response.body.contains(canary),
                        "{method} {path} as {persona:?} shows {canary}"
                    );
                }
                let location = response.location().unwrap_or_default();
                assert!(
                    !location.contains("Canary") && !location.contains("Sentinel"),
                    "{location}"
                );
                assert!(
                    response.status.as_u16() < 500,
                    "{method} {path} as {persona:?} failed with {}: {}",
                    response.status,
                    response.text()
                );
                assert_eq!(
                    !refused,
                    should_allow(route.policy_for(method), persona, route.path),
                    "{method} {path} as {persona:?}: got {} {:?}",
                    response.status,
                    response.location()
                );
                if api && persona == Persona::Anonymous {
                    assert_eq!(
                        response.status,
                        StatusCode::UNAUTHORIZED,
                        "anonymous {method} {path}"
                    );
                    assert!(
                        response
                            .header("content-type")
                            .unwrap_or_default()
                            .starts_with("application/json")
                    );
                } else if refused && persona == Persona::Anonymous && *method == Method::GET {
                    assert!(
                        went_to_sign_in,
                        "anonymous GET {path} should be sent to sign in"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn another_providers_home_is_refused_on_every_home_route() {
    let app = TestApp::new().await;
    let mut b = app.signed_in(Persona::ProviderB).await;
    for path in [
        format!("/homes/{}", app.seed.home_a1),
        format!("/homes/{}/edit", app.seed.home_a1),
    ] {
        b.get(&path).await.assert_status(StatusCode::FORBIDDEN);
    }
    let response = b
        .post_form(
            &format!("/homes/{}/edit", app.seed.home_a1),
            &[("name", "Taken over")],
        )
        .await;
    response.assert_status(StatusCode::FORBIDDEN);
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get(&format!("/homes/{}", app.seed.home_b1))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // URNs are public, so an unknown one is simply not found.
    b.get("/homes/SC999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    b.get(&format!("/organisations/{}", app.seed.provider_a_id))
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refused_access_is_audited() {
    let app = TestApp::new().await;
    let mut placements = app.signed_in(Persona::Placements).await;
    placements
        .get("/users")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let (rows, _) = sufficiency::audit::list(
        &app.db,
        &sufficiency::audit::Filter {
            action: Some("access_refused".into()),
            ..Default::default()
        },
        sufficiency::web::pagination::PageNumber::FIRST,
        10,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "placements@test.example");
    assert_eq!(rows[0].entity_id.as_deref(), Some("/users"));
}
