//! The quality gate: a home is flagged by Ofsted's data, by a provider's
//! report or by a council entry; a flag opens exactly one monitoring case;
//! Ofsted's data confirms or corrects reports; a later good inspection
//! proposes closing the case.

use std::io::Write;

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::auth::Viewer;
use sufficiency::db::entities::{audit_events, homes, inspections, monitoring_cases};
use sufficiency::ofsted::{self, ImportSummary};

use crate::support::{Persona, TestApp};

const HEADER: &str = "Web link,URN,Linked Education URN,Provision type,Registration date,Registration status,Name,Address 1,Address 2,Town,County,Postcode,Ofsted region,Government Office Region,Local authority,Parliamentary constituency,Sector,Places,Short-break-only children's home,Multi-building children's home,Organisation which owns the provider,Latest full inspection event type,Latest full inspection date,Latest full inspection publication date,Latest full inspection event number,Overall experiences and progress of children and young people,Outcomes in education and related learning activities,Health services,How well children and young people are helped and protected,The effectiveness of leaders and managers";

/// One row of Ofsted's provider file: a home with its latest full inspection.
struct Row<'a> {
    urn: &'a str,
    name: &'a str,
    council: &'a str,
    date: &'a str,
    event: &'a str,
    overall: &'a str,
    helped: &'a str,
}

async fn import(app: &TestApp, rows: &[Row<'_>]) -> ImportSummary {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    writeln!(file, "{HEADER}").expect("write");
    for r in rows {
        writeln!(
            file,
            "Link,{},,Children's home,01/04/2015,Active,{},1 Road,,Poole,,BH15 1AA,South West,South West,\"{}\",Poole,Private,3,,,Acme Care Ltd,Full inspection,{},{},{},{},,,{},Good",
            r.urn, r.name, r.council, r.date, r.date, r.event, r.overall, r.helped
        )
        .expect("write");
    }
    let parsed = ofsted::read_file(file.path(), &app.state.sandbox)
        .await
        .expect("parse");
    ofsted::import(
        &app.db,
        &Viewer::system("test"),
        &parsed,
        &app.state.settings,
    )
    .await
    .expect("import")
}

fn birch(date: &'static str, event: &'static str, overall: &'static str) -> Row<'static> {
    Row {
        urn: "SC100002",
        name: "Birch Lodge",
        council: "Bournemouth, Christchurch and Poole",
        date,
        event,
        overall,
        helped: "Good",
    }
}

async fn home_id(app: &TestApp, urn: &str) -> i64 {
    app.home(urn).await.id
}

async fn cases_of(app: &TestApp, urn: &str) -> Vec<monitoring_cases::Model> {
    monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.eq(home_id(app, urn).await))
        .all(&app.db)
        .await
        .unwrap()
}

async fn report(
    client: &mut crate::support::Client<'_>,
    urn: &str,
    date: [&str; 3],
    overall: &str,
    helped: &str,
) -> crate::support::Response {
    client
        .post_form(
            &format!("/homes/{urn}/inspections/new"),
            &[
                ("event_type", "full"),
                ("date_day", date[0]),
                ("date_month", date[1]),
                ("date_year", date[2]),
                ("overall", overall),
                ("helped_protected", helped),
                ("leaders_managers", ""),
                ("report_url", ""),
            ],
        )
        .await
}

#[tokio::test]
async fn an_ofsted_downgrade_flags_the_home_and_opens_one_case_however_often_it_is_imported() {
    let app = TestApp::new().await;
    let first = import(
        &app,
        &[birch(
            "10/06/2026",
            "20000001",
            "Requires improvement to be good",
        )],
    )
    .await;
    assert_eq!(first.cases_opened, 1, "{first}");
    for _ in 0..2 {
        let again = import(
            &app,
            &[birch(
                "10/06/2026",
                "20000001",
                "Requires improvement to be good",
            )],
        )
        .await;
        assert_eq!(again.cases_opened, 0);
    }
    let cases = cases_of(&app, "SC100002").await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].reason, "rating");
    assert_eq!(cases[0].status, "open");

    let mut c = app.signed_in(Persona::Commissioner).await;
    let flagged = c.get("/homes?rating=flagged").await;
    flagged.assert_contains("Birch Lodge");
    assert!(
        !flagged.text().contains("Alder House"),
        "Alder House is Good"
    );
    let home = c.get("/homes/SC100002").await;
    home.assert_contains("Flagged: Requires improvement")
        .assert_contains("Monitoring case: Open");
    assert!(
        home.body
            .contains(&format!("href=\"/cases/{}\"", cases[0].id))
    );
    c.get("/returns").await.assert_contains("Flagged");
    c.get("/cases").await.assert_contains("Birch Lodge");
    c.get(&format!("/organisations/{}", app.seed.provider_a_id))
        .await
        .assert_contains("Flagged");
    // The provider sees the flag on its week's list too.
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get("/").await.assert_contains("Flagged");
}

