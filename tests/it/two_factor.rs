//! SECURITY.md item 13: council staff whose role needs it sign in with a code
//! from an authenticator app as well as their password.

use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sufficiency::auth::Role;
use sufficiency::db::entities::{audit_events, recovery_codes};

use crate::support::{Client, PASSWORD, Persona, TestApp};

/// The application as production runs it: admins and commissioners need a
/// second factor.
async fn app_requiring_it() -> TestApp {
    TestApp::new()
        .await
        .with_settings(|s| s.auth.two_factor_roles = vec![Role::Admin, Role::Commissioner])
}

/// The code an authenticator app holding `secret` shows `offset` seconds from now.
fn code(secret: &str, offset: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate((Utc::now().timestamp() + offset) as u64)
        .to_string()
}

/// Sets up the second factor from the enrolment page, as a user would
/// (reading the key under "I cannot scan the QR code"); returns the key and
/// the recovery codes shown.
async fn enrol(client: &mut Client<'_>) -> (String, Vec<String>) {
    let page = client.get("/account/two-factor").await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Scan this QR code");
    assert!(page.body.contains("<svg"), "the QR code is drawn here");
    let secret = between(&page.body, "<code class=\"app-token\">", "</code>").replace(' ', "");
    let wrong = client
        .post_form("/account/two-factor", &[("code", "000000")])
        .await;
    wrong
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Enter the 6-digit code your authenticator app shows now");
    let done = client
        .post_form("/account/two-factor", &[("code", &code(&secret, 0))])
        .await;
    done.assert_status(StatusCode::OK)
        .assert_contains("Two-factor sign-in is on")
        .assert_contains("will not be shown again");
    let codes: Vec<String> = done
        .body
        .split("<li><code class=\"app-token\">")
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).expect(start) + start.len();
    let to = text[from..].find(end).expect(end) + from;
    text[from..to].to_string()
}

/// Signs in with the password and then `code`; returns the code step's answer.
async fn sign_in_with_code(client: &mut Client<'_>, email: &str, code: &str) -> StatusCode {
    let response = client.sign_in(email, PASSWORD).await;
    assert_eq!(response.location(), Some("/sign-in/code"));
    // Not signed in yet: the password alone reaches nothing.
    let home = client.get("/").await;
    assert!(home.location().is_some_and(|l| l.starts_with("/sign-in")));
    client
        .get("/sign-in/code")
        .await
        .assert_status(StatusCode::OK);
    let answer = client.post_form("/sign-in/code", &[("code", code)]).await;
    answer.status
}

#[tokio::test]
async fn an_admin_sets_up_two_factor_before_anything_else_then_signs_in_with_a_code() {
    let app = app_requiring_it().await;
    let mut client = app.signed_in(Persona::Admin).await;
    // Every page leads to setting it up first.
    for page in ["/", "/homes", "/users"] {
        assert_eq!(
            client.get(page).await.location(),
            Some("/account/two-factor")
        );
    }
    let (secret, _) = enrol(&mut client).await;
    client.get("/users").await.assert_status(StatusCode::OK);

    // Next time: the password, then the app's code.
    let mut client = app.client();
    let status = sign_in_with_code(&mut client, "admin@test.example", &code(&secret, 30)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    client.get("/users").await.assert_status(StatusCode::OK);

    // A code works once: seen over a shoulder, it is already spent.
    let mut thief = app.client();
    let status = sign_in_with_code(&mut thief, "admin@test.example", &code(&secret, 30)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let enrolled = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("two_factor_enrolled"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(enrolled.len(), 1);
}

#[tokio::test]
async fn roles_that_do_not_need_it_are_not_asked_but_may_turn_it_on_and_off() {
    let app = app_requiring_it().await;
    let mut client = app.signed_in(Persona::Placements).await;
    client.get("/").await.assert_status(StatusCode::OK);
    let (secret, _) = enrol(&mut client).await;
    let mut client = app.client();
    // The next code: the one used to set it up is spent.
    let status =
        sign_in_with_code(&mut client, "placements@test.example", &code(&secret, 30)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let off = client.post_form("/account/two-factor/off", &[]).await;
    assert_eq!(off.location(), Some("/account/two-factor"));
    let again = app
        .client()
        .sign_in("placements@test.example", PASSWORD)
        .await;
    assert_eq!(again.location(), Some("/"));

    // An admin cannot turn theirs off.
    let mut admin = app.signed_in(Persona::Admin).await;
    enrol(&mut admin).await;
    admin
        .post_form("/account/two-factor/off", &[])
        .await
        .assert_status(StatusCode::BAD_REQUEST)
        .assert_contains("required for your role");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_when_the_phone_is_lost() {
    let app = app_requiring_it().await;
    let mut client = app.signed_in(Persona::Commissioner).await;
    let (_, codes) = enrol(&mut client).await;
    let mut client = app.client();
    let status = sign_in_with_code(&mut client, "commissioner@test.example", &codes[3]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    client
        .get("/")
        .await
        .assert_contains("You signed in with a recovery code. You have 9 left");
    let mut again = app.client();
    let status = sign_in_with_code(&mut again, "commissioner@test.example", &codes[3]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "each code works once");
    // Only hashes are kept.
    let stored = recovery_codes::Entity::find().all(&app.db).await.unwrap();
    assert!(stored.iter().all(|r| !codes.contains(&r.code_hash)));
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let app = app_requiring_it().await;
    let mut client = app.signed_in(Persona::Admin).await;
    let (secret, _) = enrol(&mut client).await;
    let mut guesser = app.client();
    guesser.sign_in("admin@test.example", PASSWORD).await;
    for guess in ["111111", "222222", "333333", "444444", "555555"] {
        let answer = guesser.post_form("/sign-in/code", &[("code", guess)]).await;
        answer.assert_status(StatusCode::UNAUTHORIZED);
    }
    let blocked = guesser
        .post_form("/sign-in/code", &[("code", &code(&secret, 30))])
        .await;
    blocked
        .assert_status(StatusCode::TOO_MANY_REQUESTS)
        .assert_contains("too many attempts");
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_the_user_sets_it_up_again() {
    let app = app_requiring_it().await;
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    enrol(&mut commissioner).await;
    let mut admin = app.signed_in(Persona::Admin).await;
    enrol(&mut admin).await;
    let users = admin.get("/users").await;
    users.assert_contains("Reset two-factor");
    let id = app.seed.user_id(Persona::Commissioner);
    let reset = admin
        .post_form(&format!("/users/{id}/two-factor/reset"), &[])
        .await;
    assert_eq!(reset.location(), Some("/users"));
    admin
        .get("/users")
        .await
        .assert_contains("Two-factor sign-in has been reset for commissioner@test.example");
    // Their sessions ended; with the password alone they must set it up again.
    assert!(
        commissioner
            .get("/")
            .await
            .location()
            .is_some_and(|l| l.starts_with("/sign-in"))
    );
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    assert_eq!(
        commissioner.get("/").await.location(),
        Some("/account/two-factor")
    );
    let audited = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("two_factor_reset"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the reset is audited");
    assert_eq!(audited.entity_id.as_deref(), Some(id.to_string().as_str()));
}

#[tokio::test]
async fn the_code_step_needs_the_password_step_first() {
    let app = app_requiring_it().await;
    let mut client = app.client();
    assert_eq!(
        client.get("/sign-in/code").await.location(),
        Some("/sign-in")
    );
    let answer = client
        .post_form("/sign-in/code", &[("code", "123456")])
        .await;
    assert_eq!(answer.location(), Some("/sign-in"));
}
