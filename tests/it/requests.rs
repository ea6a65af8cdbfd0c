//! Bed requests, each step as its user takes it: the officer asks the
//! providers a search found; each provider answers for its homes (by the
//! email link or signed in), once, before the reply-by time, and never sees
//! another's answers or homes; another council never sees the request; the
//! officer compares and records the outcome; reminders go once; and what
//! commissioners learn (unmet demand, refusal reasons, providers' answering,
//! offered fees). The API takes the same path.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sufficiency::db::entities::{audit_events, bed_request_homes, bed_requests, outbox_emails};

use crate::support::{Persona, TestApp};

/// A girl of 14 near BH1, any rating: Alder House (A1, Good) fits and
/// Cedar View (B1, not yet inspected) too, the officer having said so.
const SEARCH: &str =
    "age=14&sex=female&postcode=BH1+1AA&miles=20&rating=any&confirm_below_good=yes";

fn tomorrow_parts() -> [String; 3] {
    let date = (Utc::now() + Duration::days(1))
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    sufficiency::web::forms::date_parts(Some(date))
}

/// The placements officer asks A1 and B1 (ticked from the search) and A2
/// (added by URN); returns the request's reference.
async fn send(app: &TestApp) -> String {
    let mut officer = app.signed_in(Persona::Placements).await;
    let [day, month, year] = tomorrow_parts();
    let response = officer
        .post_form(
            "/requests/new",
            &[
                ("search", SEARCH),
                ("homes", "SC100001"),
                ("homes", "SC200001"),
                ("other_homes", "sc100002"),
                ("length", "short_term"),
                ("considerations", "no_pets"),
                ("considerations", "school_place"),
                ("reply_day", &day),
                ("reply_month", &month),
                ("reply_year", &year),
                ("reply_time", "15:00"),
                ("note", "Please say if you have a school nearby."),
            ],
        )
        .await;
    response.assert_status(StatusCode::SEE_OTHER);
    let location = response.location().expect("to the request").to_string();
    location
        .strip_prefix("/requests/")
        .expect("a request page")
        .to_string()
}

async fn emails(app: &TestApp, category: &str) -> Vec<outbox_emails::Model> {
    outbox_emails::Entity::find()
        .filter(outbox_emails::Column::Category.eq(category))
        .all(&app.db)
        .await
        .expect("outbox")
}

