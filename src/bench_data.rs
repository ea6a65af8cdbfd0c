//! `sufficiency bench-data`: a "national x2" dataset for benchmarks, on an
//! empty database. Every real setting from Ofsted's national provider file
//! first (with positions from the district centres), then synthetic
//! children's homes and providers drawn from the real ones (places,
//! council, sector, position nearby) up to the targets, then years of weekly returns
//! for every home (most weeks full, about one in ten with a vacancy, as
//! providers report). Rows are written in large batches with explicit ids.
//!
//! The same files give the same dataset on either backend, run after run
//! (backends are compared on it): rows read back are sorted here by URN or
//! name (not by SQL, whose order depends on the database's collation), never
//! used in whatever order a database or a hash map returns them.

use std::path::Path;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Statement,
};

use crate::app::StartError;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{homes, organisations, return_placements, return_vacancies, returns};
use crate::returns::this_week;
use crate::sandbox::Sandbox;

pub struct Targets {
    pub settings: usize,
    pub providers: usize,
    pub years: i64,
    /// A boundaries GeoJSON: every council it names with children's
    /// services (E06, E08, E09), and the county councils, become members
    /// before the returns are written (the national deployment).
    pub every_council_from: Option<std::path::PathBuf>,
}

/// Makes every English council with children's services a member: the
/// unitary, metropolitan and London councils the file names, and the
/// county councils.
async fn every_council_a_member(
    db: &DatabaseConnection,
    boundaries: &Path,
) -> Result<usize, StartError> {
    use crate::regions::{CouncilNames, OnsCode, names::COUNTY_COUNCILS};
    let text = std::fs::read_to_string(boundaries)?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| StartError::Other(format!("{}: {e}", boundaries.display())))?;
    let mut codes: Vec<String> = json["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["properties"]["areacd"].as_str())
        .filter(|c| ["E06", "E08", "E09"].iter().any(|p| c.starts_with(p)))
        .map(str::to_string)
        .collect();
    codes.extend(COUNTY_COUNCILS.iter().map(|(c, _)| c.to_string()));
    let names = CouncilNames::load(boundaries);
    let viewer = crate::auth::Viewer::system("bench data");
    let txn = crate::db::begin_write(db).await?;
    for code in &codes {
        let code = OnsCode::parse(code).map_err(StartError::Other)?;
        crate::regions::add(&txn, &viewer, &code, &names, None, Vec::new()).await?;
    }
    txn.commit().await?;
    Ok(codes.len())
}

/// A small deterministic random source.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

