//! One filing path, whatever the channel: the form, "no change", the upload
//! and the API file nothing for an identical return, keep the first
//! filing's lateness when amending, and refuse homes outside the
//! placements market. Settings that are not placements (boarding schools,
//! colleges) are left out of the week, the search, the map and capacity.

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use sufficiency::auth::Viewer;
use sufficiency::db::entities::returns;
use sufficiency::jobs::{self, Due, Job};
use sufficiency::returns::Occupancy;
use sufficiency::returns::filing::{self, Filing};
use sufficiency::returns::{Source, this_week};

use crate::returns::{a1_fields, file};
use crate::support::{Persona, TestApp};

async fn versions_of(app: &TestApp, urn: &str) -> u64 {
    returns::Entity::find()
        .filter(returns::Column::HomeId.eq(app.home(urn).await.id))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_identical_return_files_nothing_on_every_channel() {
    let app = TestApp::new().await;
    let week = this_week();
    let a1 = app.seed.home_a1.clone();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let fields = a1_fields(&week);
    file(&mut a, &a1, &week, &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(versions_of(&app, &a1).await, 1);

    // The form again, with a fresh form key: nothing new.
    let mut again = a1_fields(&week);
    again.retain(|(k, _)| *k != "idempotency_key");
    again.push(("idempotency_key", "another-form-key".into()));
    file(&mut a, &a1, &week, &again).await;
    a.get("/")
        .await
        .assert_contains("Nothing changed: Alder House's return for");
    // "No change" for a week already filed: nothing new.
    a.post_form(&format!("/homes/{a1}/returns/{week}/no-change"), &[])
        .await;
    // The API with the same figures: the same return, 200.
    let mut api = app.api_client(Persona::ProviderA).await;
    let current = api.get(&format!("/api/v1/homes/{a1}/returns")).await;
    let body: serde_json::Value = serde_json::from_str(&current.body).unwrap();
    let same = json!({
        "occupied_ours": 1, "occupied_other": 1,
        "vacancies": [{ "beds": 2, "available_from": week.monday().to_string(), "min_age": 12,
            "max_age": 16, "sexes": "mixed", "needs": ["emotional_behavioural"],
            "emergency": true, "weekly_fee": "4750.00" }]
    });
    let put = api
        .put_json(
            &format!("/api/v1/homes/{a1}/returns/{week}"),
            &same.to_string(),
        )
        .await;
    put.assert_status(StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&put.body).unwrap()["version"],
        body[0]["version"]
    );
    assert_eq!(versions_of(&app, &a1).await, 1, "no channel filed a copy");
}

#[tokio::test]
async fn an_amendment_after_the_deadline_stays_filed_and_shows_as_amended() {
    let app = TestApp::new().await;
    let week = this_week();
    let home = app.home(&app.seed.home_a1).await;
    let viewer = Viewer::system("test");
    let monday_morning = chrono_tz::Europe::London
        .from_local_datetime(&week.monday().and_hms_opt(9, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc);
    let input = sufficiency::returns::ReturnInput {
        occupied: Occupancy::from_host_and_other(home.host_council_id, 2, 2),
        ..Default::default()
    };
    let filing = Filing {
        at: Some(monday_morning),
        ..Filing::new(Source::Form)
    };
    filing::file_now(
        &app.db,
        &viewer,
        &home,
        week,
        &input,
        filing,
        &app.state.settings,
    )
    .await
    .unwrap();
    // The deadline passes; the provider corrects a figure.
    let after_deadline = app.state.settings.returns.due(week) + Duration::hours(3);
    let amended = sufficiency::returns::ReturnInput {
        occupied: Occupancy::from_host_and_other(home.host_council_id, 3, 1),
        ..Default::default()
    };
    let filing = Filing {
        at: Some(after_deadline),
        ..Filing::new(Source::Api)
    };
    let filed = filing::file_now(
        &app.db,
        &viewer,
        &home,
        week,
        &amended,
        filing,
        &app.state.settings,
    )
    .await
    .unwrap();
    assert_eq!(filed.view().ret.version, 2);
    assert!(!filed.view().ret.late, "late is the first filing's");
    let mut c = app.signed_in(Persona::Commissioner).await;
    let board = c.get(&format!("/returns?week={week}")).await;
    let text = board.text();
    let row = &text[text.find("Alder House").unwrap()..];
    let row = &row[..row.find("Birch Lodge").unwrap_or(row.len())];
    assert!(row.contains("Filed Amended"), "{row}");
    assert!(!row.contains("Filed late"), "{row}");
}

/// A boarding school in our area, registered and rated like any setting.
async fn boarding_school(app: &TestApp) -> String {
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.post_form(
        "/homes/new",
        &[
            ("registration", "1"),
            ("urn", "SC300001"),
            ("name", "Hilltop Boarding School"),
            ("provision_type", "boarding_school"),
            ("registered_places", "120"),
            ("registration_status", "active"),
            ("host_council_id", &app.seed.our_council_id.to_string()),
            ("provider_id", &app.seed.provider_a_id.to_string()),
            ("provider_id_name", "Acme Care Ltd"),
            ("contract", "spot"),
            ("postcode", "BH1 1AA"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    "SC300001".into()
}

#[tokio::test]
async fn settings_outside_the_placements_market_are_left_out_of_the_week() {
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    let school = boarding_school(&app).await;
    let mut c = app.signed_in(Persona::Commissioner).await;

    // Listed and rated with every setting...
    c.get("/homes")
        .await
        .assert_contains("Hilltop Boarding School");
    // ...but not on the board, the provider's week, the map or the search.
    c.get("/returns").await.assert_lacks("Hilltop");
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get("/").await.assert_lacks("Hilltop");
    c.get("/map").await.assert_lacks("Hilltop");
    let search = c.get("/search").await;
    assert!(
        !search.text().contains("Boarding school"),
        "kinds of home offered"
    );
    assert!(search.text().contains("Independent fostering agency"));
    // No weekly return is asked for or taken.
    let monday = chrono_tz::Europe::London
        .from_local_datetime(&this_week().monday().and_hms_opt(8, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc);
    jobs::run(
        &app.db,
        &app.state.settings,
        &Due::at(Job::ReturnRequest, monday),
        monday,
    )
    .await
    .unwrap();
    let requests = sufficiency::db::entities::outbox_emails::Entity::find()
        .filter(sufficiency::db::entities::outbox_emails::Column::Category.eq("return_request"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|e| !e.body_text.contains("Hilltop")));
    let mut api = app.api_client(Persona::ProviderA).await;
    let refused = api
        .put_json(
            &format!("/api/v1/homes/{school}/returns/{}", this_week()),
            r#"{"occupied_ours": 1, "occupied_other": 1}"#,
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("not part of the placements market"),
        "{}",
        refused.body
    );
    // Capacity counts children's homes' places only: the seed's 9, not 129.
    let ours = Some(app.seed.our_council_id);
    let week =
        sufficiency::capacity::capacity(&app.db, &app.state.settings.market, ours, this_week(), 1)
            .await
            .unwrap();
    assert_eq!(week.totals.places, 9);

    // The market is a setting: with boarding schools in it, the same data
    // shows on the board, with no migration.
    let wider = app.with_settings(|s| {
        s.market
            .provision_types
            .push(importers::vocab::ProvisionType::BoardingSchool)
    });
    let mut c = wider.signed_in(Persona::Commissioner).await;
    c.get("/returns")
        .await
        .assert_contains("Hilltop Boarding School");
}
