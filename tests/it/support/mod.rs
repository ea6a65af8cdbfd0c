//! The test harness: a fresh database per test, the real router called
//! in-process, and a browser-like client that keeps cookies and the form
//! token. `TestApp::new()` seeds two councils, two providers (A and B) with
//! homes, and one user per role.

pub mod database;
pub mod seed;
pub mod smtp;

use std::collections::HashMap;
use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sufficiency::app::{self, AppState};
use sufficiency::config::Settings;
use sufficiency::db::entities::homes;
use sufficiency::sandbox::Sandbox;
use tower::ServiceExt;

pub use database::TestDatabase;
pub use seed::{PASSWORD, Persona, Seed};

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::load_from(&repo_path("config"), "test").expect("config/test.toml");
    settings.database.url = database_url.to_string();
    settings.assets.dir = repo_path("assets");
    settings
}

pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    pub state: AppState,
    pub seed: Seed,
    pub database: TestDatabase,
}

impl TestApp {
    /// A migrated, seeded database and the application on it.
    pub async fn new() -> TestApp {
        let app = TestApp::empty().await;
        let seed = seed::seed(&app.db, &app.state).await;
        TestApp { seed, ..app }
    }

    /// Migrated, with no data but the region's first member council.
    pub async fn empty() -> TestApp {
        let database = TestDatabase::create().await;
        let db = database.connect().await;
        let settings = test_settings(database.url());
        sufficiency::auth::passwords::init(&settings.auth);
        // What every start does after migrating: `[council]` is the first member.
        sufficiency::regions::start_with_configured_council(&db, &settings)
            .await
            .expect("first member council");
        let mut state = AppState::new(db.clone(), settings);
        let sandbox = Sandbox::new(&state.settings.uploads)
            .with_executable(PathBuf::from(env!("CARGO_BIN_EXE_sufficiency")));
        state.make_mut().sandbox = std::sync::Arc::new(sandbox);
        TestApp {
            router: app::build(state.clone()),
            db,
            state,
            seed: Seed::default(),
            database,
        }
    }

    /// The same application and database with changed settings.
    pub fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = (*self.state.settings).clone();
        change(&mut settings);
        self.state.make_mut().settings = std::sync::Arc::new(settings);
        self.router = app::build(self.state.clone());
        self
    }

    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: HashMap::new(),
            csrf: None,
            headers: Vec::new(),
            instance: None,
        }
    }

    /// An API client with a bearer token of `persona` (anonymous: none).
    pub async fn api_client(&self, persona: Persona) -> Client<'_> {
        let client = self.client();
        match persona.email() {
            None => client,
            Some(_) => {
                let id = self.seed.user_id(persona);
                let (token, _) = sufficiency::auth::tokens::create(
                    &self.db,
                    &sufficiency::auth::Viewer::system("test"),
                    id,
                    "test token",
                )
                .await
                .expect("token");
                client.with_header("authorization", &format!("Bearer {token}"))
            }
        }
    }

    /// The home with this URN, as stored now.
    pub async fn home(&self, urn: &str) -> homes::Model {
        homes::Entity::find()
            .filter(homes::Column::Urn.eq(urn))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no home {urn}"))
    }

    /// Runs a statement straight on the database, as an administrator or
    /// the CLI would, behind the application's back.
    /// Beds our council's children occupy in return `return_id`.
    pub async fn ours_in(&self, return_id: i64) -> i32 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use sufficiency::db::entities::return_placements;
        return_placements::Entity::find()
            .filter(return_placements::Column::ReturnId.eq(return_id))
            .filter(return_placements::Column::CouncilId.eq(self.seed.our_council_id))
            .all(&self.db)
            .await
            .expect("placements")
            .iter()
            .map(|p| p.beds)
            .sum()
    }

    pub async fn execute(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.unwrap();
    }

    /// A client signed in as `persona` (anonymous stays signed out).
    pub async fn signed_in(&self, persona: Persona) -> Client<'_> {
        let mut client = self.client();
        if let Some(email) = persona.email() {
            let response = client.sign_in(email, PASSWORD).await;
            assert_eq!(
                response.status,
                StatusCode::SEE_OTHER,
                "sign-in as {email} failed: {}",
                response.body
            );
        }
        client
    }
}

