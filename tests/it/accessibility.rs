//! Every key page, as each role sees it, checked in a real browser by
//! axe-core (installed by `make assets` as a development package; the app
//! never serves it) against the WCAG 2.2 A and AA rules it can test (UK
//! public-sector services must meet 2.2 AA): axe's 2.0 and 2.1 rule sets
//! and its 2.2 AA one.
//! Automated checks find a part of what a person with assistive technology
//! meets, so this is a floor, not the whole audit.

use fantoccini::Locator;
use serde_json::Value;

use crate::browser::{browser, serve, sign_in};
use crate::support::{TestApp, repo_path};

/// The WCAG rule sets axe runs here.
const RULES: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']";

/// axe's findings on the page the browser is on: one line per rule broken,
/// with up to three of the elements that break it.
pub(crate) async fn axe_violations(c: &fantoccini::Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe loads");
    let script = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {RULES} }} }})
           .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
             + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
           .catch(e => done(['axe failed: ' + e]));"
    );
    match c.execute_async(&script, vec![]).await.expect("axe runs") {
        Value::Array(found) => found
            .into_iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        other => vec![format!("unexpected answer from axe: {other}")],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_page_passes_the_automated_accessibility_checks() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    let axe = std::fs::read_to_string(repo_path("assets/node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed by `make assets`");
    crate::support::place_seed_homes(&app).await;
    let week = sufficiency::returns::this_week();
    crate::returns::a1_files(&app, &week).await;
    // The administrator is also the regional lead, for the region's page.
    app.execute("UPDATE users SET regional_lead = TRUE WHERE email = 'admin@test.example'")
        .await;
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    let a1 = &app.seed.home_a1;
    let search = "/search?age=14&sex=female&postcode=BH12+1AA&miles=20";
    let visits: [(Option<&str>, Vec<String>); 4] = [
        (None, vec!["/sign-in".into(), "/account/reset".into()]),
        (
            Some("commissioner@test.example"),
            [
                "/",
                "/homes",
                &format!("/homes/{a1}"),
                "/homes/new",
                &format!("/homes/{a1}/edit"),
                "/organisations",
                &format!("/organisations/{}", app.seed.provider_a_id),
                "/organisations/new",
                "/returns",
                "/cases",
                &format!("/cases/{}", app.seed.case_a),
                "/capacity",
                "/map",
                "/search",
                search,
                "/search?age=40&sex=x",
                "/search/demand",
                "/imports/ofsted",
                "/account/password",
                &format!("/organisations/{}/merge", app.seed.provider_a_id),
                &format!(
                    "/organisations/{}/merge?into={}",
                    app.seed.provider_a_id, app.seed.provider_b_id
                ),
                &format!("/organisations/{}/contact", app.seed.provider_a_id),
                &format!("/homes/{a1}/contact"),
                "/requests",
                &format!("/requests/new?{}", search.trim_start_matches("/search?")),
                &format!("/requests/{}", app.seed.request_a),
                "/requests/providers",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            Some("provider-a@test.example"),
            [
                "/",
                &format!("/homes/{a1}/returns/{}", week.plus(1)),
                &format!("/homes/{a1}/returns"),
                "/returns/upload",
                &format!("/returns/uploads/{}", app.seed.upload_a),
                &format!("/cases/{}", app.seed.case_a),
                "/account/tokens",
                &format!("/homes/{a1}/inspections/new"),
                &format!("/returns/no-change?week={week}"),
                "/requests",
                &format!("/requests/{}", app.seed.request_a),
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            Some("admin@test.example"),
            [
                "/users",
                "/users/new",
                "/audit",
                "/admin/outbox",
                "/councils",
                &format!("/councils/{}", app.seed.our_council_id),
                "/region",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    let mut problems = Vec::new();
    for (user, paths) in visits {
        c.delete_all_cookies().await.unwrap();
        if let Some(email) = user {
            sign_in(c, &base, email).await;
        }
        for path in paths {
            c.goto(&format!("{base}{path}")).await.unwrap();
            c.wait().for_element(Locator::Css("h1")).await.unwrap();
            for found in axe_violations(c, &axe).await {
                problems.push(format!("{} {path}: {found}", user.unwrap_or("anonymous")));
            }
        }
    }
    // A form sent with every field empty: the error summary and the
    // fields' messages, as the commissioner meets them.
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &base, "commissioner@test.example").await;
    c.goto(&format!("{base}/homes/new")).await.unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap();
    for found in axe_violations(c, &axe).await {
        problems.push(format!("commissioner /homes/new with errors: {found}"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    browser.quit().await;
}
