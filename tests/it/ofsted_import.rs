//! Importing Ofsted's published data: real files, re-imports, spreadsheets
//! from another writer (LibreOffice), and hostile files.

use std::path::{Path, PathBuf};

use importers::vocab::Judgement;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::auth::Viewer;
use sufficiency::db::entities::{homes, inspections, organisations};
use sufficiency::ofsted::{self, ImportSummary};
use sufficiency::sandbox::Sandbox;

use crate::support::{Persona, TestApp, repo_path};

fn sandbox(app: &TestApp) -> Sandbox {
    (*app.state.sandbox).clone()
}

async fn import(app: &TestApp, path: &Path) -> ImportSummary {
    let file = ofsted::read_file(path, &sandbox(app))
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ofsted::import(&app.db, &Viewer::system("test"), &file, &app.state.settings)
        .await
        .expect("import")
}

async fn refused(app: &TestApp, path: &Path) -> String {
    match ofsted::read_file(path, &sandbox(app)).await {
        Ok(file) => panic!(
            "{} parsed into {} settings",
            path.display(),
            file.settings.len()
        ),
        Err(e) => e.message,
    }
}

fn demo(name: &str) -> PathBuf {
    repo_path("data/demo/ofsted").join(name)
}

#[tokio::test]
async fn the_demo_area_extract_imports_and_a_reimport_changes_nothing() {
    let app = TestApp::empty().await;
    let first = import(&app, &demo("providers_at_31_march_2023.csv")).await;
    assert!(first.rejected.is_empty(), "{:?}", first.rejected);
    assert_eq!(first.homes_created, 116);
    assert_eq!(first.inspections_added, 116);
    assert!(first.providers_created > 50);
    let second = import(&app, &demo("providers_at_31_march_2023.csv")).await;
    assert_eq!(second.homes_unchanged, 116);
    assert!(!second.changed_anything(), "{second}");
    assert!(second.rating_changes.is_empty());

    // Ofsted's "Bournemouth, Christchurch & Poole" is our council, one row.
    let councils = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("council"))
        .all(&app.db)
        .await
        .unwrap();
    let names: Vec<&str> = councils.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"Bournemouth, Christchurch and Poole"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains('&')));
    let ours = councils
        .iter()
        .find(|c| c.name == "Bournemouth, Christchurch and Poole")
        .unwrap();
    assert_eq!(ours.ons_code.as_deref(), Some("E06000058"));
}

