//! Finding a bed: each criterion and its edges, ranking, near misses, the
//! rating gate, stale figures, unknown postcodes, exports, the API, and the
//! search log (no child identity) behind the unmet-demand page.

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sufficiency::db::entities::{homes, returns, searches};
use sufficiency::returns::this_week;

use crate::support::{Persona, TestApp};

const PLACES: &str = "postcode,latitude,longitude
BH1 1AA,50.727909,-1.863623
BH23 1AA,50.735750,-1.778350
BH12 1AA,50.732960,-1.930050
";

async fn placed() -> TestApp {
    let app = TestApp::new().await;
    crate::support::place_seed_homes(&app).await;
    app
}

fn vacancy(min: u8, max: u8, sexes: &str, needs: &[&str], emergency: bool) -> Value {
    json!({
        "beds": 1, "available_from": this_week().monday().to_string(), "min_age": min,
        "max_age": max, "sexes": sexes, "needs": needs, "emergency": emergency,
        "weekly_fee": "4500.00"
    })
}

/// Files this week's return for a home over the API as its provider.
async fn file(app: &TestApp, persona: Persona, urn: &str, ours: u32, vacancies: Vec<Value>) {
    let mut api = app.api_client(persona).await;
    let body = json!({ "occupied_ours": ours, "occupied_other": 0, "vacancies": vacancies });
    let response = api
        .put_json(
            &format!("/api/v1/homes/{urn}/returns/{}", this_week()),
            &body.to_string(),
        )
        .await;
    assert!(response.status.is_success(), "{}", response.text());
}

/// A1 (Good, BH1): a bed for 12-16s, mixed, emotional needs, emergency.
/// B1 (not yet rated, BH12): a bed for girls 11-17 with emotional needs.
pub(crate) async fn with_vacancies() -> TestApp {
    let app = placed().await;
    file(
        &app,
        Persona::ProviderA,
        "SC100001",
        3,
        vec![vacancy(12, 16, "mixed", &["emotional_behavioural"], true)],
    )
    .await;
    file(
        &app,
        Persona::ProviderB,
        "SC200001",
        1,
        vec![vacancy(11, 17, "female", &["emotional_behavioural"], false)],
    )
    .await;
    app
}

/// Room for many vacancies at Alder House (a return's beds add up to its
/// places).
async fn alder_house_has_places(app: &TestApp, places: i32) {
    homes::Entity::update_many()
        .col_expr(homes::Column::RegisteredPlaces, places.into())
        .filter(homes::Column::Urn.eq("SC100001"))
        .exec(&app.db)
        .await
        .unwrap();
}

/// The reasons in the near-miss table's "Misses" column.
fn near_misses(page: &str) -> Vec<String> {
    page.split(r#"<td class="govuk-table__cell app-miss">"#)
        .skip(1)
        .filter_map(|cell| cell.split("</td>").next())
        .map(|reason| reason.replace("&#39;", "'").replace("&amp;", "&"))
        .collect()
}

/// Moves Cedar View's returns' filing time, as if filed then.
async fn cedar_view_filed_at(app: &TestApp, at: chrono::DateTime<chrono::FixedOffset>) {
    let cedar = app.home("SC200001").await;
    returns::Entity::update_many()
        .col_expr(returns::Column::SubmittedAt, at.into())
        .filter(returns::Column::HomeId.eq(cedar.id))
        .exec(&app.db)
        .await
        .unwrap();
}

fn count(page: &str, heading_start: &str) -> Option<usize> {
    let at = page.find(heading_start)?;
    page[..at]
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())?
        .parse()
        .ok()
}

#[tokio::test]
async fn a_placements_officer_finds_a_fitting_bed_and_sees_near_misses() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    let page = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&miles=20&needs=emotional_behavioural")
        .await;
    page.assert_status(StatusCode::OK)
        .assert_contains("1 vacancies fit")
        .assert_contains("Alder House")
        .assert_contains("Nearly fit: one criterion off (1)")
        .assert_contains("Cedar View");
    assert_eq!(near_misses(&page.body), ["Not yet rated"]);
    let text = page.text();
    // Alder House is about 2.9 miles from BH12 1AA.
    assert!(text.contains("Alder House · 2.9 miles"), "{text}");
    assert_eq!(count(&text, "vacancies fit"), Some(1));
}

