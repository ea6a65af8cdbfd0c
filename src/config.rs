//! Settings: `config/default.toml`, then `config/{environment}.toml`, then
//! environment variables (`SUFFICIENCY__SECTION__KEY`, and `DATABASE_URL`).
//! The environment is chosen by `SUFFICIENCY_ENV` (default `development`).
//! Secrets (database passwords, later SMTP credentials) come only from the
//! environment; the TOML files hold none.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: Server,
    pub database: Database,
    pub council: Council,
    pub region: Region,
    pub auth: Auth,
    pub uploads: Uploads,
    pub assets: Assets,
    pub market: Market,
    pub returns: Returns,
    pub cases: Cases,
    pub requests: Requests,
    pub map: Map,
    pub email: Email,
    pub schedules: Schedules,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub listen: SocketAddr,
    /// Scheme, host and port users reach the service on; links in emails and
    /// the Origin check for forms use it.
    pub public_url: url::Url,
    /// Reverse proxies in front of the service, each appending the address
    /// it was reached from to X-Forwarded-For; 0 reads no such header.
    pub trusted_proxies: usize,
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

/// The region the deployment serves (its member councils are in the database).
#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    /// Shown in the header to providers and visitors.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
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
    /// Roles that must sign in with a second factor (SECURITY.md item 13).
    pub two_factor_roles: Vec<crate::auth::Role>,
    /// Shown in authenticator apps beside the code.
    pub two_factor_issuer: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Uploads {
    pub max_file_bytes: usize,
    pub max_rows: usize,
    pub parse_timeout_seconds: u64,
    pub parser_memory_mib: u64,
    pub parser_cpu_seconds: u64,
    /// Parsers that may run at once; a file that finds them all busy waits
    /// up to `parser_wait_seconds`, then is refused with "try again".
    pub max_parsers: usize,
    pub parser_wait_seconds: u64,
}

/// The placements market: the kinds of setting councils place children in.
/// Only these file weekly returns and count in search, the map and the
/// capacity dashboard; other settings Ofsted registers (boarding schools,
/// colleges, adoption agencies) are still imported, rated and listed.
/// Changing it changes those pages at the next start, with no migration.
#[derive(Debug, Clone, Deserialize)]
pub struct Market {
    pub provision_types: Vec<importers::vocab::ProvisionType>,
}

impl Market {
    pub fn includes(&self, provision_type: importers::vocab::ProvisionType) -> bool {
        self.provision_types.contains(&provision_type)
    }

    /// Whether a home's stored provision type is in the market.
    pub fn includes_code(&self, code: &str) -> bool {
        importers::vocab::ProvisionType::from_code(code).is_some_and(|t| self.includes(t))
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.provision_types.iter().map(|t| t.code()).collect()
    }

    fn check(&self) -> Result<(), String> {
        if self.provision_types.is_empty() {
            return Err("market.provision_types must name at least one provision type".into());
        }
        Ok(())
    }
}

/// When weekly returns are due and when figures count as stale.
#[derive(Debug, Clone, Deserialize)]
pub struct Returns {
    /// Day of the return's own week it is due, e.g. "Tuesday".
    pub due_weekday: String,
    /// Time of day it is due, UK time, "HH:MM".
    pub due_time: String,
    pub stale_after_days: i64,
    /// How many weeks back a return may still be filed or amended.
    pub amend_weeks: i64,
}

impl Returns {
    /// When the return for `week` is due, as an instant.
    pub fn due(&self, week: importers::vocab::IsoWeek) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        let weekday: chrono::Weekday = self.due_weekday.parse().unwrap_or(chrono::Weekday::Tue);
        let time = chrono::NaiveTime::parse_from_str(&self.due_time, "%H:%M")
            .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
        let day = week.monday() + chrono::Duration::days(i64::from(weekday.num_days_from_monday()));
        let local = day.and_time(time);
        // On the autumn change an hour repeats: the earlier one is the due time.
        chrono_tz::Europe::London
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| local.and_utc())
    }

    fn check(&self) -> Result<(), String> {
        self.due_weekday.parse::<chrono::Weekday>().map_err(|_| {
            format!(
                "returns.due_weekday '{}' is not a day of the week",
                self.due_weekday
            )
        })?;
        chrono::NaiveTime::parse_from_str(&self.due_time, "%H:%M").map_err(|_| {
            format!(
                "returns.due_time '{}' is not a time like 12:00",
                self.due_time
            )
        })?;
        Ok(())
    }
}

/// Monitoring cases of flagged homes.
#[derive(Debug, Clone, Deserialize)]
pub struct Cases {
    /// Escalation levels, lowest first; a case starts at the first.
    pub escalation_levels: Vec<String>,
    /// A monitoring meeting is due this many months after the last one.
    pub meeting_interval_months: u32,
    /// Largest improvement-plan PDF accepted.
    pub max_plan_bytes: usize,
}

/// The name of escalation level `level` (0 is the first).
pub fn level_name(levels: &[String], level: i16) -> &str {
    usize::try_from(level)
        .ok()
        .and_then(|l| levels.get(l))
        .map(String::as_str)
        .unwrap_or("Unknown level")
}

impl Cases {
    pub fn level_name(&self, level: i16) -> &str {
        level_name(&self.escalation_levels, level)
    }

    fn check(&self) -> Result<(), String> {
        if self.escalation_levels.is_empty() {
            return Err("cases.escalation_levels must name at least one level".into());
        }
        if self.meeting_interval_months == 0 {
            return Err("cases.meeting_interval_months must be at least 1".into());
        }
        Ok(())
    }
}

