//! A fresh database for every test, cloned from a migrated template: a
//! SQLite file copy, or a PostgreSQL `CREATE DATABASE ... TEMPLATE` when
//! `TEST_DATABASE_URL` points at a server.

use std::path::PathBuf;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sufficiency::config;
use tokio::sync::OnceCell;

pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDatabase::Postgres { .. })
    }

    pub async fn create() -> TestDatabase {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => create_postgres(url).await,
            _ => create_sqlite().await,
        }
    }

    /// A database with nothing in it, not even the schema: where a backup
    /// is restored.
    pub async fn empty() -> TestDatabase {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("sufficiency_empty_{:016x}", rand::random::<u64>());
                let admin = Database::connect(&admin_url).await.expect("connect");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create empty database");
                TestDatabase::Postgres {
                    url: replace_database(&admin_url, &name),
                    admin_url,
                    name,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("empty.sqlite");
                TestDatabase::Sqlite {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    _dir: dir,
                }
            }
        }
    }

    /// The SQLite file behind the URL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self {
            TestDatabase::Sqlite { url, .. } => {
                let path = url.trim_start_matches("sqlite://");
                Some(PathBuf::from(path.split('?').next().unwrap_or(path)))
            }
            TestDatabase::Postgres { .. } => None,
        }
    }

    /// Connects through the application's own pool settings (pragmas included).
    pub async fn connect(&self) -> DatabaseConnection {
        let settings = config::Database {
            url: self.url().to_string(),
            max_connections: 5,
            busy_timeout_ms: 5000,
            acquire_timeout_ms: 5000,
        };
        sufficiency::db::connect(&settings)
            .await
            .expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop has no async; a short-lived runtime on its own thread does it.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();

async fn create_sqlite() -> TestDatabase {
    let template = SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir =
                std::env::temp_dir().join(format!("sufficiency-template-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("template dir");
            let path = dir.join("template.sqlite");
            let _ = std::fs::remove_file(&path);
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let settings = config::Database {
                url,
                max_connections: 1,
                busy_timeout_ms: 5000,
                acquire_timeout_ms: 5000,
            };
            let db = sufficiency::db::connect(&settings).await.expect("template");
            Migrator::up(&db, None).await.expect("migrate template");
            // Fold the WAL back into the main file so a plain copy is complete.
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .expect("checkpoint");
            db.close().await.expect("close template");
            path
        })
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test.sqlite");
    std::fs::copy(template, &path).expect("copy template");
    TestDatabase::Sqlite {
        url: format!("sqlite://{}?mode=rwc", path.display()),
        _dir: dir,
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn create_postgres(admin_url: String) -> TestDatabase {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let fingerprint = names.join(",").bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    let template = format!("sufficiency_tmpl_{fingerprint:016x}");
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    // One process builds the template; the others wait on the lock.
    admin
        .execute_unprepared("SELECT pg_advisory_lock(734219)")
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{template}'"),
        ))
        .await
        .expect("query")
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{template}\""))
            .await
            .expect("create template");
        let db = Database::connect(&replace_database(&admin_url, &template))
            .await
            .expect("connect template");
        Migrator::up(&db, None).await.expect("migrate template");
        db.close().await.expect("close template");
    }
    let name = format!("sufficiency_test_{:016x}", rand::random::<u64>());
    let created = admin
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await;
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(734219)")
        .await
        .expect("unlock");
    created.expect("create test database");
    TestDatabase::Postgres {
        url: replace_database(&admin_url, &name),
        admin_url,
        name,
    }
}
