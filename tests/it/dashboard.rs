//! The landing page for each kind of user.

use axum::http::StatusCode;

use crate::support::{Persona, TestApp};

#[tokio::test]
async fn a_commissioner_sees_the_local_market_at_a_glance() {
    let app = TestApp::new().await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    let page = c.get("/").await;
    page.assert_status(StatusCode::OK)
        .assert_contains("Bournemouth, Christchurch and Poole")
        .assert_contains("3 open homes and services")
        .assert_contains("9 registered places");
    // One home rated Good, two not yet inspected, each linking to the list.
    let council = app.seed.our_council_id;
    assert!(
        page.body
            .contains(&format!("/homes?council={council}&amp;rating=good"))
    );
    assert!(page.body.contains(&format!(
        "/homes?council={council}&amp;rating=not_inspected\">2<"
    )));
    assert!(
        page.body
            .contains(&format!("/homes?council={council}&amp;rating=good\">1<"))
    );
    // The councils table: ours with its 3 homes, 9 places, none below Good.
    let cells: String = page.body.split_whitespace().collect();
    assert!(
        cells.contains(&format!(
            "council={council}\">Bournemouth,ChristchurchandPoole</a></td><tdclass=\"govuk-table__cellgovuk-table__cell--numeric\">3</td><tdclass=\"govuk-table__cellgovuk-table__cell--numeric\">9</td><tdclass=\"govuk-table__cellgovuk-table__cell--numeric\">0</td>"
        )),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_provider_lands_on_its_own_homes() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let page = a.get("/").await;
    page.assert_contains("Acme Care Ltd")
        .assert_contains("Your homes this week");
    let week = sufficiency::returns::this_week();
    for urn in [&app.seed.home_a1, &app.seed.home_a2] {
        assert!(
            page.body.contains(&format!("/homes/{urn}/returns/{week}")),
            "{urn}"
        );
    }
    page.assert_lacks(&app.seed.home_b1);
}
