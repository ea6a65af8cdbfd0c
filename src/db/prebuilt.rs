//! Statements run over and over (a session with its user, an API token, the
//! search log's inserts), built by sea-query once per backend and then run
//! with fresh values: building them afresh was about a twentieth of an API
//! search's time. The same SQL each time also lets sqlx reuse the prepared
//! statement.

use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, StatementBuilder, Value};

/// One statement's SQL for each backend, built on first use.
#[derive(Default)]
pub struct Prebuilt {
    sqlite: OnceLock<String>,
    postgres: OnceLock<String>,
}

impl Prebuilt {
    pub const fn new() -> Self {
        Prebuilt {
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }

    /// The statement `build` makes (given `values`), with `values` bound.
    /// `build` runs on the first call for a backend only, so `values` must
    /// be what it binds, in order: debug builds (every test) check that on
    /// that call.
    pub fn statement<S: StatementBuilder>(
        &self,
        backend: DbBackend,
        values: Vec<Value>,
        build: impl FnOnce(&[Value]) -> S,
    ) -> Statement {
        let cell = match backend {
            DbBackend::Sqlite => &self.sqlite,
            DbBackend::Postgres => &self.postgres,
            _ => return backend.build(&build(&values)),
        };
        let sql = cell.get_or_init(|| {
            let built = backend.build(&build(&values));
            debug_assert_eq!(
                built.values.as_ref().map(|v| &v.0),
                Some(&values),
                "a prebuilt statement's values differ from what it binds"
            );
            built.sql
        });
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}