#[tokio::test]
async fn each_criterion_excludes_with_its_reason() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    let base = "/search?sex=male&postcode=BH1+1AA&miles=20";
    for (query, reason) in [
        ("&age=16", None),
        ("&age=12", None),
        ("&age=17", Some("Takes ages 12 to 16; the child is 17")),
        ("&age=11", Some("Takes ages 12 to 16; the child is 11")),
        ("&age=14&needs=autism", Some("Does not list autism")),
        ("&age=14&emergency=yes", None),
        ("&age=14&type=childrens_home", None),
        ("&age=14&solo=yes", Some("Not a solo placement")),
        ("&age=14&rating=outstanding", Some("Rated Good")),
    ] {
        let page = p.get(&format!("{base}{query}")).await;
        let text = page.text();
        match reason {
            None => assert!(text.contains("1 vacancies fit"), "{query}: {text}"),
            Some(reason) => {
                assert!(text.contains("0 vacancies fit"), "{query}: {text}");
                assert_eq!(near_misses(&page.body), [reason], "{query}");
            }
        }
    }
    // The date: available from this Monday, needed the day before.
    let before = this_week().monday() - chrono::Duration::days(1);
    let page = p.get(&format!("{base}&age=14&from={before}")).await.text();
    assert!(page.contains("0 vacancies fit"), "{page}");
    assert!(page.contains("1 days after the date needed"), "{page}");
    // Distance: Alder House is 2.9 miles from BH12 1AA.
    let page = p
        .get("/search?sex=male&age=14&postcode=BH12+1AA&miles=2")
        .await;
    assert_eq!(near_misses(&page.body), ["2.9 miles away, beyond 2 miles"]);
    // Sex: Cedar View takes girls only.
    let page = p
        .get("/search?sex=male&age=14&postcode=BH12+1AA&miles=20&rating=any&confirm_below_good=yes")
        .await;
    assert_eq!(near_misses(&page.body), ["Girls only"]);
    // Emergency: Alder House takes emergencies, Cedar View does not.
    let page = p
        .get("/search?sex=female&age=14&postcode=BH12+1AA&miles=20&rating=any&confirm_below_good=yes&emergency=yes")
        .await;
    assert_eq!(count(&page.text(), "vacancies fit"), Some(1));
    assert_eq!(near_misses(&page.body), ["Not for emergency placements"]);
    // Provision type is the kind of placement asked for, not a near miss:
    // both homes are children's homes, so a search for fostering finds none.
    let page = p
        .get("/search?sex=female&age=14&postcode=BH12+1AA&miles=20&rating=any&confirm_below_good=yes&type=independent_fostering_agency")
        .await;
    page.assert_contains("0 vacancies fit");
    assert!(near_misses(&page.body).is_empty(), "{}", page.body);
}

/// Near misses page on their own, twenty at a time, keeping the results'
/// page; paging either list is not another search in the log.
#[tokio::test]
async fn near_misses_page_on_their_own() {
    let app = placed().await;
    alder_house_has_places(&app, 23).await;
    let beds: Vec<Value> = (0..23)
        .map(|_| vacancy(12, 16, "mixed", &[], false))
        .collect();
    file(&app, Persona::ProviderA, "SC100001", 0, beds).await;
    let mut p = app.signed_in(Persona::Placements).await;
    // A 17-year-old: every bed misses on age alone.
    let q = "/search?age=17&sex=female&postcode=BH1+1AA";
    let first = p.get(q).await;
    first.assert_contains("Nearly fit: one criterion off (23)");
    first.assert_contains("Showing 1 to 20 of 23");
    assert_eq!(near_misses(&first.body).len(), 20);
    let next = first
        .body
        .replace("&#38;", "&")
        .contains("postcode=BH1+1AA&near=2#near-misses");
    assert!(next, "{}", first.body);
    let second = p.get(&format!("{q}&near=2")).await;
    second.assert_contains("Showing 21 to 23 of 23");
    assert_eq!(near_misses(&second.body).len(), 3);
    app.state.search_log.flush().await;
    assert_eq!(searches::Entity::find().count(&app.db).await.unwrap(), 1);
}

