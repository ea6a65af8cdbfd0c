use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::db::entities::{audit_events, homes, organisations};

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
    csv.assert_lacks("Acme");
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

/// A new database's region starts with the council the configuration
/// names (by its ONS code, with its short name and localities), and
/// starting again changes nothing, even with a provider of the same name.
#[tokio::test]
async fn the_region_starts_with_the_configured_council_once() {
    use sufficiency::auth::Viewer;
    use sufficiency::organisations::{Kind, OrganisationInput, create};
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
    sufficiency::regions::start_with_configured_council(&app.db, &app.state.settings)
        .await
        .expect("start again");
    // The seed's region: BCP and Dorset; starting again adds nothing.
    let members = sufficiency::regions::members(&app.db).await.unwrap();
    assert_eq!(members.len(), 2, "{members:?}");
    let ours = &members[0];
    assert_eq!(ours.id, app.seed.our_council_id);
    assert_eq!(ours.ons_code.as_deref(), Some("E06000058"));
    assert_eq!(ours.short_name, "BCP");
    assert_eq!(ours.localities, app.state.settings.council.localities);
}

/// Imports a committed extract of Ofsted's data from the command line's path.
async fn import_demo(app: &TestApp, name: &str) -> sufficiency::ofsted::ImportSummary {
    let path = crate::support::repo_path("data/demo/ofsted").join(name);
    let file = sufficiency::ofsted::read_file(&path, &app.state.sandbox)
        .await
        .expect("parse");
    sufficiency::ofsted::import(
        &app.db,
        &sufficiency::auth::Viewer::system("test"),
        &file,
        &app.state.settings,
    )
    .await
    .expect("import")
}

