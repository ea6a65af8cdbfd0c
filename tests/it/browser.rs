//! A real browser (Debian's Chromium, driven through chromedriver) against
//! the application served on loopback: sign in and open the homes list,
//! with JavaScript on.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::support::{PASSWORD, TestApp};

pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
}

impl Browser {
    /// Ends the WebDriver session once the journey's assertions have passed.
    /// Closing is teardown, not part of the story: a slow or failed close on
    /// a loaded CI machine is reported, and `Drop` still ends every process.
    pub async fn quit(self) {
        let closing = self.client.clone().close();
        match tokio::time::timeout(Duration::from_secs(10), closing).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("closing the browser session failed: {e}"),
            Err(_) => eprintln!("closing the browser session took over 10 s"),
        }
    }
}

impl Drop for Browser {
    /// chromedriver leads its own process group, so this ends Chromium and
    /// its helpers too, even when the session was never closed.
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.driver.id()) {
            // SAFETY: kill(2) with a negative pid signals our own child's group.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver and a headless Chromium, or explains why not. Under
/// CI a missing browser fails the test instead of skipping it.
pub async fn browser() -> Option<Browser> {
    let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(chromedriver) = chromedriver else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "chromium-driver is required under CI"
        );
        eprintln!("SKIPPED: chromedriver not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = tempfile::tempdir().unwrap().keep();
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())]
        }
    });
    let capabilities = capabilities.as_object().unwrap().clone();
    let started = Instant::now();
    loop {
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match connected {
            Ok(client) => return Some(Browser { client, driver }),
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                panic!("browser did not start: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Serves the app on a loopback port for the browser.
pub async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // The Origin check compares with the public address: it is this one.
    let mut state = app.state.clone();
    let mut settings = (*state.settings).clone();
    settings.server.public_url = format!("http://{address}").parse().unwrap();
    state.make_mut().settings = std::sync::Arc::new(settings);
    let router = sufficiency::app::build(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placements_officer_signs_in_and_browses_homes() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    c.goto(&format!("{base}/homes")).await.unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/sign-in"),
        "signed-out visitors are sent to sign in"
    );
    fill_sign_in(c, "placements@test.example").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/homes");
    let heading = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Homes");
    let table = c
        .find(Locator::Css("table.govuk-table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("Alder House") && table.contains("Cedar View"),
        "{table}"
    );
    // GOV.UK Frontend's JavaScript ran (the CSP allowed our own scripts).
    let class = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(class.contains("govuk-frontend-supported"), "{class}");
    // "Sign out" is in the GOV.UK typeface like the links beside it.
    let fonts = c
        .execute(
            "const font = s => getComputedStyle(document.querySelector(s)).fontFamily;
             return [font('.app-account-bar__form button'), font('a[href=\"/account/tokens\"]')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fonts[0], fonts[1], "{fonts}");
    assert!(
        fonts[0]
            .as_str()
            .unwrap_or_default()
            .contains("GDS Transport"),
        "{fonts}"
    );
    // Filtering works from the form.
    type_into(c, "q", "cedar").await;
    click(c, Locator::Css("form.app-filters button[type=submit]")).await;
    arrived(c, "q=cedar").await;
    let table = c
        .find(Locator::Css("table.govuk-table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("Cedar View") && !table.contains("Alder House"),
        "{table}"
    );
    browser.quit().await;
}

pub async fn sign_in(c: &fantoccini::Client, base: &str, email: &str) {
    c.goto(&format!("{base}/sign-in")).await.unwrap();
    fill_sign_in(c, email).await;
}

/// Fills in and sends the sign-in form the browser is on.
async fn fill_sign_in(c: &fantoccini::Client, email: &str) {
    type_into(c, "email", email).await;
    type_into(c, "password", PASSWORD).await;
    click(c, Locator::Css("button[type=submit]")).await;
    // The signed-in page, not the sign-in page still showing (its own h1
    // would let the next step race the form's redirect).
    c.wait()
        .for_element(Locator::Css("form[action='/sign-out']"))
        .await
        .unwrap();
}

async fn type_into(c: &fantoccini::Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Waits (ten seconds at most) until the browser is on a page whose address
/// contains `needle`: after a click that navigates, an element both pages
/// have would be found on the old one, or not at all in between.
async fn arrived(c: &fantoccini::Client, needle: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = c.current_url().await.unwrap();
        if url.as_str().contains(needle) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never arrived at {needle}: still on {url}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn click(c: &fantoccini::Client, locator: Locator<'_>) {
    c.find(locator).await.unwrap().click().await.unwrap();
}

/// The text of `css` once it shows `needle` (within ten seconds): for
/// what appears with an animation, whose text is empty while invisible.
async fn visible_text(c: &fantoccini::Client, css: &str, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let element = c.wait().for_element(Locator::Css(css)).await.unwrap();
        let text = element.text().await.unwrap_or_default();
        if text.contains(needle) || std::time::Instant::now() > deadline {
            assert!(
                text.contains(needle),
                "{css} never showed {needle:?}: {text:?}"
            );
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Provider A files last week's return for Alder House: something to copy.
async fn a1_filed_last_week(app: &TestApp) {
    let last_week = sufficiency::returns::this_week().plus(-1);
    crate::returns::a1_files(app, &last_week).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_files_no_change_for_a_home_in_one_click() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    a1_filed_last_week(&app).await;
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    sign_in(c, &base, "provider-a@test.example").await;
    assert_eq!(text_of(c, "h1").await, "Your homes this week");
    c.find(Locator::XPath(
        "//button[contains(., 'No change since last week') and contains(., 'Alder House')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Css(".govuk-notification-banner"))
        .await
        .unwrap();
    let banner = text_of(c, ".govuk-notification-banner").await;
    assert!(banner.contains("Alder House"), "{banner}");
    let table = text_of(c, "table.govuk-table").await;
    assert!(table.contains("Filed"), "{table}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commissioner_records_a_monitoring_meeting_on_a_case() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    sign_in(c, &base, "commissioner@test.example").await;
    c.goto(&format!("{base}/cases")).await.unwrap();
    click(c, Locator::LinkText("Alder House")).await;
    arrived(c, "/cases/").await;
    click(
        c,
        Locator::XPath("//summary[contains(., 'Record a meeting')]"),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    for (id, value) in [
        ("meeting_held_day", today.format("%-d").to_string()),
        ("meeting_held_month", today.format("%-m").to_string()),
        ("meeting_held_year", today.format("%Y").to_string()),
        (
            "meeting_attendees",
            "Commissioner; registered manager".to_string(),
        ),
        ("meeting_notes", "Rota now fully staffed".to_string()),
    ] {
        type_into(c, id, &value).await;
    }
    click(c, Locator::Css("#meeting_rag option[value=green]")).await;
    c.find(Locator::XPath(
        "//button[contains(., 'Record the meeting')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Css(".govuk-notification-banner"))
        .await
        .unwrap();
    let page = text_of(c, "main").await;
    assert!(page.contains("Monitoring meeting recorded"), "{page}");
    assert!(page.contains("Rota now fully staffed"), "{page}");
    assert!(page.contains("Green"), "{page}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placements_officer_searches_for_a_bed() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    crate::support::place_seed_homes(&app).await;
    let week = sufficiency::returns::this_week();
    crate::returns::a1_files(&app, &week).await;
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    sign_in(c, &base, "placements@test.example").await;
    c.goto(&format!("{base}/search")).await.unwrap();
    type_into(c, "age", "14").await;
    click(c, Locator::Css("#sex option[value=female]")).await;
    type_into(c, "postcode", "BH12 1AA").await;
    click(c, Locator::Css("label[for=needs-emotional_behavioural]")).await;
    click(c, Locator::XPath("//button[normalize-space()='Search']")).await;
    c.wait().for_element(Locator::Id("results")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or_default().contains("postcode=BH12"),
        "the search is a shareable URL: {url}"
    );
    let results = text_of(c, "main").await;
    assert!(results.contains("1 vacancies fit"), "{results}");
    assert!(results.contains("Alder House · 2.9 miles"), "{results}");
    // The same homes on the map. No tile server is reachable from here, and
    // the marker and the council boundaries still draw on a plain background.
    click(c, Locator::LinkText("Show these homes on the map")).await;
    c.wait()
        .for_element(Locator::Css("#map[data-ready='1']"))
        .await
        .unwrap();
    let good = c
        .find_all(Locator::Css("path.leaflet-interactive[fill='#00703c']"))
        .await
        .unwrap();
    assert_eq!(good.len(), 1, "one marker, Alder House, coloured Good");
    let boundaries = c
        .find_all(Locator::Css("path.leaflet-interactive[stroke='#1d70b8']"))
        .await
        .unwrap();
    assert!(!boundaries.is_empty(), "council boundaries drawn");
    good[0].click().await.unwrap();
    // The popup fades in: its text reads as empty until it is visible.
    let popup = visible_text(c, ".leaflet-popup-content", "Alder House").await;
    assert!(popup.contains("2 vacant"), "{popup}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_files_no_change_from_the_monday_email_without_signing_in() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    a1_filed_last_week(&app).await;
    // Monday's request is queued; its link is what the provider clicks.
    let now = chrono::Utc::now();
    let due = sufficiency::jobs::Due::at(sufficiency::jobs::Job::ReturnRequest, now);
    sufficiency::jobs::run(&app.db, &app.state.settings, &due, now)
        .await
        .unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let email = sufficiency::db::entities::outbox_emails::Entity::find()
        .filter(
            sufficiency::db::entities::outbox_emails::Column::ToAddress
                .eq("provider-a@test.example"),
        )
        .one(&app.db)
        .await
        .unwrap()
        .expect("the request");
    let start = email
        .body_text
        .find("/one-click/")
        .expect("a one-click link");
    let path = email.body_text[start..].split_whitespace().next().unwrap();
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    c.goto(&format!("{base}{path}")).await.unwrap();
    assert!(
        text_of(c, "h1")
            .await
            .starts_with("No change since last week")
    );
    click(c, Locator::XPath("//button[contains(., 'File no change')]")).await;
    c.wait()
        .for_element(Locator::Css(".govuk-panel--confirmation"))
        .await
        .unwrap();
    let panel = text_of(c, ".govuk-panel").await;
    assert!(
        panel.contains("Return filed") && panel.contains("Alder House"),
        "{panel}"
    );
    browser.quit().await;
}

/// A provider with five homes, all filed on Monday morning (before the
/// deadline) with every bed full.
async fn five_homes_filed_on_monday(app: &TestApp) -> Vec<String> {
    let mut c = app.signed_in(crate::support::Persona::Commissioner).await;
    for (urn, name) in [
        ("SC100003", "Hazel Court"),
        ("SC100004", "Juniper Lodge"),
        ("SC100005", "Larch View"),
    ] {
        c.post_form(
            "/homes/new",
            &[
                ("registration", "1"),
                ("urn", urn),
                ("name", name),
                ("provision_type", "childrens_home"),
                ("registered_places", "3"),
                ("registration_status", "active"),
                ("host_council_id", &app.seed.our_council_id.to_string()),
                ("provider_id_name", "Acme Care Ltd"),
                ("contract", "spot"),
                ("postcode", "BH1 1AA"),
            ],
        )
        .await
        .assert_status(axum::http::StatusCode::SEE_OTHER);
    }
    let week = sufficiency::returns::this_week();
    let monday = chrono::TimeZone::from_local_datetime(
        &chrono_tz::Europe::London,
        &week.monday().and_hms_opt(9, 0, 0).unwrap(),
    )
    .single()
    .unwrap()
    .with_timezone(&chrono::Utc);
    let urns: Vec<String> = ["SC100001", "SC100002", "SC100003", "SC100004", "SC100005"]
        .map(String::from)
        .to_vec();
    for urn in &urns {
        let home = app.home(urn).await;
        let places = home.registered_places.unwrap_or(3) as u32;
        let input = sufficiency::returns::ReturnInput {
            occupied: sufficiency::returns::Occupancy::from_host_and_other(
                home.host_council_id,
                places - 1,
                1,
            ),
            ..Default::default()
        };
        let filing = sufficiency::returns::filing::Filing {
            at: Some(monday),
            ..sufficiency::returns::filing::Filing::new(sufficiency::returns::Source::Form)
        };
        sufficiency::returns::filing::file_now(
            &app.db,
            &sufficiency::auth::Viewer::system("test"),
            &home,
            week,
            &input,
            filing,
            &app.state.settings,
        )
        .await
        .unwrap();
    }
    urns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_uploads_the_weeks_template_with_three_changes_and_every_home_stays_filed() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    let urns = five_homes_filed_on_monday(&app).await;
    // The template as the provider downloads it, three rows changed (one of
    // "ours" more in each, one fewer outside the region), saved as CSV.
    // Columns: URN, home, week, places, capacity, BCP, Dorset, outside.
    let week = sufficiency::returns::this_week();
    let mut a = app.signed_in(crate::support::Persona::ProviderA).await;
    let template = a.get(&format!("/returns/template.xlsx?week={week}")).await;
    let changed = ["SC100001", "SC100003", "SC100005"];
    let csv = crate::uploads::template_as_csv(&template.bytes, |cells| {
        if changed.contains(&cells.first().map(String::as_str).unwrap_or_default()) {
            let ours: u32 = cells[5].parse().unwrap();
            cells[5] = (ours + 1).to_string();
            cells[7] = "0".into();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("returns.csv");
    std::fs::write(&path, csv).unwrap();

    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    sign_in(c, &base, "provider-a@test.example").await;
    c.goto(&format!("{base}/returns/upload")).await.unwrap();
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    click(c, Locator::Css("main form button[type=submit]")).await;
    arrived(c, "/returns/uploads/").await;
    let preview = text_of(c, "main").await;
    assert!(
        preview.contains("3 change a return each; 2 are the same as the return already filed"),
        "{preview}"
    );
    assert_eq!(preview.matches("No change").count(), 2, "{preview}");
    assert_eq!(preview.matches("Amends the return").count(), 3, "{preview}");
    click(c, Locator::XPath("//button[contains(., 'File 3 returns')]")).await;
    arrived(c, &format!("{base}/")).await;
    let page = visible_text(c, "main", "3 returns filed from your spreadsheet").await;
    assert!(
        page.contains("2 rows had no change and filed nothing"),
        "{page}"
    );
    // Every home is still "Filed" (not "Filed late"); three are amended.
    assert_eq!(page.matches("Filed late").count(), 0, "{page}");
    assert_eq!(page.matches("Amended").count(), 3, "{page}");
    for urn in &urns {
        assert!(page.contains(urn.as_str()), "{urn}: {page}");
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_asks_providers_one_offers_by_the_email_link_and_the_officer_places() {
    let app = TestApp::new().await;
    let Some(browser) = browser().await else {
        return;
    };
    let axe = std::fs::read_to_string(crate::support::repo_path(
        "assets/node_modules/axe-core/axe.min.js",
    ))
    .expect("axe-core is installed by `make assets`");
    crate::support::place_seed_homes(&app).await;
    let week = sufficiency::returns::this_week();
    crate::returns::a1_files(&app, &week).await;
    let base = format!("http://{}", serve(&app).await);
    let c = &browser.client;
    sign_in(c, &base, "placements@test.example").await;
    c.goto(&format!(
        "{base}/search?age=14&sex=female&postcode=BH12+1AA&miles=20"
    ))
    .await
    .unwrap();
    click(c, Locator::LinkText("Ask these providers")).await;
    arrived(c, "/requests/new").await;
    let form = text_of(c, "main").await;
    assert!(form.contains("Alder House (SC100001)"), "{form}");
    // Sent without the placement's length: the error summary, then fixed.
    click(
        c,
        Locator::XPath("//button[normalize-space()='Send the request']"),
    )
    .await;
    c.wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap();
    let problems = crate::accessibility::axe_violations(c, &axe).await;
    assert!(problems.is_empty(), "{problems:#?}");
    click(c, Locator::Css("label[for=length-short_term]")).await;
    click(c, Locator::Css("label[for=considerations-no_pets]")).await;
    click(
        c,
        Locator::XPath("//button[normalize-space()='Send the request']"),
    )
    .await;
    arrived(c, "/requests/REQ-").await;
    let url = c.current_url().await.unwrap();
    let reference = url.path().trim_start_matches("/requests/").to_string();
    assert!(text_of(c, "h1").await.contains(&reference));

    // The provider opens the link in its email, signed out.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let email = sufficiency::db::entities::outbox_emails::Entity::find()
        .filter(
            sufficiency::db::entities::outbox_emails::Column::ToAddress
                .eq("provider-a@test.example"),
        )
        .filter(sufficiency::db::entities::outbox_emails::Column::Category.eq("bed_request"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the request email");
    let start = email.body_text.find("/answer/").expect("an answer link");
    let path = email.body_text[start..].split_whitespace().next().unwrap();
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{base}{path}")).await.unwrap();
    assert!(text_of(c, "h1").await.contains(&reference));
    let problems = crate::accessibility::axe_violations(c, &axe).await;
    assert!(problems.is_empty(), "{problems:#?}");
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    click(c, Locator::Css("label[for=answer-offer]")).await;
    type_into(
        c,
        "available-day",
        &chrono::Datelike::day(&tomorrow).to_string(),
    )
    .await;
    type_into(
        c,
        "available-month",
        &chrono::Datelike::month(&tomorrow).to_string(),
    )
    .await;
    type_into(
        c,
        "available-year",
        &chrono::Datelike::year(&tomorrow).to_string(),
    )
    .await;
    type_into(c, "weekly_fee", "5100").await;
    click(
        c,
        Locator::XPath("//button[normalize-space()='Send the answer']"),
    )
    .await;
    c.wait()
        .for_element(Locator::Css(".govuk-panel--confirmation"))
        .await
        .unwrap();
    let panel = text_of(c, "main").await;
    assert!(
        panel.contains("Answer sent") && panel.contains("£5,100.00"),
        "{panel}"
    );

    // The officer compares and places.
    sign_in(c, &base, "placements@test.example").await;
    c.goto(&format!("{base}/requests/{reference}"))
        .await
        .unwrap();
    let answers = text_of(c, "main").await;
    assert!(answers.contains("£5,100.00"), "{answers}");
    click(c, Locator::Css("label[for=outcome-SC100001]")).await;
    click(
        c,
        Locator::XPath("//button[normalize-space()='Record the outcome']"),
    )
    .await;
    // What the outcome will do, to confirm.
    c.wait()
        .for_element(Locator::XPath(
            "//h1[normalize-space()='Confirm the outcome']",
        ))
        .await
        .unwrap();
    let problems = crate::accessibility::axe_violations(c, &axe).await;
    assert!(problems.is_empty(), "{problems:#?}");
    click(
        c,
        Locator::XPath("//button[normalize-space()='Confirm and tell the providers']"),
    )
    .await;
    c.wait()
        .for_element(Locator::Css(".govuk-notification-banner"))
        .await
        .unwrap();
    let closed = text_of(c, "main").await;
    assert!(closed.contains("Placed with Alder House"), "{closed}");
    browser.quit().await;
}