/// Within the same mile the better-rated home comes first, and between
/// equally rated homes the one whose figures are fresher.
#[tokio::test]
async fn ties_in_distance_go_to_the_better_rated_then_the_fresher() {
    let app = with_vacancies().await;
    file(
        &app,
        Persona::ProviderA,
        "SC100002",
        2,
        vec![vacancy(11, 17, "mixed", &[], false)],
    )
    .await;
    // All three homes at Cedar View's position: every distance is 0.
    let cedar = app.home("SC200001").await;
    homes::Entity::update_many()
        .col_expr(homes::Column::Latitude, cedar.latitude.into())
        .col_expr(homes::Column::Longitude, cedar.longitude.into())
        .exec(&app.db)
        .await
        .unwrap();
    // Cedar View (not yet rated, like Birch Lodge) updated two days ago.
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).fixed_offset();
    cedar_view_filed_at(&app, two_days_ago).await;
    let mut p = app.signed_in(Persona::Placements).await;
    let text = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&rating=any&confirm_below_good=yes")
        .await
        .text();
    assert_eq!(count(&text, "vacancies fit"), Some(3), "{text}");
    let at = |name: &str| text.find(name).unwrap_or(usize::MAX);
    let (alder, birch, cedar) = (at("Alder House"), at("Birch Lodge"), at("Cedar View"));
    assert!(alder < birch && birch < cedar, "Good, then fresher: {text}");
}

/// Twenty results a page; the next page holds the rest, in the same order.
#[tokio::test]
async fn results_page_twenty_at_a_time() {
    let app = placed().await;
    let beds: Vec<Value> = (0..23)
        .map(|i| {
            json!({
                "beds": 1, "available_from": this_week().monday().to_string(), "min_age": 11,
                "max_age": 17, "sexes": "mixed", "weekly_fee": format!("{}.00", 4000 + i)
            })
        })
        .collect();
    alder_house_has_places(&app, 23).await;
    file(&app, Persona::ProviderA, "SC100001", 0, beds).await;
    let mut p = app.signed_in(Persona::Placements).await;
    let q = "/search?age=14&sex=female&postcode=BH1+1AA";
    let first = p.get(q).await;
    first.assert_contains("23 vacancies fit");
    let fees = |body: &str| body.matches("£4,0").count();
    assert_eq!(fees(&first.body), 20, "{}", first.body);
    let second = p.get(&format!("{q}&page=2")).await;
    second.assert_contains("23 vacancies fit");
    assert_eq!(fees(&second.body), 3, "{}", second.body);
}

#[tokio::test]
async fn below_good_needs_an_explicit_tick_and_shows_a_warning() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    let refused = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&rating=any")
        .await;
    refused
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Tick the box to confirm you are searching homes rated below Good");
    let page = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&rating=any&confirm_below_good=yes")
        .await;
    page.assert_contains("include homes rated below Good")
        .assert_contains("2 vacancies fit");
    // Nearest first: Cedar View is at the search postcode.
    let text = page.text();
    assert!(
        text.find("Cedar View").unwrap() < text.find("Alder House").unwrap(),
        "{text}"
    );
}

#[tokio::test]
async fn stale_figures_are_shown_and_ranked_lower() {
    let app = with_vacancies().await;
    // Cedar View's return was filed ten days ago.
    let ten_days_ago = (chrono::Utc::now() - chrono::Duration::days(10)).fixed_offset();
    cedar_view_filed_at(&app, ten_days_ago).await;
    let mut p = app.signed_in(Persona::Placements).await;
    let text = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&rating=any&confirm_below_good=yes")
        .await
        .text();
    let cedar = text.find("Cedar View").unwrap();
    let alder = text.find("Alder House").unwrap();
    assert!(alder < cedar, "fresh figures first: {text}");
    assert!(text.contains("Stale"), "{text}");
}

