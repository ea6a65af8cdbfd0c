//! The capacity dashboard: a week's beds and who uses them, carried-forward
//! returns, completion, ratings, breakdowns, the trend, block contracts,
//! fees, and every table as CSV and XLSX.

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sufficiency::db::entities::{homes, inspections};
use sufficiency::returns::this_week;

use crate::support::{Persona, TestApp};

async fn put(app: &TestApp, persona: Persona, urn: &str, week: String, body: serde_json::Value) {
    let mut api = app.api_client(persona).await;
    let response = api
        .put_json(
            &format!("/api/v1/homes/{urn}/returns/{week}"),
            &body.to_string(),
        )
        .await;
    assert!(response.status.is_success(), "{}", response.text());
}

/// A1 (4 places, 2 of them a block contract) files this week; B1 (2
/// places) filed last week only; A2 (3 places) has filed nothing.
async fn filed() -> TestApp {
    let app = TestApp::new().await;
    let a1 = app.home("SC100001").await;
    app.execute(&format!(
        "INSERT INTO council_contracts (council_id, home_id, contract, block_beds, updated_at) \
         VALUES ({}, {}, 'block', 2, '2026-11-30T09:00:00+00:00')",
        app.seed.our_council_id, a1.id
    ))
    .await;
    let monday = this_week().monday().to_string();
    put(
        &app,
        Persona::ProviderA,
        "SC100001",
        this_week().to_string(),
        json!({"occupied_ours": 1, "occupied_other": 1, "vacancies": [
            {"beds": 2, "available_from": monday, "min_age": 11, "max_age": 17, "sexes": "mixed", "weekly_fee": "4750.00"}
        ]}),
    )
    .await;
    put(
        &app,
        Persona::ProviderB,
        "SC200001",
        this_week().plus(-1).to_string(),
        json!({"occupied_ours": 0, "occupied_other": 1, "vacancies": [
            {"beds": 1, "available_from": this_week().plus(-1).monday().to_string(), "min_age": 11, "max_age": 17, "sexes": "mixed", "weekly_fee": "5000.00"}
        ]}),
    )
    .await;
    app
}

