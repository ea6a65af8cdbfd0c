use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(id())
                    .col(instant("occurred_at"))
                    // No foreign key: the record must outlive anything it mentions.
                    .col(big_integer_null("actor_user_id"))
                    .col(string("actor"))
                    .col(string("action"))
                    .col(string("entity_type"))
                    .col(string_null("entity_id"))
                    .col(text_null("summary"))
                    .col(json_null("before"))
                    .col(json_null("after"))
                    .col(string_null("client_ip"))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("audit_events_occurred_at", &["occurred_at"][..]),
            ("audit_events_entity", &["entity_type", "entity_id"][..]),
            ("audit_events_actor", &["actor_user_id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("audit_events");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }

        // Append-only: the database itself refuses to change or delete audit
        // rows, whatever the application does.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_events_no_{op} BEFORE {op} ON audit_events \
                         BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
                    ))
                    .await?;
                }
            }
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE \
                     ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
                )
                .await?;
            }
            other => return Err(DbErr::Migration(format!("unsupported backend {other:?}"))),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
            )
            .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_events_append_only()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table("audit_events").to_owned())
            .await
    }
}
