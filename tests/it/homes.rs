//! Homes: list, filters, sort, pages, export, the home page, add and edit.

use axum::http::StatusCode;
use sea_orm::EntityTrait;
use sufficiency::db::entities::homes;

use crate::support::seed::{CANARY_A, CANARY_B};
use crate::support::{Persona, TestApp};

pub fn new_home<'a>(
    urn: &'a str,
    name: &'a str,
    provider: &'a str,
    council: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("registration", "1"),
        ("urn", urn),
        ("name", name),
        ("provision_type", "childrens_home"),
        ("sector", "private"),
        ("registered_places", "4"),
        ("registration_status", "active"),
        ("host_council_id", council),
        // Typed, as without JavaScript: the service finds the provider.
        ("provider_id_name", provider),
        ("contract", "spot"),
        ("min_age", "12"),
        ("max_age", "17"),
        ("sexes", "female"),
        ("needs", "autism"),
        ("needs", "mental_health"),
        ("address_line1", "5 New Street"),
        ("town", "Christchurch"),
        ("postcode", "bh23 1aa"),
    ]
}

#[tokio::test]
async fn a_commissioner_adds_a_home_and_sees_it() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let (provider, council) = ("Brightside", app.seed.our_council_id.to_string());
    let response = c
        .post_form(
            "/homes/new",
            &new_home("sc300001", "Damson House", provider, &council),
        )
        .await;
    assert_eq!(response.location(), Some("/homes/SC300001"));
    let page = c.get("/homes/SC300001").await;
    page.assert_contains("Damson House added")
        .assert_contains("Brightside Homes Limited")
        .assert_contains("12 to 17")
        .assert_contains("Girls only")
        .assert_contains("Autism")
        .assert_contains("Mental health")
        .assert_contains("BH23 1AA")
        .assert_contains("Christchurch");
    let home = app.home("SC300001").await;
    assert_eq!(
        home.locality.as_deref(),
        Some("Christchurch"),
        "locality comes from the postcode district"
    );
}

#[tokio::test]
async fn an_invalid_home_is_shown_again_with_every_problem_and_nothing_saved() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let form = [
        ("registration", "1"),
        ("urn", "SC12"),
        ("name", ""),
        ("provision_type", ""),
        ("registered_places", "four"),
        ("registration_status", "active"),
        ("contract", "block"),
        ("min_age", "17"),
        ("max_age", "12"),
        ("postcode", "not a postcode"),
        ("registration_day", "31"),
        ("registration_month", "2"),
        ("registration_year", "2020"),
    ];
    let response = c.post_form("/homes/new", &form).await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("govuk-error-summary"));
    for message in [
        "'SC12' is not an Ofsted URN",
        "Enter the home's name",
        "Select the provision type",
        "Registered places must be a whole number",
        "Registration date must be a real date",
        "Enter how many beds the council's block contract covers",
        "Youngest age (17) must not be more than oldest age (12)",
        "Enter a real postcode, like BH1 1AA",
    ] {
        response.assert_contains(message);
    }
    // What the user typed is kept.
    assert!(response.body.contains("value=\"not a postcode\""));
    assert_eq!(homes::Entity::find().all(&app.db).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_duplicate_urn_is_a_field_error() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Admin).await;
    let (provider, council) = ("Acme Care Ltd", app.seed.our_council_id.to_string());
    let response = c
        .post_form(
            "/homes/new",
            &new_home("SC100001", "Copy", provider, &council),
        )
        .await;
    response
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("A home with this URN already exists");
    assert!(response.body.contains("href=\"#urn\""));
}

#[tokio::test]
async fn a_provider_edits_its_home_but_cannot_reassign_or_re_rate_it() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let path = format!("/homes/{}/edit", app.seed.home_a1);
    let form = a.get(&path).await;
    form.assert_status(StatusCode::OK);
    assert!(
        !form.body.contains("name=\"provider_id\""),
        "providers are not offered registration fields"
    );
    let b = app.seed.provider_b_id.to_string();
    let response = a
        .post_form(
            &path,
            &[
                ("name", "Alder House (renamed)"),
                ("min_age", "8"),
                ("max_age", "12"),
                ("sexes", "male"),
                ("address_line1", CANARY_A),
                ("postcode", "BH1 1AA"),
                // Mass assignment: none of these may take effect.
                ("registration", "1"),
                ("provider_id", &b),
                ("provision_type", "secure_childrens_home"),
                ("registered_places", "40"),
                ("registration_status", "active"),
                ("contract", "spot"),
                ("rating", "outstanding"),
                ("organisation_id", &b),
            ],
        )
        .await;
    assert_eq!(
        response.location(),
        Some(format!("/homes/{}", app.seed.home_a1).as_str())
    );
    let home = app.home(&app.seed.home_a1).await;
    assert_eq!(home.name, "Alder House (renamed)");
    assert_eq!((home.min_age, home.max_age), (Some(8), Some(12)));
    assert_eq!(home.provider_id, Some(app.seed.provider_a_id));
    assert_eq!(home.provision_type, "childrens_home");
    assert_eq!(home.registered_places, Some(4));
    let mut admin = app.signed_in(Persona::Admin).await;
    admin
        .get(&format!(
            "/audit?entity_type=home&entity_id={}",
            app.seed.home_a1
        ))
        .await
        .assert_contains("Alder House (renamed)");
}

