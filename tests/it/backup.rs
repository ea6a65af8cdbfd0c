//! The restore drill: `sufficiency backup` runs while a provider's system
//! files returns through the API; the copy is restored into an empty
//! database, the service starts on it, and every return acknowledged before
//! the backup began is there.

use std::collections::BTreeSet;
use std::process::Command;

use sea_orm::EntityTrait;
use sufficiency::db::entities::{homes, returns};

use crate::cli::{Server, binary, succeeded};
use crate::support::database::TestDatabase;

const HOMES: [&str; 4] = ["SC710001", "SC710002", "SC710003", "SC710004"];

async fn add_homes(server: &Server) {
    let mut http = server.http();
    http.sign_in("admin@test.example", crate::support::PASSWORD)
        .await;
    for urn in HOMES {
        let home = [
            ("registration", "1"),
            ("urn", urn),
            ("name", &format!("Backup House {urn}")),
            ("provision_type", "childrens_home"),
            ("registered_places", "3"),
            ("registration_status", "active"),
            ("contract", "spot"),
        ];
        assert_eq!(http.post_form("/homes/new", &home).await, 303);
    }
}

/// (home URN, week) of every return stored in the database.
async fn stored_returns(database: &TestDatabase) -> BTreeSet<(String, chrono::NaiveDate)> {
    let db = database.connect().await;
    let urns: std::collections::HashMap<i64, String> = homes::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.urn))
        .collect();
    returns::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (urns[&r.home_id].clone(), r.week_start))
        .collect()
}

fn restore(backup: &std::path::Path, into: &TestDatabase) {
    match into.sqlite_path() {
        Some(path) => {
            std::fs::copy(backup, path).expect("copy the backup into place");
        }
        None => {
            let output = Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname", into.url()])
                .arg(backup)
                .output()
                .expect("pg_restore");
            succeeded(&output);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_returns_are_filed_restores_every_acknowledged_return() {
    let database = TestDatabase::create().await;
    let server = Server::start(database.url()).await;
    server.add_admin().await;
    add_homes(&server).await;
    let token = server.token("admin@test.example");

    // A provider's system files this week and the eight before for each home.
    let (acks, mut acknowledged) = tokio::sync::mpsc::unbounded_channel();
    let mut http = server.http();
    let filer = tokio::spawn(async move {
        for back in 0..9 {
            let week = sufficiency::returns::this_week().plus(-back);
            for urn in HOMES {
                let body = r#"{"occupied_by_council": [], "occupied_outside_region": 3}"#;
                let path = format!("/api/v1/homes/{urn}/returns/{week}");
                if http.put_json(&path, &token, body).await == 201 {
                    let _ = acks.send((urn.to_string(), week.monday()));
                }
            }
        }
    });
    let mut before_backup = BTreeSet::new();
    while before_backup.len() < 12 {
        before_backup.insert(acknowledged.recv().await.expect("a return filed"));
    }

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("sufficiency.backup");
    let url = database.url().to_string();
    let command_file = file.clone();
    let output = tokio::task::spawn_blocking(move || {
        binary()
            .env("DATABASE_URL", url)
            .arg("backup")
            .arg(&command_file)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    succeeded(&output);
    filer.await.unwrap();
    let mut all_acknowledged = before_backup.clone();
    while let Ok(ack) = acknowledged.try_recv() {
        all_acknowledged.insert(ack);
    }
    assert_eq!(all_acknowledged.len(), 36, "every return was acknowledged");
    // Asked again, it refuses to overwrite the backup.
    let again = binary()
        .env("DATABASE_URL", database.url())
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    drop(server);

    let restored = TestDatabase::empty().await;
    restore(&file, &restored);
    let server = Server::start(restored.url()).await;
    let mut http = server.http();
    http.sign_in("admin@test.example", crate::support::PASSWORD)
        .await;
    let (status, page) = http.get("/homes?q=Backup+House").await;
    assert_eq!(status, 200);
    assert!(page.contains("Backup House SC710001"), "{page}");
    let in_copy = stored_returns(&restored).await;
    for ret in &before_backup {
        assert!(
            in_copy.contains(ret),
            "{ret:?} was acknowledged before the backup began but is not in it"
        );
    }
    // The copy is a snapshot: it holds whole returns, nothing half-written.
    assert!(in_copy.is_subset(&all_acknowledged));
}
