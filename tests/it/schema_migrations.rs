//! Every migration runs up, down and up again on an empty database, so a
//! release can be rolled back and forward without hand repairs.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::database::TestDatabase;

async fn tables(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .filter(|name| name != "seaql_migrations")
        .collect()
}

#[tokio::test]
async fn every_migration_runs_up_down_and_up_again() {
    let database = TestDatabase::empty().await;
    let db = database.connect().await;
    Migrator::up(&db, None).await.expect("up");
    let schema = tables(&db).await;
    assert!(schema.contains(&"returns".to_string()), "{schema:?}");
    Migrator::down(&db, None)
        .await
        .expect("down, every migration");
    assert_eq!(
        tables(&db).await,
        Vec::<String>::new(),
        "down leaves nothing"
    );
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(tables(&db).await, schema);
}