/// Bed requests to providers.
#[derive(Debug, Clone, Deserialize)]
pub struct Requests {
    /// Providers who have not answered are reminded this long before the
    /// reply-by time (once).
    pub remind_before_hours: i64,
    /// The reply-by time the form suggests, this long after sending.
    pub default_reply_hours: i64,
    /// The longest note to providers.
    pub note_max_chars: usize,
    /// The most homes one request may ask.
    pub max_homes: usize,
}

impl Requests {
    fn check(&self) -> Result<(), String> {
        if self.remind_before_hours < 1 || self.default_reply_hours < 1 {
            return Err(
                "requests.remind_before_hours and default_reply_hours must be at least 1".into(),
            );
        }
        if self.max_homes == 0 {
            return Err("requests.max_homes must be at least 1".into());
        }
        Ok(())
    }
}

/// The capacity map.
#[derive(Debug, Clone, Deserialize)]
pub struct Map {
    /// Tile URL template; empty for no tiles (a plain background).
    pub tile_url: String,
    pub tile_attribution: String,
    /// GeoJSON of the council's and its neighbours' boundaries.
    pub boundaries_file: PathBuf,
    /// Homes within this distance of the centre of our council's homes.
    pub radius_miles: u32,
}

impl Map {
    /// `https://tile.example.org` of the tile URL, for the content security
    /// policy.
    pub fn tile_origin(&self) -> Option<String> {
        let url = url::Url::parse(&self.tile_url.replace(['{', '}'], "")).ok()?;
        Some(url.origin().ascii_serialization()).filter(|o| o != "null")
    }
}

/// Outgoing email. SMTP credentials come from the environment only
/// (`SMTP_USERNAME`, `SMTP_PASSWORD`).
#[derive(Debug, Clone, Deserialize)]
pub struct Email {
    /// Empty: no SMTP server; emails are written as `.eml` files to `outbox_dir`.
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    /// `Name <address>` the emails come from.
    pub from: String,
    pub outbox_dir: PathBuf,
    /// How often the sender looks for due emails.
    pub poll_seconds: u64,
    /// How long a sender's claim on an email lasts before another may take it.
    pub lease_seconds: i64,
    pub batch_size: u64,
    /// Emails of a batch handed to the server at once.
    pub send_concurrency: usize,
    /// First retry after this long; each later one waits twice as long...
    pub first_retry_seconds: i64,
    /// ...but never longer than this.
    pub max_retry_minutes: i64,
    /// Keep retrying for this long, then mark the email failed and alert admins.
    pub give_up_after_hours: i64,
    /// Send the daily vacancy digest even when nothing is new.
    pub digest_when_nothing_new: bool,
    /// How long one-click "no change" links in return requests work.
    pub one_click_valid_days: i64,
    pub invite_valid_hours: i64,
    pub reset_valid_minutes: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the first byte, usually port 465.
    Tls,
    /// No encryption: only for a relay on the same machine (and tests).
    None,
}

/// When scheduled jobs run: cron expressions (seconds minutes hours
/// day-of-month month day-of-week) in UK time, and how late a missed run
/// is still worth doing when the service starts.
#[derive(Debug, Clone, Deserialize)]
pub struct Schedules {
    pub return_request: Schedule,
    pub return_reminder: Schedule,
    pub non_filers: Schedule,
    pub vacancy_digest: Schedule,
    pub overdue_alerts: Schedule,
    pub monthly_summary: Schedule,
    pub retention: Schedule,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Schedule {
    pub cron: String,
    pub catch_up_hours: i64,
}

impl Schedules {
    pub fn all(&self) -> [(&'static str, &Schedule); 7] {
        [
            ("return-request", &self.return_request),
            ("return-reminder", &self.return_reminder),
            ("non-filers", &self.non_filers),
            ("vacancy-digest", &self.vacancy_digest),
            ("overdue-alerts", &self.overdue_alerts),
            ("monthly-summary", &self.monthly_summary),
            ("retention", &self.retention),
        ]
    }

    fn check(&self) -> Result<(), String> {
        for (name, schedule) in self.all() {
            crate::jobs::schedule::parse(&schedule.cron)
                .map_err(|e| format!("schedules.{name}.cron '{}': {e}", schedule.cron))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Assets {
    /// Folder holding `node_modules/` (govuk-frontend) and the app's own files.
    pub dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Source(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

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
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.returns.check().map_err(ConfigError::Invalid)?;
        settings.market.check().map_err(ConfigError::Invalid)?;
        settings.cases.check().map_err(ConfigError::Invalid)?;
        settings.requests.check().map_err(ConfigError::Invalid)?;
        settings.schedules.check().map_err(ConfigError::Invalid)?;
        Ok(settings)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returns() -> Returns {
        Returns {
            due_weekday: "Tuesday".into(),
            due_time: "12:00".into(),
            stale_after_days: 7,
            amend_weeks: 8,
        }
    }

    #[test]
    fn returns_are_due_on_tuesday_noon_uk_time_across_clock_changes() {
        let winter: importers::vocab::IsoWeek = "2026-W48".parse().unwrap();
        assert_eq!(
            returns().due(winter).to_rfc3339(),
            "2026-11-24T12:00:00+00:00"
        );
        let summer: importers::vocab::IsoWeek = "2026-W27".parse().unwrap();
        assert_eq!(
            returns().due(summer).to_rfc3339(),
            "2026-06-30T11:00:00+00:00",
            "BST is UTC+1"
        );
        assert!(
            Returns {
                due_weekday: "Funday".into(),
                ..returns()
            }
            .check()
            .is_err()
        );
    }
}