#[tokio::test]
async fn a_commissioner_sees_the_weeks_capacity_and_who_uses_it() {
    let app = filed().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let page = c.get("/capacity").await;
    page.assert_status(StatusCode::OK);
    // A week picker, not only previous and next.
    let last_year = sufficiency::returns::this_week().plus(-52);
    assert!(
        page.body
            .contains(&format!("<option value=\"{last_year}\">")),
        "{}",
        page.body
    );
    c.get(&format!("/capacity?week={last_year}&weeks=12"))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains(&format!("Capacity in BCP: {last_year}"));
    let text = page.text();
    for expected in [
        "9 registered places in 3 homes",
        "1 used by BCP's children",
        "22% of local places filled by other councils' children (2; 67% of occupied beds)",
        "3 vacant; 0 not admittable",
        "1 home (33%) rated Good or better",
        "33% of homes filed their return",
        "(1 of 3)",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // Block contract: 2 block beds, 1 used by our children, 1 paid but empty.
    let blocks = c.get("/capacity/export.csv?table=blocks").await.body;
    assert!(
        blocks.contains(&format!("{},2,1,1", this_week())),
        "{blocks}"
    );
    // Fees of the quarter's vacancies: median of 4,750 and 5,000.
    let fees = c.get("/capacity/export.csv?table=fees").await.body;
    assert!(fees.contains("Children's home,2,4875,4750,5000"), "{fees}");
    let by_owner = c.get("/capacity/export.csv?table=owner").await.body;
    assert!(by_owner.contains("Acme Care Ltd,2,1,7,1,1"), "{by_owner}");
    let trend = c.get("/capacity/export.csv?weeks=52").await.body;
    assert_eq!(trend.trim().lines().count(), 53, "a heading and 52 weeks");
    let xlsx = c.get("/capacity/export.xlsx?table=locality").await;
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert!(sheets[0].rows.len() >= 2);
    // Last week: B1 filed, A1 had not yet.
    let last = c
        .get(&format!("/capacity?week={}", this_week().plus(-1)))
        .await
        .text();
    assert!(last.contains("(1 of 3)"), "{last}");
    c.get(&format!("/capacity?week={}", this_week().plus(1)))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get("/capacity")
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

/// A past week is shown as it was, not as the homes are today: B1 filed
/// for last week and has closed since, A2 was registered this week, A1's
/// places grew after it filed, and A1 (Good until now) was rated
/// Inadequate this week.
#[tokio::test]
async fn a_past_week_is_shown_as_it_was() {
    let app = filed().await;
    let monday = this_week().monday().to_string();
    // A1 offered the same bed last week as this week: one vacancy for fees.
    put(
        &app,
        Persona::ProviderA,
        "SC100001",
        this_week().plus(-1).to_string(),
        json!({"occupied_ours": 2, "occupied_other": 0, "vacancies": [
            {"beds": 2, "available_from": monday, "min_age": 11, "max_age": 17, "sexes": "mixed", "weekly_fee": "4750.00"}
        ]}),
    )
    .await;
    // A2 (3 places) files this week: one bed short of staff, one under works
    // and one used by another council's child.
    put(
        &app,
        Persona::ProviderA,
        "SC100002",
        this_week().to_string(),
        json!({"occupied_ours": 0, "occupied_other": 1,
               "not_admittable": {"staffing": 1, "works": 1}}),
    )
    .await;
    let set = |column: homes::Column, value: sea_orm::Value, urn: &'static str| {
        homes::Entity::update_many()
            .col_expr(column, value.into())
            .filter(homes::Column::Urn.eq(urn))
            .exec(&app.db)
    };
    set(homes::Column::RegisteredPlaces, 6.into(), "SC100001")
        .await
        .unwrap();
    set(
        homes::Column::RegistrationStatus,
        "closed".into(),
        "SC200001",
    )
    .await
    .unwrap();
    set(
        homes::Column::RegistrationDate,
        this_week().monday().into(),
        "SC100002",
    )
    .await
    .unwrap();
    let a1 = app.home("SC100001").await;
    inspections::Entity::update_many()
        .col_expr(inspections::Column::IsCurrent, false.into())
        .filter(inspections::Column::HomeId.eq(a1.id))
        .exec(&app.db)
        .await
        .unwrap();
    let now = chrono::Utc::now().fixed_offset();
    inspections::ActiveModel {
        home_id: Set(a1.id),
        event_type: Set("full".into()),
        inspection_date: Set(this_week().monday()),
        scale: Set("four_point".into()),
        overall: Set(Some("inadequate".into())),
        source: Set("ofsted".into()),
        verified: Set(true),
        is_current: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let mut c = app.signed_in(Persona::Commissioner).await;
    // This week: A1 with the 4 places its return gave, and A2; B1 has closed.
    let now = c.get("/capacity").await.text();
    for expected in [
        "7 registered places in 2 homes",
        "0 homes (0%) rated Good or better",
        "(2 of 2)",
        "2 vacant; 2 not admittable",
        "Staffing 1 · works 1 · matching or impact risk 0",
    ] {
        assert!(now.contains(expected), "{expected}: {now}");
    }
    // Last week: A1 (then Good) and B1, which filed; A2 was not yet open.
    let last = c
        .get(&format!("/capacity?week={}", this_week().plus(-1)))
        .await
        .text();
    for expected in [
        "6 registered places in 2 homes",
        "1 home (50%) rated Good or better",
        "(2 of 2)",
    ] {
        assert!(last.contains(expected), "{expected}: {last}");
    }
    let trend = c.get("/capacity/export.csv").await.body;
    let mut lines = trend.lines();
    assert!(
        lines
            .next()
            .unwrap_or_default()
            .contains("Other councils' share of places"),
        "{trend}"
    );
    let last_two: Vec<&str> = trend.trim().lines().rev().take(2).collect();
    // Homes, filed, places, ours, other (other members, outside the
    // region), staffing, works, matching, ...
    assert!(
        last_two[0].starts_with(&format!("{},2,2,7,1,2,0,2,1,1,0,", this_week())),
        "{trend}"
    );
    assert!(
        last_two[1].starts_with(&format!("{},2,2,6,", this_week().plus(-1))),
        "{trend}"
    );
    // Fees: A1's bed offered in two weeks counts once beside B1's.
    let fees = c.get("/capacity/export.csv?table=fees").await.body;
    assert!(fees.contains("Children's home,2,4875,4750,5000"), "{fees}");
    let page = c.get("/capacity").await.body;
    assert!(
        page.contains("id=\"shares-title\""),
        "the shares chart is drawn"
    );
    let blocks = c.get("/capacity/export.xlsx?table=blocks").await;
    blocks.assert_status(StatusCode::OK);
}

/// Fees are of the vacancies in current returns of the council's own homes:
/// an amended return's first version no longer counts, nor does a home
/// hosted by another council.
#[tokio::test]
async fn fees_count_current_returns_of_local_homes_only() {
    let app = filed().await;
    let monday = this_week().monday().to_string();
    // Provider A amends Alder House's return: the bed now costs £6,000.
    put(
        &app,
        Persona::ProviderA,
        "SC100001",
        this_week().to_string(),
        json!({"occupied_ours": 1, "occupied_other": 1, "vacancies": [
            {"beds": 2, "available_from": monday, "min_age": 11, "max_age": 17, "sexes": "mixed", "weekly_fee": "6000.00"}
        ]}),
    )
    .await;
    // Cedar View (£5,000 last week) is now in Dorset's area.
    homes::Entity::update_many()
        .col_expr(
            homes::Column::HostCouncilId,
            app.seed.other_council_id.into(),
        )
        .filter(homes::Column::Urn.eq("SC200001"))
        .exec(&app.db)
        .await
        .unwrap();
    let mut c = app.signed_in(Persona::Commissioner).await;
    let fees = c.get("/capacity/export.csv?table=fees").await.body;
    assert!(fees.contains("Children's home,1,6000,6000,6000"), "{fees}");
    assert!(!fees.contains("4750") && !fees.contains("5000"), "{fees}");
}
