//! Delivery through a real SMTP server on loopback: normal delivery with
//! both parts and a fixed Message-ID; a server refusing mail and coming
//! back (delivered once); a server absent for days (failed after 72 hours,
//! administrators alerted); a sender dying after the server accepted (one
//! duplicate, same Message-ID); two senders on one database (each email
//! once); `.eml` files when no server is configured; the admin outbox.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sufficiency::config::Settings;
use sufficiency::db::entities::outbox_emails;
use sufficiency::email::sender::{self, Transport};
use sufficiency::email::templates::Alert;
use sufficiency::email::{self, Category, Recipient};

use crate::support::smtp::{TestSmtp, closed_port};
use crate::support::{Persona, TestApp};

fn recipient(app: &TestApp, persona: Persona) -> Recipient {
    Recipient {
        user_id: Some(app.seed.user_id(persona)),
        email: persona.email().expect("a user").into(),
        name: format!("{persona:?}"),
    }
}

async fn queue_alert(app: &TestApp, key: &str, to: &Recipient, now: DateTime<Utc>) -> bool {
    let alert = Alert {
        title: format!("Test alert {key}"),
        paragraphs: vec!["Alder House is now rated Inadequate.".into()],
        link_text: "See the case".into(),
        link_url: email::link(&app.state.settings, "/cases"),
    };
    email::queue(
        &app.db,
        &app.state.settings,
        key,
        Category::RatingAlert,
        to,
        now,
        |f| alert.render(f),
    )
    .await
    .expect("queue")
}

/// The unsubscribe link's path in an email, as a mail program shows it.
fn unsubscribe_path(text: &str) -> String {
    let start = text
        .find("/email/unsubscribe/")
        .expect("an unsubscribe link");
    text[start..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || "/-_".contains(c)))
        .next()
        .expect("path")
        .to_string()
}

fn settings_for(app: &TestApp, smtp_port: u16) -> Settings {
    let mut settings = (*app.state.settings).clone();
    settings.email.smtp_host = "127.0.0.1".into();
    settings.email.smtp_port = smtp_port;
    settings.email.smtp_security = sufficiency::config::SmtpSecurity::None;
    settings
}

async fn outbox(app: &TestApp) -> Vec<outbox_emails::Model> {
    outbox_emails::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
}

