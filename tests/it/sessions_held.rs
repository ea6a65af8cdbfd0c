//! An instance keeps the sessions it has read in memory while the
//! database's session counter stays put (SECURITY.md item 5 still holds:
//! a sign-out, deactivation or new password anywhere ends the session at its
//! next request, on every instance).

use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::support::{Persona, Response, TestApp};

async fn session_counter(db: &DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        r#"SELECT "version" FROM "session_versions" WHERE "id" = 1"#,
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

fn sent_to_sign_in(response: &Response) -> bool {
    response
        .location()
        .is_some_and(|l| l.starts_with("/sign-in"))
}

#[tokio::test]
async fn signing_out_on_another_instance_ends_the_session_this_one_holds() {
    let app = TestApp::new().await;
    let mut laptop = app.signed_in(Persona::Commissioner).await;
    let mut phone = app.signed_in(Persona::Commissioner).await;
    // The phone's requests reach a second instance on the same database.
    phone.reach(Some(sufficiency::app::build(app.state.clone())));
    phone.get("/").await.assert_status(StatusCode::OK);
    // The first instance holds the laptop's session after these.
    for _ in 0..3 {
        laptop.get("/homes").await.assert_status(StatusCode::OK);
    }
    let out = phone.post_form("/sign-out", &[]).await;
    assert_eq!(out.location(), Some("/sign-in?signed_out=1"));
    assert!(sent_to_sign_in(&laptop.get("/homes").await));
}

#[tokio::test]
async fn a_user_deactivated_by_hand_is_signed_out_at_their_next_request() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    for _ in 0..3 {
        client.get("/search").await.assert_status(StatusCode::OK);
    }
    // As an administrator at the database, or the CLI, would.
    app.execute("UPDATE users SET active = false WHERE email = 'placements@test.example'")
        .await;
    assert!(sent_to_sign_in(&client.get("/search").await));
}

#[tokio::test]
async fn a_role_changed_by_hand_applies_at_the_next_request() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Commissioner).await;
    for _ in 0..3 {
        client
            .get("/users")
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    app.execute("UPDATE users SET role = 'admin' WHERE email = 'commissioner@test.example'")
        .await;
    client.get("/users").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn pages_use_the_held_session_until_the_counter_moves() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    // The first pages note activity and a form token (each a save).
    for _ in 0..3 {
        client.get("/homes").await.assert_status(StatusCode::OK);
    }
    let counter = session_counter(&app.db).await;
    client.get("/homes").await.assert_status(StatusCode::OK);
    assert_eq!(
        session_counter(&app.db).await,
        counter,
        "viewing a page changes no session"
    );
    // Take the row away but put the counter back: only the held copy can
    // still sign this request in. (Nothing does this but this test; it shows
    // pages are served from memory, and the tests above show the counter
    // keeps that honest.)
    app.execute("DELETE FROM sessions").await;
    app.execute(&format!("UPDATE session_versions SET version = {counter}"))
        .await;
    client.get("/homes").await.assert_status(StatusCode::OK);
    // Once the counter moves, the copy is dropped and the row is missed.
    app.execute("UPDATE session_versions SET version = version + 1")
        .await;
    assert!(sent_to_sign_in(&client.get("/homes").await));
}

#[tokio::test]
async fn only_changes_to_sessions_and_users_move_the_session_counter() {
    let app = TestApp::new().await;
    let moves = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let before = session_counter(&db).await;
            db.execute_unprepared(sql).await.unwrap();
            session_counter(&db).await > before
        }
    };
    let before = session_counter(&app.db).await;
    app.signed_in(Persona::Admin).await;
    assert!(session_counter(&app.db).await > before, "a sign-in");
    assert!(moves("UPDATE sessions SET data = data").await);
    assert!(moves("UPDATE users SET display_name = display_name").await);
    assert!(moves("DELETE FROM sessions").await);
    assert!(!moves("UPDATE homes SET name = name").await);
    assert!(!moves("UPDATE organisations SET name = name").await);
    // API tokens: a revocation, a new hash or owner, a deletion; noting a
    // token's last use (once a minute per token) does not.
    app.api_client(Persona::ProviderA).await;
    assert!(!moves("UPDATE api_tokens SET last_used_at = CURRENT_TIMESTAMP").await);
    assert!(moves("UPDATE api_tokens SET revoked_at = revoked_at").await);
    assert!(moves("UPDATE api_tokens SET token_hash = token_hash").await);
    assert!(moves("UPDATE api_tokens SET user_id = user_id").await);
    assert!(moves("DELETE FROM api_tokens").await);
}

/// The API path a provider's token may read.
fn provider_a_returns(app: &TestApp) -> String {
    format!("/api/v1/homes/{}/returns", app.seed.home_a1)
}

/// Provider A's token, used until this instance holds it, is refused at
/// its next request once `change` is made behind the application's back.
async fn a_held_token_is_refused_after(change: &str) {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let path = provider_a_returns(&app);
    for _ in 0..3 {
        api.get(&path).await.assert_status(StatusCode::OK);
    }
    app.execute(change).await;
    api.get(&path).await.assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_revoked_by_hand_is_refused_at_its_next_request() {
    a_held_token_is_refused_after("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP").await;
}

#[tokio::test]
async fn a_deactivated_users_token_is_refused_at_its_next_request() {
    a_held_token_is_refused_after(
        "UPDATE users SET active = false WHERE email = 'provider-a@test.example'",
    )
    .await;
}

#[tokio::test]
async fn api_requests_use_the_held_token_until_the_counter_moves() {
    let app = TestApp::new().await;
    let mut api = app.api_client(Persona::ProviderA).await;
    let path = provider_a_returns(&app);
    // The first request notes the token's use (a write moving no counter).
    api.get(&path).await.assert_status(StatusCode::OK);
    let counter = session_counter(&app.db).await;
    api.get(&path).await.assert_status(StatusCode::OK);
    // Take the token away but put the counter back: only the held copy can
    // still let this request in.
    app.execute("DELETE FROM api_tokens").await;
    app.execute(&format!("UPDATE session_versions SET version = {counter}"))
        .await;
    api.get(&path).await.assert_status(StatusCode::OK);
    app.execute("UPDATE session_versions SET version = version + 1")
        .await;
    api.get(&path).await.assert_status(StatusCode::UNAUTHORIZED);
}
