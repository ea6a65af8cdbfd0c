use axum::http::StatusCode;

use crate::support::{Persona, TestApp};

#[tokio::test]
async fn a_commissioner_adds_a_provider_and_records_its_ownership() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let response = c
        .post_form(
            "/organisations/new",
            &[
                ("kind", "provider"),
                ("name", "Harbour Care Group Ltd"),
                ("sector", "private"),
                ("contact_email", "returns@harbour.example"),
                ("ownership_note", "Backed by private equity since 2022"),
            ],
        )
        .await;
    let location = response
        .location()
        .expect("redirect to the new organisation")
        .to_string();
    let page = c.get(&location).await;
    page.assert_contains("Harbour Care Group Ltd")
        .assert_contains("Backed by private equity since 2022")
        .assert_contains("Harbour Care Group Ltd added");
    // The same name spelled differently is the same organisation.
    let again = c
        .post_form(
            "/organisations/new",
            &[("kind", "provider"), ("name", "HARBOUR CARE GROUP LIMITED")],
        )
        .await;
    again
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is already an organisation with this name");
}

#[tokio::test]
async fn organisation_form_errors_are_summarised() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let response = c
        .post_form(
            "/organisations/new",
            &[
                ("kind", "provider"),
                ("name", ""),
                ("contact_email", "nope"),
            ],
        )
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    response
        .assert_contains("Enter the organisation's name")
        .assert_contains("Enter an email address in the correct format");
}

#[tokio::test]
async fn a_provider_sees_its_own_organisation_page_with_its_homes() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let page = a
        .get(&format!("/organisations/{}", app.seed.provider_a_id))
        .await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Alder House")
        .assert_contains("Birch Lodge");
}

#[tokio::test]
async fn the_organisation_list_filters_and_exports() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Placements).await;
    let page = c.get("/organisations?kind=provider&q=acme").await;
    page.assert_contains("Acme Care Ltd")
        .assert_contains("Showing 1 to 1 of 1 organisations");
    let csv = c.get("/organisations/export.csv?kind=council").await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.body.contains("Dorset"));
    assert!(!csv.body.contains("Acme"));
}

#[tokio::test]
async fn editing_an_organisation_is_audited() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let id = app.seed.provider_a_id;
    let response = c
        .post_form(
            &format!("/organisations/{id}/edit"),
            &[("name", "Acme Care Ltd"), ("sector", "voluntary")],
        )
        .await;
    assert_eq!(
        response.location(),
        Some(format!("/organisations/{id}").as_str())
    );
    let mut admin = app.signed_in(Persona::Admin).await;
    admin
        .get(&format!("/audit?entity_type=organisation&entity_id={id}"))
        .await
        .assert_contains("sector: private")
        .assert_contains("sector: voluntary");
}

/// "Our council" (the dashboard's, the map's and every job's) is the
/// council organisation the configuration names, however the name is
/// spelled there, and never a provider that happens to share the name.
#[tokio::test]
async fn our_council_is_the_council_the_configuration_names_however_spelled() {
    use sufficiency::auth::Viewer;
    use sufficiency::organisations::{Kind, OrganisationInput, create, our_council_id};
    let app = TestApp::new().await;
    let namesake = OrganisationInput {
        kind: Kind::Provider,
        name: app.state.settings.council.name.clone(),
        sector: None,
        contact_email: None,
        ownership_note: None,
        ons_code: None,
    };
    create(&app.db, &Viewer::system("test"), namesake)
        .await
        .expect("a provider with the council's name");
    let mut council = app.state.settings.council.clone();
    let ours = Some(app.seed.our_council_id);
    for spelling in [
        "Bournemouth, Christchurch and Poole",
        "  BOURNEMOUTH, Christchurch & Poole ",
    ] {
        council.name = spelling.into();
        let found = our_council_id(&app.db, &council).await.expect("lookup");
        assert_eq!(found, ours, "{spelling}");
    }
    council.name = "Christchurch".into();
    let found = our_council_id(&app.db, &council).await.expect("lookup");
    assert_eq!(found, None, "a part of the name is not the council");
}
