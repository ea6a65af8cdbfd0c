//! Scheduled work as the people on the other end see it: Monday's request
//! with one-click "no change" links, Tuesday's reminder and non-filers
//! list, the morning digest, rating and overdue alerts, the monthly
//! summary; each run once per period (twice in a row, or two instances at
//! once, make one set of emails); missed runs caught up; one-click links
//! valid once, not after expiry, not altered, not for another home;
//! unsubscribe respected.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::London;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use sufficiency::db::entities::{outbox_emails, returns};
use sufficiency::jobs::{self, Due, Job};
use sufficiency::returns::this_week;

use crate::support::{Persona, TestApp};

/// A UK local time as an instant.
fn uk(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    London
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a UK time")
        .with_timezone(&Utc)
}

/// Monday 08:00 of this week, UK time.
fn this_monday_8am() -> DateTime<Utc> {
    let monday = this_week().monday();
    London
        .from_local_datetime(&monday.and_hms_opt(8, 0, 0).expect("time"))
        .single()
        .expect("a UK time")
        .with_timezone(&Utc)
}

async fn emails(app: &TestApp, category: &str) -> Vec<outbox_emails::Model> {
    outbox_emails::Entity::find()
        .filter(outbox_emails::Column::Category.eq(category))
        .all(&app.db)
        .await
        .expect("outbox")
}

/// Files a full home's return for a week over the API as provider A (the
/// seed's homes have 4 places).
async fn file(app: &TestApp, urn: &str, week: importers::vocab::IsoWeek, ours: u32) {
    let mut api = app.api_client(Persona::ProviderA).await;
    let body = json!({ "occupied_ours": ours, "occupied_other": 4 - ours, "vacancies": [] });
    let response = api
        .put_json(
            &format!("/api/v1/homes/{urn}/returns/{week}"),
            &body.to_string(),
        )
        .await;
    assert!(response.status.is_success(), "{}", response.text());
}

async fn run(app: &TestApp, job: Job, at: DateTime<Utc>) -> Option<usize> {
    jobs::run(&app.db, &app.state.settings, &Due::at(job, at), at)
        .await
        .expect("job runs")
}