#[tokio::test]
async fn an_email_is_delivered_over_smtp_with_text_and_html_and_its_message_id() {
    let app = TestApp::new().await;
    let smtp = TestSmtp::start();
    let mut settings = (*app.state.settings).clone();
    smtp.configure(&mut settings);
    let now = Utc::now();
    let to = recipient(&app, Persona::Commissioner);
    assert!(queue_alert(&app, "event-1", &to, now).await);
    assert!(
        !queue_alert(&app, "event-1", &to, now).await,
        "the same event never queues twice"
    );
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let round = sender::deliver_due(&app.db, &settings, &transport, "sender-1", now)
        .await
        .expect("deliver");
    assert_eq!(round.sent, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["commissioner@test.example"]);
    let data = &received[0].data;
    assert!(data.contains("Subject: Test alert event-1"), "{data}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(data.contains("Content-Type: text/html"), "{data}");
    assert!(
        data.contains("http://localhost:8080/cases"),
        "links use the public URL: {data}"
    );
    assert!(
        data.contains("/email/unsubscribe/"),
        "non-essential: an unsubscribe link: {data}"
    );
    assert!(
        data.contains("List-Unsubscribe: <http://localhost:8080/email/unsubscribe/"),
        "and the header mail programs show as a button: {data}"
    );
    let row = &outbox(&app).await[0];
    assert_eq!(row.status, "sent");
    assert_eq!(row.attempts, 1);
    // The stored copy keeps no usable link; the one delivered still works.
    let delivered = unsubscribe_path(data);
    let stored = unsubscribe_path(&row.body_text);
    assert!(!row.body_html.contains(&delivered) && !row.body_text.contains(&delivered));
    assert_eq!(row.list_unsubscribe, None);
    let mut reader = app.client();
    reader
        .get(&stored)
        .await
        .assert_contains("This link is not valid");
    reader
        .get(&delivered)
        .await
        .assert_status(axum::http::StatusCode::OK)
        .assert_contains("Unsubscribe");
    assert_eq!(
        received[0].message_id().as_deref(),
        Some(row.message_id.as_str())
    );
    // Nothing more to send.
    let again = sender::deliver_due(&app.db, &settings, &transport, "sender-1", now)
        .await
        .expect("deliver");
    assert_eq!(again.sent, 0);
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn while_the_server_refuses_mail_emails_wait_and_go_once_when_it_is_back() {
    let app = TestApp::new().await;
    let smtp = TestSmtp::start();
    smtp.refuse(true);
    let settings = settings_for(&app, smtp.port);
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let start = Utc::now();
    queue_alert(
        &app,
        "event-2",
        &recipient(&app, Persona::Placements),
        start,
    )
    .await;
    let round = sender::deliver_due(&app.db, &settings, &transport, "s", start)
        .await
        .expect("deliver");
    assert_eq!((round.sent, round.retrying), (0, 1));
    let row = &outbox(&app).await[0];
    assert_eq!((row.status.as_str(), row.attempts), ("queued", 1));
    assert!(
        row.last_error.as_deref().unwrap_or("").contains("421"),
        "{row:?}"
    );
    // Not retried before its backoff is over.
    let early = sender::deliver_due(
        &app.db,
        &settings,
        &transport,
        "s",
        start + Duration::seconds(30),
    )
    .await
    .expect("deliver");
    assert_eq!(early, Default::default());
    // Refused again after a minute; then the server comes back.
    let later = start + Duration::seconds(61);
    sender::deliver_due(&app.db, &settings, &transport, "s", later)
        .await
        .expect("deliver");
    smtp.refuse(false);
    let mut at = later;
    for _ in 0..3 {
        at += Duration::minutes(5);
        sender::deliver_due(&app.db, &settings, &transport, "s", at)
            .await
            .expect("deliver");
    }
    assert_eq!(smtp.received().len(), 1, "delivered exactly once");
    let row = &outbox(&app).await[0];
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 3));
}

#[tokio::test]
async fn an_absent_server_fails_the_email_after_72_hours_and_tells_administrators() {
    let app = TestApp::new().await;
    let settings = settings_for(&app, closed_port());
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let start = Utc::now();
    queue_alert(
        &app,
        "event-3",
        &recipient(&app, Persona::Commissioner),
        start,
    )
    .await;
    let mut at = start;
    let mut attempts = 0;
    while at < start + Duration::hours(80) {
        let round = sender::deliver_due(&app.db, &settings, &transport, "s", at)
            .await
            .expect("deliver");
        attempts += round.retrying + round.failed;
        let row = outbox_emails::Entity::find()
            .filter(outbox_emails::Column::IdempotencyKey.eq("event-3"))
            .one(&app.db)
            .await
            .expect("row")
            .expect("still there");
        if at < start + Duration::hours(72) {
            assert_eq!(row.status, "queued", "still retrying after {}", at - start);
        }
        at += Duration::minutes(10);
    }
    assert!(attempts > 50, "retried with backoff, {attempts} attempts");
    let rows = outbox(&app).await;
    let failed = rows
        .iter()
        .find(|r| r.idempotency_key == "event-3")
        .expect("row");
    assert_eq!(failed.status, "failed");
    assert!(failed.failed_at.is_some());
    let alert = rows
        .iter()
        .find(|r| r.category == "delivery_failure")
        .expect("administrators are told");
    assert_eq!(alert.to_address, "admin@test.example");
    assert!(
        alert.body_text.contains("commissioner@test.example"),
        "{}",
        alert.body_text
    );
    assert!(
        !alert.body_text.contains("/email/unsubscribe/"),
        "essential: no unsubscribe link"
    );

    // An administrator sees it in the outbox and retries it.
    let mut admin = app.signed_in(Persona::Admin).await;
    let page = admin.get("/admin/outbox?status=failed").await;
    page.assert_contains("Test alert event-3")
        .assert_contains("Retry");
    let id = failed.id.to_string();
    admin
        .post_form(&format!("/admin/outbox/{id}/retry"), &[])
        .await
        .assert_status(axum::http::StatusCode::SEE_OTHER);
    let row = outbox_emails::Entity::find_by_id(failed.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "queued");
}

