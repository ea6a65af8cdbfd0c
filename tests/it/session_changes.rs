//! Every request reads its session or API token afresh (SECURITY.md item
//! 5): a sign-out, deactivation, new role or revocation made anywhere (on
//! another instance, by a command, by hand) applies at the next request.

use axum::http::StatusCode;

use crate::support::{Persona, Response, TestApp};

fn sent_to_sign_in(response: &Response) -> bool {
    response
        .location()
        .is_some_and(|l| l.starts_with("/sign-in"))
}

#[tokio::test]
async fn signing_out_on_another_instance_ends_the_session_on_this_one() {
    let app = TestApp::new().await;
    let mut laptop = app.signed_in(Persona::Commissioner).await;
    let mut phone = app.signed_in(Persona::Commissioner).await;
    // The phone's requests reach a second instance on the same database.
    phone.reach(Some(sufficiency::app::build(app.state.clone())));
    phone.get("/").await.assert_status(StatusCode::OK);
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

/// The API path a provider's token may read.
fn provider_a_returns(app: &TestApp) -> String {
    format!("/api/v1/homes/{}/returns", app.seed.home_a1)
}

/// Provider A's token, used a few times, is refused at its next request
/// once `change` is made behind the application's back.
async fn a_used_token_is_refused_after(change: &str) {
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
    a_used_token_is_refused_after("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP").await;
}

#[tokio::test]
async fn a_deactivated_users_token_is_refused_at_its_next_request() {
    a_used_token_is_refused_after(
        "UPDATE users SET active = false WHERE email = 'provider-a@test.example'",
    )
    .await;
}
