//! The demo database: real Ofsted data for BCP and its neighbours, with
//! twelve weeks of returns, change reports of the imports, and monitoring
//! cases with history, so that every screen shows real-looking data.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::db::entities::{
    case_escalations, case_meetings, inspections, monitoring_cases, ofsted_imports, returns,
};

use crate::support::{TestApp, repo_path};

#[tokio::test]
async fn the_demo_has_returns_change_reports_and_cases_with_history() {
    let app = TestApp::empty().await;
    let logins = sufficiency::demo::build(&app.db, &app.state.settings, &repo_path("data/demo"))
        .await
        .expect("demo builds");
    assert_eq!(logins.len(), 5);
    let db = &app.db;
    assert!(returns::Entity::find().count(db).await.unwrap() > 1000);

    let imports = ofsted_imports::Entity::find().all(db).await.unwrap();
    assert_eq!(imports.len(), 3);
    assert!(imports.iter().all(|i| i.status == "done"));
    let last = sufficiency::ofsted::web_import::report_of(&imports[2]).expect("report");
    assert!(!last.downgrades.is_empty(), "2023-24 has real downgrades");
    assert!(!last.upgrades.is_empty());

    let open = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .count(db)
        .await
        .unwrap();
    assert!(open >= 5, "{open} open cases");
    assert!(case_meetings::Entity::find().count(db).await.unwrap() > 5);
    assert!(case_escalations::Entity::find().count(db).await.unwrap() > 0);
    let awaiting = inspections::Entity::find()
        .filter(inspections::Column::Verified.eq(false))
        .count(db)
        .await
        .unwrap();
    assert_eq!(awaiting, 2, "two provider reports await confirmation");
}