async fn org_named(app: &TestApp, name: &str) -> Option<organisations::Model> {
    organisations::Entity::find()
        .filter(organisations::Column::Name.eq(name))
        .one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_commissioner_merges_two_spellings_of_an_owner_and_later_imports_keep_them_merged() {
    let app = TestApp::new().await;
    import_demo(&app, "providers_at_31_march_2023.csv").await;
    let old = org_named(&app, "Beaufort care Group").await.unwrap();
    // A commissioner adds the owner under its legal name.
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.post_form(
        "/organisations/new",
        &[
            ("kind", "provider"),
            ("name", "Beaufort Care Group Limited"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let new = org_named(&app, "Beaufort Care Group Limited")
        .await
        .unwrap();
    let old_homes = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(old.id))
        .count(&app.db)
        .await
        .unwrap();
    assert!(old_homes > 0);
    sufficiency::users::create(
        &app.db,
        &sufficiency::auth::Viewer::system("test"),
        sufficiency::users::NewUser {
            email: "manager@beaufort.example".into(),
            display_name: "Beaufort manager".into(),
            role: sufficiency::auth::Role::Provider,
            organisation: sufficiency::organisations::pick::Pick::id(old.id),
            council: None,
            regional_lead: false,
            password: crate::support::PASSWORD.into(),
        },
        &app.state.settings,
    )
    .await
    .unwrap();

    // From the organisation page: the likely match, then what moves.
    c.get(&format!("/organisations/{}", old.id))
        .await
        .assert_contains("Merge into another organisation");
    c.get(&format!("/organisations/{}/merge", old.id))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Likely the same organisation")
        .assert_contains("Merge into Beaufort Care Group Limited");
    c.get(&format!("/organisations/{}/merge?into={}", old.id, old.id))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("cannot be merged into itself");
    c.get(&format!("/organisations/{}/merge?into={}", old.id, new.id))
        .await
        .assert_status(StatusCode::OK)
        .assert_contains(&format!("Homes that move ({old_homes})"))
        .assert_contains("Users who move (1)")
        .assert_contains("manager@beaufort.example");
    let merged = c
        .post_form(
            &format!("/organisations/{}/merge", old.id),
            &[("into", &new.id.to_string())],
        )
        .await;
    merged.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        merged.location(),
        Some(format!("/organisations/{}", new.id).as_str())
    );
    c.get(&format!("/organisations/{}", new.id))
        .await
        .assert_contains("merged into Beaufort Care Group Limited")
        .assert_contains("Also spelled")
        .assert_contains("Beaufort care Group");
    assert!(org_named(&app, "Beaufort care Group").await.is_none());
    let audited = audit_events::Entity::find()
        .filter(audit_events::Column::Summary.starts_with("Merged 'Beaufort care Group'"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // The provider's user follows its organisation.
    let mut manager = app.client();
    manager
        .sign_in("manager@beaufort.example", crate::support::PASSWORD)
        .await;
    let all = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(new.id))
        .count(&app.db)
        .await
        .unwrap();
    manager
        .get("/homes")
        .await
        .assert_contains(&format!("of {all} homes"));

    // Later files, and the 2023 file again, keep the homes together: its
    // spelling is the survivor's alias.
    let later = import_demo(&app, "inspections_2023_24.csv").await;
    assert!(
        later
            .owner_changes
            .iter()
            .all(|c| !c.to.starts_with("Beaufort")),
        "{later}"
    );
    let again = import_demo(&app, "providers_at_31_march_2023.csv").await;
    assert!(
        org_named(&app, "Beaufort care Group").await.is_none(),
        "{again}"
    );
    assert!(
        again
            .owner_changes
            .iter()
            .all(|c| !c.to.starts_with("Beaufort")),
        "{again}"
    );
    assert_eq!(
        homes::Entity::find()
            .filter(homes::Column::ProviderId.eq(new.id))
            .count(&app.db)
            .await
            .unwrap(),
        all
    );
    // Nor may a provider or a placements officer merge.
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.post_form(
        &format!("/organisations/{}/merge", app.seed.provider_b_id),
        &[("into", &app.seed.provider_a_id.to_string())],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_organisation_is_chosen_by_typing_its_name_not_from_a_page_of_every_option() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    // Suggestions for the type-to-find field.
    let found = admin
        .get("/organisations/choices.json?kind=provider&q=bright")
        .await;
    found.assert_status(StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    assert_eq!(list[0]["name"], "Brightside Homes Limited");
    assert_eq!(list[0]["id"], app.seed.provider_b_id);
    assert_eq!(list.as_array().unwrap().len(), 1);
    // The add-user page lists no organisations: the field is typed in.
    let form = admin.get("/users/new").await;
    form.assert_lacks("Brightside Homes Limited");
    // Without JavaScript, the name typed is found, or the page says why not.
    let user = |name: &'static str| {
        vec![
            ("email", "picker@brightside.example"),
            ("display_name", "Picker"),
            ("role", "provider"),
            ("organisation_id", ""),
            ("organisation_id_name", name),
            ("password", "lantern meadow copper kite"),
        ]
    };
    admin
        .post_form("/users/new", &user("Nowhere Care"))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("No provider is called 'Nowhere Care'");
    // Two providers have an "e" in their name: type more.
    admin
        .post_form("/users/new", &user("e"))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("providers have 'e' in their name")
        .assert_contains("type more of the name");
    admin
        .post_form("/users/new", &user("brightside"))
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let created = sufficiency::db::entities::users::Entity::find()
        .filter(sufficiency::db::entities::users::Column::Email.eq("picker@brightside.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.organisation_id, Some(app.seed.provider_b_id));

    // The returns board's provider filter is in its form, by name too.
    let board = admin.get("/returns?provider_name=acme").await;
    board.assert_status(StatusCode::OK);
    let text = board.text();
    assert!(
        text.contains("Alder House") && !text.contains("Cedar View"),
        "{text}"
    );
    admin
        .get("/returns?provider_name=zzz")
        .await
        .assert_contains("No provider is called 'zzz'");
}