/// The answer link for a home in an email's text.
fn answer_path(text: &str, urn: &str) -> String {
    let start = text
        .find(&format!("/answer/{urn}/"))
        .unwrap_or_else(|| panic!("no answer link for {urn} in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .expect("path")
        .to_string()
}

/// The request email provider A's user got.
async fn email_to_a(app: &TestApp) -> outbox_emails::Model {
    emails(app, "bed_request")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("an email to provider A")
}

async fn row(app: &TestApp, reference: &str, urn: &str) -> bed_request_homes::Model {
    let request = bed_requests::Entity::find()
        .filter(bed_requests::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .expect("request");
    let home = app.home(urn).await;
    bed_request_homes::Entity::find()
        .filter(bed_request_homes::Column::RequestId.eq(request.id))
        .filter(bed_request_homes::Column::HomeId.eq(home.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("home in request")
}

fn offer(fee: &'static str) -> Vec<(&'static str, String)> {
    let [day, month, year] = tomorrow_parts();
    vec![
        ("answer", "offer".into()),
        ("available_day", day),
        ("available_month", month),
        ("available_year", year),
        ("weekly_fee", fee.into()),
        ("note", "Ground floor room".into()),
    ]
}

fn fields<'a>(list: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_officer_asks_from_the_search_and_each_provider_gets_one_email_with_a_link_per_home() {
    let app = crate::search::with_vacancies().await;
    let mut officer = app.signed_in(Persona::Placements).await;
    let results = officer.get(&format!("/search?{SEARCH}")).await;
    results.assert_contains("Ask these providers");
    assert!(
        results
            .body
            .contains("href=\"/requests/new?age=14&#38;sex=female&#38;postcode=BH1+1AA"),
        "the request starts from the search's criteria"
    );
    officer
        .get(&format!("/requests/new?{SEARCH}"))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Girl aged 14")
        .assert_contains("BH1, within 20 miles")
        .assert_contains("Alder House (SC100001)")
        .assert_contains("Cedar View (SC200001)")
        .assert_contains("must not identify the child")
        .assert_contains("Do not identify the child");

    let reference = send(&app).await;
    assert!(reference.starts_with("REQ-2026-") || reference.starts_with("REQ-2027-"));
    assert_ne!(reference, app.seed.request_a);
    let asked = emails(&app, "bed_request").await;
    assert_eq!(asked.len(), 2, "one email per provider contact");
    let a = email_to_a(&app).await;
    assert!(a.subject.contains(&reference), "{}", a.subject);
    assert!(a.subject.contains("asks for a bed"), "{}", a.subject);
    for text in [&a.body_text, &a.body_html] {
        assert!(text.contains("/answer/SC100001/"), "{text}");
        assert!(text.contains("/answer/SC100002/"), "{text}");
        assert!(!text.contains("SC200001"), "never another provider's home");
        assert!(text.contains("Needs a home without pets"));
        assert!(text.contains("Please say if you have a school nearby."));
    }
    let b = asked
        .iter()
        .find(|e| e.to_address == "provider-b@test.example")
        .expect("an email to provider B");
    assert!(b.body_text.contains("/answer/SC200001/"));
    assert!(!b.body_text.contains("SC1000"), "{}", b.body_text);

    let page = officer.get(&format!("/requests/{reference}")).await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Alder House")
        .assert_contains("Birch Lodge")
        .assert_contains("Cedar View")
        .assert_contains("Waiting")
        .assert_contains("Record the outcome");
    let sent = audit_events::Entity::find()
        .filter(audit_events::Column::EntityType.eq("bed_request"))
        .filter(audit_events::Column::EntityId.eq(reference.as_str()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(sent, 1);
    officer
        .get("/requests")
        .await
        .assert_contains(&reference)
        .assert_contains("Girl aged 14, BH1");
}

#[tokio::test]
async fn a_request_that_breaks_the_rules_is_shown_again_and_nothing_is_sent() {
    let app = crate::search::with_vacancies().await;
    let mut officer = app.signed_in(Persona::Placements).await;
    let long = "x".repeat(501);
    let response = officer
        .post_form(
            "/requests/new",
            &[
                ("search", SEARCH),
                ("other_homes", "SC999999"),
                ("reply_day", "1"),
                ("reply_month", "1"),
                ("reply_year", "2020"),
                ("reply_time", "09:00"),
                ("note", &long),
            ],
        )
        .await;
    assert!(
        response.body.contains("href=\"#other_homes\""),
        "a URN typed by hand is pointed out in its own box"
    );
    response
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is a problem")
        .assert_contains("SC999999 is not a home on the service")
        .assert_contains("Select how long the placement is expected to last")
        .assert_contains("at least 15 minutes from now")
        .assert_contains("500 characters or fewer")
        .assert_contains("Alder House (SC100001)");
    assert_eq!(
        bed_requests::Entity::find().count(&app.db).await.unwrap(),
        1
    );
    assert!(emails(&app, "bed_request").await.is_empty());
}

#[tokio::test]
async fn a_provider_answers_by_the_email_link_once_and_the_officer_sees_the_offer() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let path = answer_path(&email_to_a(&app).await.body_text, "SC100001");
    let mut anyone = app.client();
    anyone
        .get(&path)
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Alder House")
        .assert_contains(&reference)
        .assert_contains("Girl aged 14")
        .assert_lacks("Cedar View");
    // A half-filled offer is shown again, and the link still works.
    anyone
        .post_form(&path, &[("answer", "offer"), ("weekly_fee", "lots")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Enter the date the bed is available from")
        .assert_contains("is not an amount in pounds");
    let sent = anyone.post_form(&path, &fields(&offer("5,100.00"))).await;
    sent.assert_status(StatusCode::OK)
        .assert_contains("Answer sent")
        .assert_contains("£5,100.00");
    let answered = row(&app, &reference, "SC100001").await;
    assert_eq!(answered.answer.as_deref(), Some("offer"));
    assert_eq!(answered.weekly_fee_pence, Some(510_000));
    assert_eq!(answered.answered_by.as_deref(), Some("ProviderA user"));
    // The link works once.
    anyone
        .post_form(&path, &fields(&offer("1.00")))
        .await
        .assert_status(StatusCode::GONE)
        .assert_contains("already been used");
    assert_eq!(
        row(&app, &reference, "SC100001").await.weekly_fee_pence,
        Some(510_000)
    );
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .get(&format!("/requests/{reference}"))
        .await
        .assert_contains("£5,100.00")
        .assert_contains("Ground floor room")
        .assert_contains("Placed with Alder House");
}

#[tokio::test]
async fn a_link_expires_at_the_reply_by_time_and_names_one_home_only() {
    let app = crate::search::with_vacancies().await;
    send(&app).await;
    let text = email_to_a(&app).await.body_text;
    let a1 = answer_path(&text, "SC100001");
    let token = a1.rsplit('/').next().unwrap().to_string();
    let mut anyone = app.client();
    // A1's token with another home's URN finds nothing.
    anyone
        .get(&format!("/answer/SC100002/{token}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    anyone
        .post_form(&format!("/answer/SC200001/{token}"), &fields(&offer("10")))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.execute("UPDATE email_links SET expires_at = '2020-01-01T00:00:00Z' WHERE purpose = 'answer_request'")
        .await;
    anyone
        .get(&a1)
        .await
        .assert_status(StatusCode::GONE)
        .assert_contains("expired");
    anyone
        .post_form(&a1, &fields(&offer("10")))
        .await
        .assert_status(StatusCode::GONE);
}

#[tokio::test]
async fn a_signed_in_provider_answers_each_home_once_and_may_withdraw_an_offer() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get("/requests")
        .await
        .assert_contains(&reference)
        .assert_contains("not answered");
    let page = a.get(&format!("/requests/{reference}")).await;
    page.assert_contains("Alder House")
        .assert_contains("Birch Lodge")
        .assert_lacks("Cedar View")
        .assert_contains("Send the answer for Birch Lodge");
    let answer = format!("/requests/{reference}/homes/SC100002/answer");
    a.post_form(
        &answer,
        &[("answer", "cannot_offer"), ("reason", "matching")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    a.post_form(&answer, &fields(&offer("4000")))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("already been answered");
    assert_eq!(
        row(&app, &reference, "SC100002").await.reason.as_deref(),
        Some("matching")
    );
    let a1 = format!("/requests/{reference}/homes/SC100001/answer");
    a.post_form(&a1, &fields(&offer("4800")))
        .await
        .assert_status(StatusCode::SEE_OTHER);
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/withdraw"),
        &[],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let withdrawn = row(&app, &reference, "SC100001").await;
    assert_eq!(withdrawn.answer.as_deref(), Some("withdrawn"));
    assert!(withdrawn.withdrawn_at.is_some());
    // A withdrawn offer cannot be taken.
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "placed:SC100001")],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("has an offer standing");
}

#[tokio::test]
async fn a_provider_never_reaches_another_providers_home_or_answers() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &fields(&offer("4800")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.get(&format!("/requests/{reference}"))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Cedar View")
        .assert_lacks("Alder House")
        .assert_lacks("£4,800.00");
    // Another provider's home in the request is not found, as if absent.
    b.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &fields(&offer("1")),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    b.post_form(
        &format!("/requests/{reference}/homes/SC100001/withdraw"),
        &[],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    b.post_form(
        &format!("/requests/{reference}/decision"),
        &[("outcome", "withdrawn")],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    // The seeded request asked only A1: to provider B it does not exist,
    // like a reference never used.
    b.get(&format!("/requests/{}", app.seed.request_a))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    b.get("/requests/REQ-2026-9999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let mut b_api = app.api_client(Persona::ProviderB).await;
    b_api
        .put_json(
            &format!("/api/v1/requests/{reference}/answers/SC100001"),
            r#"{"answer": "withdrawn"}"#,
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let mine: Value = serde_json::from_str(
        &b_api
            .get(&format!("/api/v1/requests/{reference}"))
            .await
            .body,
    )
    .unwrap();
    let urns: Vec<&str> = mine["homes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["urn"].as_str().unwrap())
        .collect();
    assert_eq!(urns, ["SC200001"]);
    assert_eq!(
        row(&app, &reference, "SC100001").await.answer.as_deref(),
        Some("offer")
    );
}

#[tokio::test]
async fn another_council_never_sees_the_request_or_its_answers() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut dorset = app.signed_in(Persona::OtherCouncil).await;
    dorset
        .get(&format!("/requests/{reference}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    dorset
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "withdrawn")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    dorset.get("/requests").await.assert_lacks(&reference);
    dorset
        .get("/requests/export.csv")
        .await
        .assert_lacks(&reference);
    let mut api = app.api_client(Persona::OtherCouncil).await;
    api.get(&format!("/api/v1/requests/{reference}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    api.get("/api/v1/requests").await.assert_lacks(&reference);
    let status: String = bed_requests::Entity::find()
        .filter(bed_requests::Column::Reference.eq(reference.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status, "open");
}

#[tokio::test]
async fn the_officer_places_with_an_offer_and_every_other_provider_is_told() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &fields(&offer("4800")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.post_form(
        &format!("/requests/{reference}/homes/SC200001/answer"),
        &fields(&offer("5200")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut officer = app.signed_in(Persona::Placements).await;
    let sorted = officer
        .get(&format!("/requests/{reference}?sort=fee"))
        .await;
    let body = sorted.text();
    assert!(
        body.find("£4,800.00").unwrap() < body.find("£5,200.00").unwrap(),
        "lowest fee first"
    );
    officer
        .post_form(&format!("/requests/{reference}/decision"), &[])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Select the outcome");
    // First what the outcome will do, to confirm; nothing is recorded yet.
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "placed:SC200001")],
        )
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Confirm the outcome")
        .assert_contains("Placed with Cedar View (Brightside Homes Limited), £5,200.00 a week")
        .assert_contains("Brightside Homes Limited will be told its offer was accepted")
        .assert_contains("1 other provider will be told the child was placed elsewhere");
    assert!(emails(&app, "request_outcome").await.is_empty());
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "placed:SC200001"), ("confirmed", "yes")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let request = bed_requests::Entity::find()
        .filter(bed_requests::Column::Reference.eq(reference.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.status, "placed");
    assert_eq!(request.placed_home_id, Some(app.home("SC200001").await.id));
    assert!(request.decided_at.is_some());
    assert_eq!(request.decided_by.as_deref(), Some("Placements user"));
    let audited = audit_events::Entity::find()
        .filter(audit_events::Column::EntityId.eq(reference.as_str()))
        .filter(audit_events::Column::Action.eq("update"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the outcome audited");
    assert!(
        audited.after.unwrap().to_string().contains("placed"),
        "outcome and its time in the trail"
    );
    let accepted = emails(&app, "bed_request")
        .await
        .into_iter()
        .find(|e| e.subject.contains("accepted your offer"))
        .expect("the chosen provider told");
    assert_eq!(accepted.to_address, "provider-b@test.example");
    let elsewhere = emails(&app, "request_outcome").await;
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[0].to_address, "provider-a@test.example");
    assert!(elsewhere[0].subject.contains("placed elsewhere, thank you"));
    // Closed: no more answers, no second outcome.
    a.post_form(
        &format!("/requests/{reference}/homes/SC100002/answer"),
        &[("answer", "cannot_offer"), ("reason", "no_vacancy")],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
    .assert_contains("closed");
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "withdrawn")],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    officer
        .get(&format!("/requests/{reference}"))
        .await
        .assert_contains("Placed with Cedar View");
    a.get(&format!("/requests/{reference}"))
        .await
        .assert_contains("This request is closed: placed elsewhere")
        .assert_contains("Placed elsewhere")
        .assert_lacks("Offer accepted")
        .assert_lacks("Cedar View");
}

#[tokio::test]
async fn providers_who_have_not_answered_are_reminded_once_before_the_reply_by_time() {
    let app = crate::search::with_vacancies().await;
    // The seeded request is not this test's.
    app.execute("UPDATE bed_requests SET status = 'withdrawn'")
        .await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    for urn in ["SC100001", "SC100002"] {
        a.post_form(
            &format!("/requests/{reference}/homes/{urn}/answer"),
            &[("answer", "cannot_offer"), ("reason", "no_vacancy")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    }
    let request = bed_requests::Entity::find()
        .filter(bed_requests::Column::Reference.eq(reference.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let reply_by: DateTime<Utc> = request.reply_by.with_timezone(&Utc);
    // Cedar View changes hands after the request: the provider asked is
    // still the one reminded.
    app.execute(&format!(
        "UPDATE homes SET provider_id = {} WHERE urn = 'SC200001'",
        app.seed.provider_a_id
    ))
    .await;
    let settings = &app.state.settings;
    let remind = |at| sufficiency::requests::reminders::send_due(&app.db, settings, at);
    assert_eq!(
        remind(reply_by - Duration::hours(3)).await.unwrap(),
        0,
        "too early"
    );
    assert_eq!(remind(reply_by - Duration::minutes(90)).await.unwrap(), 1);
    assert_eq!(
        remind(reply_by - Duration::minutes(60)).await.unwrap(),
        0,
        "once"
    );
    let reminders: Vec<_> = emails(&app, "bed_request")
        .await
        .into_iter()
        .filter(|e| e.subject.starts_with("Reminder:"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(
        reminders[0].to_address, "provider-b@test.example",
        "A answered"
    );
    assert!(reminders[0].body_text.contains("/answer/SC200001/"));
}

#[tokio::test]
async fn the_requests_list_filters_and_exports() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut officer = app.signed_in(Persona::Commissioner).await;
    officer
        .get("/requests?stage=open")
        .await
        .assert_contains(&reference)
        .assert_contains(&app.seed.request_a);
    officer
        .get("/requests?stage=closed")
        .await
        .assert_lacks(&reference)
        .assert_contains("No requests here yet");
    officer
        .get("/requests?length=emergency")
        .await
        .assert_lacks(&reference);
    let csv = officer.get("/requests/export.csv?stage=open").await;
    csv.assert_status(StatusCode::OK);
    assert!(csv.body.contains("Reference,Sent,Sent by"), "{}", csv.body);
    assert!(csv.body.contains(&reference));
    assert!(
        csv.body
            .contains("Needs a school place; Needs a home without pets"),
        "{}",
        csv.body
    );
    let xlsx = officer.get("/requests/export.xlsx").await;
    xlsx.assert_status(StatusCode::OK);
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert_eq!(sheets[0].rows.len(), 3, "the heading and two requests");
}

#[tokio::test]
async fn requests_with_no_suitable_offer_count_as_unmet_demand_with_the_reasons() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.post_form(
        &format!("/requests/{reference}/homes/SC200001/answer"),
        &[
            ("answer", "cannot_offer"),
            ("reason", "does_not_meet_needs"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &fields(&offer("6000")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "no_suitable_offer"), ("confirmed", "yes")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    let page = commissioner.get("/search/demand").await;
    page.assert_contains("Requests that found no suitable offer")
        .assert_contains("1 closed with no suitable offer")
        .assert_contains("Girls aged 11 to 14")
        .assert_contains("Cannot meet the child");
    let csv = commissioner.get("/search/demand.csv").await;
    assert!(
        csv.body
            .contains("Request with no suitable offer,11 to 14,14,Girls,No particular needs,Any kind of home,20,1,BH1"),
        "{}",
        csv.body
    );
    // Every provider asked is told it closed.
    let closed = emails(&app, "request_outcome").await;
    assert_eq!(closed.len(), 2);
    assert!(
        closed
            .iter()
            .all(|e| e.subject.contains("closed without a placement"))
    );
    // The other council's demand page does not count it.
    let mut dorset = app.signed_in(Persona::OtherCouncil).await;
    dorset
        .get("/search/demand")
        .await
        .assert_contains("No request closed with no suitable offer");
}

#[tokio::test]
async fn commissioners_see_each_providers_answering_and_offers_in_the_fee_benchmark() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &fields(&offer("5100")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    let page = commissioner.get("/requests/providers").await;
    page.assert_contains("Acme Care Ltd")
        .assert_contains("Brightside Homes Limited")
        .assert_contains("No answers");
    let csv = commissioner.get("/requests/providers.csv").await;
    assert!(csv.body.contains("Median hours to answer"), "{}", csv.body);
    // Acme: the seeded request and this one, three homes asked, one offer.
    assert!(
        csv.body.contains("Acme Care Ltd,2,3,1,1,0,"),
        "{}",
        csv.body
    );
    commissioner
        .get(&format!("/requests/{reference}"))
        .await
        .assert_contains("after sending");
    commissioner
        .get("/capacity")
        .await
        .assert_contains("Offers to our requests")
        .assert_contains("£5,100.00");
    let fees = commissioner.get("/capacity/export.csv?table=fees").await;
    assert!(
        fees.body
            .contains("Offers to our requests,Children's home,1,5100"),
        "{}",
        fees.body
    );
}

#[tokio::test]
async fn the_api_sends_lists_answers_and_reads_requests() {
    let app = crate::search::with_vacancies().await;
    let mut council = app.api_client(Persona::Placements).await;
    let reply_by = (Utc::now() + Duration::hours(6)).to_rfc3339();
    let body = json!({
        "age": 14, "sex": "female", "postcode": "BH1 1AA", "miles": 20,
        "rating": "any", "confirm_below_good": true,
        "length": "emergency", "considerations": ["going_missing"],
        "reply_by": reply_by,
    });
    let sent = council
        .post_json("/api/v1/requests", &body.to_string())
        .await;
    sent.assert_status(StatusCode::CREATED);
    let sent: Value = serde_json::from_str(&sent.body).unwrap();
    let reference = sent["reference"].as_str().unwrap().to_string();
    let urns: Vec<&str> = sent["homes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["urn"].as_str().unwrap())
        .collect();
    assert_eq!(urns.len(), 2, "the homes the search found: {urns:?}");
    assert_eq!(sent["considerations"], json!(["going_missing"]));
    assert_eq!(sent["stage"], "open");

    let mut provider = app.api_client(Persona::ProviderA).await;
    let open: Value =
        serde_json::from_str(&provider.get("/api/v1/requests?open=true").await.body).unwrap();
    let listed: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&reference.as_str()), "{listed:?}");
    let path = format!("/api/v1/requests/{reference}/answers/SC100001");
    let refused = provider
        .put_json(&path, r#"{"answer": "offer", "weekly_fee": "cheap"}"#)
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("available_from"), "{}", refused.body);
    let answer = json!({
        "answer": "offer", "available_from": Utc::now().date_naive().to_string(),
        "weekly_fee": "4750.50", "note": "Can collect"
    });
    let answered = provider.put_json(&path, &answer.to_string()).await;
    answered.assert_status(StatusCode::OK);
    let answered: Value = serde_json::from_str(&answered.body).unwrap();
    assert_eq!(answered["homes"][0]["weekly_fee"], "4750.50");
    assert_eq!(
        answered["homes"][0]["contact"],
        Value::Null,
        "contacts are for the council"
    );
    provider
        .put_json(&path, &answer.to_string())
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("already been answered");

    let read: Value = serde_json::from_str(
        &council
            .get(&format!("/api/v1/requests/{reference}"))
            .await
            .body,
    )
    .unwrap();
    let a1 = read["homes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["urn"] == "SC100001")
        .unwrap();
    assert_eq!(a1["answer"], "offer");
    assert_eq!(a1["weekly_fee"], "4750.50");
    // Providers cannot send requests.
    provider
        .post_json("/api/v1/requests", &body.to_string())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let spec = app.client().get("/api/openapi.json").await;
    for path in [
        "\"/api/v1/requests\"",
        "\"/api/v1/requests/{reference}\"",
        "\"/api/v1/requests/{reference}/answers/{urn}\"",
    ] {
        assert!(spec.body.contains(path), "{path} in the OpenAPI document");
    }
}

#[tokio::test]
async fn a_real_smtp_server_receives_the_request_and_the_placed_elsewhere_emails() {
    use sufficiency::email::sender::{self, Transport};
    let app = crate::search::with_vacancies().await;
    let smtp = crate::support::smtp::TestSmtp::start();
    let mut settings = (*app.state.settings).clone();
    smtp.configure(&mut settings);
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let deliver = |at| sender::deliver_due(&app.db, &settings, &transport, "sender-1", at);
    let reference = send(&app).await;
    let round = deliver(Utc::now()).await.expect("deliver");
    assert_eq!(round.sent, 2);
    let received = smtp.received();
    let to_a = received
        .iter()
        .find(|m| m.to == ["provider-a@test.example"])
        .expect("provider A's request");
    assert!(to_a.data.contains(&reference), "{}", to_a.data);
    assert!(to_a.data.contains("/answer/SC100001/"), "{}", to_a.data);
    // The delivered link works; the stored copy's does not.
    let path = answer_path(&to_a.data.replace("=\r\n", ""), "SC100001");
    let stored = email_to_a(&app).await;
    assert!(
        stored
            .body_text
            .contains("/answer/SC100001/removed-after-sending")
    );
    let mut anyone = app.client();
    anyone
        .post_form(&path, &fields(&offer("4800")))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Answer sent");

    let mut b = app.signed_in(Persona::ProviderB).await;
    b.post_form(
        &format!("/requests/{reference}/homes/SC200001/answer"),
        &fields(&offer("5000")),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "placed:SC200001"), ("confirmed", "yes")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let round = deliver(Utc::now()).await.expect("deliver");
    assert_eq!(round.sent, 2);
    let received = smtp.received();
    let elsewhere = received
        .iter()
        .find(|m| m.data.contains("placed elsewhere, thank you"))
        .expect("the placed-elsewhere email");
    assert_eq!(elsewhere.to, ["provider-a@test.example"]);
    let accepted = received
        .iter()
        .find(|m| m.data.contains("accepted your offer"))
        .expect("the accepted email");
    assert_eq!(accepted.to, ["provider-b@test.example"]);
    assert_eq!(smtp.received().len(), 4, "each email once");
}

#[tokio::test]
async fn a_provider_merged_into_another_keeps_its_requests_with_the_survivor() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    commissioner
        .post_form(
            &format!("/organisations/{}/merge", app.seed.provider_b_id),
            &[("into", &app.seed.provider_a_id.to_string())],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        row(&app, &reference, "SC200001").await.provider_id,
        Some(app.seed.provider_a_id)
    );
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get(&format!("/requests/{reference}"))
        .await
        .assert_contains("Cedar View");
}

#[tokio::test]
async fn a_request_starts_from_a_search() {
    let app = TestApp::new().await;
    let mut officer = app.signed_in(Persona::Placements).await;
    let response = officer.get("/requests/new").await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/search"));
}

#[tokio::test]
async fn homes_below_the_rating_the_search_asked_are_not_asked() {
    let app = crate::search::with_vacancies().await;
    let good_only = "age=14&sex=female&postcode=BH1+1AA&miles=20";
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .get(&format!("/requests/new?{good_only}"))
        .await
        .assert_contains("Alder House (SC100001)")
        .assert_lacks("Cedar View (SC200001)");
    let [day, month, year] = tomorrow_parts();
    officer
        .post_form(
            "/requests/new",
            &[
                ("search", good_only),
                ("homes", "SC100001"),
                ("other_homes", "SC200001"),
                ("length", "long_term"),
                ("reply_day", &day),
                ("reply_month", &month),
                ("reply_year", &year),
                ("reply_time", "15:00"),
            ],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Cedar View (SC200001) is rated below what the search asked");
    let mut api = app.api_client(Persona::Placements).await;
    let body = json!({
        "age": 14, "sex": "female", "postcode": "BH1 1AA", "length": "long_term",
        "reply_by": (Utc::now() + Duration::hours(6)).to_rfc3339(),
    });
    let sent: Value = serde_json::from_str(
        &api.post_json("/api/v1/requests", &body.to_string())
            .await
            .body,
    )
    .unwrap();
    let urns: Vec<&str> = sent["homes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["urn"].as_str().unwrap())
        .collect();
    assert_eq!(
        urns,
        ["SC100001"],
        "the search's near miss on rating is not asked"
    );
}

#[tokio::test]
async fn an_offer_from_a_past_date_and_an_api_request_with_several_mistakes_are_refused_whole() {
    let app = crate::search::with_vacancies().await;
    let reference = send(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &[
            ("answer", "offer"),
            ("available_day", "1"),
            ("available_month", "1"),
            ("available_year", "2020"),
            ("weekly_fee", "5000"),
        ],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
    .assert_contains("must be today or later");
    assert_eq!(row(&app, &reference, "SC100001").await.answer, None);
    a.post_form(
        &format!("/requests/{reference}/homes/SC100001/answer"),
        &[("answer", "cannot_offer"), ("reason", "other")],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
    .assert_contains("Say why in the note when the reason is Other");

    let mut api = app.api_client(Persona::Placements).await;
    let refused = api
        .post_json(
            "/api/v1/requests",
            r#"{"age": 14, "sex": "x", "postcode": "BH1 1AA", "length": "forever", "reply_by": "2026-12-07 15:00"}"#,
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["\"length\"", "\"reply_by\"", "\"sex\""] {
        assert!(refused.body.contains(field), "{field} in {}", refused.body);
    }
    let mut provider = app.api_client(Persona::ProviderA).await;
    provider
        .get("/api/v1/requests?open=maybe")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_decided_request_sends_no_reminder_and_the_api_refuses_a_past_offer() {
    let app = crate::search::with_vacancies().await;
    app.execute("UPDATE bed_requests SET status = 'withdrawn'")
        .await;
    let reference = send(&app).await;
    let mut provider = app.api_client(Persona::ProviderA).await;
    provider
        .put_json(
            &format!("/api/v1/requests/{reference}/answers/SC100001"),
            r#"{"answer": "offer", "available_from": "2020-01-01", "weekly_fee": "4000"}"#,
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("today or later");
    let mut officer = app.signed_in(Persona::Placements).await;
    officer
        .post_form(
            &format!("/requests/{reference}/decision"),
            &[("outcome", "withdrawn"), ("confirmed", "yes")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let later = Utc::now() + Duration::hours(23);
    let queued = sufficiency::requests::reminders::send_due(&app.db, &app.state.settings, later)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}
