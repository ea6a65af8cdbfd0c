//! Passwords from emailed links: an administrator invites a provider user,
//! who chooses a password from the link; anyone can ask for a reset and
//! gets the same answer whether or not the address has an account; the
//! links work once, not after expiry, not altered.

use axum::http::StatusCode;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sufficiency::db::entities::outbox_emails;

use crate::support::{PASSWORD, Persona, TestApp};

async fn account_emails(app: &TestApp, to: &str) -> Vec<outbox_emails::Model> {
    outbox_emails::Entity::find()
        .filter(outbox_emails::Column::Category.eq("account"))
        .filter(outbox_emails::Column::ToAddress.eq(to))
        .all(&app.db)
        .await
        .expect("outbox")
}

fn link_path(text: &str) -> String {
    let start = text.find("/account/set-password/").expect("a link");
    text[start..]
        .split_whitespace()
        .next()
        .expect("path")
        .to_string()
}

#[tokio::test]
async fn an_invited_provider_user_chooses_a_password_from_the_email() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let org = app.seed.provider_b_id.to_string();
    let response = admin
        .post_form(
            "/users/new",
            &[
                ("email", "invited@brightside.example"),
                ("display_name", "Invited Person"),
                ("role", "provider"),
                ("organisation_id", &org),
                ("organisation_id_name", "Brightside Homes Limited"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(response.location(), Some("/users"), "{}", response.text());
    admin
        .get("/users")
        .await
        .assert_contains("emailed a link to choose their password");
    let invitations = account_emails(&app, "invited@brightside.example").await;
    assert_eq!(invitations.len(), 1);
    let email = &invitations[0];
    assert!(email.subject.contains("invited"), "{}", email.subject);
    assert!(
        !email.body_text.contains("/email/unsubscribe/"),
        "essential: no unsubscribe"
    );
    let path = link_path(&email.body_text);

    let mut person = app.client();
    person
        .get(&path)
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Choose your password");
    // A weak password is explained and the link still works.
    let weak = person
        .post_form(
            &path,
            &[
                ("new_password", "password"),
                ("confirm_password", "password"),
            ],
        )
        .await;
    weak.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is a problem");
    let chosen = "orchard lantern copper tide";
    let done = person
        .post_form(
            &path,
            &[("new_password", chosen), ("confirm_password", chosen)],
        )
        .await;
    assert_eq!(done.location(), Some("/sign-in"));
    let mut signed = app.client();
    signed
        .sign_in("invited@brightside.example", chosen)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    signed.get("/homes").await.assert_contains("Cedar View");
    // Single use.
    let mut again = app.client();
    again
        .get(&path)
        .await
        .assert_status(StatusCode::NOT_FOUND)
        .assert_contains("already been used");
}

#[tokio::test]
async fn a_reset_gives_the_same_answer_for_known_and_unknown_addresses() {
    let app = TestApp::new().await;
    let mut anyone = app.client();
    anyone
        .get("/account/reset")
        .await
        .assert_contains("Reset your password");
    let known = anyone
        .post_form("/account/reset", &[("email", "Provider-A@test.example")])
        .await;
    let unknown = anyone
        .post_form("/account/reset", &[("email", "nobody@test.example")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text(), unknown.text(), "nothing reveals an account");
    assert_eq!(
        account_emails(&app, "provider-a@test.example").await.len(),
        1
    );
    assert!(account_emails(&app, "nobody@test.example").await.is_empty());
    // Asking again at once does not send a second email.
    anyone
        .post_form("/account/reset", &[("email", "provider-a@test.example")])
        .await;
    assert_eq!(
        account_emails(&app, "provider-a@test.example").await.len(),
        1
    );

    let path = link_path(&account_emails(&app, "provider-a@test.example").await[0].body_text);
    // Altered by one character: refused.
    let mut altered = path.clone();
    let last = altered.pop().expect("char");
    altered.push(if last == 'A' { 'B' } else { 'A' });
    anyone
        .get(&altered)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let chosen = "harbour willow seven kites";
    let mut person = app.client();
    person.get(&path).await.assert_status(StatusCode::OK);
    let done = person
        .post_form(
            &path,
            &[("new_password", chosen), ("confirm_password", chosen)],
        )
        .await;
    assert_eq!(done.location(), Some("/sign-in"));
    let mut old = app.client();
    let refused = old.sign_in("provider-a@test.example", PASSWORD).await;
    assert_ne!(
        refused.location(),
        Some("/"),
        "the old password no longer works"
    );
    let mut new = app.client();
    new.sign_in("provider-a@test.example", chosen)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = TestApp::new().await;
    let past = chrono::Utc::now() - Duration::hours(3);
    sufficiency::users::account_links::request_reset(
        &app.db,
        &app.state.settings,
        "placements@test.example",
        past,
    )
    .await
    .expect("reset");
    let path = link_path(&account_emails(&app, "placements@test.example").await[0].body_text);
    let mut anyone = app.client();
    anyone
        .get(&path)
        .await
        .assert_status(StatusCode::NOT_FOUND)
        .assert_contains("expired");
}