#[tokio::test]
async fn an_inadequate_judgement_area_flags_a_home_rated_good() {
    let app = TestApp::new().await;
    let mut row = birch("10/06/2026", "20000002", "Good");
    row.helped = "Inadequate";
    import(&app, &[row]).await;
    let cases = cases_of(&app, "SC100002").await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].reason, "judgement");
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/homes/SC100002")
        .await
        .assert_contains("How well children and young people are helped and protected: Inadequate");
}

#[tokio::test]
async fn a_flagged_home_elsewhere_without_our_children_gets_no_case() {
    let app = TestApp::new().await;
    let summary = import(
        &app,
        &[Row {
            urn: "SC300001",
            name: "Distant House",
            council: "Somerset",
            date: "10/06/2026",
            event: "20000003",
            overall: "Inadequate",
            helped: "Inadequate",
        }],
    )
    .await;
    assert_eq!(summary.cases_opened, 0);
    assert!(cases_of(&app, "SC300001").await.is_empty());
    // Still flagged wherever it is listed.
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/homes?rating=flagged&council=all")
        .await
        .assert_contains("Distant House");
}

#[tokio::test]
async fn a_provider_report_flags_the_home_at_once_and_a_commissioner_confirms_it() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let done = report(
        &mut a,
        "SC100002",
        ["2", "11", "2026"],
        "inadequate",
        "inadequate",
    )
    .await;
    done.assert_status(StatusCode::SEE_OTHER);
    a.get("/homes/SC100002")
        .await
        .assert_contains("Reported by provider, awaiting confirmation")
        .assert_contains("Flagged: Inadequate");
    assert_eq!(cases_of(&app, "SC100002").await.len(), 1);

    let id = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home_id(&app, "SC100002").await))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    // The provider cannot confirm its own report.
    a.post_form(&format!("/homes/SC100002/inspections/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.post_form(&format!("/homes/SC100002/inspections/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    c.get("/homes/SC100002")
        .await
        .assert_contains("Reported by provider, confirmed");
    // The case's reason reads as the inspection stands now, and its plan
    // upload speaks to council staff as council staff.
    let case = cases_of(&app, "SC100002").await[0].id;
    let page = c.get(&format!("/cases/{case}")).await;
    page.assert_contains("Reported by provider, confirmed inspection on 2 November 2026")
        .assert_contains("Council staff and the home's provider can download it");
    page.assert_lacks("awaiting confirmation inspection");
    page.assert_lacks("your organisation can download it");
}

#[tokio::test]
async fn a_report_is_checked_and_explained() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let page = report(&mut a, "SC100002", ["2", "11", "2099"], "", "sa_weak").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is a problem")
        .assert_contains("The inspection date must be today or in the past")
        .assert_contains("a full inspection always has one")
        .assert_contains("Select a judgement on this home's scale");
    let page = report(&mut a, "SC100002", ["31", "2", "2026"], "good", "").await;
    page.assert_contains("Inspection date must be a real date");
    let page = a
        .post_form(
            "/homes/SC100002/inspections/new",
            &[
                ("event_type", "full"),
                ("date_day", "2"),
                ("date_month", "11"),
                ("date_year", "2026"),
                ("overall", "good"),
                ("report_url", "javascript:alert(1)"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("starting https://reports.ofsted.gov.uk/");
    // Another provider cannot report on A's home.
    let mut b = app.signed_in(Persona::ProviderB).await;
    report(&mut b, "SC100002", ["2", "11", "2026"], "good", "")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert!(cases_of(&app, "SC100002").await.is_empty());
}

#[tokio::test]
async fn ofsted_data_corrects_a_provider_report_and_shows_the_difference() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    report(&mut a, "SC100002", ["10", "6", "2026"], "good", "good")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(cases_of(&app, "SC100002").await.is_empty());
    let summary = import(
        &app,
        &[birch(
            "10/06/2026",
            "20000004",
            "Requires improvement to be good",
        )],
    )
    .await;
    assert_eq!(summary.reports_corrected.len(), 1, "{summary}");
    assert_eq!(
        summary.inspections_added, 0,
        "the report became Ofsted's record"
    );
    let rows = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home_id(&app, "SC100002").await))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "ofsted");
    assert_eq!(rows[0].event_number.as_deref(), Some("20000004"));
    assert_eq!(
        rows[0].ofsted_difference.as_deref(),
        Some("overall: reported Good, Ofsted Requires improvement")
    );
    // Corrected to below good: flagged, with a case.
    assert_eq!(cases_of(&app, "SC100002").await.len(), 1);
    a.get("/homes/SC100002")
        .await
        .assert_contains("Corrected by Ofsted")
        .assert_contains("overall: reported Good, Ofsted Requires improvement");
}

