//! A real browser (Debian's Chromium, driven through chromedriver) against
//! the application served on loopback: sign in and open the homes list,
//! with JavaScript on.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::support::{PASSWORD, TestApp};

pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
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
    let router = app.router.clone();
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
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("placements@test.example")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("h1")).await.unwrap();
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
    // Filtering works from the form.
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("cedar")
        .await
        .unwrap();
    c.find(Locator::Css("form.app-filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.govuk-table"))
        .await
        .unwrap();
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
    browser.client.clone().close().await.unwrap();
}
