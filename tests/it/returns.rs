//! Weekly returns through the web form: filing, every rule, "no change",
//! amendments and their history, the council's board and exports.

use axum::http::StatusCode;
use importers::vocab::IsoWeek;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::db::entities::{return_vacancies, returns};
use sufficiency::returns::this_week;

use crate::support::{Client, Persona, TestApp};

/// A1: 4 places; this fills it with 1 + 1 occupied and 2 vacant beds.
pub fn a1_fields<'a>(week: &IsoWeek) -> Vec<(&'a str, String)> {
    let monday = week.monday();
    vec![
        ("idempotency_key", format!("k-{}", rand::random::<u64>())),
        ("vacancy_groups", "1".into()),
        ("occupied_E06000058", "1".into()),
        ("occupied_outside_region", "1".into()),
        ("v0_beds", "2".into()),
        ("v0_available_day", monday.format("%-d").to_string()),
        ("v0_available_month", monday.format("%-m").to_string()),
        ("v0_available_year", monday.format("%Y").to_string()),
        ("v0_min_age", "12".into()),
        ("v0_max_age", "16".into()),
        ("v0_sexes", "mixed".into()),
        ("v0_needs", "emotional_behavioural".into()),
        ("v0_emergency", "yes".into()),
        ("v0_fee", "4,750.00".into()),
        ("action", "file".into()),
    ]
}

/// Provider A files Alder House's return for `week` with [`a1_fields`].
pub async fn a1_files(app: &TestApp, week: &IsoWeek) -> crate::support::Response {
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, week, &a1_fields(week)).await
}

pub async fn file(
    client: &mut Client<'_>,
    urn: &str,
    week: &IsoWeek,
    fields: &[(&str, String)],
) -> crate::support::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client
        .post_form(&format!("/homes/{urn}/returns/{week}"), &pairs)
        .await
}

fn set<'a>(fields: &mut Vec<(&'a str, String)>, name: &'a str, value: &str) {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_string()));
}

async fn count(app: &TestApp) -> u64 {
    returns::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_provider_files_a_return_and_sees_it_filed() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let form = a
        .get(&format!("/homes/{}/returns/{week}", app.seed.home_a1))
        .await;
    form.assert_status(StatusCode::OK)
        .assert_contains("Registered places 4")
        .assert_contains("Beds occupied, by the council that placed the child")
        .assert_contains("Bournemouth, Christchurch and Poole")
        .assert_contains("Councils outside the region");
    let response = file(&mut a, &app.seed.home_a1, &week, &a1_fields(&week)).await;
    assert_eq!(response.location(), Some("/"));
    let home = a.get("/").await;
    home.assert_contains("Return for Alder House filed")
        .assert_contains("2 admittable vacancies");
    let ret = returns::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(
        (
            app.ours_in(ret.id).await,
            ret.occupied_outside_region,
            ret.vacancies,
            ret.version
        ),
        (1, 1, 2, 1)
    );
    assert_eq!(ret.submitted_by, "provider-a@test.example");
    let vacancy = return_vacancies::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vacancy.weekly_fee_pence, Some(475_000));
    assert!(vacancy.emergency && !vacancy.solo_only);
    // The council sees it on the home page with when it was last updated.
    let mut c = app.signed_in(Persona::Placements).await;
    let page = c.get(&format!("/homes/{}", app.seed.home_a1)).await;
    page.assert_contains("last updated")
        .assert_contains("2 beds, from")
        .assert_contains("£4,750.00 a week");
    assert!(page.body.contains("<svg class=\"app-chart\""));
}