#[tokio::test]
async fn a_sender_dying_after_the_server_accepted_causes_one_duplicate_with_the_same_message_id() {
    let app = TestApp::new().await;
    let smtp = TestSmtp::start();
    let settings = settings_for(&app, smtp.port);
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let now = Utc::now();
    queue_alert(
        &app,
        "event-4",
        &recipient(&app, Persona::Commissioner),
        now,
    )
    .await;
    // The first sender claims and hands the email to the server, then dies
    // before recording it.
    let lease = Duration::seconds(settings.email.lease_seconds);
    let claimed = email::outbox::claim(&app.db, "dies", now, lease, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let message = sender::message(&settings.email, &claimed[0]).expect("message");
    transport
        .send(&message, &claimed[0])
        .await
        .expect("accepted");
    // Another sender cannot take it while the lease holds...
    let during = sender::deliver_due(
        &app.db,
        &settings,
        &transport,
        "other",
        now + Duration::seconds(10),
    )
    .await
    .expect("deliver");
    assert_eq!(during.sent, 0);
    // ...and sends it once the lease expires.
    let after = now + lease + Duration::seconds(1);
    let round = sender::deliver_due(&app.db, &settings, &transport, "other", after)
        .await
        .expect("deliver");
    assert_eq!(round.sent, 1);
    sender::deliver_due(
        &app.db,
        &settings,
        &transport,
        "other",
        after + Duration::hours(1),
    )
    .await
    .expect("deliver");
    let received = smtp.received();
    assert_eq!(received.len(), 2, "one duplicate at most");
    assert_eq!(received[0].message_id(), received[1].message_id());
    assert_eq!(
        received[0].message_id().as_deref(),
        Some(claimed[0].message_id.as_str())
    );
}

#[tokio::test]
async fn two_senders_on_one_database_send_each_email_once() {
    let app = TestApp::new().await;
    let smtp = TestSmtp::start();
    let mut settings = settings_for(&app, smtp.port);
    settings.email.batch_size = 5;
    let now = Utc::now();
    let to = recipient(&app, Persona::Placements);
    for n in 0..40 {
        queue_alert(&app, &format!("bulk-{n}"), &to, now).await;
    }
    let senders = (0..2).map(|i| {
        let settings = settings.clone();
        let database_url = app.database.url().to_string();
        tokio::spawn(async move {
            // Each instance has its own pool, as two processes would.
            let db = sea_orm::Database::connect(database_url.as_str())
                .await
                .expect("connect");
            let transport = Transport::from_settings(&settings.email).expect("transport");
            let mut sent = 0;
            loop {
                let round =
                    sender::deliver_due(&db, &settings, &transport, &format!("instance-{i}"), now)
                        .await
                        .expect("deliver");
                if round.sent == 0 {
                    break sent;
                }
                sent += round.sent;
            }
        })
    });
    let mut total = 0;
    for s in senders {
        total += s.await.expect("sender");
    }
    assert_eq!(total, 40);
    let received = smtp.received();
    assert_eq!(received.len(), 40, "each email once");
    let mut ids: Vec<_> = received.iter().filter_map(|r| r.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    assert!(outbox(&app).await.iter().all(|r| r.status == "sent"));
}

#[tokio::test]
async fn without_an_smtp_server_emails_are_written_as_eml_files() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = (*app.state.settings).clone();
    settings.email.smtp_host = String::new();
    settings.email.outbox_dir = dir.path().to_path_buf();
    let transport = Transport::from_settings(&settings.email).expect("transport");
    assert!(transport.describe().contains(".eml"));
    let now = Utc::now();
    queue_alert(
        &app,
        "event-6",
        &recipient(&app, Persona::Commissioner),
        now,
    )
    .await;
    let round = sender::deliver_due(&app.db, &settings, &transport, "s", now)
        .await
        .expect("deliver");
    assert_eq!(round.sent, 1);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).expect("eml");
    assert!(text.contains("Subject: Test alert event-6"), "{text}");
    assert!(text.contains("To: commissioner@test.example"), "{text}");
}

