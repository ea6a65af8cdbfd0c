//! Settings: `config/default.toml`, then `config/{environment}.toml`, then
//! environment variables (`SUFFICIENCY__SECTION__KEY`, and `DATABASE_URL`).
//! The environment is chosen by `SUFFICIENCY_ENV` (default `development`).
//! Secrets (database passwords, later SMTP credentials) come only from the
//! environment; the TOML files hold none.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: Server,
    pub database: Database,
    pub council: Council,
    pub auth: Auth,
    pub uploads: Uploads,
    pub assets: Assets,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub listen: SocketAddr,
    /// Scheme, host and port users reach the service on; links in emails and
    /// the Origin check for forms use it.
    pub public_url: url::Url,
    /// Behind a reverse proxy, take the client address from X-Forwarded-For.
    pub trust_forwarded_for: bool,
    /// Requests that take longer are answered 503 (database busy, stuck work).
    pub request_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Database {
    /// `sqlite://path?mode=rwc` (default) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// How long a write waits for SQLite's lock before giving up.
    pub busy_timeout_ms: u64,
    pub acquire_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Council {
    /// The deployment's own council ("our council"), as ONS names it.
    pub name: String,
    pub short_name: String,
    pub ons_code: String,
    /// Areas within the council that commissioners report by.
    pub localities: Vec<Locality>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Locality {
    pub name: String,
    /// Postcode districts (outward codes) that default a home to this locality.
    pub postcode_districts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Auth {
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Set when served over TLS: cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub throttle_max_failures: i32,
    pub throttle_window_minutes: i64,
    pub throttle_max_block_minutes: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Uploads {
    pub max_file_bytes: usize,
    pub max_rows: usize,
    pub parse_timeout_seconds: u64,
    pub parser_memory_mib: u64,
    pub parser_cpu_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Assets {
    /// Folder holding `node_modules/` (govuk-frontend) and the app's own files.
    pub dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(#[from] config::ConfigError);

impl Settings {
    /// Loads settings for the environment named by `SUFFICIENCY_ENV`.
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var("SUFFICIENCY_CONFIG_DIR").unwrap_or_else(|_| "config".into());
        let env = std::env::var("SUFFICIENCY_ENV").unwrap_or_else(|_| "development".into());
        Self::load_from(Path::new(&dir), &env)
    }

    pub fn load_from(dir: &Path, environment: &str) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from(dir.join("default.toml")))
            .add_source(config::File::from(dir.join(format!("{environment}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("SUFFICIENCY")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        Ok(builder.build()?.try_deserialize()?)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.starts_with("sqlite:")
    }
}

impl Council {
    /// The locality a postcode defaults to, from its district.
    pub fn locality_for_district(&self, district: &str) -> Option<&str> {
        self.localities
            .iter()
            .find(|l| {
                l.postcode_districts
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(district))
            })
            .map(|l| l.name.as_str())
    }
}
