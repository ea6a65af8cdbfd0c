//! Signing in and out (SECURITY.md items 5-8, 11-12, 14).

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sufficiency::db::entities::{audit_events, sessions, sign_in_throttles, users};

use crate::support::{PASSWORD, Persona, TestApp};

#[tokio::test]
async fn a_commissioner_signs_in_and_lands_on_the_overview() {
    let app = TestApp::new().await;
    let mut client = app.client();
    let response = client.sign_in("Commissioner@Test.Example ", PASSWORD).await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/"));
    client
        .get("/")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Local homes at a glance");
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let app = TestApp::new().await;
    let mut client = app.client();
    let response = client.get("/homes?type=childrens_home").await;
    assert_eq!(
        response.location(),
        Some("/sign-in?next=%2Fhomes%3Ftype%3Dchildrens_home")
    );
    let token = client.csrf_token().await;
    let response = client
        .post_form_without_token(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", "placements@test.example"),
                ("password", PASSWORD),
                ("next", "/homes?type=childrens_home"),
            ],
        )
        .await;
    assert_eq!(response.location(), Some("/homes?type=childrens_home"));

    let mut other = app.client();
    let token = other.csrf_token().await;
    let response = other
        .post_form_without_token(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", "placements@test.example"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(response.location(), Some("/"));
}