/// One response, body read to text.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (for downloads).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of the page with tags removed, for "the user sees ..." checks.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.body.len());
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&#39;", "'")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            &self.body[..self.body.len().min(3000)]
        );
        self
    }

    /// "The user does not see `text`": on a page that answered (2xx), so an
    /// error page cannot pass for one that hides it.
    #[track_caller]
    pub fn assert_lacks(&self, text: &str) -> &Self {
        assert!(
            self.status.is_success(),
            "expected a page without {text:?}, got {}: {}",
            self.status,
            &self.body[..self.body.len().min(3000)]
        );
        assert!(
            !self.text().contains(text) && !self.body.contains(text),
            "{text:?} is shown: {}",
            &self.body[..self.body.len().min(3000)]
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(
            self.text().contains(text),
            "page does not say {text:?}: {}",
            self.text()
        );
        self
    }
}

/// A browser: keeps cookies between requests and fills in the form token.
pub struct Client<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
    headers: Vec<(String, String)>,
    /// Another instance of the application on the same database, when
    /// requests should reach it instead (as behind a load balancer).
    instance: Option<Router>,
}

impl Client<'_> {
    /// Sends this header with every request from now on.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends the next requests to `instance` (another `app::build` on the
    /// same database), or back to the test's own with `None`.
    pub fn reach(&mut self, instance: Option<Router>) {
        self.instance = instance;
    }

    pub async fn request(&mut self, request: Request<Body>) -> Response {
        let mut request = request;
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        for (name, value) in &self.headers {
            request.headers_mut().insert(
                axum::http::HeaderName::try_from(name.as_str()).expect("header name"),
                value.parse().expect("header value"),
            );
        }
        let response = self
            .instance
            .as_ref()
            .unwrap_or(&self.app.router)
            .clone()
            .oneshot(request)
            .await
            .expect("router never fails");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
                if expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_string(), value.to_string());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let bytes = bytes.to_vec();
        if let Some(token) = find_csrf(&body) {
            self.csrf = Some(token);
        }
        Response {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// The form token of the current session, fetched from a page if needed.
    pub async fn csrf_token(&mut self) -> String {
        if let Some(token) = &self.csrf {
            return token.clone();
        }
        // A signed-in page, or the sign-in page for a session not signed in.
        for page in ["/account/password", "/sign-in"] {
            self.get(page).await;
            if let Some(token) = &self.csrf {
                return token.clone();
            }
        }
        panic!("no form token on any page")
    }

    /// Posts a form as a browser would, with the session's form token.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let response = self.post_form_without_token(path, &all).await;
        if path.starts_with("/sign-in") && response.status == StatusCode::SEE_OTHER {
            // Signing in (password or code) starts a new form token.
            self.csrf = None;
        }
        response
    }

    pub async fn put_json(&mut self, path: &str, body: &str) -> Response {
        self.send_json(Method::PUT, path, body).await
    }

    pub async fn post_json(&mut self, path: &str, body: &str) -> Response {
        self.send_json(Method::POST, path, body).await
    }

    async fn send_json(&mut self, method: Method, path: &str, body: &str) -> Response {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.request(request).await
    }

    /// Posts a file as the upload form does (multipart), with the form token.
    pub async fn post_file(&mut self, path: &str, file_name: &str, bytes: &[u8]) -> Response {
        let token = self.csrf_token().await;
        let boundary = "XsufficiencyboundaryX";
        let mut body = Vec::new();
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n").as_bytes());
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.request(request).await
    }

    pub async fn post_form_without_token(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.request(request).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response {
        let response = self
            .post_form("/sign-in", &[("email", email), ("password", password)])
            .await;
        // A new session starts at sign-in, with a new form token.
        self.csrf = None;
        response
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.values().next().cloned()
    }
}

fn find_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_string())
}

/// Positions for the seed's postcodes (OS Code-Point Open) and their
/// districts, so distances can be measured from and to the seed's homes.
pub async fn place_seed_homes(app: &TestApp) {
    const PLACES: &str = "postcode,latitude,longitude
BH1 1AA,50.727909,-1.863623
BH23 1AA,50.735750,-1.778350
BH12 1AA,50.732960,-1.930050
";
    const DISTRICTS: &str = "outcode,latitude,longitude
BH1,50.7235,-1.8689
BH12,50.7339,-1.9322
BH23,50.7441,-1.7710
SO14,50.9050,-1.3960
";
    for table in [PLACES, DISTRICTS] {
        sufficiency::geo::import_postcodes(
            &app.db,
            std::io::Cursor::new(table.as_bytes().to_vec()),
        )
        .await
        .expect("postcodes");
    }
}
