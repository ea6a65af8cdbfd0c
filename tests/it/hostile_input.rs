//! What an outside test sent to make the service fail: page numbers past
//! any list, and NUL bytes in every kind of field. Each gets a clear answer,
//! never a 500, the same on SQLite and PostgreSQL.

use axum::http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use sufficiency::db::entities::{returns, users};
use sufficiency::returns::this_week;

use crate::support::{Persona, TestApp};

const HUGE: &str = "9223372036854775807";

#[tokio::test]
async fn a_page_number_past_any_list_shows_its_last_page() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    for list in [
        "/homes",
        "/organisations",
        "/audit",
        "/users",
        "/admin/outbox",
        "/cases",
        "/returns",
    ] {
        let response = admin.get(&format!("{list}?page={HUGE}")).await;
        assert_eq!(response.status, StatusCode::OK, "{list}: {}", response.body);
    }
    // The seed's homes fit on one page: page 1 of 1 is what shows.
    admin
        .get(&format!("/homes?page={HUGE}"))
        .await
        .assert_contains(&app.seed.home_a1);
    let search = admin
        .get(&format!("/search?page={HUGE}&near={HUGE}&postcode=BH1+1AA"))
        .await;
    assert_ne!(search.status, StatusCode::INTERNAL_SERVER_ERROR);

    let api = app.api_client(Persona::Admin).await;
    let mut api = api;
    let page = api.get("/api/v1/homes?page=4611686018427387904").await;
    page.assert_status(StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["page"], 1, "the last page, which is the first");
    assert!(!body["homes"].as_array().unwrap().is_empty());

    // Not a number at all: a 400 that says so.
    admin
        .get("/homes?page=two")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_nul_byte_is_refused_with_a_422_wherever_it_is_sent() {
    let app = TestApp::new().await;
    // Anonymous forms.
    let mut anonymous = app.client();
    let signing_in = anonymous
        .post_form(
            "/sign-in",
            &[("email", "nul\0@x"), ("password", "whatever it is")],
        )
        .await;
    signing_in
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("contains a control character");
    anonymous
        .post_form("/account/reset", &[("email", "nul\0@x")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // A search box, and a path.
    let mut council = app.signed_in(Persona::Commissioner).await;
    council
        .get("/homes?q=ab%00cd")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    council
        .get("/homes/SC%00X")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Other control characters too; new lines and tabs are text.
    council
        .get("/homes?q=ab%1Bcd")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    council
        .get("/homes?q=ab%09cd")
        .await
        .assert_status(StatusCode::OK);

    // The API answers in JSON, naming the field.
    let mut api = app.api_client(Persona::ProviderA).await;
    let path = format!("/api/v1/homes/{}/returns/{}", app.seed.home_a1, this_week());
    let filing = json!({ "occupied_E06000058": 1, "occupied_outside_region": 0, "vacancies": [], "note": "a\u{0}b" });
    let refused = api.put_json(&path, &filing.to_string()).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(body["fields"][0]["field"], "note");
    api.get("/api/v1/homes/SC%00X")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // Nothing was stored.
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 0);
    let before = users::Entity::find().count(&app.db).await.unwrap();
    let mut provider = app.signed_in(Persona::ProviderA).await;
    let form = provider
        .post_form(
            &format!("/homes/{}/returns/{}", app.seed.home_a1, this_week()),
            &[
                ("occupied_E06000058", "1"),
                ("occupied_outside_region", "0"),
                ("note", "a\0b"),
            ],
        )
        .await;
    form.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Nothing has been saved");
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(users::Entity::find().count(&app.db).await.unwrap(), before);
}
