//! `sufficiency bench-data`: the benchmark's dataset, built small.

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, EntityTrait};
use sufficiency::db::entities::{homes, organisations, return_vacancies, returns};

use crate::cli::{binary, succeeded};
use crate::support::{TestDatabase, repo_path};

/// Backends are compared on the benchmark's dataset, so it must be the same
/// wherever it is built: the same homes, providers and vacancies, in the
/// same places, on SQLite and PostgreSQL, run after run. A small build from
/// the demo's Ofsted extract, summarised in a fixed order (dates as weeks
/// back from the newest, so the day of the run does not matter), gives the
/// one digest both backends give.
#[tokio::test]
async fn the_benchmark_dataset_is_the_same_wherever_it_is_built() {
    let database = TestDatabase::create().await;
    let ofsted = repo_path("data/demo/ofsted/providers_at_31_march_2023.csv");
    let districts = repo_path("data/demo/geo/outcode_centroids_GB.csv");
    let output = binary()
        .env("DATABASE_URL", database.url())
        .arg("bench-data")
        .arg("--ofsted")
        .arg(&ofsted)
        .arg("--districts")
        .arg(&districts)
        .args(["--settings", "200", "--providers", "90", "--years", "1"])
        .output()
        .unwrap();
    succeeded(&output);
    let db = database.connect().await;
    let (homes, vacancies, digest) = dataset_digest(&db).await;
    assert_eq!((homes, vacancies), (200, BENCH_VACANCIES));
    assert_eq!(digest, BENCH_DIGEST);
}

// What SQLite and PostgreSQL both build. A deliberate change to the
// generator changes them; a build that differs by backend or by run fails.
const BENCH_VACANCIES: usize = 1027;
const BENCH_DIGEST: &str = "8b5e9ca67043203a";

/// Every home (URN, position, ages, provider) and every vacancy (its home,
/// weeks back, beds, sexes, needs, kind of placement, fee), sorted, hashed.
async fn dataset_digest(db: &DatabaseConnection) -> (usize, usize, String) {
    use blake2::{Blake2s256, Digest};
    let providers: HashMap<i64, String> = organisations::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let homes = homes::Entity::find().all(db).await.unwrap();
    let mut lines: Vec<String> = homes
        .iter()
        .map(|h| {
            let provider = h.provider_id.and_then(|id| providers.get(&id));
            format!(
                "home {} {:?} {:?} {:?} {provider:?}",
                h.urn, h.latitude, h.longitude, h.min_age
            )
        })
        .collect();
    let urns: HashMap<i64, &str> = homes.iter().map(|h| (h.id, h.urn.as_str())).collect();
    let filed = returns::Entity::find().all(db).await.unwrap();
    let newest = filed.iter().map(|r| r.week_start).max().unwrap();
    let weeks: HashMap<i64, (&str, i64)> = filed
        .iter()
        .map(|r| {
            let back = (newest - r.week_start).num_weeks();
            (r.id, (urns[&r.home_id], back))
        })
        .collect();
    let vacancies = return_vacancies::Entity::find().all(db).await.unwrap();
    lines.extend(vacancies.iter().map(|v| {
        let (urn, back) = weeks[&v.return_id];
        format!(
            "vacancy {urn} {back} {} {} {} {} {} {:?}",
            v.beds, v.sexes, v.needs_mask, v.emergency, v.solo_only, v.weekly_fee_pence
        )
    }));
    lines.sort();
    let hash = Blake2s256::digest(lines.join("\n").as_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    (homes.len(), vacancies.len(), hex)
}
