//! The JSON API: bearer tokens, filing with PUT (idempotent), listing with
//! GET, JSON errors, and the OpenAPI document.

use axum::http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use sufficiency::db::entities::{returns, sessions};
use sufficiency::returns::this_week;

use crate::support::{Persona, TestApp};

pub(crate) fn body(ours: u32, other: u32, beds: u32) -> String {
    let monday = this_week().monday();
    let vacancies: Vec<Value> = if beds == 0 {
        vec![]
    } else {
        vec![json!({
            "beds": beds, "available_from": monday.to_string(), "min_age": 11, "max_age": 17,
            "sexes": "mixed", "needs": ["emotional_behavioural"], "emergency": true, "weekly_fee": "4500.00"
        })]
    };
    let by_council: Vec<Value> = if ours == 0 {
        vec![]
    } else {
        vec![json!({ "council": "E06000058", "beds": ours })]
    };
    json!({
        "occupied_by_council": by_council,
        "occupied_outside_region": other,
        "vacancies": vacancies
    })
    .to_string()
}

pub(crate) fn path(app: &TestApp) -> String {
    format!("/api/v1/homes/{}/returns/{}", app.seed.home_a1, this_week())
}

fn json(response: &crate::support::Response) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("not JSON: {}", response.body))
}

#[tokio::test]
async fn a_provider_files_over_the_api_and_repeating_it_changes_nothing() {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let first = api.put_json(&path(&app), &body(1, 1, 2)).await;
    first.assert_status(StatusCode::CREATED);
    let filed = json(&first);
    assert_eq!(filed["version"], 1);
    assert_eq!(filed["vacant_beds"], 2);
    assert_eq!(filed["source"], "api");
    assert_eq!(filed["vacancies"][0]["weekly_fee"], "4500.00");
    let again = api.put_json(&path(&app), &body(1, 1, 2)).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(
        json(&again)["version"],
        1,
        "the same content files nothing new"
    );
    let changed = api.put_json(&path(&app), &body(2, 1, 1)).await;
    changed.assert_status(StatusCode::OK);
    assert_eq!(json(&changed)["version"], 2);
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 2);

    let list = api
        .get(&format!("/api/v1/homes/{}/returns", app.seed.home_a1))
        .await;
    list.assert_status(StatusCode::OK);
    let items = json(&list);
    assert_eq!(items.as_array().unwrap().len(), 1, "current returns only");
    assert_eq!(items[0]["occupied"], 3);
    assert_eq!(
        items[0]["occupied_by_council"],
        json!([{ "council": "E06000058", "beds": 2 }])
    );
    assert_eq!(items[0]["occupied_outside_region"], 1);
    let versions = api
        .get(&format!(
            "/api/v1/homes/{}/returns?versions=true",
            app.seed.home_a1
        ))
        .await;
    assert_eq!(json(&versions).as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_retried_request_with_an_idempotency_key_files_once() {
    let app = TestApp::new().await;
    let api = app.api_client(Persona::ProviderA).await;
    let mut api = api.with_header("idempotency-key", "retry-me-1");
    api.put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::CREATED);
    // The client thinks it failed and retries: the same request again is
    // the same filing.
    let retry = api.put_json(&path(&app), &body(1, 1, 2)).await;
    retry.assert_status(StatusCode::OK);
    assert_eq!(json(&retry)["version"], 1);
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_return_is_refused_and_says_so() {
    let app = TestApp::new().await;
    let mut api = app
        .api_client(Persona::ProviderA)
        .await
        .with_header("idempotency-key", "key-for-one-return");
    api.put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::CREATED);
    // Other figures under the same key: refused, never "200, the earlier one".
    let other_figures = api.put_json(&path(&app), &body(0, 2, 2)).await;
    other_figures.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json(&other_figures);
    assert_eq!(problem["fields"][0]["field"], "idempotency_key");
    assert!(
        problem["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("send a new key for a new return"),
        "{problem}"
    );
    // Another week under the same key: refused too.
    let last_week = format!(
        "/api/v1/homes/{}/returns/{}",
        app.seed.home_a1,
        this_week().plus(-1)
    );
    api.put_json(&last_week, &body(1, 1, 2))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_week_outside_the_filing_window_is_422_naming_the_window() {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let week_path = |week: importers::vocab::IsoWeek| {
        format!("/api/v1/homes/{}/returns/{week}", app.seed.home_a1)
    };
    let ahead = api
        .put_json(&week_path(this_week().plus(2)), &body(1, 1, 2))
        .await;
    ahead.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let message = json(&ahead)["fields"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("up to {}", this_week().plus(1))),
        "{message}"
    );
    let old = api
        .put_json(&week_path(this_week().plus(-9)), &body(1, 1, 2))
        .await;
    old.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(&old)["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too long ago")
    );
    // Next week and eight weeks back may be filed.
    for week in [this_week().plus(1), this_week().plus(-8)] {
        api.put_json(&week_path(week), &body(1, 1, 2))
            .await
            .assert_status(StatusCode::CREATED);
    }
    // Not a week at all: a 422 on the week, too.
    api.put_json(
        &format!("/api/v1/homes/{}/returns/2026-W99", app.seed.home_a1),
        &body(1, 1, 2),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn concurrent_identical_requests_leave_one_current_return() {
    let app = TestApp::new().await;
    let mut first = app
        .api_client(Persona::ProviderA)
        .await
        .with_header("idempotency-key", "same");
    let mut second = app
        .api_client(Persona::ProviderA)
        .await
        .with_header("idempotency-key", "same");
    let (p, b) = (path(&app), body(1, 1, 2));
    let (r1, r2) = tokio::join!(first.put_json(&p, &b), second.put_json(&p, &b));
    for r in [&r1, &r2] {
        assert!(r.status.is_success(), "{}: {}", r.status, r.body);
    }
    let all = returns::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 1, "one return, whatever the timing");
}

#[tokio::test]
async fn bad_input_is_422_with_each_field_named() {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let over = api.put_json(&path(&app), &body(4, 1, 0)).await;
    over.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let errors = json(&over);
    assert_eq!(errors["fields"][0]["field"], "occupied_by_council");
    assert!(
        errors["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Beds occupied (5) is more than registered places (4)")
    );
    let wrong = body(1, 1, 2)
        .replace("\"mixed\"", "\"anyone\"")
        .replace("emotional_behavioural", "flying");
    let fields = json(&api.put_json(&path(&app), &wrong).await)["fields"].clone();
    let names: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["vacancies[0].sexes", "vacancies[0].needs"]);
    let extra = api
        .put_json(
            &path(&app),
            r#"{"occupied_ours":1,"occupied_other":1,"organisation_id":7}"#,
        )
        .await;
    extra.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        extra.body.contains("organisation_id"),
        "unknown fields are refused, not ignored silently"
    );
    api.put_json(&path(&app), "{not json")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn tokens_reach_only_what_their_user_may() {
    let app = TestApp::new().await;
    let mut b = app.api_client(Persona::ProviderB).await;
    let refused = b.put_json(&path(&app), &body(1, 1, 2)).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(json(&refused)["error"].is_string());
    b.get(&format!("/api/v1/homes/{}/returns", app.seed.home_a1))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    b.put_json(
        &format!("/api/v1/homes/SC999999/returns/{}", this_week()),
        &body(1, 1, 0),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    let mut nobody = app.client();
    let anonymous = nobody.put_json(&path(&app), &body(1, 1, 2)).await;
    anonymous.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    let mut forged = app
        .client()
        .with_header("authorization", "Bearer sfy_forged");
    forged
        .put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // A session cookie is not enough for the API.
    let mut session = app.signed_in(Persona::ProviderA).await;
    session
        .put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // The council's commissioner may file on a provider's behalf.
    let mut c = app.api_client(Persona::Commissioner).await;
    c.put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn the_api_never_reads_or_writes_a_session_sent_along() {
    let app = TestApp::new().await;
    // A browser that is signed in and also holds a token: the API answers by
    // the token, and leaves the session (its row and its cookie) alone.
    let (token, _) = sufficiency::auth::tokens::create(
        &app.db,
        &sufficiency::auth::Viewer::system("test"),
        app.seed.user_id(Persona::Commissioner),
        "browser token",
    )
    .await
    .unwrap();
    let mut browser = app
        .signed_in(Persona::Commissioner)
        .await
        .with_header("authorization", &format!("Bearer {token}"));
    let sessions_before = sessions::Entity::find().all(&app.db).await.unwrap();
    let answer = browser.get("/api/v1/homes").await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.header("set-cookie"), None);
    let sessions_after = sessions::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(sessions_before, sessions_after);
}

#[tokio::test]
async fn a_user_creates_a_token_sees_it_once_and_can_revoke_it() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let created = a
        .post_form("/account/tokens", &[("name", "Care system")])
        .await;
    created
        .assert_status(StatusCode::OK)
        .assert_contains("Your new token")
        .assert_contains("it will not be shown again");
    let start = created.body.find("sfy_").unwrap();
    let token: String = created.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let page = a.get("/account/tokens").await;
    page.assert_contains("Care system");
    assert!(
        !page.body.contains(&token),
        "the token itself is never shown again"
    );
    let mut api = app
        .client()
        .with_header("authorization", &format!("Bearer {token}"));
    api.put_json(&path(&app), &body(1, 1, 2))
        .await
        .assert_status(StatusCode::CREATED);
    let id = sufficiency::db::entities::api_tokens::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Care system")
        .unwrap()
        .id;
    // Another provider cannot revoke it; its owner can.
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    a.post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    api.get(&format!("/api/v1/homes/{}/returns", app.seed.home_a1))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let empty_name = a.post_form("/account/tokens", &[("name", "")]).await;
    empty_name
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Enter a name for the token");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::new().await;
    let mut client = app.client();
    let doc = json(&client.get("/api/openapi.json").await);
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with('3')),
        Some(true)
    );
    assert!(doc["paths"]["/api/v1/homes/{urn}/returns/{week}"]["put"].is_object());
    assert!(doc["paths"]["/api/v1/homes/{urn}/returns"]["get"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let body = &doc["components"]["schemas"]["ReturnBody"]["properties"];
    assert!(body["occupied_by_council"].is_object());
    assert_eq!(body["occupied_ours"]["deprecated"], true);
    let search = &doc["paths"]["/api/v1/vacancies"]["get"];
    let criteria: Vec<&str> = search["parameters"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for name in [
        "age",
        "sex",
        "postcode",
        "needs",
        "miles",
        "from",
        "type",
        "emergency",
        "solo",
        "rating",
        "confirm_below_good",
    ] {
        assert!(criteria.contains(&name), "{name} in {criteria:?}");
    }
    let answer = &doc["components"]["schemas"]["VacancySearch"]["properties"];
    for field in ["distances_from", "results", "near_misses"] {
        assert!(answer[field].is_object(), "{field}: {answer}");
    }
    let page = client.get("/api").await;
    page.assert_status(StatusCode::OK)
        .assert_contains("/api/v1/homes/{urn}/returns/{week}")
        .assert_contains("Authorization: Bearer");
}

#[tokio::test]
async fn homes_come_with_their_rating_its_source_and_the_flag() {
    let app = TestApp::new().await;
    // A provider reports Birch Lodge inadequate: flagged at once, unconfirmed.
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/homes/{}/inspections/new", app.seed.home_a2),
        &[
            ("event_type", "full"),
            ("date_day", "2"),
            ("date_month", "11"),
            ("date_year", "2026"),
            ("overall", "inadequate"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let mut c = app.api_client(Persona::Commissioner).await;
    let flagged = json(&c.get("/api/v1/homes?flagged=true").await);
    assert_eq!(flagged["total"], 1, "{flagged}");
    let home = &flagged["homes"][0];
    assert_eq!(home["urn"], "SC100002");
    assert_eq!(home["flagged"], true);
    assert_eq!(home["flag"], "Inadequate");
    assert_eq!(home["rating"]["judgement"], "inadequate");
    assert_eq!(home["rating"]["source"], "provider");
    assert_eq!(home["rating"]["confirmed"], false);
    assert_eq!(home["rating"]["inspection_date"], "2026-11-02");

    let good = json(&c.get("/api/v1/homes?rating=good").await);
    assert_eq!(good["homes"][0]["urn"], "SC100001");
    assert_eq!(good["homes"][0]["rating"]["source"], "ofsted");
    assert_eq!(good["homes"][0]["flagged"], false);
    let unflagged = json(&c.get("/api/v1/homes?flagged=false").await);
    assert_eq!(unflagged["total"], 2);
    c.get("/api/v1/homes?rating=splendid")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    let one = json(&c.get(&format!("/api/v1/homes/{}", app.seed.home_a1)).await);
    assert_eq!(one["name"], "Alder House");
    assert_eq!(one["rating"]["label"], "Good");

    // Providers see their own homes only.
    let mut b = app.api_client(Persona::ProviderB).await;
    let own = json(&b.get("/api/v1/homes").await);
    assert_eq!(own["total"], 1);
    assert_eq!(own["homes"][0]["urn"], "SC200001");
    b.get(&format!("/api/v1/homes/{}", app.seed.home_a1))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.client()
        .get("/api/v1/homes")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    let doc = json(&app.client().get("/api/openapi.json").await);
    assert!(doc["paths"]["/api/v1/homes"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/homes/{urn}"]["get"].is_object());
}

/// The old two numbers still file (API v1, deprecated): "ours" is the home's
/// own council's line, "other" is outside the region; the answer gives the
/// breakdown. A council that is not a member, a line twice, or both shapes
/// at once are refused with the field named.
#[tokio::test]
async fn the_deprecated_two_numbers_still_file_for_the_homes_own_council() {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let old = json!({ "occupied_ours": 2, "occupied_other": 1, "vacancies": [{
        "beds": 1, "available_from": this_week().monday().to_string(), "min_age": 11,
        "max_age": 17, "sexes": "mixed"
    }]});
    let filed = api.put_json(&path(&app), &old.to_string()).await;
    filed.assert_status(StatusCode::CREATED);
    let filed = json(&filed);
    assert_eq!(
        filed["occupied_by_council"],
        json!([{ "council": "E06000058", "beds": 2 }])
    );
    assert_eq!(filed["occupied_outside_region"], 1);
    assert_eq!(filed["occupied"], 3);

    let refused = |body: Value| body.to_string();
    for (body, field, says) in [
        (
            refused(
                json!({ "occupied_by_council": [{ "council": "E10000014", "beds": 1 }],
                            "occupied_outside_region": 0 }),
            ),
            "occupied_by_council[0].council",
            "is not a member council of the region",
        ),
        (
            refused(json!({ "occupied_by_council": [
                { "council": "E06000058", "beds": 1 }, { "council": "e06000058", "beds": 1 }],
                "occupied_outside_region": 0 })),
            "occupied_by_council[1].council",
            "listed twice",
        ),
        (
            refused(json!({ "occupied_by_council": [], "occupied_ours": 1 })),
            "occupied_ours",
            "not both",
        ),
        (
            refused(json!({ "vacancies": [] })),
            "occupied_by_council",
            "State the beds occupied",
        ),
    ] {
        let answer = api.put_json(&path(&app), &body).await;
        answer.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let fields = json(&answer)["fields"].clone();
        assert_eq!(fields[0]["field"], field, "{body}");
        assert!(
            fields[0]["message"].as_str().unwrap().contains(says),
            "{body}: {fields}"
        );
    }
    assert_eq!(returns::Entity::find().count(&app.db).await.unwrap(), 1);
}