#[tokio::test]
async fn every_rule_is_explained_and_nothing_is_filed() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("occupied_E06000058", "3"),
                ("occupied_outside_region", "2"),
                ("vacancy_groups", "0"),
            ],
            "Beds occupied (5) is more than registered places (4)",
        ),
        (
            vec![
                ("occupied_E06000058", "3"),
                ("occupied_outside_region", "0"),
                ("unavailable_works", "2"),
                ("vacancy_groups", "0"),
            ],
            "Beds occupied (3) and not admittable (2) add up to more than registered places (4)",
        ),
        (
            vec![("vacancy_groups", "0")],
            "2 beds are admittable (4 places − 2 occupied − 0 not admittable): describe 2 in the vacancies, not 0",
        ),
        (vec![("v0_beds", "1")], "describe 2 in the vacancies, not 1"),
        (
            vec![("occupied_E06000058", "")],
            "3 beds are admittable (4 places − 1 occupied − 0 not admittable)",
        ),
        (
            vec![("occupied_outside_region", "lots")],
            "Enter a whole number",
        ),
        (
            vec![("unavailable_other", "1"), ("v0_beds", "1")],
            "Say why the other beds cannot take a child",
        ),
        (
            vec![("v0_min_age", "8")],
            "Ages 8 to 16 are outside the ages this home is registered for (11 to 17)",
        ),
        (
            vec![("v0_min_age", "16"), ("v0_max_age", "12")],
            "Youngest age (16) must not be more than oldest age (12)",
        ),
        (vec![("v0_needs", "autism")], "does not cover: Autism"),
        (
            vec![("v0_available_day", "31"), ("v0_available_month", "2")],
            "must be a real date",
        ),
        (
            vec![("v0_available_year", "")],
            "with a day, month and year",
        ),
        (vec![("v0_fee", "lots")], "is not an amount in pounds"),
        (vec![("v0_fee", "900000")], "The weekly fee looks too high"),
        (vec![("v0_sexes", "")], "Select who vacancy 1 can take"),
    ];
    for (changes, message) in cases {
        let mut fields = a1_fields(&week);
        for (name, value) in &changes {
            set(&mut fields, name, value);
        }
        let response = file(&mut a, &app.seed.home_a1, &week, &fields).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes:?}"
        );
        assert!(response.body.contains("govuk-error-summary"), "{changes:?}");
        assert!(
            response.text().contains(message),
            "{changes:?} should say {message:?}: {}",
            response.text()
        );
    }
    assert_eq!(count(&app).await, 0, "nothing was filed");
}

#[tokio::test]
async fn vacancies_can_be_added_and_removed_without_javascript() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let mut fields = a1_fields(&week);
    set(&mut fields, "action", "add_vacancy");
    let response = file(&mut a, &app.seed.home_a1, &week, &fields).await;
    response.assert_status(StatusCode::OK);
    assert!(
        response.body.contains("name=\"v1_beds\""),
        "a second vacancy group appears"
    );
    assert!(response.body.contains("id=\"v1_needs\" name=\"v1_needs\" type=\"checkbox\" value=\"emotional_behavioural\" checked"), "the home's needs are the default");
    set(&mut fields, "action", "remove_vacancy_0");
    let response = file(&mut a, &app.seed.home_a1, &week, &fields).await;
    response.assert_lacks("name=\"v0_beds\"");
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn an_amendment_is_a_new_version_and_history_shows_both() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, &week, &a1_fields(&week)).await;
    // The form now shows this week's return, ready to change.
    let form = a
        .get(&format!("/homes/{}/returns/{week}", app.seed.home_a1))
        .await;
    form.assert_contains("This week's return is filed (version 1)");
    let mut fields = a1_fields(&week);
    set(&mut fields, "occupied_outside_region", "2");
    set(&mut fields, "v0_beds", "1");
    file(&mut a, &app.seed.home_a1, &week, &fields).await;
    let all = returns::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all.iter().filter(|r| r.is_current).count(), 1);
    assert!(
        all.iter()
            .any(|r| r.version == 2 && r.is_current && r.occupied_outside_region == 2)
    );
    let history = a.get(&format!("/homes/{}/returns", app.seed.home_a1)).await;
    history
        .assert_contains("Every return and amendment")
        .assert_contains("provider-a@test.example");
    assert_eq!(history.body.matches("Web form").count(), 2);
    let mut admin = app.signed_in(Persona::Admin).await;
    admin
        .get("/audit?entity_type=return")
        .await
        .assert_contains("Amended return for Alder House");
}

