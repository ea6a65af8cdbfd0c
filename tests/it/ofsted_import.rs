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
            organisation_id: Some(org.id),
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
