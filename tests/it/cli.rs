//! The `sufficiency` binary itself: help on every subcommand, user creation,
//! and a real server process for the tests that need one.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::support::{PASSWORD, TestDatabase, repo_path};

/// The built binary, configured as the tests configure the application.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sufficiency"));
    command
        .env("SUFFICIENCY_ENV", "test")
        .env("SUFFICIENCY_CONFIG_DIR", repo_path("config"))
        .env("SUFFICIENCY__ASSETS__DIR", repo_path("assets"))
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["backup", "--help"],
        vec!["import", "--help"],
        vec!["import", "ofsted", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["council", "--help"],
        vec!["council", "add", "--help"],
        vec!["token", "--help"],
        vec!["token", "create", "--help"],
    ] {
        let output = binary().args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}

#[tokio::test]
async fn user_add_creates_a_provider_user_by_organisation_name() {
    let app = crate::support::TestApp::new().await;
    let output = run_with_stdin(
        binary().env("DATABASE_URL", app.database.url()).args([
            "user",
            "add",
            "--email",
            "Cli.User@Acme.example",
            "--role",
            "provider",
            "--org",
            "acme care ltd",
            "--password-stdin",
        ]),
        "ocean violet paper lamp\n",
    );
    succeeded(&output);
    app.client()
        .sign_in("cli.user@acme.example", "ocean violet paper lamp")
        .await
        .assert_status(axum::http::StatusCode::SEE_OTHER);

    let refused = run_with_stdin(
        binary().env("DATABASE_URL", app.database.url()).args([
            "user",
            "add",
            "--email",
            "x@y.example",
            "--role",
            "provider",
            "--password-stdin",
        ]),
        "ocean violet paper lamp\n",
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Enter the provider organisation"));
}

/// Fails the test with the command's own error output unless it succeeded.
pub fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn run_with_stdin(command: &mut Command, input: &str) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The real binary serving on a free loopback port.
pub struct Server {
    child: Child,
    pub base: String,
    database_url: String,
}

impl Server {
    pub async fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = binary()
            .env("DATABASE_URL", database_url)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_string(),
        };
        let started = Instant::now();
        let mut http = server.http();
        while http.get("/healthz").await.0 != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub async fn add_admin(&self) {
        let output = run_with_stdin(
            binary().env("DATABASE_URL", &self.database_url).args([
                "user",
                "add",
                "--email",
                "admin@test.example",
                "--role",
                "admin",
                "--password-stdin",
            ]),
            &format!("{PASSWORD}\n"),
        );
        succeeded(&output);
    }

    /// `sufficiency token create` for a user; the token it prints.
    pub fn token(&self, email: &str) -> String {
        let output = binary()
            .env("DATABASE_URL", &self.database_url)
            .args(["token", "create", "--email", email])
            .output()
            .unwrap();
        succeeded(&output);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    pub fn http(&self) -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            base: self.base.clone(),
            cookie: None,
            csrf: None,
        }
    }

    /// SIGKILL: no shutdown, no flushing.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP client over loopback that keeps the session cookie.
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Http {
    async fn send(&mut self, request: axum::http::Request<Full<Bytes>>) -> (u16, String) {
        let Ok(response) = self.client.request(request).await else {
            return (0, String::new());
        };
        if let Some(cookie) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            self.cookie = cookie.split(';').next().map(str::to_string);
        }
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body).into_owned();
        let marker = "name=\"csrf_token\" value=\"";
        if let Some(start) = body.find(marker).map(|i| i + marker.len())
            && let Some(end) = body[start..].find('"')
        {
            self.csrf = Some(body[start..start + end].to_string());
        }
        (status, body)
    }

    fn builder(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = axum::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            b = b.header("cookie", cookie);
        }
        b
    }

    pub async fn get(&mut self, path: &str) -> (u16, String) {
        let request = self
            .builder("GET", path)
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(request).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> u16 {
        if self.csrf.is_none() {
            self.get(if self.cookie.is_some() {
                "/account/password"
            } else {
                "/sign-in"
            })
            .await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut pairs = vec![("csrf_token", token.as_str())];
        pairs.extend_from_slice(fields);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let request = self
            .builder("POST", path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        self.send(request).await.0
    }

    pub async fn put_json(&mut self, path: &str, token: &str, body: &str) -> u16 {
        let request = axum::http::Request::builder()
            .method("PUT")
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        self.send(request).await.0
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let status = self
            .post_form("/sign-in", &[("email", email), ("password", password)])
            .await;
        assert_eq!(status, 303, "sign-in failed");
        self.csrf = None;
    }
}

#[tokio::test]
async fn the_served_binary_answers_health_checks_and_pages() {
    let database = TestDatabase::create().await;
    let server = Server::start(database.url()).await;
    let mut http = server.http();
    let (status, body) = http.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains("reachable"));
    let (status, body) = http.get("/sign-in").await;
    assert_eq!(status, 200);
    assert!(body.contains("Sign in to Sufficiency"));
}

/// `sufficiency import postcodes` reads the ONS Postcode Directory's own
/// layout, skips its rows without coordinates, places the homes it can, and
/// fails clearly on a file it cannot read.
#[tokio::test]
async fn import_postcodes_takes_the_ons_directory_from_the_command_line() {
    let app = crate::support::TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let onspd = dir.path().join("ONSPD_NOV_2026_UK.csv");
    std::fs::write(
        &onspd,
        "pcd,pcd2,pcds,dointr,doterm,lat,long\n\
         BH1 1AA,BH1  1AA,BH1 1AA,198001,,50.727909,-1.863623\n\
         BH121AA,BH12 1AA,BH12 1AA,198001,,50.732960,-1.930050\n\
         ZZ993WZ,ZZ99 3WZ,ZZ99 3WZ,,,99.999999,0.000000\n",
    )
    .unwrap();
    let output = binary()
        .env("DATABASE_URL", app.database.url())
        .args(["import", "postcodes"])
        .arg(&onspd)
        .output()
        .unwrap();
    succeeded(&output);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains(
            "Saved 2 postcodes from 3 rows (1 without coordinates skipped); 2 homes placed"
        ),
        "{said}"
    );
    // Alder House (BH1 1AA) has its position; Birch Lodge (BH23 1AA) has none.
    assert_eq!(app.home("SC100001").await.latitude, Some(50.727909));
    assert_eq!(app.home("SC100002").await.latitude, None);

    let missing = binary()
        .env("DATABASE_URL", app.database.url())
        .args(["import", "postcodes"])
        .arg(dir.path().join("no-such-file.csv"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stdout).contains("Not imported"));
}
