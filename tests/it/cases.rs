//! Monitoring cases: plan, actions, meetings, escalation and notes; what the
//! provider may see and do; the commissioner's list and export; plan PDFs.

use axum::http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use sufficiency::db::entities::{case_actions, case_files, case_meetings};

use crate::support::{Persona, TestApp};

fn case_path(app: &TestApp, rest: &str) -> String {
    format!("/cases/{}{rest}", app.seed.case_a)
}

#[tokio::test]
async fn council_notes_and_escalation_are_never_shown_to_the_provider() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.post_form(
        &case_path(&app, "/notes"),
        &[("note", "Council eyes only: staffing worry")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    c.post_form(
        &case_path(&app, "/escalations"),
        &[
            ("escalation_level", "1"),
            ("escalation_reason", "No plan after 28 days"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    c.get(&case_path(&app, ""))
        .await
        .assert_contains("Council eyes only: staffing worry")
        .assert_contains("Service manager (current)")
        .assert_contains("No plan after 28 days");

    let mut a = app.signed_in(Persona::ProviderA).await;
    let page = a.get(&case_path(&app, "")).await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Send the staffing plan");
    for secret in [
        "Council eyes only",
        "No plan after 28 days",
        "Service manager",
        "Council notes",
    ] {
        page.assert_lacks(secret);
    }
    // Nor can the provider write them, or reach another provider's case.
    a.post_form(&case_path(&app, "/notes"), &[("note", "x")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.get(&case_path(&app, ""))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    b.get(&case_path(
        &app,
        &format!("/plan/files/{}", app.seed.plan_file_a),
    ))
    .await
    .assert_status(StatusCode::FORBIDDEN);
    b.get("/cases/999999")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let list = b.get("/cases").await;
    list.assert_contains("None of your homes has a monitoring case");
}

#[tokio::test]
async fn the_provider_updates_its_actions_and_the_plan() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &case_path(&app, &format!("/actions/{}", app.seed.action_a)),
        &[("status", "done")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let action = case_actions::Entity::find_by_id(app.seed.action_a)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.status, "done");
    assert_eq!(action.updated_by, "ProviderA user");
    a.post_form(
        &case_path(&app, "/plan"),
        &[
            ("plan_received_day", "20"),
            ("plan_received_month", "11"),
            ("plan_received_year", "2026"),
            ("plan_summary", "Recruit a deputy manager"),
            ("plan_url", "https://provider.example/plan"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    a.get(&case_path(&app, ""))
        .await
        .assert_contains("20 November 2026")
        .assert_contains("Recruit a deputy manager");
    // Only council staff add actions, or change the council's own.
    let txn = sufficiency::db::begin_write(&app.db).await.unwrap();
    let system = sufficiency::auth::Viewer::system("test");
    let detail = sufficiency::cases::find(&txn, &system, app.seed.case_a)
        .await
        .unwrap();
    let council_action = sufficiency::cases::activity::add_action(
        &txn,
        &system,
        &detail,
        sufficiency::cases::activity::NewAction {
            description: "Visit unannounced".into(),
            owner: sufficiency::cases::activity::Owner::Council,
            due_on: None,
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    a.post_form(
        &case_path(&app, &format!("/actions/{}", council_action.id)),
        &[("status", "done")],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    a.post_form(
        &case_path(&app, "/actions"),
        &[("action_description", "x"), ("action_owner", "council")],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let page = a
        .post_form(
            &case_path(&app, "/plan"),
            &[("plan_url", "http://insecure.example")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Enter a link starting https://");
}

#[tokio::test]
async fn meetings_fall_due_a_month_later_and_show_as_overdue() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let held = chrono::Utc::now().date_naive() - chrono::Duration::days(70);
    let (d, m, y) = (
        held.format("%-d").to_string(),
        held.format("%-m").to_string(),
        held.format("%Y").to_string(),
    );
    c.post_form(
        &case_path(&app, "/meetings"),
        &[
            ("meeting_held_day", &d),
            ("meeting_held_month", &m),
            ("meeting_held_year", &y),
            ("meeting_attendees", "Commissioner, registered manager"),
            ("meeting_notes", "Staffing improving"),
            ("meeting_rag", "amber"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let meeting = case_meetings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        meeting.next_due_on,
        held.checked_add_months(chrono::Months::new(1)).unwrap()
    );
    c.get(&case_path(&app, ""))
        .await
        .assert_contains("Staffing improving")
        .assert_contains("Overdue");
    c.get("/cases?overdue=yes")
        .await
        .assert_contains("Alder House");
    // The provider reads the meeting's notes.
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get(&case_path(&app, ""))
        .await
        .assert_contains("Staffing improving");

    let page = c
        .post_form(&case_path(&app, "/meetings"), &[("meeting_rag", "purple")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Enter the meeting date")
        .assert_contains("Select red, amber or green")
        .assert_contains("Enter who attended");
}

#[tokio::test]
async fn plan_pdfs_are_checked_and_served_as_attachments() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let upload = case_path(&app, "/plan/files");
    let page = a
        .post_file(&upload, "plan.pdf", b"<html><script>x</script>")
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("is not a PDF");
    let page = a.post_file(&upload, "plan.exe", b"%PDF-1.7").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("must be a PDF");
    let mut too_big = b"%PDF-1.7\n".to_vec();
    too_big.resize(5 * 1024 * 1024 + 1, b'x');
    let page = a.post_file(&upload, "big.pdf", &too_big).await;
    assert!(matches!(page.status.as_u16(), 413 | 422), "{}", page.status);
    assert_eq!(case_files::Entity::find().count(&app.db).await.unwrap(), 1);

    a.post_file(&upload, "../../Improvement plan.pdf", b"%PDF-1.7 the plan")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = a.get(&case_path(&app, "")).await;
    page.assert_contains("Improvement plan.pdf");
    let mut c = app.signed_in(Persona::Placements).await;
    let file = c
        .get(&case_path(
            &app,
            &format!("/plan/files/{}", app.seed.plan_file_a),
        ))
        .await;
    file.assert_status(StatusCode::OK);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert!(
        file.header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment")
    );
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn the_case_list_puts_homes_with_our_children_first_and_exports() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    // A second case, on B1, where our children live.
    c.post_form(
        &format!("/homes/{}/cases/new", app.seed.home_b1),
        &[
            ("reason", "monitoring_visit"),
            ("note", "Unannounced visit"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut b = app.signed_in(Persona::ProviderB).await;
    let week = sufficiency::returns::this_week();
    b.post_form(
        &format!("/homes/{}/returns/{week}", app.seed.home_b1),
        &[
            ("idempotency_key", "case-list-test"),
            ("vacancy_groups", "0"),
            ("occupied_E06000058", "1"),
            ("occupied_outside_region", "1"),
            ("action", "file"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let list = c.get("/cases").await;
    let text = list.text();
    let cedar = text.find("Cedar View").expect("Cedar View listed");
    let alder = text.find("Alder House").expect("Alder House listed");
    assert!(cedar < alder, "homes with our children come first");
    c.get("/cases?ours=yes").await.assert_contains("Cedar View");
    assert!(
        !c.get("/cases?ours=yes")
            .await
            .text()
            .contains("Alder House")
    );
    // Opening again finds the open case.
    let again = c
        .post_form(
            &format!("/homes/{}/cases/new", app.seed.home_b1),
            &[("reason", "safeguarding"), ("note", "Another concern")],
        )
        .await;
    again.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        sufficiency::db::entities::monitoring_cases::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        2
    );

    let csv = c.get("/cases/export.csv").await;
    assert!(
        csv.body
            .trim_start_matches('\u{feff}')
            .starts_with("Case,URN,Home"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("Cedar View") && csv.body.contains("Monitoring visit"));
    let xlsx = c.get("/cases/export.xlsx").await;
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert_eq!(sheets[0].rows.len(), 3);
    // Provider B sees its own case only, without the council's columns.
    let own = b.get("/cases").await;
    own.assert_contains("Cedar View");
    own.assert_lacks("Alder House");
    own.assert_lacks("Escalation");
}
