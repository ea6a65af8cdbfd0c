use axum::http::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn healthz_reports_a_reachable_database() {
    let app = TestApp::empty().await;
    let response = app.client().get("/healthz").await;
    response.assert_status(StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(json["database"], "reachable");
}

#[tokio::test]
async fn healthz_is_503_when_the_database_is_gone() {
    let app = TestApp::empty().await;
    app.db.clone().close().await.unwrap();
    let response = app.client().get("/healthz").await;
    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.body.contains("unreachable"));
}