#[tokio::test]
async fn figures_over_seven_days_old_are_stale_on_the_search_and_the_map_alike() {
    let app = with_vacancies().await;
    // Cedar View's return was filed seven days and two hours ago: stale,
    // though not yet eight whole days old.
    let filed = (chrono::Utc::now() - chrono::Duration::hours(7 * 24 + 2)).fixed_offset();
    cedar_view_filed_at(&app, filed).await;
    let mut p = app.signed_in(Persona::Placements).await;
    let text = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&rating=any&confirm_below_good=yes")
        .await
        .text();
    assert!(text.contains("Stale"), "{text}");
    let map: serde_json::Value =
        serde_json::from_str(&p.get("/map/homes.json").await.body).unwrap();
    let on_map = map
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["urn"] == "SC200001")
        .unwrap();
    assert_eq!(on_map["stale"], true);
}

#[tokio::test]
async fn an_unknown_postcode_gets_a_clear_message_never_a_zero_distance() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    p.get("/search?age=14&sex=female&postcode=DT1+1AA")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("DT1 1AA is not in the postcode table");
    p.get("/search?age=14&sex=female&postcode=nonsense")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("is not a UK postcode or postcode district");
    // A postcode missing from the table falls back to its district's centre.
    p.get("/search?age=14&sex=female&postcode=BH12+9ZZ")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Distances are measured from the centre of BH12");
    p.get("/search?age=14&sex=female&postcode=bh12")
        .await
        .assert_status(StatusCode::OK);
    // A first visit shows the form without errors.
    p.get("/search").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn searches_are_logged_without_the_child_and_show_as_unmet_demand() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    p.get("/search?age=15&sex=female&postcode=BH12+1AA&needs=mental_health&miles=20")
        .await
        .assert_contains("0 vacancies fit");
    p.get("/search?age=15&sex=female&postcode=BH12+1AA&needs=mental_health&miles=20&page=2")
        .await;
    app.state.search_log.flush().await;
    let logged = searches::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(logged.len(), 1, "paging is not another search");
    let s = &logged[0];
    assert_eq!(s.district, "BH12", "only the district is kept");
    assert_eq!((s.age, s.sexes.as_str(), s.results), (15, "female", 0));
    // Who searched, and when: the officer and their role, just now.
    assert_eq!(s.user_id, Some(app.seed.user_id(Persona::Placements)));
    assert_eq!(s.role, "placements");
    let age = chrono::Utc::now().fixed_offset() - s.searched_at;
    assert!(age < chrono::Duration::minutes(5), "{age}");
    let row = serde_json::to_string(s).unwrap();
    assert!(!row.contains("1AA"), "{row}");
    let mut c = app.signed_in(Persona::Commissioner).await;
    // A 16-year-old girl with the same needs: the same age band.
    p.get("/search?age=16&sex=female&postcode=BH1+1AA&needs=mental_health&miles=20")
        .await
        .assert_contains("0 vacancies fit");
    c.get("/search/demand")
        .await
        .assert_contains("This month: 2 searches")
        .assert_contains("Girls aged 15 to 17")
        .assert_contains("Ages asked: 15, 16")
        .assert_contains("Mental health")
        .assert_contains("BH12");
    let csv = c.get("/search/demand.csv").await;
    assert!(
        csv.body
            .contains("Search with no result,15 to 17,\"15, 16\",Girls,Mental health,Any kind of home,20,2,BH1 BH12"),
        "{}",
        csv.body
    );
    let xlsx = c.get("/search/demand.xlsx?period=last-month").await;
    xlsx.assert_status(StatusCode::OK);
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert_eq!(sheets[0].rows.len(), 1, "last month: the heading alone");
}