pub async fn build(
    db: &DatabaseConnection,
    settings: &Settings,
    ofsted_file: &Path,
    districts_file: &Path,
    targets: Targets,
) -> Result<(), StartError> {
    if homes::Entity::find().count(db).await? > 0 {
        return Err(StartError::Other(
            "bench-data needs an empty database".into(),
        ));
    }
    let started = std::time::Instant::now();
    let file = std::fs::File::open(districts_file)?;
    crate::geo::import_postcodes(db, std::io::BufReader::new(file))
        .await
        .map_err(StartError::Other)?;
    let sandbox = Sandbox::new(&settings.uploads);
    let parsed = crate::ofsted::read_file(ofsted_file, &sandbox)
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    crate::ofsted::import(db, &Viewer::system("bench data"), &parsed, settings).await?;
    let real = by_urn(homes::Entity::find().all(db).await?);
    println!(
        "{} real settings imported ({:.1?})",
        real.len(),
        started.elapsed()
    );

    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let now = Utc::now().fixed_offset();
    // Providers up to the target.
    let existing = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("provider"))
        .count(db)
        .await? as usize;
    let mut new_orgs = Vec::new();
    for n in existing..targets.providers {
        let name = format!("Synthetic Care {n} Ltd");
        new_orgs.push(organisations::ActiveModel {
            kind: Set("provider".into()),
            name_key: Set(crate::organisations::name_key(&name)),
            name: Set(name),
            sector: Set(Some("private".into())),
            contact_email: Set(Some(format!("placements@synthetic-{n}.example"))),
            ownership_note: Set(None),
            ons_code: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in new_orgs.chunks(1000) {
        organisations::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    let mut providers: Vec<(String, i64)> = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("provider"))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.name_key, o.id))
        .collect();
    providers.sort_unstable();
    let providers: Vec<i64> = providers.into_iter().map(|(_, id)| id).collect();
    // Settings up to the target, each a variation of a real one nearby.
    // Children's homes: most settings, and the places councils buy. Ofsted
    // withholds their addresses, so a synthetic one is placed near a real
    // setting of the same council that has a postcode.
    let models: Vec<&homes::Model> = real
        .iter()
        .filter(|h| h.provision_type == "childrens_home")
        .collect();
    let mut positions: std::collections::HashMap<Option<i64>, Vec<(f64, f64)>> =
        std::collections::HashMap::new();
    let mut anywhere = Vec::new();
    for h in &real {
        if let (Some(lat), Some(lon)) = (h.latitude, h.longitude) {
            positions
                .entry(h.host_council_id)
                .or_default()
                .push((lat, lon));
            anywhere.push((lat, lon));
        }
    }
    if models.is_empty() || anywhere.is_empty() {
        return Err(StartError::Other(
            "the Ofsted file has no children's homes, or no setting with a known postcode".into(),
        ));
    }
    let mut synthetic = Vec::new();
    for n in real.len()..targets.settings {
        let model = models[dice.roll(models.len() as u64) as usize];
        let near = positions
            .get(&model.host_council_id)
            .filter(|p| !p.is_empty())
            .unwrap_or(&anywhere);
        let (lat, lon) = near[dice.roll(near.len() as u64) as usize];
        let jitter = |d: &mut Dice| (d.roll(2001) as f64 - 1000.0) / 20_000.0;
        synthetic.push(homes::ActiveModel {
            urn: Set(format!("SY{n:07}")),
            name: Set(format!("Synthetic home {n}")),
            provision_type: Set(model.provision_type.clone()),
            sector: Set(model.sector.clone()),
            registered_places: Set(model.registered_places),
            min_age: Set(Some(8 + dice.roll(5) as i16)),
            max_age: Set(Some(17)),
            sexes: Set(Some("mixed".into())),
            short_break_only: Set(false),
            multi_building: Set(false),
            registration_status: Set("active".into()),
            registration_date: Set(model.registration_date),
            host_council_id: Set(model.host_council_id),
            locality: Set(model.locality.clone()),
            address_line1: Set(None),
            address_line2: Set(None),
            town: Set(None),
            county: Set(None),
            postcode: Set(None),
            latitude: Set(Some(lat + jitter(&mut dice))),
            longitude: Set(Some(lon + jitter(&mut dice))),
            provider_id: Set(Some(providers[dice.roll(providers.len() as u64) as usize])),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in synthetic.chunks(1000) {
        homes::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    let all = by_urn(homes::Entity::find().all(db).await?);
    let places: i64 = all
        .iter()
        .map(|h| i64::from(h.registered_places.unwrap_or(0)))
        .sum();
    println!(
        "{} settings, {} providers, {places} places ({:.1?})",
        all.len(),
        providers.len(),
        started.elapsed()
    );

    if let Some(boundaries) = &targets.every_council_from {
        let n = every_council_a_member(db, boundaries).await?;
        println!("{n} councils are members of the region");
    }

    // Weekly returns, oldest first, with explicit ids so vacancies can
    // point at them without reading them back.
    let weeks = targets.years * 52 + targets.years / 4;
    let this = this_week();
    // "Ours" is the home's own council's line when it is a member.
    let members: std::collections::HashSet<i64> = crate::regions::members(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut placements = Vec::new();
    let mut next_return = 1i64;
    let mut next_vacancy = 1i64;
    let mut batch = Vec::with_capacity(1000);
    let mut vacancies = Vec::new();
    let mut written = 0u64;
    for k in (0..weeks).rev() {
        let week = this.plus(-k);
        let at = (week
            .monday()
            .and_hms_opt(10, 0, 0)
            .unwrap_or_default()
            .and_utc()
            + Duration::hours(dice.roll(30) as i64))
        .fixed_offset();
        for home in &all {
            let capacity = home.registered_places.unwrap_or(3).clamp(1, 60);
            let vacant = i32::from(dice.roll(10) == 0) * (1 + dice.roll(2) as i32).min(capacity);
            let occupied = capacity - vacant;
            let host = home.host_council_id.filter(|h| members.contains(h));
            let share = dice.roll(4);
            let ours = if host.is_some() {
                (occupied as u64 * share / 10) as i32
            } else {
                0
            };
            let id = next_return;
            next_return += 1;
            if let (Some(council), true) = (host, ours > 0) {
                placements.push(return_placements::ActiveModel {
                    return_id: Set(id),
                    council_id: Set(council),
                    beds: Set(ours),
                });
            }
            batch.push(returns::ActiveModel {
                id: Set(id),
                home_id: Set(home.id),
                week_start: Set(week.monday()),
                version: Set(1),
                is_current: Set(true),
                registered_places: Set(home.registered_places),
                capacity: Set(home.registered_places.is_none().then_some(capacity)),
                occupied: Set(occupied),
                occupied_outside_region: Set(occupied - ours),
                unavailable_staffing: Set(0),
                unavailable_works: Set(0),
                unavailable_matching: Set(0),
                unavailable_registration: Set(0),
                unavailable_other: Set(0),
                unavailable_other_reason: Set(None),
                vacancies: Set(vacant),
                note: Set(None),
                source: Set("demo".into()),
                copied_from_id: Set(None),
                submitted_by_user_id: Set(None),
                submitted_by: Set("bench data".into()),
                submitted_at: Set(at),
                late: Set(false),
                idempotency_key: Set(None),
            });
            if vacant > 0 {
                vacancies.push(return_vacancies::ActiveModel {
                    id: Set(next_vacancy),
                    return_id: Set(id),
                    beds: Set(vacant),
                    available_from: Set(week.monday()),
                    min_age: Set(home.min_age.unwrap_or(8)),
                    max_age: Set(home.max_age.unwrap_or(17)),
                    sexes: Set(["mixed", "mixed", "female", "male"][dice.roll(4) as usize].into()),
                    needs_mask: Set(dice.roll(128) as i64),
                    emergency: Set(dice.roll(3) == 0),
                    solo_only: Set(dice.roll(10) == 0),
                    weekly_fee_pence: Set(Some(350_000 + 1_000 * dice.roll(400) as i64)),
                    note: Set(None),
                });
                next_vacancy += 1;
            }
            if batch.len() == 1000 {
                written += flush(db, &mut batch, &mut vacancies, &mut placements).await?;
            }
        }
        if k % 52 == 0 {
            println!(
                "{written} returns written, to {week} ({:.1?})",
                started.elapsed()
            );
        }
    }
    written += flush(db, &mut batch, &mut vacancies, &mut placements).await?;
    // Each home's current offer, once, from all the returns.
    crate::returns::offers::rebuild(db).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        for table in ["returns", "return_vacancies"] {
            db.execute_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                ),
            ))
            .await?;
        }
        db.execute_unprepared("ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!(
        "{written} returns and {} vacancies in {:.1?}",
        next_vacancy - 1,
        started.elapsed()
    );
    Ok(())
}

fn by_urn(mut homes: Vec<homes::Model>) -> Vec<homes::Model> {
    homes.sort_unstable_by(|a, b| a.urn.cmp(&b.urn));
    homes
}

async fn flush(
    db: &DatabaseConnection,
    batch: &mut Vec<returns::ActiveModel>,
    vacancies: &mut Vec<return_vacancies::ActiveModel>,
    placements: &mut Vec<return_placements::ActiveModel>,
) -> Result<u64, StartError> {
    let n = batch.len() as u64;
    if n == 0 {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    returns::Entity::insert_many(std::mem::take(batch))
        .exec(&txn)
        .await?;
    for chunk in std::mem::take(vacancies).chunks(1000) {
        return_vacancies::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in std::mem::take(placements).chunks(1000) {
        return_placements::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(n)
}