#[tokio::test]
async fn later_inspections_change_current_ratings_and_are_reported() {
    let app = TestApp::empty().await;
    import(&app, &demo("inspections_2022_23.csv")).await;
    let later = import(&app, &demo("inspections_2023_24.csv")).await;
    assert!(later.rejected.is_empty());
    assert!(later.inspections_added > 100);
    assert!(
        later.rating_changes.iter().any(|c| c.is_downgrade()),
        "{later}"
    );
    // Every home's current rating is its latest full inspection.
    for home in homes::Entity::find().all(&app.db).await.unwrap() {
        let all = inspections::Entity::find()
            .filter(inspections::Column::HomeId.eq(home.id))
            .all(&app.db)
            .await
            .unwrap();
        let latest_full = all
            .iter()
            .filter(|i| i.event_type == "full")
            .max_by_key(|i| (i.inspection_date, i.id));
        let current: Vec<_> = all.iter().filter(|i| i.is_current).collect();
        assert_eq!(
            current.len(),
            usize::from(latest_full.is_some()),
            "{}",
            home.urn
        );
        if let Some(full) = latest_full {
            assert_eq!(current[0].id, full.id, "{}", home.urn);
        }
    }
    // Monitoring and assurance visits carry no grades.
    let ungraded = inspections::Entity::find()
        .filter(inspections::Column::EventType.is_in(["monitoring", "assurance"]))
        .filter(inspections::Column::Overall.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(ungraded, 0);
}

#[tokio::test]
async fn a_provider_user_of_an_imported_owner_sees_exactly_its_homes() {
    let app = TestApp::empty().await;
    import(&app, &demo("providers_at_31_march_2023.csv")).await;
    let org = organisations::Entity::find()
        .filter(organisations::Column::Name.eq("Beaufort care Group"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let owned = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(org.id))
        .count(&app.db)
        .await
        .unwrap();
    sufficiency::users::create(
        &app.db,
        &Viewer::system("test"),
        sufficiency::users::NewUser {
            email: "manager@beaufort.example".into(),
            display_name: "Manager".into(),
            role: sufficiency::auth::Role::Provider,
            organisation: sufficiency::organisations::pick::Pick::id(org.id),
            council: None,
            regional_lead: false,
            password: crate::support::PASSWORD.into(),
        },
        &app.state.settings,
    )
    .await
    .unwrap();
    let mut client = app.client();
    client
        .sign_in("manager@beaufort.example", crate::support::PASSWORD)
        .await;
    client
        .get("/homes")
        .await
        .assert_contains(&format!("Showing 1 to {owned} of {owned} homes"));
    let _ = Persona::ProviderA;
}

#[tokio::test]
async fn owner_name_variants_are_matched_conservatively_and_reported() {
    let app = TestApp::empty().await;
    import(&app, &demo("providers_at_31_march_2023.csv")).await;
    let later = import(&app, &demo("inspections_2023_24.csv")).await;
    // "Beaufort care Group" and "Beaufort Care Group Limited" are not merged, but reported.
    assert!(
        later
            .possible_duplicates
            .iter()
            .any(|((_, a), (_, b))| a.starts_with("Beaufort") && b.starts_with("Beaufort")),
        "{later}"
    );
}

#[tokio::test]
async fn spreadsheets_from_libreoffice_import_like_the_csv() {
    let app = TestApp::empty().await;
    let csv = import(&app, &demo("providers_at_31_march_2023.csv")).await;
    for name in [
        "providers_bcp_area.xlsx",
        "providers_bcp_area.ods",
        "providers_bcp_area.xls",
    ] {
        let path = repo_path("tests/fixtures/ofsted").join(name);
        let file = ofsted::read_file(&path, &sandbox(&app))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            file.errors.is_empty(),
            "{name}: {:?}",
            &file.errors[..file.errors.len().min(5)]
        );
        assert_eq!(file.settings.len(), csv.homes_created, "{name}");
        let again = ofsted::import(&app.db, &Viewer::system("test"), &file, &app.state.settings)
            .await
            .unwrap();
        assert!(
            !again.changed_anything(),
            "{name} differs from the CSV: {again}"
        );
    }
}

#[tokio::test]
async fn hostile_files_get_a_clear_message() {
    let app = TestApp::empty().await;
    let hostile = |name: &str| repo_path("tests/fixtures/hostile").join(name);
    let cases = [
        ("empty.csv", "empty"),
        ("header_only.csv", "no rows of data"),
        ("junk.xlsx", "content is not a XLSX file"),
        ("junk_zip.xlsx", "could not be opened"),
        ("junk.xls", "could not"),
        (
            "wrong_sheet.xlsx",
            "not one of Ofsted's provider-level files",
        ),
        ("xfd1048576.xlsx", "column 16384"),
        ("zip_bomb.xlsx", "zip bomb"),
        (
            "shared_strings_bomb.xlsx",
            "more text values than this service accepts",
        ),
        ("repeat_bomb.ods", "column 16384"),
    ];
    for (name, expected) in cases {
        let message = refused(&app, &hostile(name)).await;
        assert!(message.contains(expected), "{name}: {message}");
    }
    // Entities stay inert: the file is read, the entity is not expanded.
    let inert = ofsted::read_file(&hostile("billion_laughs.xlsx"), &sandbox(&app)).await;
    if let Ok(file) = inert {
        assert!(file.settings.is_empty());
    }
    assert_eq!(
        homes::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing was imported"
    );
}

#[tokio::test]
async fn a_hundred_thousand_blank_rows_are_skipped() {
    let app = TestApp::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.csv");
    let mut body = std::fs::read_to_string(demo("providers_at_31_march_2023.csv")).unwrap();
    body.push_str(&",,,,\r\n".repeat(100_000));
    std::fs::write(&path, body).unwrap();
    let summary = import(&app, &path).await;
    assert_eq!(summary.homes_created, 116);
    assert!(summary.rejected.is_empty());
}

#[tokio::test]
async fn the_parser_process_is_limited_in_memory_and_time() {
    let app = TestApp::empty().await;
    let file = repo_path("tests/fixtures/ofsted/providers_bcp_area.xlsx");
    let mut uploads = app.state.settings.uploads.clone();
    uploads.parser_memory_mib = 8;
    let tight =
        Sandbox::new(&uploads).with_executable(PathBuf::from(env!("CARGO_BIN_EXE_sufficiency")));
    let message = ofsted::read_file(&file, &tight).await.unwrap_err().message;
    assert!(message.contains("could not be read safely"), "{message}");
    let mut uploads = app.state.settings.uploads.clone();
    uploads.parse_timeout_seconds = 0;
    let hasty =
        Sandbox::new(&uploads).with_executable(PathBuf::from(env!("CARGO_BIN_EXE_sufficiency")));
    let message = ofsted::read_file(&file, &hasty).await.unwrap_err().message;
    assert!(message.contains("could not be read safely"), "{message}");
}

/// The real national files in ../shared: every valid row imports. Under CI
/// their absence fails the test; elsewhere it is skipped with a message.
#[tokio::test]
async fn the_real_national_files_import_without_a_rejected_row() {
    let dir = repo_path("../shared/data/ofsted");
    if !dir.is_dir() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{} is required under CI",
            dir.display()
        );
        eprintln!("SKIPPED: {} not found", dir.display());
        return;
    }
    let app = TestApp::empty().await;
    for name in [
        "providers_at_31_march_2023.csv",
        "inspections_2022_23.csv",
        "inspections_2023_24.csv",
    ] {
        let summary = import(&app, &dir.join(name)).await;
        assert!(
            summary.rejected.is_empty(),
            "{name}: {:?}",
            &summary.rejected[..summary.rejected.len().min(5)]
        );
    }
    let total = homes::Entity::find().count(&app.db).await.unwrap();
    assert!(total > 4_000, "{total} homes");
    let again = import(&app, &dir.join("inspections_2023_24.csv")).await;
    assert!(
        !again.changed_anything(),
        "re-import changed things: {again}"
    );
    let rated = inspections::Entity::find()
        .filter(inspections::Column::IsCurrent.eq(true))
        .filter(inspections::Column::Overall.eq(Judgement::Inadequate.code()))
        .count(&app.db)
        .await
        .unwrap();
    assert!(rated > 0);
}