#[tokio::test]
async fn the_list_filters_sorts_and_pages() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Placements).await;
    let all = c.get("/homes").await;
    all.assert_contains("Showing 1 to 3 of 3 homes");
    let text = all.text();
    let (a, b, cv) = (
        text.find("Alder House").unwrap(),
        text.find("Birch Lodge").unwrap(),
        text.find("Cedar View").unwrap(),
    );
    assert!(a < b && b < cv, "sorted by name");
    let by_places = c.get("/homes?sort=places&dir=desc").await.text();
    assert!(by_places.find("Alder House").unwrap() < by_places.find("Cedar View").unwrap());
    c.get("/homes?rating=good")
        .await
        .assert_contains("Showing 1 to 1 of 1 homes")
        .assert_contains("Alder House");
    c.get("/homes?rating=not_inspected")
        .await
        .assert_contains("Showing 1 to 2 of 2 homes");
    c.get("/homes?locality=Christchurch")
        .await
        .assert_contains("Birch Lodge")
        .assert_contains("Showing 1 to 1 of 1");
    c.get("/homes?q=sc200001")
        .await
        .assert_contains("Cedar View")
        .assert_contains("Showing 1 to 1 of 1");
    c.get(&format!("/homes?council={}", app.seed.other_council_id))
        .await
        .assert_contains("No homes match these filters");

    // Sixty more homes: two pages.
    let mut admin = app.signed_in(Persona::Admin).await;
    let (provider, council) = ("Brightside", app.seed.our_council_id.to_string());
    for i in 0..60 {
        let urn = format!("SC4{i:05}");
        let name = format!("Page Test {i:02}");
        let response = admin
            .post_form("/homes/new", &new_home(&urn, &name, provider, &council))
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
    }
    let page2 = c.get("/homes?page=2").await;
    page2.assert_contains("Showing 51 to 63 of 63 homes");
    assert!(page2.body.contains("rel=\"prev\""));
}

#[tokio::test]
async fn a_provider_lists_and_exports_only_its_own_homes() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let list = a.get("/homes").await;
    list.assert_contains("Alder House")
        .assert_contains("Birch Lodge");
    list.assert_lacks("Cedar View");
    // Even asking for provider B's homes by filter shows nothing of theirs.
    let sneaky = a
        .get(&format!("/homes?provider={}", app.seed.provider_b_id))
        .await;
    sneaky.assert_lacks("Cedar View");
    let csv = a.get("/homes/export.csv").await;
    assert!(
        csv.body.contains(CANARY_A),
        "its own addresses are in its export"
    );
    assert!(!csv.body.contains(CANARY_B) && !csv.body.contains("Cedar View"));
}

#[tokio::test]
async fn the_csv_export_neutralises_formulas() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let (provider, council) = ("Acme Care Ltd", app.seed.our_council_id.to_string());
    let response = c
        .post_form(
            "/homes/new",
            &new_home(
                "SC500001",
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                provider,
                &council,
            ),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    let csv = c.get("/homes/export.csv").await;
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("homes.csv")
    );
    assert!(
        csv.body
            .contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "{}",
        csv.body
    );
}

#[tokio::test]
async fn the_home_page_shows_rating_history_and_address_to_those_allowed() {
    let app = TestApp::new().await;
    let path = format!("/homes/{}", app.seed.home_a1);
    for persona in [
        Persona::Commissioner,
        Persona::Placements,
        Persona::ProviderA,
    ] {
        let mut client = app.signed_in(persona).await;
        let page = client.get(&path).await;
        page.assert_status(StatusCode::OK)
            .assert_contains("Good")
            .assert_contains("12 March 2024")
            .assert_contains(CANARY_A);
    }
}

#[tokio::test]
async fn text_fields_come_back_inert() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let (provider, council) = ("Acme Care Ltd", app.seed.our_council_id.to_string());
    let payload = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let response = c
        .post_form(
            "/homes/new",
            &new_home("SC600001", payload, provider, &council),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    for path in ["/homes/SC600001", "/homes", "/homes/SC600001/edit"] {
        let page = c.get(path).await;
        page.assert_lacks("<script>alert");
        page.assert_lacks("<img src=x");
        let at = page.body.find("alert").unwrap_or(0);
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{path} should show the text escaped: {}",
            &page.body[at.saturating_sub(40)..(at + 40).min(page.body.len())]
        );
    }
}