#[tokio::test]
async fn ofsted_data_that_agrees_confirms_a_report() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    report(&mut a, "SC100002", ["10", "6", "2026"], "good", "good")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let summary = import(&app, &[birch("10/06/2026", "20000005", "Good")]).await;
    assert_eq!(summary.reports_confirmed, 1);
    let row = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home_id(&app, "SC100002").await))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.verified);
    assert_eq!(row.ofsted_difference, None);
    assert_eq!(row.confirmed_by.as_deref(), Some("Ofsted data"));
}

#[tokio::test]
async fn a_council_entry_flags_and_a_later_good_inspection_proposes_closing() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    report(&mut c, "SC100002", ["1", "3", "2026"], "inadequate", "")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let cases = cases_of(&app, "SC100002").await;
    assert_eq!(cases.len(), 1);
    let id = cases[0].id;
    // A later full inspection judges it Good.
    report(&mut c, "SC100002", ["1", "5", "2026"], "good", "")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let case = &cases_of(&app, "SC100002").await[0];
    assert_eq!(case.status, "close_proposed");
    assert!(
        case.close_proposal
            .as_deref()
            .unwrap_or_default()
            .contains("judged the home Good")
    );
    c.get(&format!("/cases/{id}"))
        .await
        .assert_contains("Close proposed")
        .assert_contains("judged the home Good");
    c.post_form(
        &format!("/cases/{id}/close"),
        &[("closing_note", "Good at re-inspection")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let closed = &cases_of(&app, "SC100002").await[0];
    assert_eq!(closed.status, "closed");
    // Closed cases stay readable, unchangeable.
    c.get(&format!("/cases/{id}"))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Good at re-inspection");
    c.post_form(&format!("/cases/{id}/notes"), &[("note", "late")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    c.post_form(
        &format!("/cases/{id}/actions"),
        &[("action_description", "x"), ("action_owner", "provider")],
    )
    .await
    .assert_status(StatusCode::BAD_REQUEST);
    // A new downgrade opens a new case: one open at a time.
    report(
        &mut c,
        "SC100002",
        ["1", "9", "2026"],
        "requires_improvement",
        "",
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let all = cases_of(&app, "SC100002").await;
    assert_eq!(all.len(), 2);
    assert_eq!(all.iter().filter(|c| c.status != "closed").count(), 1);
}

#[tokio::test]
async fn a_home_that_closes_gets_its_case_close_proposed() {
    let app = TestApp::new().await;
    import(&app, &[birch("10/06/2026", "20000006", "Inadequate")]).await;
    assert_eq!(cases_of(&app, "SC100002").await[0].status, "open");
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    writeln!(file, "{HEADER}").unwrap();
    writeln!(file, "Link,SC100002,,Children's home,01/04/2015,Closed,Birch Lodge,1 Road,,Poole,,BH15 1AA,South West,South West,\"Bournemouth, Christchurch and Poole\",Poole,Private,3,,,Acme Care Ltd,Full inspection,10/06/2026,10/06/2026,20000006,Inadequate,,,Good,Good").unwrap();
    let parsed = ofsted::read_file(file.path(), &app.state.sandbox)
        .await
        .unwrap();
    let summary = ofsted::import(
        &app.db,
        &Viewer::system("test"),
        &parsed,
        &app.state.settings,
    )
    .await
    .unwrap();
    assert_eq!(summary.cases_close_proposed, 1, "{summary}");
    let case = &cases_of(&app, "SC100002").await[0];
    assert_eq!(case.status, "close_proposed");
    assert!(
        case.close_proposal
            .as_deref()
            .unwrap_or_default()
            .contains("registration is closed")
    );
    assert_eq!(
        monitoring_cases::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        2,
        "the seeded case and this one"
    );
}

async fn wait_for_import(
    c: &mut crate::support::Client<'_>,
    path: &str,
) -> crate::support::Response {
    for _ in 0..200 {
        let page = c.get(path).await;
        if !page.text().contains("Importing") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {path} did not finish");
}

#[tokio::test]
async fn a_commissioner_imports_ofsteds_file_from_the_web_and_reads_the_change_report() {
    let app = TestApp::new().await;
    // Our children live at Alder House.
    let mut a = app.signed_in(Persona::ProviderA).await;
    let week = sufficiency::returns::this_week();
    crate::returns::file(
        &mut a,
        &app.seed.home_a1,
        &week,
        &crate::returns::a1_fields(&week),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let mut csv = format!("{HEADER}\n");
    for (urn, name, council, event, overall) in [
        (
            "SC100001",
            "Alder House",
            "Bournemouth, Christchurch and Poole",
            "20000010",
            "Inadequate",
        ),
        (
            "SC300002",
            "New Meadow",
            "Bournemouth, Christchurch and Poole",
            "20000011",
            "Good",
        ),
    ] {
        csv.push_str(&format!(
            "Link,{urn},,Children's home,01/04/2015,Active,{name},1 Road,,Poole,,BH15 1AA,South West,South West,\"{council}\",Poole,Private,3,,,Acme Care Ltd,Full inspection,10/06/2026,10/06/2026,{event},{overall},,,Good,Good\n"
        ));
    }
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/imports/ofsted")
        .await
        .assert_contains("No file has been imported from here yet");
    let started = c
        .post_file("/imports/ofsted", "providers.csv", csv.as_bytes())
        .await;
    started.assert_status(StatusCode::SEE_OTHER);
    let path = started.location().expect("redirect").to_string();
    let report = wait_for_import(&mut c, &path).await;
    report
        .assert_contains("Imported: what changed")
        .assert_contains("Downgrades (1)")
        .assert_contains("Alder House (SC100001)")
        .assert_contains("New inspections of homes where our children live (1)")
        .assert_contains("New registrations (1)")
        .assert_contains("New Meadow (SC300002)")
        // Alder House already has an open case (the seeded concern): the
        // downgrade joins it rather than opening another.
        .assert_contains("0 monitoring cases opened");
    assert_eq!(cases_of(&app, "SC100001").await.len(), 1);
    c.get("/imports/ofsted")
        .await
        .assert_contains("providers.csv");

    // A file that is not Ofsted's fails with the reason and applies nothing.
    let started = c
        .post_file("/imports/ofsted", "rota.csv", b"Name,Shift\nSam,Late\n")
        .await;
    let page = wait_for_import(&mut c, started.location().expect("redirect")).await;
    page.assert_contains("The import did not finish")
        .assert_contains("Nothing from this file was applied");
    let page = c.post_file("/imports/ofsted", "notes.txt", b"hello").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("must be a .csv");
}

#[tokio::test]
async fn not_yet_inspected_and_registration_pending_are_distinct() {
    let app = TestApp::new().await;
    let b1 = app.home("SC200001").await;
    let mut model: homes::ActiveModel = b1.into();
    model.registration_status = sea_orm::ActiveValue::Set("registration_pending".into());
    sea_orm::ActiveModelTrait::update(model, &app.db)
        .await
        .unwrap();
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/homes")
        .await
        .assert_contains("Registration pending")
        .assert_contains("Not yet inspected");
    c.get("/homes/SC200001")
        .await
        .assert_contains("Registration pending");
    c.get("/homes/SC100002")
        .await
        .assert_contains("Registered, not yet inspected");
}

/// Birch Lodge rated Requires improvement by Ofsted on 10 June 2026, with
/// its monitoring case open; then its provider reports a full inspection
/// judging it Good on 1 November 2026. Returns the case and the report.
async fn flagged_then_reported_good(app: &TestApp) -> (i64, i64) {
    import(
        app,
        &[birch(
            "10/06/2026",
            "20000010",
            "Requires improvement to be good",
        )],
    )
    .await;
    let cases = cases_of(app, "SC100002").await;
    assert_eq!(cases.len(), 1);
    let mut a = app.signed_in(Persona::ProviderA).await;
    report(&mut a, "SC100002", ["1", "11", "2026"], "good", "good")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let reported = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home_id(app, "SC100002").await))
        .filter(inspections::Column::Source.eq("provider"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!reported.verified);
    (cases[0].id, reported.id)
}

async fn home_json(app: &TestApp) -> serde_json::Value {
    let mut api = app.api_client(Persona::ProviderA).await;
    let response = api.get("/api/v1/homes/SC100002").await;
    response.assert_status(StatusCode::OK);
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn a_provider_report_of_good_keeps_the_flag_until_a_commissioner_confirms_it() {
    let app = TestApp::new().await;
    let (case_id, report_id) = flagged_then_reported_good(&app).await;

    // The report is shown beside the rating; the flag and the case stay.
    let home = home_json(&app).await;
    assert_eq!(home["flagged"], true, "{home}");
    assert_eq!(home["rating"]["judgement"], "requires_improvement");
    assert_eq!(home["rating"]["source"], "ofsted");
    assert_eq!(home["pending_report"]["judgement"], "good");
    assert_eq!(home["pending_report"]["source"], "provider");
    assert_eq!(home["pending_report"]["confirmed"], false);
    assert_eq!(
        home["rating_summary"],
        "Requires improvement (Ofsted, 10 June 2026); provider reports Good on 1 November 2026, awaiting confirmation"
    );
    let case = &cases_of(&app, "SC100002").await[0];
    assert_eq!(
        case.status, "open",
        "no close is proposed on a provider's word"
    );
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/homes/SC100002")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Flagged: Requires improvement")
        .assert_contains("Requires improvement (Ofsted, 10 June 2026); provider reports Good on 1 November 2026, awaiting confirmation");
    c.get(&format!("/cases/{case_id}"))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("provider reports Good on 1 November 2026, awaiting confirmation");
    c.get("/homes?rating=flagged")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Birch Lodge");

    // Confirmed by a commissioner, it counts: the flag lifts, a close is
    // proposed, and the audit trail says who confirmed.
    c.post_form(
        &format!("/homes/SC100002/inspections/{report_id}/confirm"),
        &[],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let home = home_json(&app).await;
    assert_eq!(home["flagged"], false, "{home}");
    assert_eq!(home["rating"]["judgement"], "good");
    assert_eq!(home["rating"]["confirmed"], true);
    assert!(home["pending_report"].is_null());
    assert_eq!(cases_of(&app, "SC100002").await[0].status, "close_proposed");
    let confirmed = audit_events::Entity::find()
        .filter(audit_events::Column::Summary.eq("Provider's report for SC100002 confirmed"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(confirmed.actor, "commissioner@test.example");
}

#[tokio::test]
async fn ofsted_data_contradicting_a_provider_report_keeps_the_flag() {
    let app = TestApp::new().await;
    flagged_then_reported_good(&app).await;
    let summary = import(
        &app,
        &[birch(
            "01/11/2026",
            "20000011",
            "Requires improvement to be good",
        )],
    )
    .await;
    assert_eq!(summary.reports_corrected.len(), 1, "{summary}");
    let home = home_json(&app).await;
    assert_eq!(home["flagged"], true, "{home}");
    assert_eq!(home["rating"]["source"], "ofsted");
    assert_eq!(home["rating"]["inspection_date"], "2026-11-01");
    assert!(home["pending_report"].is_null());
    assert_eq!(cases_of(&app, "SC100002").await[0].status, "open");
}

#[tokio::test]
async fn closing_a_case_on_an_unconfirmed_report_asks_to_confirm_it_first() {
    let app = TestApp::new().await;
    let (case_id, report_id) = flagged_then_reported_good(&app).await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get(&format!("/cases/{case_id}"))
        .await
        .assert_contains("The home is flagged until the reported inspection is confirmed")
        .assert_contains("Confirm this inspection and close the case");

    // Closing without confirming is refused, and nothing changes.
    let refused = c
        .post_form(
            &format!("/cases/{case_id}/close"),
            &[("closing_note", "The provider says it is Good now")],
        )
        .await;
    refused
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is a problem")
        .assert_contains("Confirm the reported inspection to close the case");
    assert_eq!(cases_of(&app, "SC100002").await[0].status, "open");
    let report = inspections::Entity::find_by_id(report_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!report.verified);

    // Both steps on one page: confirmed and closed, each audited.
    c.post_form(
        &format!("/cases/{case_id}/close"),
        &[
            ("closing_note", "Good at re-inspection, report checked"),
            ("confirm_report", &report_id.to_string()),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let case = &cases_of(&app, "SC100002").await[0];
    assert_eq!(case.status, "closed");
    let report = inspections::Entity::find_by_id(report_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(report.verified);
    assert_eq!(report.confirmed_by.as_deref(), Some("Commissioner user"));
    let trail: Vec<String> = audit_events::Entity::find()
        .filter(audit_events::Column::Actor.eq("commissioner@test.example"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.summary)
        .collect();
    assert!(
        trail
            .iter()
            .any(|s| s == "Provider's report for SC100002 confirmed"),
        "{trail:?}"
    );
    assert!(
        trail.iter().any(|s| s == "Monitoring case closed"),
        "{trail:?}"
    );
    assert_eq!(home_json(&app).await["flagged"], false);
}

/// The change report of a file naming homes all over: ours in full first,
/// the rest of England's a few at a time with their own pages.
#[tokio::test]
async fn the_change_report_starts_with_our_area_and_pages_the_rest_of_england() {
    let app = TestApp::new().await;
    // A region of BCP alone, so that most of the file is elsewhere.
    app.execute(&format!(
        "DELETE FROM council_members WHERE organisation_id = {}",
        app.seed.other_council_id
    ))
    .await;
    let bytes = std::fs::read(crate::support::repo_path(
        "data/demo/ofsted/providers_at_31_march_2023.csv",
    ))
    .unwrap();
    let mut c = app.signed_in(Persona::Commissioner).await;
    let started = c
        .post_file("/imports/ofsted", "providers_at_31_march_2023.csv", &bytes)
        .await;
    let path = started.location().expect("redirect").to_string();
    let report = wait_for_import(&mut c, &path).await;
    let text = report.text();
    let section = &text[text.find("New registrations (116)").expect("116 new")..];
    let ours_at = section
        .find("In our area or where our children live")
        .unwrap();
    let elsewhere_at = section.find("Elsewhere in England (").unwrap();
    assert!(ours_at < elsewhere_at, "ours first: {section}");
    // BCP's homes are ours; Hampshire's, Dorset's and Southampton's are not.
    let ours = &section[ours_at..elsewhere_at];
    assert!(ours.contains("Kings Bournemouth (1233894)"), "{ours}");
    assert!(section.contains("See all"), "{section}");
    let all = c
        .get(&format!("{path}?list=new-registrations&page=2"))
        .await;
    all.assert_status(StatusCode::OK)
        .assert_contains("New registrations elsewhere in England")
        .assert_contains("Showing 101 to");
}
