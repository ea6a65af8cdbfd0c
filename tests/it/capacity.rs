//! The capacity dashboard: a week's beds and who uses them, carried-forward
//! returns, completion, ratings, breakdowns, the trend, block contracts,
//! fees, and every table as CSV and XLSX.

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sufficiency::db::entities::homes;
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
    homes::Entity::update_many()
        .col_expr(homes::Column::BlockBeds, 2.into())
        .col_expr(homes::Column::Contract, "block".into())
        .filter(homes::Column::Urn.eq("SC100001"))
        .exec(&app.db)
        .await
        .unwrap();
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
    let text = page.text();
    for expected in [
        "9 registered places in 3 homes",
        "1 used by BCP's children",
        "67% of occupied beds used by other councils (2)",
        "3 vacant; 0 not admittable",
        "1 homes (33%) rated Good or better",
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