#[tokio::test]
async fn only_administrators_see_the_outbox() {
    let app = TestApp::new().await;
    for persona in [
        Persona::Commissioner,
        Persona::Placements,
        Persona::ProviderA,
    ] {
        let mut client = app.signed_in(persona).await;
        client
            .get("/admin/outbox")
            .await
            .assert_status(axum::http::StatusCode::FORBIDDEN);
    }
    let mut anonymous = app.client();
    let response = anonymous.get("/admin/outbox").await;
    assert_eq!(response.status, axum::http::StatusCode::SEE_OTHER);
    let mut admin = app.signed_in(Persona::Admin).await;
    admin
        .get("/admin/outbox")
        .await
        .assert_contains("No emails");
}

/// Benchmark for docs/performance.md (not a timed test: it asserts only
/// that every email arrives once). Run with
/// `cargo test --release --test it -- --ignored --nocapture digest_to_500`.
#[tokio::test]
#[ignore = "benchmark: run by hand, see docs/performance.md"]
async fn digest_to_500_recipients_benchmark() {
    use sea_orm::ActiveValue::Set;
    use sufficiency::db::entities::users;
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    let now = Utc::now();
    let people: Vec<users::ActiveModel> = (0..500)
        .map(|n| users::ActiveModel {
            email: Set(format!("placements-{n}@bench.example")),
            display_name: Set(format!("Placements officer {n}")),
            password_hash: Set("!".into()),
            role: Set("placements".into()),
            organisation_id: Set(None),
            active: Set(true),
            session_key: Set(format!("bench-{n}")),
            last_sign_in_at: Set(None),
            created_at: Set(now.fixed_offset()),
            updated_at: Set(now.fixed_offset()),
            ..Default::default()
        })
        .collect();
    users::Entity::insert_many(people)
        .exec(&app.db)
        .await
        .expect("users");
    let smtp = TestSmtp::start();
    let mut settings = settings_for(&app, smtp.port);
    settings.email.digest_when_nothing_new = true;
    let started = std::time::Instant::now();
    let due = sufficiency::jobs::Due::at(sufficiency::jobs::Job::VacancyDigest, now);
    let queued = sufficiency::jobs::run(&app.db, &settings, &due, now)
        .await
        .expect("run")
        .expect("queued");
    let queue_time = started.elapsed();
    let transport = Transport::from_settings(&settings.email).expect("transport");
    let sending = std::time::Instant::now();
    loop {
        let round = sender::deliver_due(&app.db, &settings, &transport, "bench", now)
            .await
            .expect("deliver");
        if round.sent == 0 {
            break;
        }
    }
    let send_time = sending.elapsed();
    assert_eq!(smtp.received().len(), queued);
    assert!(queued >= 500);
    println!(
        "digest to {queued} recipients on {}: queued in {:.0} ms, sent in {:.0} ms ({:.1} ms per email)",
        if app.database.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        queue_time.as_secs_f64() * 1000.0,
        send_time.as_secs_f64() * 1000.0,
        send_time.as_secs_f64() * 1000.0 / queued as f64
    );
}
