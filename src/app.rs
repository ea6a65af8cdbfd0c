//! The application: shared state, the middleware stack around the routes,
//! and the server's life cycle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum_login::AuthManagerLayerBuilder;
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::session_store::DbSessionStore;
use crate::auth::{Backend, csrf, passwords, throttle};
use crate::config::Settings;
use crate::db;
use crate::error::Error;
use crate::router::{self, Surface};
use crate::sandbox::Sandbox;
use crate::web::{assets, html, security_headers};

/// What every handler can reach. Cloning it is one reference count: axum
/// clones the state for every extractor and middleware on every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Clone)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub sandbox: Arc<Sandbox>,
    /// The content security policy, computed once from the settings.
    pub csp: axum::http::HeaderValue,
    /// Every current offer, in memory, for searches.
    pub offers: Arc<crate::search::OfferIndex>,
    pub search_log: crate::search::SearchLog,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        let sandbox = Sandbox::new(&settings.uploads);
        let csp = crate::web::security_headers::content_security_policy(
            settings.map.tile_origin().as_deref(),
        );
        AppState(Arc::new(Shared {
            search_log: crate::search::SearchLog::new(db.clone()),
            offers: Arc::default(),
            db,
            settings: Arc::new(settings),
            sandbox: Arc::new(sandbox),
            csp,
        }))
    }

    /// The state to change before it is shared (tests swap the sandbox or
    /// the settings); a copy if it already is.
    pub fn make_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    App(#[from] crate::error::Error),
    #[error("{0}")]
    Other(String),
}

/// Session cookie: `__Host-` prefixed and Secure over TLS, always HttpOnly
/// and SameSite=Lax; expires after 30 minutes without a request.
fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sufficiency"
    } else {
        "sufficiency_session"
    }
}

/// The whole web application: routes with their policies, wrapped in the
/// layers every request passes through.
pub fn build(state: AppState) -> Router {
    let settings = &state.settings;
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(session_cookie_name(settings.auth.secure_cookies))
        .with_secure(settings.auth.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            settings.auth.session_idle_minutes,
        )));
    let auth = AuthManagerLayerBuilder::new(Backend::new(state.db.clone()), sessions)
        .with_data_key(crate::auth::session_store::AUTH_DATA_KEY)
        .build();
    let body_limit = settings.uploads.max_file_bytes + 1024 * 1024;
    let timeout = Duration::from_secs(settings.server.request_timeout_seconds);

    router::routes(&state, Surface::Web)
        .layer(from_fn_with_state(state.clone(), csrf::verify))
        .layer(auth)
        // Outside the session layers: the user read with the session is
        // kept for this request's `get_user` (one query per page).
        .layer(axum::middleware::from_fn(
            crate::auth::session_store::keep_loaded_user,
        ))
        // Bearer tokens only: a cookie sent along is never read, so the API
        // neither loads sessions nor needs CSRF checks.
        .merge(router::routes(&state, Surface::Api))
        // Uploads may be as large as the global limit allows.
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .merge(assets::router(&settings.assets.dir))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(
            crate::web::input::refuse_control_characters,
        ))
        .layer(from_fn_with_state(state.clone(), security_headers::apply))
        // gzip or Brotli as asked; pages too, since their form token is
        // masked afresh on each (BREACH, see `auth::csrf`).
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_page))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> Response {
    Error::NotFound.into_response()
}

/// A panic is a bug; the user sees the generic page, never the message.
fn panic_page(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    (
        status,
        html::error_page(
            status,
            "Sorry, there is a problem with the service",
            "Try again later.",
        ),
    )
        .into_response()
}

/// Connects, migrates and serves until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    if !assets::installed(&settings.assets.dir) {
        return Err(StartError::Other(format!(
            "GOV.UK Frontend is not installed under {}: run `make assets` (npm ci) first",
            settings.assets.dir.display()
        )));
    }
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    passwords::init(&settings.auth);
    // One instance serves the web imports it starts; a restart interrupts
    // them (their transaction never committed) and says so, once they are
    // too old to be running on another instance.
    match crate::ofsted::web_import::fail_interrupted(&db, chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            imports = n,
            "Ofsted imports interrupted by a restart marked failed"
        ),
        Err(e) => tracing::error!(error = %e, "could not check for interrupted Ofsted imports"),
    }
    let listen = settings.server.listen;
    let state = AppState::new(db, settings);
    spawn_retention(state.clone());
    // Email: the sender delivers the outbox; the scheduler queues the
    // weekly, daily and monthly emails (catching up missed runs now).
    let transport = crate::email::sender::Transport::from_settings(&state.settings.email)
        .map_err(StartError::Other)?;
    crate::email::sender::spawn(
        state.db.clone(),
        state.settings.clone(),
        Arc::new(transport),
    );
    let _scheduler = crate::jobs::start(state.db.clone(), state.settings.clone())
        .await
        .map_err(StartError::Other)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    let search_log = state.search_log.clone();
    axum::serve(
        listener,
        build(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    search_log.flush().await;
    Ok(())
}

/// Retention (SECURITY.md item 24): expired sessions and stale sign-in
/// counts are deleted every 15 minutes.
fn spawn_retention(state: AppState) {
    tokio::spawn(async move {
        let store = DbSessionStore::new(state.db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            if let Err(err) = store.delete_expired().await {
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
            if let Err(err) = throttle::delete_stale(&state.db, &state.settings.auth).await {
                tracing::warn!(error = %err, "could not delete stale sign-in counts");
            }
            if let Err(err) = crate::returns::upload::delete_stale(&state.db).await {
                tracing::warn!(error = %err, "could not delete unconfirmed uploads");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