#[tokio::test]
async fn a_burst_of_more_searches_than_one_insert_holds_is_logged_in_full() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    // The log writes at most 1,024 rows a statement.
    for age in 0..1600 {
        p.get(&format!(
            "/search?age={}&sex=male&postcode=BH12+1AA",
            age % 26
        ))
        .await
        .assert_status(StatusCode::OK);
    }
    app.state.search_log.flush().await;
    assert_eq!(searches::Entity::find().count(&app.db).await.unwrap(), 1600);
}

#[tokio::test]
async fn results_export_to_csv_and_xlsx() {
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    let q = "age=14&sex=female&postcode=BH12+1AA&needs=emotional_behavioural";
    let csv = p.get(&format!("/search/export.csv?{q}")).await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.body.contains("Fits,SC100001,Alder House"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains("Near miss: Not yet rated,SC200001"),
        "{}",
        csv.body
    );
    let xlsx = p.get(&format!("/search/export.xlsx?{q}")).await;
    let sheets =
        importers::sheet::read(&xlsx.bytes, importers::Format::Xlsx, &Default::default()).unwrap();
    assert_eq!(sheets[0].rows.len(), 3);
    app.state.search_log.flush().await;
    assert_eq!(
        searches::Entity::find()
            .filter(searches::Column::Channel.eq("export"))
            .count(&app.db)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn the_api_searches_for_council_staff_only() {
    let app = with_vacancies().await;
    let mut c = app.api_client(Persona::Placements).await;
    let found: Value = serde_json::from_str(
        &c.get(
            "/api/v1/vacancies?age=14&sex=female&postcode=BH12%201AA&needs=emotional_behavioural",
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(found["results"][0]["urn"], "SC100001");
    assert_eq!(found["results"][0]["miles"], 2.9);
    assert_eq!(found["results"][0]["weekly_fee"], "4500.00");
    assert_eq!(found["near_misses"][0]["misses"], "Not yet rated");
    assert_eq!(
        found["distances_from"],
        json!({"place": "BH12 1AA", "precision": "postcode"})
    );
    let from_district: Value = serde_json::from_str(
        &c.get("/api/v1/vacancies?age=14&sex=female&postcode=BH12")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        from_district["distances_from"],
        json!({"place": "BH12", "precision": "district_centre"})
    );
    let unknown = c
        .get("/api/v1/vacancies?age=14&sex=female&postcode=ZZ99%209ZZ")
        .await;
    unknown.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.body.contains("\"field\":\"postcode\""),
        "{}",
        unknown.body
    );
    let bad = c.get("/api/v1/vacancies?age=40&sex=x").await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Value = serde_json::from_str(&bad.body).unwrap();
    assert!(fields["fields"].as_array().unwrap().len() >= 3, "{fields}");
    let mut a = app.api_client(Persona::ProviderA).await;
    a.get("/api/v1/vacancies?age=14&sex=female&postcode=BH12")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.client()
        .get("/api/v1/vacancies?age=14&sex=female&postcode=BH12")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Providers and anonymous visitors never reach the page either.
    let mut pa = app.signed_in(Persona::ProviderA).await;
    pa.get("/search?age=14&sex=female&postcode=BH12")
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn importing_postcodes_places_homes_and_reports_bad_rows() {
    let app = TestApp::new().await;
    let done = sufficiency::geo::import_postcodes(
        &app.db,
        std::io::Cursor::new(
            format!("{PLACES}NOT A POSTCODE,50.7,-1.8\nBH1 1AB,409722,92041\n").into_bytes(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(done.saved, 3);
    assert_eq!(done.homes_located, 3);
    assert_eq!(done.outcome.error_count, 2);
    let home = app.home("SC100001").await;
    assert_eq!(home.latitude, Some(50.727909));
    // A re-import of a newer edition replaces the position.
    sufficiency::geo::import_postcodes(
        &app.db,
        std::io::Cursor::new(b"postcode,latitude,longitude\nBH1 1AA,50.7,-1.86\n".to_vec()),
    )
    .await
    .unwrap();
    let home = sufficiency::db::entities::homes::Entity::find_by_id(home.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(home.latitude, Some(50.7));
}

/// A table of thousands of postcodes is saved in batches, each reported,
/// so the command line can show progress on the whole country's.
#[tokio::test]
async fn a_large_postcode_table_is_saved_in_batches_with_progress() {
    let app = TestApp::new().await;
    let letters = "ABDEFGHJLNPQRSTUWXYZ".as_bytes();
    let mut table = String::from("postcode,latitude,longitude\n");
    for n in 0..4_500usize {
        let (district, digit) = (1 + n / 4_000, (n / 400) % 10);
        let (first, second) = (letters[(n / 20) % 20] as char, letters[n % 20] as char);
        table.push_str(&format!("AB{district} {digit}{first}{second},57.1,-2.2\n"));
    }
    let mut reported = Vec::new();
    let done = sufficiency::geo::import_postcodes_reporting(
        &app.db,
        std::io::Cursor::new(table.into_bytes()),
        |saved| reported.push(saved),
    )
    .await
    .unwrap();
    assert_eq!(done.outcome.error_count, 0, "{:?}", done.outcome.errors);
    assert_eq!(done.saved, 4_500);
    assert_eq!(reported, [2_000, 4_000, 4_500]);
}

/// The plan the database would use for a query, as text.
async fn plan(app: &TestApp, query: sea_orm::Select<impl sea_orm::EntityTrait>) -> String {
    use sea_orm::{ConnectionTrait, QueryTrait, Statement, TransactionTrait};
    let backend = app.db.get_database_backend();
    let statement = query.build(backend);
    let prefix = match backend {
        sea_orm::DbBackend::Sqlite => "EXPLAIN QUERY PLAN ",
        _ => "EXPLAIN ",
    };
    let explain = Statement::from_sql_and_values(
        backend,
        format!("{prefix}{}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    let txn = app.db.begin().await.unwrap();
    if backend == sea_orm::DbBackend::Postgres {
        // Tables this small are always cheaper to scan: ask whether an index
        // serves the query at all.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
    }
    let rows = txn.query_all_raw(explain).await.unwrap();
    let mut out = String::new();
    for row in rows {
        let column = if backend == sea_orm::DbBackend::Sqlite {
            "detail"
        } else {
            "QUERY PLAN"
        };
        out.push_str(&row.try_get::<String>("", column).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_search_queries_use_their_indexes() {
    let app = with_vacancies().await;
    let point = sufficiency::geo::Point {
        latitude: 50.73,
        longitude: -1.93,
    };
    use sufficiency::search::index::queries as index;
    use sufficiency::search::queries;
    for (name, text, index) in [
        (
            "homes near (map)",
            plan(&app, queries::homes_near(point.bounds(20.0), &[])).await,
            "homes_position",
        ),
        (
            "vacancies of returns (digest)",
            plan(&app, queries::vacancies_of(&[1, 2])).await,
            "return_vacancies_return",
        ),
        (
            "index: homes",
            plan(&app, index::homes()).await,
            "home_offers",
        ),
        (
            "index: returns",
            plan(&app, index::returns()).await,
            "home_offers",
        ),
        (
            "index: vacancies",
            plan(&app, index::vacancies()).await,
            "return_vacancies_return",
        ),
        (
            "index: ratings",
            plan(&app, index::ratings()).await,
            "inspections",
        ),
        (
            "index: open cases",
            plan(&app, index::open_cases()).await,
            "monitoring_cases",
        ),
        (
            "index: providers",
            plan(&app, index::providers()).await,
            "home_offers",
        ),
    ] {
        assert!(text.contains(index), "{name} should use {index}: {text}");
        // The index reads every offer: home_offers is the one table read
        // whole; everything else by key or index.
        let scans = |l: &str| {
            (l.starts_with("SCAN ") || l.contains("Seq Scan")) && !l.contains("home_offers")
        };
        assert!(!text.lines().any(scans), "{name}: {text}");
    }
}

#[tokio::test]
async fn a_search_sees_every_change_committed_before_it() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    use sufficiency::db::entities::{inspections, organisations};
    let app = with_vacancies().await;
    let mut p = app.signed_in(Persona::Placements).await;
    let q = "/search?age=14&sex=female&postcode=BH12+1AA&needs=emotional_behavioural";
    p.get(q).await.assert_contains("Alder House");
    // Changes made straight in the database, as an import or another
    // instance would: each shows in the next search.
    let home = app.home("SC100001").await;
    let mut renamed = home.clone().into_active_model();
    renamed.name = Set("Alder House (renamed)".into());
    renamed.update(&app.db).await.unwrap();
    p.get(q).await.assert_contains("Alder House (renamed)");
    let provider = organisations::Entity::find_by_id(home.provider_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut renamed = provider.into_active_model();
    renamed.name = Set("Renamed Care Ltd".into());
    renamed.update(&app.db).await.unwrap();
    // The API reads the counter with the token: asked first, it sees it too.
    let mut api = app.api_client(Persona::Placements).await;
    api.get("/api/v1/vacancies?age=14&sex=female&postcode=BH12%201AA&needs=emotional_behavioural")
        .await
        .assert_contains("Renamed Care Ltd");
    p.get(q).await.assert_contains("Renamed Care Ltd");
    let rating = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home.id))
        .filter(inspections::Column::IsCurrent.eq(true))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut downgraded = rating.into_active_model();
    downgraded.overall = Set(Some("inadequate".into()));
    downgraded.update(&app.db).await.unwrap();
    let misses = near_misses(&p.get(q).await.body);
    assert!(
        misses.contains(&"Rated Inadequate".to_string()),
        "{misses:?}"
    );
    let mut closed = home.into_active_model();
    closed.registration_status = Set("closed".into());
    closed.update(&app.db).await.unwrap();
    let text = p.get(q).await.text();
    assert!(
        !text.contains("Alder House"),
        "a closed home offers nothing: {text}"
    );
}

#[tokio::test]
async fn a_newer_return_without_vacancies_withdraws_an_older_vacancy() {
    let app = with_vacancies().await;
    // A1 offered a bed last week too; this week it is full.
    let mut api = app.api_client(Persona::ProviderA).await;
    let last_week = this_week().plus(-1);
    let mut offered = vacancy(12, 16, "mixed", &["emotional_behavioural"], true);
    offered["available_from"] = json!(last_week.monday().to_string());
    let body = json!({ "occupied_ours": 3, "occupied_other": 0, "vacancies": [offered] });
    api.put_json(
        &format!("/api/v1/homes/SC100001/returns/{last_week}"),
        &body.to_string(),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let full = json!({ "occupied_ours": 4, "occupied_other": 0, "vacancies": [] });
    api.put_json(
        &format!("/api/v1/homes/SC100001/returns/{}", this_week()),
        &full.to_string(),
    )
    .await
    .assert_status(StatusCode::OK);
    let mut p = app.signed_in(Persona::Placements).await;
    let text = p
        .get("/search?age=14&sex=female&postcode=BH12+1AA&needs=emotional_behavioural")
        .await
        .text();
    assert!(text.contains("0 vacancies fit"), "{text}");
    assert!(!text.contains("Alder House"), "{text}");
}

#[tokio::test]
async fn offers_kept_at_filing_match_a_rebuild_from_the_returns() {
    use sufficiency::db::entities::home_offers;
    let app = with_vacancies().await;
    // A1 files an older week afterwards: its offer stays this week's.
    let mut api = app.api_client(Persona::ProviderA).await;
    let body = json!({ "occupied_ours": 4, "occupied_other": 0, "vacancies": [] });
    api.put_json(
        &format!("/api/v1/homes/SC100001/returns/{}", this_week().plus(-2)),
        &body.to_string(),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let kept = home_offers::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(kept.len(), 2, "A1 and B1 offer beds: {kept:?}");
    sufficiency::returns::offers::rebuild(&app.db)
        .await
        .unwrap();
    let mut rebuilt = home_offers::Entity::find().all(&app.db).await.unwrap();
    let mut kept = kept;
    kept.sort_by_key(|o| o.home_id);
    rebuilt.sort_by_key(|o| o.home_id);
    assert_eq!(kept, rebuilt);
}

/// Records a full inspection of Alder House from the web as `persona`.
async fn inspection_of_alder_house(app: &TestApp, persona: Persona, day: &str, overall: &str) {
    let mut client = app.signed_in(persona).await;
    client
        .post_form(
            "/homes/SC100001/inspections/new",
            &[
                ("event_type", "full"),
                ("date_day", day),
                ("date_month", "11"),
                ("date_year", "2026"),
                ("overall", overall),
                ("report_url", ""),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_home_below_good_stays_out_of_the_default_search_on_its_providers_word() {
    let app = with_vacancies().await;
    let search = "/search?age=14&sex=female&postcode=BH12+1AA&miles=20&needs=emotional_behavioural";
    let mut p = app.signed_in(Persona::Placements).await;
    assert_eq!(count(&p.get(search).await.text(), "vacancies fit"), Some(1));
    // The council records Requires improvement: Alder House leaves the results.
    inspection_of_alder_house(&app, Persona::Commissioner, "2", "requires_improvement").await;
    assert_eq!(count(&p.get(search).await.text(), "vacancies fit"), Some(0));
    // Its provider reports Good: still out until someone confirms it.
    inspection_of_alder_house(&app, Persona::ProviderA, "20", "good").await;
    assert_eq!(count(&p.get(search).await.text(), "vacancies fit"), Some(0));
    let report = sufficiency::db::entities::inspections::Entity::find()
        .filter(sufficiency::db::entities::inspections::Column::Source.eq("provider"))
        .filter(sufficiency::db::entities::inspections::Column::Overall.eq("good"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.post_form(
        &format!("/homes/SC100001/inspections/{}/confirm", report.id),
        &[],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(count(&p.get(search).await.text(), "vacancies fit"), Some(1));
}

#[tokio::test]
async fn every_result_says_who_to_ask_on_the_page_the_downloads_and_the_api() {
    let app = with_vacancies().await;
    let q = "age=14&sex=female&postcode=BH12+1AA&needs=emotional_behavioural";
    // Provider A keeps its organisation's contact up to date.
    let mut a = app.signed_in(Persona::ProviderA).await;
    let contact_path = format!("/organisations/{}/contact", app.seed.provider_a_id);
    a.post_form(
        &contact_path,
        &[
            ("contact_name", "Acme placements team"),
            ("contact_phone", "call us"),
            ("contact_email", "placements@acme.example"),
        ],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
    .assert_contains("Enter a telephone number");
    a.post_form(
        &contact_path,
        &[
            ("contact_name", "Acme placements team"),
            ("contact_phone", "01632 960 001"),
            ("contact_email", "placements@acme.example"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    // Another provider cannot change it.
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.post_form(&contact_path, &[("contact_name", "Hijacked")])
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let mut p = app.signed_in(Persona::Placements).await;
    let page = p.get(&format!("/search?{q}")).await;
    page.assert_contains("Acme placements team");
    assert!(
        page.body.contains("href=\"tel:01632960001\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("href=\"mailto:placements@acme.example\"")
    );
    let csv = p.get(&format!("/search/export.csv?{q}")).await;
    assert!(
        csv.body
            .contains("Acme placements team, 01632 960 001, placements@acme.example"),
        "{}",
        csv.body
    );
    let mut api = app.api_client(Persona::Placements).await;
    let answer: Value =
        serde_json::from_str(&api.get(&format!("/api/v1/vacancies?{q}")).await.body).unwrap();
    assert_eq!(answer["results"][0]["contact"]["phone"], "01632 960 001");
    assert_eq!(
        answer["results"][0]["contact"]["email"],
        "placements@acme.example"
    );

    // A home's own contact replaces the organisation's for that home; the
    // placements team can correct it too.
    p.post_form(
        "/homes/SC100001/contact",
        &[
            ("contact_name", "Alder House manager"),
            ("contact_phone", "01632 960 002"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let page = p.get(&format!("/search?{q}")).await;
    page.assert_contains("Alder House manager");
    assert!(page.body.contains("href=\"tel:01632960002\""));
    page.assert_lacks("Acme placements team");
}