#[tokio::test]
async fn a_double_submitted_form_files_once() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let fields = a1_fields(&week);
    file(&mut a, &app.seed.home_a1, &week, &fields).await;
    let again = file(&mut a, &app.seed.home_a1, &week, &fields).await;
    assert_eq!(again.location(), Some("/"));
    a.get("/").await.assert_contains("was already filed");
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn no_change_files_last_weeks_return_in_one_click() {
    let app = TestApp::new().await;
    let (week, last) = (this_week(), this_week().plus(-1));
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, &last, &a1_fields(&last)).await;
    let page = a.get("/").await;
    page.assert_contains("No change since last week");
    let response = a
        .post_form(
            &format!("/homes/{}/returns/{week}/no-change", app.seed.home_a1),
            &[],
        )
        .await;
    assert_eq!(response.location(), Some("/"));
    a.get("/")
        .await
        .assert_contains("No change filed for Alder House");
    let this = returns::Entity::find()
        .filter(returns::Column::WeekStart.eq(week.monday()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            this.source.as_str(),
            app.ours_in(this.id).await,
            this.vacancies
        ),
        ("no_change", 1, 2)
    );
    assert_eq!(
        return_vacancies::Entity::find()
            .filter(return_vacancies::Column::ReturnId.eq(this.id))
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    // Pressing it again changes nothing.
    a.post_form(
        &format!("/homes/{}/returns/{week}/no-change", app.seed.home_a1),
        &[],
    )
    .await;
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn no_change_for_all_homes_files_each_home_with_a_previous_return() {
    let app = TestApp::new().await;
    let last = this_week().plus(-1);
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, &last, &a1_fields(&last)).await;
    let response = a
        .post_form("/returns/no-change", &[("week", &this_week().to_string())])
        .await;
    assert_eq!(response.location(), Some("/"));
    let page = a.get("/").await;
    page.assert_contains("1 return filed with no change; 1 still to do")
        .assert_contains("Birch Lodge has no earlier return");
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn no_change_without_an_earlier_return_asks_for_the_form() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let response = a
        .post_form(
            &format!("/homes/{}/returns/{week}/no-change", app.seed.home_a2),
            &[],
        )
        .await;
    assert_eq!(
        response.location(),
        Some(format!("/homes/{}/returns/{week}", app.seed.home_a2).as_str())
    );
    a.get(response.location().unwrap())
        .await
        .assert_contains("has no earlier return to copy");
}

#[tokio::test]
async fn a_late_return_is_marked_late() {
    let app = TestApp::new().await;
    let old = this_week().plus(-3);
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, &old, &a1_fields(&old)).await;
    let ret = returns::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(ret.late, "filed three weeks after it was due");
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get(&format!("/returns?week={old}"))
        .await
        .assert_contains("Filed late");
}

