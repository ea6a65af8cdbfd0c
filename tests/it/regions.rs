//! A region: BCP and Dorset are member councils (the seed). A provider files
//! one return that both see, each with its own children's beds; each
//! council's cases, notes and searches are its own; an administrator adds
//! and removes members; a regional lead sees every member's figures; an
//! existing single-council database becomes a region of one.

use axum::http::StatusCode;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::json;
use sufficiency::db::entities::{monitoring_cases, return_placements};
use sufficiency::returns::this_week;

use crate::cli::{binary, succeeded};
use crate::support::database::TestDatabase;
use crate::support::{Persona, TestApp};

/// Provider A files A1's week: BCP's children in 1 bed, Dorset's in 2, one
/// bed vacant.
async fn a1_filed_for_two_councils(app: &TestApp) {
    let mut api = app.api_client(Persona::ProviderA).await;
    let body = json!({
        "occupied_by_council": [
            { "council": "E06000058", "beds": 1 },
            { "council": "E06000059", "beds": 2 }
        ],
        "occupied_outside_region": 0,
        "vacancies": [{ "beds": 1, "available_from": this_week().monday().to_string(),
                        "min_age": 12, "max_age": 16, "sexes": "mixed" }]
    });
    let path = format!("/api/v1/homes/{}/returns/{}", app.seed.home_a1, this_week());
    api.put_json(&path, &body.to_string())
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn one_return_is_seen_by_every_council_each_with_its_own_children() {
    let app = TestApp::new().await;
    a1_filed_for_two_councils(&app).await;
    // The form lists every member, the home's own council first.
    let mut a = app.signed_in(Persona::ProviderA).await;
    let form = a
        .get(&format!(
            "/homes/{}/returns/{}",
            app.seed.home_a1,
            this_week()
        ))
        .await
        .text();
    let bcp = form.find("Bournemouth, Christchurch and Poole").unwrap();
    let dorset = form.find("Dorset").unwrap();
    assert!(bcp < dorset, "{form}");

    // BCP: its own children in 1 bed, other councils' in 2.
    let mut bcp = app.signed_in(Persona::Commissioner).await;
    let home = bcp.get(&format!("/homes/{}", app.seed.home_a1)).await;
    home.assert_contains("Beds occupied 3, by the councils that placed the children")
        .assert_contains("Dorset: 2");
    let board = bcp.get("/returns/export.csv").await.body;
    let a1 = board.lines().find(|l| l.contains("Alder House")).unwrap();
    assert!(a1.contains(",1,2,0,1,"), "ours 1, others 2: {a1}");
    bcp.get("/capacity")
        .await
        .assert_contains("Who uses the other beds")
        .assert_contains("1 used by BCP's children")
        .assert_contains("Dorset");

    // Dorset, the same return: its children in 2 beds.
    let mut dorset = app.signed_in(Persona::OtherCouncil).await;
    let board = dorset.get("/returns/export.csv?council=all").await.body;
    let a1 = board.lines().find(|l| l.contains("Alder House")).unwrap();
    assert!(a1.contains(",2,1,0,1,"), "ours 2, others 1: {a1}");
    dorset.get("/").await.assert_contains("Dorset Council");
    let placements = return_placements::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(placements.len(), 2, "one line per council");
}

#[tokio::test]
async fn a_councils_cases_notes_and_searches_are_its_own() {
    let app = TestApp::new().await;
    let case = app.seed.case_a;
    let mut dorset = app.signed_in(Persona::OtherCouncil).await;
    // BCP's case is not Dorset's to see, nor in its list.
    dorset
        .get(&format!("/cases/{case}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    dorset
        .get("/cases")
        .await
        .assert_status(StatusCode::OK)
        .assert_lacks("Alder House");
    dorset
        .post_form(
            &format!("/cases/{case}/notes"),
            &[("note", "Dorset's view")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Dorset opens its own case on the same home, with a note of its own.
    let opened = dorset
        .post_form(
            &format!("/homes/{}/cases/new", app.seed.home_a1),
            &[("reason", "safeguarding"), ("note", "Dorset's concern")],
        )
        .await;
    opened.assert_status(StatusCode::SEE_OTHER);
    let dorset_case = opened.location().unwrap().to_string();
    dorset
        .post_form(
            &format!("{dorset_case}/notes"),
            &[("note", "Dorset's private note")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let cases = monitoring_cases::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(cases.len(), 2, "one open case per council");

    // BCP sees that Dorset monitors the home, not Dorset's notes.
    let mut bcp = app.signed_in(Persona::Commissioner).await;
    bcp.get(&format!("/cases/{case}"))
        .await
        .assert_contains("Other councils monitoring this home")
        .assert_contains("Dorset")
        .assert_lacks("Dorset's private note");
    bcp.get(&dorset_case)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The audit log: each council's administrators see their own staff's
    // actions (and providers' and the system's), not another council's.
    let actors = |council: i64| {
        let db = &app.db;
        async move {
            let filter = sufficiency::audit::Filter {
                council: Some(council),
                ..Default::default()
            };
            let (rows, _) = sufficiency::audit::list(
                db,
                &filter,
                sufficiency::web::pagination::PageNumber::FIRST,
                500,
            )
            .await
            .unwrap();
            rows.into_iter().map(|r| r.actor).collect::<Vec<_>>()
        }
    };
    let dorset_staff = "commissioner@dorset.test.example".to_string();
    assert!(
        !actors(app.seed.our_council_id)
            .await
            .contains(&dorset_staff)
    );
    assert!(
        actors(app.seed.other_council_id)
            .await
            .contains(&dorset_staff)
    );

    // Searches: each council's unmet demand counts its own.
    crate::support::place_seed_homes(&app).await;
    let mut placements = app.signed_in(Persona::Placements).await;
    placements
        .get("/search?age=14&sex=female&postcode=BH12+1AA&miles=20")
        .await
        .assert_status(StatusCode::OK);
    app.state.search_log.flush().await;
    let now = chrono::Utc::now();
    let month = now - chrono::Duration::days(30);
    let ours =
        sufficiency::search::demand::between(&app.db, Some(app.seed.our_council_id), month, now)
            .await
            .unwrap();
    let theirs =
        sufficiency::search::demand::between(&app.db, Some(app.seed.other_council_id), month, now)
            .await
            .unwrap();
    assert_eq!((ours.searches, theirs.searches), (1, 0));
}

#[tokio::test]
async fn an_administrator_adds_and_removes_a_member_council() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    admin
        .get("/councils")
        .await
        .assert_contains("2 member councils")
        .assert_contains("E06000059");
    let wrong = admin.post_form("/councils", &[("code", "E07000091")]).await;
    wrong
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("is not a council's ONS code");
    let added = admin.post_form("/councils", &[("code", "e06000045")]).await;
    added.assert_status(StatusCode::SEE_OTHER);
    let page = added.location().unwrap().to_string();
    admin
        .get("/councils")
        .await
        .assert_contains("Southampton added to the region")
        .assert_contains("3 member councils");
    // Its localities, one a line.
    admin
        .post_form(
            &page,
            &[
                ("short_name", "Soton"),
                ("localities", "Centre: SO14, so15"),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let southampton = sufficiency::regions::members(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Southampton")
        .unwrap();
    assert_eq!(southampton.short_name, "Soton");
    assert_eq!(
        southampton.localities[0].postcode_districts,
        ["SO14", "SO15"]
    );
    admin
        .post_form(&page, &[("localities", "Centre SO14")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("Line 1");
    // A council with staff stays; one without goes.
    admin
        .post_form(
            &format!("/councils/{}/remove", app.seed.our_council_id),
            &[],
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST)
        .assert_contains("active users");
    admin
        .post_form(&format!("{page}/remove"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    admin
        .get("/councils")
        .await
        .assert_contains("2 member councils");
    // The audit log says who did it.
    admin
        .get("/audit")
        .await
        .assert_contains("Added Southampton to the region")
        .assert_contains("Removed Southampton from the region");
}

#[tokio::test]
async fn councils_are_added_on_the_command_line_by_ons_code() {
    let database = TestDatabase::create().await;
    let run = |args: &[&str]| {
        binary()
            .env("DATABASE_URL", database.url())
            .arg("council")
            .args(args)
            .output()
            .unwrap()
    };
    let added = run(&["add", "--code", "E10000014"]);
    succeeded(&added);
    assert!(String::from_utf8_lossy(&added.stdout).contains("Added Hampshire (E10000014)"));
    let again = run(&["add", "--code", "E10000014"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already a member"));
    let list = run(&["list"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains("E06000058\tBournemouth, Christchurch and Poole"),
        "{listed}"
    );
    assert!(listed.contains("E10000014\tHampshire"), "{listed}");
    let unknown = run(&["add", "--code", "E06999999"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("No council with the code"));
    succeeded(&run(&["remove", "--code", "E10000014"]));
}

#[tokio::test]
async fn a_regional_lead_sees_every_members_figures_and_downloads_them() {
    let app = TestApp::new().await;
    a1_filed_for_two_councils(&app).await;
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    commissioner
        .get("/region")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // An administrator makes the commissioner a regional lead.
    let mut admin = app.signed_in(Persona::Admin).await;
    let id = app.seed.user_id(Persona::Commissioner);
    admin
        .post_form(&format!("/users/{id}/regional-lead"), &[("lead", "yes")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    admin
        .get("/users")
        .await
        .assert_contains("commissioner@test.example is now a regional lead")
        .assert_contains("Regional lead");
    let provider = app.seed.user_id(Persona::ProviderA);
    admin
        .post_form(
            &format!("/users/{provider}/regional-lead"),
            &[("lead", "yes")],
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let mut lead = app.signed_in(Persona::Commissioner).await;
    lead.get("/region")
        .await
        .assert_status(StatusCode::OK)
        .assert_contains("Bournemouth, Christchurch and Poole")
        .assert_contains("Dorset");
    let csv = lead.get("/region/export.csv").await.body;
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("Beds its children occupy across the region"),
        "{header}"
    );
    // BCP's area: 1 bed of its own, 2 of Dorset's; Dorset's children: 2.
    let bcp = csv.lines().find(|l| l.contains("Bournemouth")).unwrap();
    assert!(bcp.contains(",1,2,0,"), "{bcp}");
    let dorset = csv.lines().find(|l| l.contains(",Dorset,")).unwrap();
    assert!(dorset.ends_with(",2"), "{dorset}");
    let xlsx = lead.get("/region/export.xlsx").await;
    xlsx.assert_status(StatusCode::OK);
}

/// A database from before regions: its council (the one with an ONS code)
/// becomes the only member; staff join it; each return's "ours" becomes
/// that council's line and "other" the outside-region count; cases and
/// searches become its, and so do the homes' contracts. Down gives the old
/// columns back.
#[tokio::test]
async fn an_existing_database_becomes_a_region_of_one() {
    let database = TestDatabase::empty().await;
    let db = database.connect().await;
    Migrator::up(&db, Some(24))
        .await
        .expect("up to before regions");
    let at = "'2026-11-30T09:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO organisations (kind, name, name_key, ons_code, created_at, updated_at) VALUES ('council', 'Bournemouth, Christchurch and Poole', 'bournemouth christchurch and poole', 'E06000058', {at}, {at})"
        ),
        format!(
            "INSERT INTO organisations (kind, name, name_key, created_at, updated_at) VALUES ('provider', 'Acme', 'acme', {at}, {at})"
        ),
        format!(
            "INSERT INTO homes (urn, name, provision_type, registration_status, host_council_id, provider_id, contract, block_beds, created_at, updated_at) VALUES ('SC100001', 'Alder House', 'childrens_home', 'active', 1, 2, 'block', 2, {at}, {at})"
        ),
        format!(
            "INSERT INTO users (email, display_name, password_hash, role, session_key, created_at, updated_at) VALUES ('c@example.org', 'C', 'x', 'commissioner', 'k', {at}, {at})"
        ),
        format!(
            "INSERT INTO returns (home_id, week_start, version, is_current, occupied_ours, occupied_other, source, submitted_by, submitted_at, late) VALUES (1, '2026-11-30', 1, TRUE, 2, 1, 'form', 'p', {at}, FALSE)"
        ),
        format!(
            "INSERT INTO monitoring_cases (home_id, reason, status, opened_at, opened_by, created_at, updated_at) VALUES (1, 'safeguarding', 'open', {at}, 'C', {at}, {at})"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect(&sql);
    }
    Migrator::up(&db, None).await.expect("up to regions");
    // Counts are INTEGER on PostgreSQL, ids BIGINT: read every value as BIGINT.
    let one = |sql: &str| {
        let db = &db;
        let sql = format!("SELECT CAST(({sql}) AS BIGINT)");
        async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    sql.clone(),
                ))
                .await
                .unwrap()
                .expect(&sql);
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(one("SELECT organisation_id FROM council_members").await, 1);
    assert_eq!(one("SELECT organisation_id FROM users").await, 1);
    assert_eq!(
        one("SELECT beds FROM return_placements WHERE council_id = 1").await,
        2
    );
    assert_eq!(one("SELECT occupied FROM returns").await, 3);
    assert_eq!(one("SELECT occupied_outside_region FROM returns").await, 1);
    assert_eq!(one("SELECT council_id FROM monitoring_cases").await, 1);
    assert_eq!(
        one("SELECT block_beds FROM council_contracts WHERE council_id = 1").await,
        2
    );
    Migrator::down(&db, Some(4)).await.expect("down again");
    assert_eq!(one("SELECT block_beds FROM homes").await, 2);
    assert_eq!(one("SELECT occupied_ours FROM returns").await, 2);
    assert_eq!(one("SELECT occupied_other FROM returns").await, 1);
}

/// How a council buys places at a home is its own: BCP's block contract
/// shows to BCP, and Dorset sees spot purchase for itself.
#[tokio::test]
async fn a_councils_block_contract_is_its_own() {
    let app = TestApp::new().await;
    let mut bcp = app.signed_in(Persona::Commissioner).await;
    let council = app.seed.our_council_id.to_string();
    let mut form = crate::homes::new_home("SC300001", "Damson House", "Brightside", &council);
    form.retain(|(k, _)| *k != "contract");
    form.push(("contract", "block"));
    form.push(("block_beds", "2"));
    bcp.post_form("/homes/new", &form)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    bcp.get("/homes/SC300001")
        .await
        .assert_contains("How BCP buys places")
        .assert_contains("2 block beds");
    let mut dorset = app.signed_in(Persona::OtherCouncil).await;
    dorset
        .get("/homes/SC300001")
        .await
        .assert_contains("How Dorset buys places")
        .assert_lacks("2 block beds");
    let contracts = sufficiency::db::entities::council_contracts::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(contracts.len(), 1);
    assert_eq!(contracts[0].council_id, app.seed.our_council_id);
}