/// The one-click path in an email's text.
fn one_click_path(text: &str, urn: &str) -> String {
    let start = text
        .find(&format!("/one-click/{urn}/"))
        .unwrap_or_else(|| panic!("no one-click link for {urn} in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .expect("path")
        .to_string()
}

#[tokio::test]
async fn monday_requests_list_each_providers_homes_with_one_click_links() {
    let app = TestApp::new().await;
    let a1 = app.seed.home_a1.clone();
    file(&app, &a1, this_week().plus(-1), 2).await;
    let queued = run(&app, Job::ReturnRequest, this_monday_8am()).await;
    assert_eq!(queued, Some(2), "one email to each provider contact");
    let sent = emails(&app, "return_request").await;
    let to_a = sent
        .iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("A");
    let to_b = sent
        .iter()
        .find(|e| e.to_address == "provider-b@test.example")
        .expect("B");
    assert!(
        to_a.subject.contains(&this_week().to_string()),
        "{}",
        to_a.subject
    );
    assert!(to_a.body_text.contains(&a1), "{}", to_a.body_text);
    assert!(
        to_a.body_text
            .contains("No change since last week: http://localhost:8080/one-click/")
    );
    assert!(to_a.body_html.contains("No change since last week</a>"));
    assert!(
        to_a.body_text.contains(&format!(
            "/homes/{}/returns/{}",
            app.seed.home_a2,
            this_week()
        )),
        "homes without an earlier return get only the update link"
    );
    assert!(
        !to_b.body_text.contains(&a1),
        "B's email names only B's homes"
    );
    assert!(!to_a.body_text.contains("Unsubscribe from emails like this"));
}

#[tokio::test]
async fn a_job_run_twice_for_the_same_period_queues_one_set_of_emails() {
    let app = TestApp::new().await;
    let at = this_monday_8am();
    assert_eq!(run(&app, Job::ReturnRequest, at).await, Some(2));
    assert_eq!(
        run(&app, Job::ReturnRequest, at + Duration::minutes(1)).await,
        None
    );
    assert_eq!(emails(&app, "return_request").await.len(), 2);
}

#[tokio::test]
async fn two_instances_running_one_period_at_once_make_one_run() {
    let app = TestApp::new().await;
    let at = this_monday_8am();
    let settings = (*app.state.settings).clone();
    let handles = (0..2).map(|_| {
        let url = app.database.url().to_string();
        let settings = settings.clone();
        tokio::spawn(async move {
            let db = sea_orm::Database::connect(url.as_str())
                .await
                .expect("connect");
            jobs::run(&db, &settings, &Due::at(Job::ReturnRequest, at), at).await
        })
    });
    let mut runs = Vec::new();
    for h in handles {
        runs.push(h.await.expect("task").expect("run"));
    }
    runs.sort();
    assert_eq!(runs, [None, Some(2)]);
    assert_eq!(emails(&app, "return_request").await.len(), 2);
}

#[tokio::test]
async fn a_run_missed_while_the_service_was_down_is_caught_up_if_still_relevant() {
    let app = TestApp::new().await;
    let settings = &app.state.settings;
    // Down from Sunday to Monday 14:00: the request is still worth sending.
    let monday_afternoon = uk(2026, 11, 23, 14, 0);
    let due = jobs::due(settings, monday_afternoon);
    let request = due
        .iter()
        .find(|d| d.job == Job::ReturnRequest)
        .expect("due");
    assert_eq!(request.period_key, "2026-W48");
    // Back only on Wednesday: Monday's request and Tuesday's reminder are
    // stale (the reminder's window is two hours), the non-filers list is not.
    let wednesday = uk(2026, 11, 25, 9, 0);
    let names: Vec<&str> = jobs::due(settings, wednesday)
        .iter()
        .map(|d| d.job.name())
        .collect();
    assert!(!names.contains(&"return-request"), "{names:?}");
    assert!(!names.contains(&"return-reminder"), "{names:?}");
    assert!(names.contains(&"non-filers"), "{names:?}");
    // A tick at start makes the runs and records them as caught up.
    jobs::tick(&app.db, settings, monday_afternoon).await;
    assert!(
        jobs::has_run(&app.db, Job::ReturnRequest, "2026-W48")
            .await
            .expect("runs")
    );
}

#[tokio::test]
async fn one_click_files_no_change_once_without_signing_in() {
    let app = TestApp::new().await;
    let a1 = app.seed.home_a1.clone();
    file(&app, &a1, this_week().plus(-1), 2).await;
    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let email = emails(&app, "return_request")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("email");
    let path = one_click_path(&email.body_text, &a1);
    let mut anyone = app.client();
    let page = anyone.get(&path).await;
    page.assert_status(StatusCode::OK)
        .assert_contains("No change since last week")
        .assert_contains("File no change for week");
    // Opening the link files nothing.
    let filed = || async {
        returns::Entity::find()
            .filter(returns::Column::WeekStart.eq(this_week().monday()))
            .count(&app.db)
            .await
            .expect("count")
    };
    assert_eq!(filed().await, 0);
    let done = anyone.post_form(&path, &[]).await;
    done.assert_status(StatusCode::OK)
        .assert_contains("Return filed");
    assert_eq!(filed().await, 1);
    let ret = returns::Entity::find()
        .filter(returns::Column::WeekStart.eq(this_week().monday()))
        .one(&app.db)
        .await
        .expect("query")
        .expect("filed");
    assert_eq!(ret.source, "no_change");
    assert_eq!(app.ours_in(ret.id).await, 2);
    assert_eq!(ret.submitted_by, "provider-a@test.example");
    // Single use.
    let again = anyone.post_form(&path, &[]).await;
    again
        .assert_status(StatusCode::GONE)
        .assert_contains("already been used");
    assert_eq!(filed().await, 1);
}

#[tokio::test]
async fn one_click_refuses_expired_altered_and_another_homes_links() {
    let app = TestApp::new().await;
    let a1 = app.seed.home_a1.clone();
    file(&app, &a1, this_week().plus(-1), 2).await;
    // Tuesday's reminder made with links that last no time at all has
    // expired by now.
    let mut instant_expiry = (*app.state.settings).clone();
    instant_expiry.email.one_click_valid_days = 0;
    let tuesday = this_monday_8am() + Duration::hours(26);
    jobs::run(
        &app.db,
        &instant_expiry,
        &Due::at(Job::ReturnReminder, tuesday),
        tuesday,
    )
    .await
    .expect("reminder");
    let old = emails(&app, "return_reminder")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("email");
    let expired = one_click_path(&old.body_text, &a1);
    let mut anyone = app.client();
    anyone
        .get(&expired)
        .await
        .assert_status(StatusCode::GONE)
        .assert_contains("expired");

    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let current = emails(&app, "return_request")
        .await
        .into_iter()
        .filter(|e| e.to_address == "provider-a@test.example")
        .max_by_key(|e| e.id)
        .expect("email");
    let path = one_click_path(&current.body_text, &a1);
    // Opening the genuine link gives the form (and its token).
    anyone.get(&path).await.assert_status(StatusCode::OK);
    // Altered by one character.
    let mut altered = path.clone();
    let last = altered.pop().expect("char");
    altered.push(if last == 'A' { 'B' } else { 'A' });
    anyone
        .post_form(&altered, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // A1's token on A2's address, and on provider B's home.
    for other in [&app.seed.home_a2, &app.seed.home_b1] {
        let moved = path.replace(&a1, other);
        anyone
            .post_form(&moved, &[])
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    let filed = returns::Entity::find()
        .filter(returns::Column::WeekStart.eq(this_week().monday()))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(filed, 0, "nothing filed by a refused link");
    // The genuine link still works.
    anyone
        .post_form(&path, &[])
        .await
        .assert_contains("Return filed");
}

#[tokio::test]
async fn the_reminder_and_the_non_filers_list_name_only_homes_not_filed() {
    let app = TestApp::new().await;
    let week = this_week();
    file(&app, &app.seed.home_a1.clone(), week, 1).await;
    let tuesday = this_monday_8am() + Duration::hours(26);
    run(&app, Job::ReturnReminder, tuesday).await;
    let reminders = emails(&app, "return_reminder").await;
    let to_a = reminders
        .iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("A still has A2 to file");
    assert!(to_a.subject.starts_with("Reminder"), "{}", to_a.subject);
    assert!(!to_a.body_text.contains(&app.seed.home_a1), "A1 is filed");
    assert!(to_a.body_text.contains(&app.seed.home_a2));

    run(&app, Job::NonFilers, tuesday + Duration::hours(3)).await;
    let lists = emails(&app, "non_filers").await;
    assert_eq!(lists.len(), 1, "to the commissioner");
    assert_eq!(lists[0].to_address, "commissioner@test.example");
    assert!(!lists[0].body_text.contains(&app.seed.home_a1));
}

#[tokio::test]
async fn return_requests_cannot_be_unsubscribed_from_but_other_emails_can() {
    let app = TestApp::new().await;
    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let request = emails(&app, "return_request")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("email");
    // A service email: no unsubscribe link, no List-Unsubscribe header.
    assert!(!request.body_text.contains("/email/unsubscribe/"));
    assert_eq!(request.list_unsubscribe, None);
    let mut a = app.signed_in(Persona::ProviderA).await;
    let preferences = a.get("/account/email").await.text();
    assert!(
        !preferences.contains("Weekly request to file returns"),
        "{preferences}"
    );

    // The non-filers list is not essential: its link and header unsubscribe.
    let tuesday_afternoon = this_monday_8am() + Duration::hours(29);
    run(&app, Job::NonFilers, tuesday_afternoon).await;
    let list = emails(&app, "non_filers").await.remove(0);
    let start = list.body_text.find("/email/unsubscribe/").expect("link");
    let path = list.body_text[start..]
        .split_whitespace()
        .next()
        .expect("path")
        .to_string();
    assert_eq!(
        list.list_unsubscribe.as_deref(),
        Some(format!("http://localhost:8080{path}").as_str())
    );
    let mut anyone = app.client();
    anyone.get(&path).await.assert_contains("Unsubscribe");
    anyone
        .post_form(&path, &[])
        .await
        .assert_contains("You are unsubscribed");
    run(&app, Job::NonFilers, tuesday_afternoon + Duration::weeks(1)).await;
    assert_eq!(
        emails(&app, "non_filers").await.len(),
        1,
        "next week's not queued"
    );
    // Next week's request still goes to the provider.
    run(
        &app,
        Job::ReturnRequest,
        this_monday_8am() + Duration::weeks(1),
    )
    .await;
    let to_a = emails(&app, "return_request")
        .await
        .into_iter()
        .filter(|e| e.to_address == "provider-a@test.example")
        .count();
    assert_eq!(to_a, 2);
}

#[tokio::test]
async fn a_council_entry_rating_a_home_inadequate_alerts_commissioners_and_placements() {
    let app = TestApp::new().await;
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    let today = Utc::now().date_naive() - Duration::days(3);
    let day = today.format("%-d").to_string();
    let month = today.format("%-m").to_string();
    let year = today.format("%Y").to_string();
    let response = commissioner
        .post_form(
            &format!("/homes/{}/inspections/new", app.seed.home_a1),
            &[
                ("event_type", "full"),
                ("date_day", &day),
                ("date_month", &month),
                ("date_year", &year),
                ("overall", "inadequate"),
            ],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    let alerts = emails(&app, "rating_alert").await;
    let to: Vec<&str> = alerts.iter().map(|e| e.to_address.as_str()).collect();
    assert!(to.contains(&"commissioner@test.example"), "{to:?}");
    assert!(to.contains(&"placements@test.example"), "{to:?}");
    assert!(
        !to.iter().any(|t| t.starts_with("provider")),
        "council staff only: {to:?}"
    );
    assert!(
        alerts[0].subject.contains("is now rated Inadequate"),
        "{}",
        alerts[0].subject
    );
}

#[tokio::test]
async fn a_provider_reporting_an_inspection_alerts_commissioners_and_placements() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let day = Utc::now().date_naive() - Duration::days(2);
    let response = a
        .post_form(
            &format!("/homes/{}/inspections/new", app.seed.home_a1),
            &[
                ("event_type", "full"),
                ("date_day", &day.format("%-d").to_string()),
                ("date_month", &day.format("%-m").to_string()),
                ("date_year", &day.format("%Y").to_string()),
                ("overall", "good"),
            ],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    let alerts = emails(&app, "inspection_reported").await;
    let to: Vec<&str> = alerts.iter().map(|e| e.to_address.as_str()).collect();
    assert!(to.contains(&"commissioner@test.example"), "{to:?}");
    assert!(to.contains(&"placements@test.example"), "{to:?}");
    assert!(!to.iter().any(|t| t.starts_with("provider")), "{to:?}");
    assert!(
        alerts[0].body_text.contains("Confirm the inspection"),
        "{}",
        alerts[0].body_text
    );
}

#[tokio::test]
async fn overdue_actions_alert_commissioners_once() {
    let app = TestApp::new().await;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    use sufficiency::db::entities::case_actions;
    let action = case_actions::Entity::find_by_id(app.seed.action_a)
        .one(&app.db)
        .await
        .expect("query")
        .expect("action");
    let mut model = action.into_active_model();
    model.due_on = Set(Some(Utc::now().date_naive() - Duration::days(2)));
    model.status = Set("in_progress".into());
    model.update(&app.db).await.expect("update");
    let now = Utc::now();
    run(&app, Job::OverdueAlerts, now).await;
    let first = emails(&app, "overdue_alert").await;
    assert!(
        first
            .iter()
            .any(|e| e.subject.starts_with("Improvement action overdue")),
        "{first:?}"
    );
    // The next day's check does not repeat the same alert.
    run(&app, Job::OverdueAlerts, now + Duration::days(1)).await;
    let second = emails(&app, "overdue_alert").await;
    let actions = |list: &[outbox_emails::Model]| {
        list.iter()
            .filter(|e| e.subject.starts_with("Improvement action"))
            .count()
    };
    assert_eq!(actions(&first), actions(&second));
}

#[tokio::test]
async fn the_monthly_summary_goes_to_commissioners() {
    let app = TestApp::new().await;
    let at = uk(2026, 12, 1, 9, 0);
    // One to each member council's commissioners, of its own cases.
    assert_eq!(run(&app, Job::MonthlySummary, at).await, Some(2));
    let sent = emails(&app, "monthly_summary").await;
    let to = |address: &str| sent.iter().find(|e| e.to_address == address).unwrap();
    let ours = to("commissioner@test.example");
    assert_eq!(ours.subject, "Monthly summary for November 2026");
    assert!(
        ours.body_text.contains("Open monitoring cases: 1"),
        "{}",
        ours.body_text
    );
    let dorset = to("commissioner@dorset.test.example");
    assert!(
        dorset.body_text.contains("Open monitoring cases: 0"),
        "{}",
        dorset.body_text
    );
}

#[tokio::test]
async fn the_morning_digest_lists_new_vacancies_and_is_not_sent_when_nothing_is_new() {
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/organisations/{}/contact", app.seed.provider_a_id),
        &[
            ("contact_name", "Acme placements"),
            ("contact_phone", "01632 960 001"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let mut api = app.api_client(Persona::ProviderA).await;
    let vacancy = json!({
        "beds": 2, "available_from": this_week().monday().to_string(), "min_age": 12,
        "max_age": 16, "sexes": "mixed", "needs": ["emotional_behavioural"],
        "emergency": true, "weekly_fee": "4500.00"
    });
    let body = json!({ "occupied_ours": 2, "occupied_other": 0, "vacancies": [vacancy] });
    api.put_json(
        &format!("/api/v1/homes/{}/returns/{}", app.seed.home_a1, this_week()),
        &body.to_string(),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let now = Utc::now();
    let queued = run(&app, Job::VacancyDigest, now).await.expect("ran");
    let digests = emails(&app, "vacancy_digest").await;
    assert_eq!(digests.len(), queued);
    let digest = digests
        .iter()
        .find(|e| e.to_address == "placements@test.example")
        .expect("to the placements team");
    assert!(
        digests
            .iter()
            .all(|e| !e.to_address.starts_with("provider"))
    );
    assert!(digest.subject.contains("1 new"), "{}", digest.subject);
    assert!(digest.body_text.contains("* NEW "), "{}", digest.body_text);
    assert!(
        digest
            .body_text
            .contains("Contact: Acme placements, 01632 960 001."),
        "{}",
        digest.body_text
    );
    assert!(
        digest.body_text.contains("ages 12 to 16"),
        "{}",
        digest.body_text
    );
    assert!(
        digest.body_html.contains("NEW</strong>"),
        "{}",
        digest.body_html
    );
    // Tomorrow nothing is new: no digest.
    assert_eq!(
        run(&app, Job::VacancyDigest, now + Duration::days(1)).await,
        Some(0)
    );
    assert_eq!(emails(&app, "vacancy_digest").await.len(), queued);
}

#[tokio::test]
async fn a_cases_owner_gets_its_alerts_whatever_their_role() {
    let app = TestApp::new().await;
    let case = app.seed.case_a;
    let admin_id = app.seed.user_id(Persona::Admin).to_string();
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    // Only commissioners and administrators can own a case.
    let provider_id = app.seed.user_id(Persona::ProviderA).to_string();
    commissioner
        .post_form(
            &format!("/cases/{case}/owner"),
            &[("owner_user_id", &provider_id)],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Choose a commissioner or administrator");
    commissioner
        .post_form(
            &format!("/cases/{case}/owner"),
            &[("owner_user_id", &admin_id)],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    commissioner
        .get(&format!("/cases/{case}"))
        .await
        .assert_contains("Admin user");
    // The provider sees no owner on its case page.
    let mut a = app.signed_in(Persona::ProviderA).await;
    let page = a.get(&format!("/cases/{case}")).await;
    page.assert_lacks("Change owner");

    // The case's home gets an Inadequate judgement: the owner is told.
    let day = Utc::now().date_naive() - Duration::days(1);
    commissioner
        .post_form(
            &format!("/homes/{}/inspections/new", app.seed.home_a1),
            &[
                ("event_type", "full"),
                ("date_day", &day.format("%-d").to_string()),
                ("date_month", &day.format("%-m").to_string()),
                ("date_year", &day.format("%Y").to_string()),
                ("overall", "inadequate"),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let alerts = emails(&app, "rating_alert").await;
    assert!(
        alerts.iter().any(|e| e.to_address == "admin@test.example"),
        "{:?}",
        alerts.iter().map(|e| &e.to_address).collect::<Vec<_>>()
    );
    assert!(
        alerts[0].body_text.contains(&format!("/cases/{case}")),
        "{}",
        alerts[0].body_text
    );
}

#[tokio::test]
async fn retention_deletes_old_links_sent_emails_and_search_logs_only() {
    use sea_orm::ActiveModelTrait;
    use sufficiency::db::entities::{email_links, searches};
    let app = TestApp::new().await;
    let now = Utc::now();
    crate::demand::logged(14, "female", "BH1", 0, 800)
        .insert(&app.db)
        .await
        .expect("old search");
    crate::demand::logged(14, "female", "BH1", 0, 10)
        .insert(&app.db)
        .await
        .expect("recent search");
    // Links: one long expired, the rest current (from this week's request).
    let expired = sufficiency::email::links::NewLink {
        request_id: None,
        purpose: sufficiency::email::links::Purpose::Reset,
        user_id: app.seed.user_id(Persona::ProviderA),
        home_id: None,
        week_start: None,
        category: None,
        valid_for: Duration::hours(1),
    };
    sufficiency::email::links::create(&app.db, expired, now - Duration::days(30))
        .await
        .expect("old link");
    let old_request = this_monday_8am() - Duration::weeks(8);
    run(&app, Job::ReturnRequest, old_request).await;
    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let links_before = email_links::Entity::find()
        .count(&app.db)
        .await
        .expect("links");
    // Emails: the old request's were sent long ago.
    outbox_emails::Entity::update_many()
        .col_expr(
            outbox_emails::Column::Status,
            sea_orm::sea_query::Expr::value("sent"),
        )
        .col_expr(
            outbox_emails::Column::SentAt,
            sea_orm::sea_query::Expr::value((now - Duration::days(100)).fixed_offset()),
        )
        .filter(outbox_emails::Column::CreatedAt.lt((now - Duration::weeks(4)).fixed_offset()))
        .exec(&app.db)
        .await
        .expect("age emails");
    let emails_before = outbox_emails::Entity::find()
        .count(&app.db)
        .await
        .expect("emails");

    run(&app, Job::Retention, now).await;
    assert_eq!(
        searches::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        1
    );
    let emails_after = outbox_emails::Entity::find()
        .count(&app.db)
        .await
        .expect("emails");
    assert!(emails_after < emails_before, "old sent emails deleted");
    assert!(emails_after > 0, "this week's emails kept");
    let links = email_links::Entity::find()
        .all(&app.db)
        .await
        .expect("links");
    assert!(links.len() < links_before as usize, "expired links deleted");
    assert!(
        links
            .iter()
            .all(|l| l.expires_at.with_timezone(&Utc) > now - Duration::days(7)),
        "only links expired more than a week ago go"
    );
}

/// Ofsted's leavers and joiners table says Alder House (A1) resigned on the
/// Wednesday of last week.
async fn alder_house_resigned_last_wednesday(app: &TestApp) {
    let wednesday = this_week().plus(-1).monday() + Duration::days(2);
    let day = wednesday.format("%d/%m/%Y");
    let title = wednesday.format("%-d %B %Y");
    let table = format!(
        "Children's social care data in England \u{2013} Leavers and Joiners at {title}\n\
         URN,Provision type,Local authority,Joiner status,Leaver status,\
         First effective date (that the provider became resigned),\
         Registration status (as at 1 April 2026),Registration status (as at {title}),Setting name\n\
         {},Children's home,\"Bournemouth, Christchurch and Poole\",,Leaver,{day},Active,Resigned,Alder House\n",
        app.seed.home_a1
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("leavers.csv");
    std::fs::write(&path, table).expect("write");
    let file = sufficiency::ofsted::read_file(&path, &app.state.sandbox)
        .await
        .expect("parse");
    let summary = sufficiency::ofsted::import(
        &app.db,
        &sufficiency::auth::Viewer::system("test"),
        &file,
        &app.state.settings,
    )
    .await
    .expect("import");
    assert_eq!(summary.homes_deregistered.len(), 1, "{summary}");
}

#[tokio::test]
async fn a_home_that_closed_leaves_the_weekly_lists_from_the_week_after() {
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    let last_week = this_week().plus(-1);
    file(&app, &app.seed.home_a1, last_week, 2).await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    assert!(c.get("/map").await.text().contains("Alder House"));
    alder_house_resigned_last_wednesday(&app).await;

    // This week's request and non-filers list leave it out.
    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let to_a = emails(&app, "return_request")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("A still has a home to file for");
    assert!(
        !to_a.body_text.contains(&app.seed.home_a1),
        "{}",
        to_a.body_text
    );
    assert!(to_a.body_text.contains(&app.seed.home_a2));

    // The board: last week still shows it (it filed), this week does not.
    c.get(&format!("/returns?week={last_week}"))
        .await
        .assert_contains("Alder House");
    let now = c.get(&format!("/returns?week={}", this_week())).await;
    now.assert_status(StatusCode::OK);
    now.assert_lacks("Alder House");

    // Capacity: counted in last week, not in this one.
    let ours = Some(app.seed.our_council_id);
    let then =
        sufficiency::capacity::capacity(&app.db, &app.state.settings.market, ours, last_week, 1)
            .await
            .unwrap();
    let now =
        sufficiency::capacity::capacity(&app.db, &app.state.settings.market, ours, this_week(), 1)
            .await
            .unwrap();
    assert_eq!(then.totals.homes, now.totals.homes + 1);

    // And the map no longer shows it.
    c.get("/map").await.assert_lacks("Alder House");

    // Its provider may still amend last week, not file for this one.
    let mut api = app.api_client(Persona::ProviderA).await;
    let body = json!({ "occupied_ours": 3, "occupied_other": 1, "vacancies": [] }).to_string();
    let refused = api
        .put_json(
            &format!("/api/v1/homes/{}/returns/{}", app.seed.home_a1, this_week()),
            &body,
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("registration ended"),
        "{}",
        refused.body
    );
    api.put_json(
        &format!("/api/v1/homes/{}/returns/{last_week}", app.seed.home_a1),
        &body,
    )
    .await
    .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_one_click_page_shows_the_vacancies_it_will_file_again() {
    let app = TestApp::new().await;
    let a1 = app.seed.home_a1.clone();
    let last_week = this_week().plus(-1);
    let mut api = app.api_client(Persona::ProviderA).await;
    let body = json!({
        "occupied_ours": 2, "occupied_other": 1,
        "vacancies": [{ "beds": 1, "available_from": last_week.monday().to_string(), "min_age": 12,
            "max_age": 16, "sexes": "mixed", "needs": ["emotional_behavioural"], "emergency": true,
            "weekly_fee": "4500.00" }]
    });
    api.put_json(
        &format!("/api/v1/homes/{a1}/returns/{last_week}"),
        &body.to_string(),
    )
    .await
    .assert_status(StatusCode::CREATED);
    run(&app, Job::ReturnRequest, this_monday_8am()).await;
    let email = emails(&app, "return_request")
        .await
        .into_iter()
        .find(|e| e.to_address == "provider-a@test.example")
        .expect("email");
    let page = app
        .client()
        .get(&one_click_path(&email.body_text, &a1))
        .await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Vacancies you can offer")
        .assert_contains("1 bed, from")
        .assert_contains("ages 12 to 16")
        .assert_contains("needs: emotional and behavioural difficulties")
        .assert_contains("emergency placements")
        .assert_contains("£4,500.00 a week");
}