#[tokio::test]
async fn a_next_page_with_a_tab_or_a_backslash_cannot_send_the_user_off_site() {
    // Browsers drop tabs and newlines from URLs and read `\\` as `/`:
    // each of these would have become `//evil.example`.
    let app = TestApp::new().await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "/ /evil.example",
    ] {
        let mut client = app.client();
        let encoded = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
        let page = client.get(&format!("/sign-in?next={encoded}")).await;
        page.assert_status(StatusCode::OK);
        assert!(
            !page.body.contains("evil.example"),
            "{next:?} kept on the form"
        );
        let token = client.csrf_token().await;
        let response = client
            .post_form_without_token(
                "/sign-in",
                &[
                    ("csrf_token", &token),
                    ("email", "placements@test.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.location(), Some("/"), "{next:?}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::new().await;
    let wrong = app
        .client()
        .sign_in("admin@test.example", "not the password at all")
        .await;
    let unknown = app
        .client()
        .sign_in("nobody@test.example", "not the password at all")
        .await;
    wrong
        .assert_status(StatusCode::UNAUTHORIZED)
        .assert_contains("Enter a correct email address and password");
    unknown.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.text(),
        unknown.text(),
        "the answer must not reveal which emails exist"
    );
}

#[tokio::test]
async fn empty_fields_are_named_in_the_error_summary() {
    let app = TestApp::new().await;
    let response = app.client().sign_in("", "").await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("govuk-error-summary"));
    assert!(response.body.contains("href=\"#email\""));
    response.assert_contains("Enter your password");
}

#[tokio::test]
async fn a_new_session_id_is_issued_at_sign_in() {
    let app = TestApp::new().await;
    let mut client = app.client();
    client.get("/sign-in").await;
    let before = client
        .session_cookie()
        .expect("anonymous session for the form token");
    client.sign_in("admin@test.example", PASSWORD).await;
    let after = client.session_cookie().expect("session");
    assert_ne!(
        before, after,
        "session fixation: the id must change at sign-in"
    );
    // 128 bits or more from a CSPRNG, base64: at least 22 characters.
    assert!(after.len() >= 22);
}

#[tokio::test]
async fn signing_out_ends_every_session_of_the_user() {
    let app = TestApp::new().await;
    let mut laptop = app.signed_in(Persona::Commissioner).await;
    let mut phone = app.signed_in(Persona::Commissioner).await;
    phone.get("/").await.assert_status(StatusCode::OK);
    let response = laptop.post_form("/sign-out", &[]).await;
    assert_eq!(response.location(), Some("/sign-in?signed_out=1"));
    assert!(
        laptop
            .get("/")
            .await
            .location()
            .is_some_and(|l| l.starts_with("/sign-in"))
    );
    assert!(
        phone
            .get("/")
            .await
            .location()
            .is_some_and(|l| l.starts_with("/sign-in")),
        "other devices are signed out too"
    );
}

#[tokio::test]
async fn sign_in_is_throttled_after_repeated_failures_then_recovers() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        app.client()
            .sign_in("admin@test.example", "wrong wrong wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now: the guesser learns nothing.
    let blocked = app.client().sign_in("admin@test.example", PASSWORD).await;
    blocked
        .assert_status(StatusCode::TOO_MANY_REQUESTS)
        .assert_contains("too many attempts");
    // An unknown email is throttled the same way.
    for _ in 0..5 {
        app.client()
            .sign_in("ghost@test.example", "wrong wrong wrong")
            .await;
    }
    app.client()
        .sign_in("ghost@test.example", "wrong wrong wrong")
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // The wait ends on its own: nobody is locked out for good.
    app.execute("UPDATE sign_in_throttles SET blocked_until = NULL")
        .await;
    app.client()
        .sign_in("admin@test.example", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let left = sign_in_throttles::Entity::find_by_id("email:admin@test.example".to_string())
        .one(&app.db)
        .await
        .unwrap();
    assert!(
        left.is_none(),
        "a successful sign-in clears the email's count"
    );
}

#[tokio::test]
async fn behind_one_proxy_a_forged_forwarded_address_does_not_escape_the_throttle() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.server.trusted_proxies = 1);
    // One guesser, many accounts, a new made-up address in front each time:
    // the proxy appends the real one, and that is what counts.
    let guess = |i: usize| {
        app.client()
            .with_header("x-forwarded-for", &format!("10.9.8.{i}, 198.51.100.7"))
    };
    // An address gets four times an email's five failures (offices share one).
    for i in 0..20 {
        guess(i)
            .sign_in(&format!("nobody{i}@test.example"), "wrong wrong wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    guess(20)
        .sign_in("nobody20@test.example", "wrong wrong wrong")
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Someone else behind the same proxy is not blocked.
    app.client()
        .with_header("x-forwarded-for", "198.51.100.8")
        .sign_in("admin@test.example", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn parallel_guesses_are_all_counted_and_the_block_holds() {
    // Forty wrong passwords at once for one account: each is counted before
    // its password is checked, so only the first five are checked at all.
    let app = TestApp::new().await;
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move {
            app.client()
                .sign_in("admin@test.example", &format!("guess number {i}"))
                .await
                .status
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 35), "{answers:?}");
    let row = sign_in_throttles::Entity::find_by_id("email:admin@test.example".to_string())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.failures, 5, "every checked guess is counted, none lost");
    assert!(row.blocked_until.is_some());
    // Refused attempts are in the audit trail too.
    let throttled = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("sign_in_throttled"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(throttled.len(), 35);
    assert!(
        throttled[0]
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("admin@test.example"))
    );
}

/// Edits the data of every signed-in session row straight in the database
/// (`also`: more `SET` assignments, starting with a comma).
async fn rewrite_signed_in_sessions(
    app: &TestApp,
    also: &str,
    edit: impl Fn(&mut serde_json::Value),
) {
    for s in sessions::Entity::find().all(&app.db).await.unwrap() {
        let mut data: serde_json::Value = serde_json::from_str(&s.data).unwrap();
        if data.get("signed_in_at").is_some() {
            edit(&mut data);
            let sql = format!(
                "UPDATE sessions SET data = '{}'{also} WHERE id = '{}'",
                data.to_string().replace('\'', "''"),
                s.id
            );
            app.execute(&sql).await;
        }
    }
}

#[tokio::test]
async fn sessions_expire_after_idle_time_and_absolutely_after_twelve_hours() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    // Idle timeout: the session record expires 30 minutes after the last request.
    let record = sessions::Entity::find().all(&app.db).await.unwrap();
    let newest = record.iter().max_by_key(|s| s.expires_at).unwrap();
    let minutes =
        (newest.expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (28..=30).contains(&minutes),
        "idle expiry {minutes} minutes"
    );
    // Absolute timeout: a session signed in 13 hours ago is ended, however active.
    let old = (chrono::Utc::now() - chrono::Duration::hours(13)).to_rfc3339();
    rewrite_signed_in_sessions(&app, "", |data| data["signed_in_at"] = old.clone().into()).await;
    let response = client.get("/homes").await;
    assert!(
        response
            .location()
            .is_some_and(|l| l.starts_with("/sign-in")),
        "got {}",
        response.status
    );
}

#[tokio::test]
async fn an_active_session_stays_signed_in_past_thirty_minutes() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    // 29 minutes after the last noted activity: one minute left.
    let seen = (chrono::Utc::now() - chrono::Duration::minutes(29)).to_rfc3339();
    // As the store writes it (RFC 3339: SQLite compares the text).
    let expires = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    rewrite_signed_in_sessions(&app, &format!(", expires_at = '{expires}'"), |data| {
        data["last_seen_at"] = seen.clone().into()
    })
    .await;
    client.get("/homes").await.assert_status(StatusCode::OK);
    // The request moved the idle expiry 30 minutes on.
    let newest = sessions::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|s| s.expires_at)
        .unwrap();
    let minutes =
        (newest.expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (28..=30).contains(&minutes),
        "idle expiry {minutes} minutes"
    );
}

