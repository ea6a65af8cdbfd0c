//! The capacity map: its data for council staff only, the table that lists
//! the same homes without JavaScript, the boundaries, and the tile server
//! allowed by the content security policy.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::{Persona, TestApp};

async fn placed() -> TestApp {
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    app
}

#[tokio::test]
async fn council_staff_see_homes_with_position_rating_and_latest_return() {
    let app = placed().await;
    let week = sufficiency::returns::this_week();
    crate::returns::a1_files(&app, &week).await;
    let mut c = app.signed_in(Persona::Placements).await;
    let data: Value = serde_json::from_str(&c.get("/map/homes.json").await.body).unwrap();
    let homes = data.as_array().unwrap();
    assert_eq!(homes.len(), 3);
    let alder = homes.iter().find(|h| h["urn"] == "SC100001").unwrap();
    assert_eq!(alder["latitude"], 50.727909);
    assert_eq!(alder["rating"], "good");
    assert_eq!(alder["vacancies"], 2);
    assert_eq!(alder["occupied_ours"], 1);
    let only_vacant: Value =
        serde_json::from_str(&c.get("/map/homes.json?vacancies=yes").await.body).unwrap();
    assert_eq!(only_vacant.as_array().unwrap().len(), 1);
    let good: Value =
        serde_json::from_str(&c.get("/map/homes.json?rating=good").await.body).unwrap();
    assert_eq!(good.as_array().unwrap().len(), 1);

    // Without JavaScript the page's table lists the same homes.
    let page = c.get("/map").await;
    page.assert_status(StatusCode::OK)
        .assert_contains("The same homes as a table")
        .assert_contains("Alder House")
        .assert_contains("Cedar View");
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("img-src 'self' data: https://tile.openstreetmap.org"),
        "{csp}"
    );
    let boundaries: Value =
        serde_json::from_str(&c.get("/map/boundaries.geojson").await.body).unwrap();
    assert_eq!(boundaries["type"], "FeatureCollection");
    assert!(!boundaries["features"].as_array().unwrap().is_empty());
    // The table downloads, filtered as the page is.
    let csv = c.get("/map/export.csv?vacancies=yes").await;
    csv.assert_status(StatusCode::OK);
    let rows: Vec<&str> = csv.body.trim().lines().collect();
    assert_eq!(rows.len(), 2, "a heading and Alder House: {}", csv.body);
    assert!(rows[1].starts_with("SC100001,Alder House,"), "{}", csv.body);
    let xlsx = c.get("/map/export.xlsx").await;
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert_eq!(sheets[0].rows.len(), 4, "a heading and three homes");
    // Leaflet comes from the app itself.
    app.client()
        .get("/assets/leaflet/leaflet-src.esm.js")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn providers_and_anonymous_visitors_never_get_the_map() {
    let app = placed().await;
    for persona in [Persona::ProviderA, Persona::ProviderB] {
        let mut p = app.signed_in(persona).await;
        for path in [
            "/map",
            "/map/homes.json",
            "/map/export.csv",
            "/map/export.xlsx",
            "/map/boundaries.geojson",
        ] {
            p.get(path).await.assert_status(StatusCode::FORBIDDEN);
        }
    }
    let mut anonymous = app.client();
    let response = anonymous.get("/map/homes.json").await;
    assert!(
        response
            .location()
            .is_some_and(|l| l.starts_with("/sign-in")),
        "{}",
        response.status
    );
}

/// "Show these homes on the map" from the search page: the search's own
/// criteria filter the map, its table and its data alike.
#[tokio::test]
async fn a_search_shown_on_the_map_keeps_only_the_homes_that_fit() {
    let app = placed().await;
    let week = sufficiency::returns::this_week();
    // Alder House offers a bed for 12-16s of either sex.
    crate::returns::a1_files(&app, &week).await;
    let mut c = app.signed_in(Persona::Placements).await;
    let search = "age=14&sex=female&postcode=BH12+1AA&miles=20";
    let results = c.get(&format!("/search?{search}")).await;
    results.assert_contains("Show these homes on the map");
    let body = results.body.replace("&#38;", "&").replace("&amp;", "&");
    assert!(body.contains(&format!("href=\"/map?{search}\"")), "{body}");
    let data: Value =
        serde_json::from_str(&c.get(&format!("/map/homes.json?{search}")).await.body).unwrap();
    let urns: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["urn"].as_str())
        .collect();
    assert_eq!(urns, ["SC100001"]);
    let page = c.get(&format!("/map?{search}")).await;
    page.assert_status(StatusCode::OK)
        .assert_contains("homes with a vacancy that fits your search")
        .assert_contains("within 20 miles of BH12 1AA")
        .assert_contains("Back to the search results")
        .assert_contains("Alder House");
    page.assert_lacks("Cedar View");
    // Where the search started and how far it looked, for the map to draw.
    assert!(
        page.body.contains("data-radius-miles=\"20\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-origin-latitude=\"50.73"),
        "{}",
        page.body
    );
    // A 17-year-old fits no vacancy: an empty map, not every home.
    let none: Value = serde_json::from_str(
        &c.get("/map/homes.json?age=17&sex=female&postcode=BH12+1AA&miles=20")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    // An unknown postcode is explained, never a map measured from nowhere.
    c.get("/map?age=14&sex=female&postcode=ZZ99+9ZZ")
        .await
        .assert_status(StatusCode::BAD_REQUEST)
        .assert_contains("postcode");
    for persona in [Persona::ProviderA, Persona::ProviderB] {
        let mut p = app.signed_in(persona).await;
        p.get(&format!("/map/homes.json?{search}"))
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
}