/// The committed extracts of Ofsted's real files, oldest first.
const EXTRACTS: [&str; 4] = [
    "inspections_2022_23.csv",
    "providers_at_31_march_2023.csv",
    "inspections_2023_24.csv",
    "leavers_joiners_at_31_march_2025.csv",
];

/// Every Ofsted fact the database holds, as sorted lines: homes with their
/// owners and dated facts, inspections with the current one marked, and
/// organisations with their spelling.
async fn ofsted_facts(app: &TestApp) -> Vec<String> {
    let orgs: std::collections::HashMap<i64, organisations::Model> = organisations::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let name = |id: Option<i64>| id.and_then(|id| orgs.get(&id)).map(|o| o.name.clone());
    let urns: std::collections::HashMap<i64, String> = homes::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.urn))
        .collect();
    let mut lines = Vec::new();
    for h in homes::Entity::find().all(&app.db).await.unwrap() {
        lines.push(format!(
            "home {} {:?} {} {:?} {:?} {} {} {} {:?} {:?} council={:?} owner={:?} {:?} {:?} {:?} {:?} {:?} dated {:?} {:?} {:?} {:?} {:?}",
            h.urn, h.name, h.provision_type, h.sector, h.registered_places, h.short_break_only,
            h.multi_building, h.registration_status, h.registration_date, h.registration_ended_on,
            name(h.host_council_id), name(h.provider_id), h.address_line1, h.address_line2,
            h.town, h.county, h.postcode, h.status_as_at, h.owner_as_at, h.name_as_at,
            h.address_as_at, h.details_as_at,
        ));
    }
    for i in inspections::Entity::find().all(&app.db).await.unwrap() {
        lines.push(format!(
            "inspection {} {:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {} current={}",
            urns[&i.home_id],
            i.event_number,
            i.event_type,
            i.inspection_date,
            i.publication_date,
            i.overall,
            i.helped_protected,
            i.leaders_managers,
            i.education,
            i.health,
            i.source,
            i.is_current,
        ));
    }
    for o in orgs.values() {
        lines.push(format!(
            "organisation {} {:?} {:?} {:?} {:?}",
            o.kind, o.name, o.sector, o.ons_code, o.name_as_at
        ));
    }
    lines.sort();
    lines
}

fn orders(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for shorter in orders(n - 1) {
        for at in 0..=shorter.len() {
            let mut order = shorter.clone();
            order.insert(at, n - 1);
            all.push(order);
        }
    }
    all
}

#[tokio::test]
async fn the_committed_extracts_end_in_the_same_database_in_every_order() {
    let mut first: Option<(Vec<&str>, Vec<String>)> = None;
    for order in orders(EXTRACTS.len()) {
        let names: Vec<&str> = order.iter().map(|i| EXTRACTS[*i]).collect();
        let app = TestApp::empty().await;
        for name in &names {
            import(&app, &demo(name)).await;
        }
        let facts = ofsted_facts(&app).await;
        match &first {
            None => first = Some((names, facts)),
            Some((first_order, expected)) => {
                let differences: Vec<String> = expected
                    .iter()
                    .filter(|l| !facts.contains(l))
                    .map(|l| format!("- {l}"))
                    .chain(
                        facts
                            .iter()
                            .filter(|l| !expected.contains(l))
                            .map(|l| format!("+ {l}")),
                    )
                    .take(20)
                    .collect();
                assert!(
                    differences.is_empty(),
                    "{first_order:?} and {names:?} differ:\n{}",
                    differences.join("\n")
                );
            }
        }
    }
}