#[tokio::test]
async fn weeks_outside_the_window_say_which_weeks_may_be_filed() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let ahead = a
        .get(&format!(
            "/homes/{}/returns/{}",
            app.seed.home_a1,
            this_week().plus(5)
        ))
        .await;
    ahead
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains(&format!(
            "Returns can be filed for weeks up to {}",
            this_week().plus(1)
        ));
    a.get(&format!(
        "/homes/{}/returns/{}",
        app.seed.home_a1,
        this_week().plus(-9)
    ))
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
    .assert_contains("too long ago");
    for week in ["2026-W99", "next-week"] {
        a.get(&format!("/homes/{}/returns/{week}", app.seed.home_a1))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_council_board_shows_every_home_with_totals_and_exports() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    file(&mut a, &app.seed.home_a1, &week, &a1_fields(&week)).await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let board = c.get("/returns").await;
    board
        .assert_status(StatusCode::OK)
        .assert_contains("1 of 3 homes filed")
        .assert_contains("Alder House")
        .assert_contains("Cedar View");
    assert!(
        board.text().contains("Total (3 homes) 9 1 1 0 2"),
        "{}",
        board.text()
    );
    // When each home last filed: Alder House today, the other two never.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::London);
    let today = sufficiency::web::filters::long_date(&today.date_naive());
    assert!(
        board.text().contains(&format!("{today} at ")),
        "{}",
        board.text()
    );
    assert_eq!(board.text().matches("Never").count(), 2, "{}", board.text());
    let prev = c.get(&format!("/returns?week={}", week.plus(-1))).await;
    prev.assert_contains("0 of 3 homes filed");
    c.get("/returns?locality=Christchurch")
        .await
        .assert_contains("Birch Lodge")
        .assert_contains("0 of 1 homes filed");
    let csv = c.get(&format!("/returns/export.csv?week={week}")).await;
    assert!(csv.body.contains("Alder House") && csv.body.contains("Filed"));
    let xlsx = c.get(&format!("/returns/export.xlsx?week={week}")).await;
    assert!(
        xlsx.header("content-type")
            .unwrap()
            .contains("spreadsheetml")
    );
    // The export is a real workbook another reader can open.
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    let text: Vec<String> = sheets[0]
        .rows
        .iter()
        .flat_map(|r| r.cells.iter().filter_map(|c| c.text()))
        .collect();
    // "Filed" or "Filed late", depending on the day the test runs.
    assert!(
        text.contains(&"Alder House".to_string()) && text.iter().any(|t| t.starts_with("Filed"))
    );
}

#[tokio::test]
async fn providers_cannot_file_for_another_providers_home() {
    let app = TestApp::new().await;
    let week = this_week();
    let mut b = app.signed_in(Persona::ProviderB).await;
    let response = file(&mut b, &app.seed.home_a1, &week, &a1_fields(&week)).await;
    response.assert_status(StatusCode::FORBIDDEN);
    b.post_form(
        &format!("/homes/{}/returns/{week}/no-change", app.seed.home_a1),
        &[],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(count(&app).await, 0);
}

/// Every council's board, thousands of homes nationally, comes a page at a
/// time; the totals are of every page.
#[tokio::test]
async fn the_board_for_every_council_pages_its_homes() {
    use sea_orm::ActiveValue::Set;
    use sufficiency::db::entities::homes;
    let app = TestApp::new().await;
    let now = chrono::Utc::now().fixed_offset();
    let neighbours = (0..205).map(|n| homes::ActiveModel {
        urn: Set(format!("SC9{n:05}")),
        name: Set(format!("Neighbour Home {n:03}")),
        provision_type: Set("childrens_home".into()),
        registered_places: Set(Some(1)),
        short_break_only: Set(false),
        multi_building: Set(false),
        registration_status: Set("active".into()),
        host_council_id: Set(Some(app.seed.other_council_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    homes::Entity::insert_many(neighbours)
        .exec(&app.db)
        .await
        .expect("205 homes in Dorset");
    let mut c = app.signed_in(Persona::Commissioner).await;
    let first = c.get("/returns?council=all").await;
    first.assert_contains("0 of 208 homes filed");
    assert!(first.text().contains("Total (208 homes, every page) 214"));
    assert_eq!(first.body.matches("href=\"/homes/SC").count(), 200);
    let next = first.body.replace("&#38;", "&").replace("&amp;", "&");
    assert!(next.contains("/returns?council=all&page=2"), "{next}");
    let second = c.get("/returns?council=all&page=2").await;
    second.assert_contains("0 of 208 homes filed");
    assert_eq!(second.body.matches("href=\"/homes/SC").count(), 8);
    // Our own council's board is one page, as before.
    let ours = c.get("/returns").await;
    assert!(ours.text().contains("Total (3 homes) 9"), "{}", ours.text());
}
