//! Admins manage users; deactivation ends sessions at once.

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sufficiency::db::entities::users;

use crate::support::{PASSWORD, Persona, TestApp};

#[tokio::test]
async fn an_admin_adds_a_provider_user_who_sees_only_their_homes() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let org = app.seed.provider_b_id.to_string();
    let password = "lantern meadow copper kite";
    let response = admin
        .post_form(
            "/users/new",
            &[
                ("email", "New.Person@Brightside.example"),
                ("display_name", "New Person"),
                ("role", "provider"),
                ("organisation_id", &org),
                ("organisation_id_name", "Brightside Homes Limited"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(response.location(), Some("/users"));
    admin
        .get("/users")
        .await
        .assert_contains("User new.person@brightside.example created");

    let mut new = app.client();
    new.sign_in("new.person@brightside.example", password)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let homes = new.get("/homes").await;
    homes.assert_contains("Cedar View");
    assert!(
        !homes.text().contains("Alder House"),
        "a provider sees only its own organisation's homes"
    );
}

#[tokio::test]
async fn user_form_errors_are_listed_and_nothing_is_created() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let response = admin
        .post_form(
            "/users/new",
            &[
                ("email", "not-an-email"),
                ("display_name", ""),
                ("role", "provider"),
                ("password", "short"),
            ],
        )
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter an email address in the correct format",
        "Enter the person's name",
        "Enter the provider organisation this user works for",
    ] {
        response.assert_contains(message);
    }
    let count = users::Entity::find()
        .filter(users::Column::Email.eq("not-an-email"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(count.is_empty());
}

#[tokio::test]
async fn a_duplicate_email_is_a_field_error_whatever_its_case() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let response = admin
        .post_form(
            "/users/new",
            &[
                ("email", "PLACEMENTS@test.example"),
                ("display_name", "Again"),
                ("role", "placements"),
                ("password", "lantern meadow copper kite"),
            ],
        )
        .await;
    response
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is already a user with this email address");
}

#[tokio::test]
async fn a_weak_initial_password_is_refused() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let response = admin
        .post_form(
            "/users/new",
            &[
                ("email", "x@test.example"),
                ("display_name", "X"),
                ("role", "placements"),
                ("password", "qwerty123456"),
            ],
        )
        .await;
    response
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("too common");
}

#[tokio::test]
async fn deactivation_ends_the_users_sessions_and_sign_in() {
    let app = TestApp::new().await;
    let mut placements = app.signed_in(Persona::Placements).await;
    placements.get("/").await.assert_status(StatusCode::OK);
    let mut admin = app.signed_in(Persona::Admin).await;
    let id = app.seed.user_id(Persona::Placements);
    let response = admin
        .post_form(&format!("/users/{id}/deactivate"), &[])
        .await;
    assert_eq!(response.location(), Some("/users"));
    assert!(
        placements
            .get("/")
            .await
            .location()
            .is_some_and(|l| l.starts_with("/sign-in"))
    );
    app.client()
        .sign_in("placements@test.example", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    admin
        .post_form(&format!("/users/{id}/reactivate"), &[])
        .await;
    app.client()
        .sign_in("placements@test.example", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_admin_cannot_deactivate_themself() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let id = app.seed.user_id(Persona::Admin);
    admin
        .post_form(&format!("/users/{id}/deactivate"), &[])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_users_list_filters_by_role() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let page = admin.get("/users?role=provider").await;
    page.assert_contains("provider-a@test.example")
        .assert_contains("Acme Care Ltd");
    page.assert_lacks("commissioner@test.example");
}

#[tokio::test]
async fn user_changes_are_in_the_audit_log_without_secrets() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let id = app.seed.user_id(Persona::ProviderB);
    admin
        .post_form(&format!("/users/{id}/deactivate"), &[])
        .await;
    let log = admin.get("/audit?entity_type=user").await;
    log.assert_contains("Deactivated provider-b@test.example")
        .assert_contains("active: true")
        .assert_contains("active: false");
    assert!(
        !log.body.contains("argon2"),
        "password hashes never reach the audit log"
    );
}