#[tokio::test]
async fn an_older_file_imported_again_changes_no_owner_and_says_what_it_kept() {
    let app = TestApp::empty().await;
    import(&app, &demo("providers_at_31_march_2023.csv")).await;
    let newer = import(&app, &demo("inspections_2023_24.csv")).await;
    // 2023-24 spells Beaufort's homes' owner "Beaufort Care Group Limited".
    let moved: Vec<_> = newer
        .owner_changes
        .iter()
        .filter(|c| c.to == "Beaufort Care Group Limited")
        .collect();
    assert!(!moved.is_empty(), "{newer}");
    assert!(
        moved
            .iter()
            .all(|c| c.from.as_deref() == Some("Beaufort care Group"))
    );
    assert!(newer.to_string().contains("Owner changes:"), "{newer}");

    let again = import(&app, &demo("providers_at_31_march_2023.csv")).await;
    assert!(again.owner_changes.is_empty(), "{again}");
    assert!(again.facts_kept_older >= moved.len(), "{again}");
    assert!(
        again
            .to_string()
            .contains("Facts kept, being newer than the file (31 March 2023)"),
        "{again}"
    );
    let limited = organisations::Entity::find()
        .filter(organisations::Column::Name.eq("Beaufort Care Group Limited"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for change in moved {
        assert_eq!(app.home(&change.urn).await.provider_id, Some(limited.id));
    }
}

#[tokio::test]
async fn leavers_close_and_joiners_register_from_the_leavers_and_joiners_table() {
    let app = TestApp::empty().await;
    import(&app, &demo("providers_at_31_march_2023.csv")).await;
    assert_eq!(app.home("SC068046").await.registration_status, "active");
    let summary = import(&app, &demo("leavers_joiners_at_31_march_2025.csv")).await;
    assert_eq!(
        summary.layout,
        Some(importers::ofsted::Layout::LeaversJoiners)
    );
    let home = app.home("SC068046").await;
    assert_eq!(home.registration_status, "resigned");
    assert_eq!(
        home.registration_ended_on,
        chrono::NaiveDate::from_ymd_opt(2024, 10, 17)
    );
    assert!(
        summary
            .homes_deregistered
            .iter()
            .any(|(urn, _)| urn == "SC068046"),
        "{summary}"
    );
    let joiner = app.home("2801017").await;
    assert_eq!(joiner.registration_status, "active");
    assert_eq!(joiner.name, "Maple House Family Centre");
    assert!(summary.new_homes.iter().any(|(urn, _)| urn == "2801017"));
    // No home of the table is left as it was at the start of the year.
    let text = summary.to_string();
    assert!(text.contains("No longer registered"), "{text}");
    assert!(text.contains("New registrations"), "{text}");
    // Windows-1252 and the spreadsheet forms of the table read the same.
    for name in [
        "leavers_joiners_slice_windows1252.csv",
        "leavers_joiners_slice.xlsx",
        "leavers_joiners_slice.ods",
    ] {
        let path = repo_path("tests/fixtures/ofsted").join(name);
        let file = ofsted::read_file(&path, &sandbox(&app))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            file.layout,
            importers::ofsted::Layout::LeaversJoiners,
            "{name}"
        );
        assert!(file.errors.is_empty(), "{name}: {:?}", file.errors);
    }
}

/// An import left "running" by an instance that stopped is marked failed
/// once it is too old to be running anywhere; a recent one, perhaps running
/// on another instance, is left alone when an instance starts.
#[tokio::test]
async fn only_an_import_too_old_to_be_running_is_marked_interrupted() {
    use sufficiency::db::entities::ofsted_imports;
    let app = TestApp::new().await;
    let now = chrono::Utc::now();
    for (name, minutes_ago) in [("old.csv", 20), ("recent.csv", 1)] {
        let started = (now - chrono::Duration::minutes(minutes_ago)).fixed_offset();
        app.execute(&format!(
            "INSERT INTO ofsted_imports (file_name, status, stage, percent, started_by, started_at) \
             VALUES ('{name}', 'running', 'Checking every row of the file', 15, 'c', '{}')",
            started.to_rfc3339()
        ))
        .await;
    }
    let failed = sufficiency::ofsted::web_import::fail_interrupted(&app.db, now)
        .await
        .unwrap();
    assert_eq!(failed, 1);
    let rows = <ofsted_imports::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap();
    let status = |name: &str| {
        rows.iter()
            .find(|r| r.file_name == name)
            .map(|r| r.status.clone())
            .unwrap()
    };
    assert_eq!(
        (status("old.csv"), status("recent.csv")),
        ("failed".into(), "running".into())
    );
}