#[tokio::test]
async fn viewing_pages_does_not_write_the_session_each_time() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    client.get("/homes").await.assert_status(StatusCode::OK);
    let before = sessions::Entity::find().all(&app.db).await.unwrap();
    for _ in 0..3 {
        client.get("/homes").await.assert_status(StatusCode::OK);
    }
    let after = sessions::Entity::find().all(&app.db).await.unwrap();
    // Activity is noted at most once a minute; nothing else changed.
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_signed_in_session_names_its_user_so_a_page_reads_both_at_once() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    let user = users::Entity::find()
        .filter(users::Column::Email.eq("placements@test.example"))
        .all(&app.db)
        .await
        .unwrap()
        .remove(0);
    let signed_in: Vec<_> = sessions::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.user_id.is_some())
        .collect();
    assert_eq!(signed_in.len(), 1);
    assert_eq!(signed_in[0].user_id, Some(user.id));
    let page = client.get("/search").await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains(&user.display_name));
}

#[tokio::test]
async fn a_session_saved_without_its_user_column_still_signs_in() {
    // Sessions from before the column, and any the join cannot use: the
    // user is then read by its own query.
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Commissioner).await;
    app.execute("UPDATE sessions SET user_id = NULL").await;
    client.get("/homes").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = TestApp::new().await;
    let response = app.client().get("/sign-in").await;
    let cookie = response.header("set-cookie").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

#[tokio::test]
async fn over_tls_the_cookie_is_secure_with_the_host_prefix() {
    let app = TestApp::empty()
        .await
        .with_settings(|s| s.auth.secure_cookies = true);
    let response = app.client().get("/sign-in").await;
    let cookie = response.header("set-cookie").expect("session cookie");
    assert!(cookie.starts_with("__Host-"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(response.header("strict-transport-security").is_some());
}

#[tokio::test]
async fn a_user_changes_their_password_and_other_sessions_end() {
    let app = TestApp::new().await;
    let mut here = app.signed_in(Persona::Placements).await;
    let mut elsewhere = app.signed_in(Persona::Placements).await;
    let weak = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "password1234"),
                ("confirm_password", "password1234"),
            ],
        )
        .await;
    weak.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("too common");
    let new = "plum tractor violin sunrise";
    let ok = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(ok.location(), Some("/"));
    here.get("/")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Your password has been changed");
    assert!(
        elsewhere
            .get("/")
            .await
            .location()
            .is_some_and(|l| l.starts_with("/sign-in"))
    );
    app.client()
        .sign_in("placements@test.example", new)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}
