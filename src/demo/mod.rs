//! `sufficiency demo`: a fresh SQLite database built from the committed
//! extract of real Ofsted data for BCP and its neighbours (`data/demo/`),
//! with one user per role and twelve weeks of returns, then served.

mod cases;
mod requests;
mod returns;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use crate::app::{self, StartError};
use crate::audit::{self, Change};
use crate::auth::{Role, Viewer, passwords};
use crate::config::Settings;
use crate::db::entities::{homes, organisations};
use crate::sandbox::Sandbox;
use crate::{db, ofsted, users};

/// Every demo user signs in with this password (it passes the password rules).
pub const DEMO_PASSWORD: &str = "demo-only-password";

/// Ofsted's files for the demo area. Any order ends in the same data; this
/// one shows each kind of change report: a providers file, an older
/// inspections file (its facts kept where newer), a newer one (owners
/// renamed, downgrades), and the leavers and joiners table (closures).
const OFSTED_FILES: [&str; 4] = [
    "providers_at_31_march_2023.csv",
    "inspections_2022_23.csv",
    "inspections_2023_24.csv",
    "leavers_joiners_at_31_march_2025.csv",
];

/// One owner Ofsted spells two ways in the demo's files, merged as a
/// commissioner would after reading the change report.
/// The region's other members (BCP, the configured council, is the first):
/// Dorset, Hampshire and Southampton.
const DEMO_MEMBERS: [&str; 3] = ["E06000059", "E10000014", "E06000045"];

const MERGED: (&str, &str) = ("Beaufort care Group", "Beaufort Care Group Limited");

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub note: String,
}

pub async fn run(
    mut settings: Settings,
    database: &Path,
    build_only: bool,
) -> Result<(), StartError> {
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", database.display()));
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    settings.database.url = format!("sqlite://{}?mode=rwc", database.display());
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    passwords::init(&settings.auth);
    let logins = build(&db, &settings, Path::new("data/demo")).await?;
    db.close().await?;

    println!("\nSufficiency demo: {}", database.display());
    println!(
        "Open http://{} and sign in as any of these (password: {DEMO_PASSWORD}):",
        settings.server.listen
    );
    for login in &logins {
        println!(
            "  {:<40} {:<16} {}",
            login.email,
            login.role.label(),
            login.note
        );
    }
    println!();
    if build_only {
        return Ok(());
    }
    app::serve(settings).await
}

/// The address the demo's emails link to when it serves on `listen`: that
/// address, unless `server.public_url` was set to something other than the
/// shipped default (then it is what users reach the service on).
pub fn public_url(server: &crate::config::Server, listen: std::net::SocketAddr) -> url::Url {
    const SHIPPED: &str = "http://localhost:8080/";
    if server.public_url.as_str() != SHIPPED {
        return server.public_url.clone();
    }
    let host = if listen.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        listen.ip().to_string()
    };
    url::Url::parse(&format!("http://{host}:{}", listen.port()))
        .unwrap_or_else(|_| server.public_url.clone())
}

/// Imports the extract, fictionalises withheld names and addresses, adds users.
pub async fn build(
    db: &DatabaseConnection,
    settings: &Settings,
    data_dir: &Path,
) -> Result<Vec<DemoLogin>, StartError> {
    let sandbox = Sandbox::new(&settings.uploads);
    let viewer = Viewer::system("demo builder");
    // Imported as a commissioner would from the web, so each file's change
    // report is there to read at /imports/ofsted.
    let importer = Viewer {
        display_name: "Demo commissioner".into(),
        ..viewer.clone()
    };
    for name in OFSTED_FILES {
        let bytes = std::fs::read(data_dir.join("ofsted").join(name))?;
        let (row, format) = ofsted::web_import::start(db, &importer, name, &bytes).await?;
        ofsted::web_import::run(db, &sandbox, settings, &importer, row.id, format, bytes).await?;
        let row = ofsted::web_import::find(db, row.id).await?;
        match ofsted::web_import::report_of(&row) {
            Some(r) => println!(
                "Imported {name}: {} homes created, {} updated, {} inspections added, {} downgrades, {} cases opened",
                r.homes_created,
                r.homes_updated,
                r.inspections_added,
                r.downgrades.len(),
                r.cases_opened
            ),
            None => {
                return Err(StartError::Other(format!(
                    "{name}: {}",
                    row.error.unwrap_or_default()
                )));
            }
        }
    }
    merge_spellings(db, &importer).await?;
    placements_contacts(db).await?;
    fictionalise(db, &viewer, &data_dir.join("geo/postcodes_sample.csv")).await?;
    // Positions for distances: the sample's postcodes exactly, any other
    // from its district's centre.
    for name in ["postcodes_sample.csv", "outcode_centroids_GB.csv"] {
        let file = std::fs::File::open(data_dir.join("geo").join(name))?;
        let done = crate::geo::import_postcodes(db, std::io::BufReader::new(file))
            .await
            .map_err(StartError::Other)?;
        println!("Imported {} places from {name}", done.saved);
    }
    let ours = join_region(db, settings).await?;
    block_contracts(db, ours).await?;
    let filed = returns::generate(db, settings).await?;
    println!("Generated {filed} weekly returns over 12 weeks");
    let open = cases::generate(db, settings).await?;
    println!("{open} monitoring cases open, with plans, actions, meetings and escalations");
    let logins = add_users(db, settings).await?;
    let sent = requests::generate(db, settings).await?;
    println!("{sent} bed requests sent, answered and (two of them) decided");
    Ok(logins)
}

/// The demo is a region: BCP (the configured council, already a member),
/// Dorset, Hampshire and Southampton, whose homes are in the extract.
/// Returns BCP's id.
async fn join_region(db: &DatabaseConnection, settings: &Settings) -> Result<i64, StartError> {
    let viewer = Viewer::system("demo builder");
    let names = crate::regions::CouncilNames::load(&settings.map.boundaries_file);
    for code in DEMO_MEMBERS {
        let code = crate::regions::OnsCode::parse(code).map_err(StartError::Other)?;
        crate::db::in_write_transaction(db, async |txn| {
            crate::regions::add(txn, &viewer, &code, &names, None, Vec::new()).await
        })
        .await?;
    }
    let bcp =
        crate::regions::OnsCode::parse(&settings.council.ons_code).map_err(StartError::Other)?;
    organisations::Entity::find()
        .filter(organisations::Column::OnsCode.eq(bcp.as_str()))
        .one(db)
        .await?
        .map(|o| o.id)
        .ok_or_else(|| StartError::Other("the configured council is not a member".into()))
}

async fn merge_spellings(db: &DatabaseConnection, commissioner: &Viewer) -> Result<(), StartError> {
    let (from, into) = MERGED;
    let named = |name: &'static str| {
        organisations::Entity::find()
            .filter(organisations::Column::Kind.eq("provider"))
            .filter(organisations::Column::Name.eq(name))
            .one(db)
    };
    let (Some(from), Some(into)) = (named(from).await?, named(into).await?) else {
        return Ok(());
    };
    let txn = db::begin_write(db).await?;
    let merged = crate::organisations::merge::merge(&txn, commissioner, from.id, into.id).await?;
    txn.commit().await?;
    println!(
        "Merged '{}' into '{}' ({} homes moved); later imports keep them together",
        merged.from.name,
        merged.into.name,
        merged.homes.len()
    );
    Ok(())
}

/// Every provider gets a placements contact: clearly fictional, with a
/// number from Ofcom's range for drama (01632 960000 to 960999) and an
/// address under the reserved `.example` domain.
async fn placements_contacts(db: &DatabaseConnection) -> Result<(), StartError> {
    let providers = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("provider"))
        .all(db)
        .await?;
    let txn = db::begin_write(db).await?;
    for org in providers {
        let slug: String = crate::organisations::name_key(&org.name)
            .split(' ')
            .filter(|w| !matches!(*w, "limited" | "ltd" | "and" | "the" | "plc"))
            .take(3)
            .collect::<Vec<_>>()
            .join("-");
        let mut model = org.clone().into_active_model();
        model.contact_name = Set(Some("Placements team (demo)".into()));
        model.contact_phone = Set(Some(format!("01632 960 {:03}", fnv(&org.name) % 1000)));
        model.contact_email = Set(Some(format!("placements@{slug}.example")));
        model.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Stable across runs, so the demo looks the same every time.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

const FIRST: [&str; 20] = [
    "Oak", "Willow", "Beech", "Heather", "Harbour", "Cedar", "Rowan", "Maple", "Holly", "Ash",
    "Birch", "Elm", "Hazel", "Juniper", "Larch", "Alder", "Linden", "Poplar", "Sycamore",
    "Chestnut",
];
const SECOND: [&str; 6] = ["House", "Lodge", "View", "Cottage", "Court", "Place"];

async fn fictionalise(
    db: &DatabaseConnection,
    viewer: &Viewer,
    sample: &Path,
) -> Result<(), StartError> {
    let mut by_council: HashMap<String, Vec<String>> = HashMap::new();
    let mut reader = csv::Reader::from_path(sample)
        .map_err(|e| StartError::Other(format!("{}: {e}", sample.display())))?;
    for record in reader.records() {
        let record = record.map_err(|e| StartError::Other(e.to_string()))?;
        if let (Some(postcode), Some(council)) = (record.get(0), record.get(4)) {
            by_council
                .entry(council.to_string())
                .or_default()
                .push(postcode.to_string());
        }
    }
    let councils: HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("council"))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let members = crate::regions::members(db).await?;
    let withheld = homes::Entity::find()
        .filter(homes::Column::Name.ends_with("(name withheld by Ofsted)"))
        .all(db)
        .await?;
    let txn = db::begin_write(db).await?;
    let mut used = std::collections::HashSet::new();
    for home in withheld {
        let hash = fnv(&home.urn);
        let mut name = format!(
            "{} {}",
            FIRST[(hash % 20) as usize],
            SECOND[((hash / 20) % 6) as usize]
        );
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!(
                "{} {} {n}",
                FIRST[(hash % 20) as usize],
                SECOND[((hash / 20) % 6) as usize]
            );
            n += 1;
        }
        let council = home
            .host_council_id
            .and_then(|id| councils.get(&id))
            .cloned()
            .unwrap_or_default();
        let postcode = by_council
            .get(&council)
            .filter(|p| !p.is_empty())
            .map(|p| p[((hash / 120) as usize) % p.len()].clone());
        let district = postcode
            .as_deref()
            .and_then(|p| p.split(' ').next())
            .unwrap_or("");
        let locality = home
            .host_council_id
            .and_then(|id| members.iter().find(|m| m.id == id))
            .and_then(|m| m.locality_for_district(district))
            .map(str::to_string);
        let before = serde_json::to_value(&home).unwrap_or_default();
        let urn = home.urn.clone();
        let mut model = home.into_active_model();
        model.name = Set(format!("{name} (demo)"));
        model.address_line1 = Set(Some(format!("{} Fictional Road", 1 + hash % 90)));
        model.town = Set(Some(locality.clone().unwrap_or_else(|| council.clone())));
        model.postcode = Set(postcode);
        model.locality = Set(locality);
        model.updated_at = Set(Utc::now().fixed_offset());
        let updated = model.update(&txn).await?;
        let after = serde_json::to_value(&updated).unwrap_or_default();
        audit::record(
            &txn,
            viewer,
            Change::updated("home", &urn, before, after)
                .summary("Demo: fictional name and address for a home Ofsted withheld"),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn add_users(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<Vec<DemoLogin>, StartError> {
    let viewer = Viewer::system("demo builder");
    let dorset = organisations::Entity::find()
        .filter(organisations::Column::OnsCode.eq(DEMO_MEMBERS[0]))
        .one(db)
        .await?
        .map(|o| o.id);
    // (email, name, role, organisation: a provider's or a council's, regional lead, note)
    let mut logins = vec![
        (
            "admin@demo.sufficiency.test",
            "Alex Admin",
            Role::Admin,
            None,
            false,
            "BCP: manages users, councils and everything else".to_string(),
        ),
        (
            "commissioner@demo.sufficiency.test",
            "Chris Commissioner",
            Role::Commissioner,
            None,
            false,
            "BCP: sees and edits all homes; BCP's cases and figures".to_string(),
        ),
        (
            "placements@demo.sufficiency.test",
            "Pat Placements",
            Role::Placements,
            None,
            false,
            "BCP: finds beds across the region".to_string(),
        ),
        (
            "regional-lead@demo.sufficiency.test",
            "Robin Regional",
            Role::Commissioner,
            None,
            true,
            "BCP commissioner and regional lead: the regional dashboard".to_string(),
        ),
        (
            "dorset-admin@demo.sufficiency.test",
            "Dana Dorset",
            Role::Admin,
            dorset,
            false,
            "Dorset Council's administrator".to_string(),
        ),
        (
            "dorset-commissioner@demo.sufficiency.test",
            "Devon Dorset",
            Role::Commissioner,
            dorset,
            false,
            "Dorset: its own cases and figures, the same homes and returns".to_string(),
        ),
        (
            "dorset-placements@demo.sufficiency.test",
            "Drew Dorset",
            Role::Placements,
            dorset,
            false,
            "Dorset's placements team".to_string(),
        ),
    ];
    for (i, (org_id, org_name)) in busiest_local_providers(db, settings)
        .await?
        .into_iter()
        .take(2)
        .enumerate()
    {
        let email: &'static str = if i == 0 {
            "provider-a@demo.sufficiency.test"
        } else {
            "provider-b@demo.sufficiency.test"
        };
        let person = if i == 0 {
            "Sam Provider"
        } else {
            "Jo Provider"
        };
        logins.push((
            email,
            person,
            Role::Provider,
            Some(org_id),
            false,
            format!("sees only {org_name}'s homes"),
        ));
    }
    let mut out = Vec::new();
    let bcp = crate::regions::members(db)
        .await?
        .into_iter()
        .find(|m| m.ons_code.as_deref() == Some(settings.council.ons_code.as_str()))
        .map(|m| m.id);
    for (email, name, role, organisation_id, regional_lead, note) in logins {
        let new = users::NewUser {
            email: email.to_string(),
            display_name: name.to_string(),
            role,
            organisation: organisation_id
                .filter(|_| role == Role::Provider)
                .map(crate::organisations::pick::Pick::id)
                .unwrap_or_default(),
            council: if role.is_council() {
                organisation_id.or(bcp)
            } else {
                None
            },
            regional_lead,
            password: DEMO_PASSWORD.to_string(),
        };
        users::create(db, &viewer, new, settings)
            .await
            .map_err(|e| StartError::Other(e.to_string()))?;
        out.push(DemoLogin {
            email: email.to_string(),
            role,
            note,
        });
    }
    Ok(out)
}

/// Providers with the most children's homes in our council, most first.
async fn busiest_local_providers(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<Vec<(i64, String)>, StartError> {
    let ours = crate::regions::members(db)
        .await?
        .into_iter()
        .find(|m| m.ons_code.as_deref() == Some(settings.council.ons_code.as_str()))
        .map(|m| m.id)
        .ok_or_else(|| StartError::Other("the configured council is not a member".into()))?;
    let local = homes::Entity::find()
        .filter(homes::Column::HostCouncilId.eq(ours))
        .filter(homes::Column::ProvisionType.eq("childrens_home"))
        .all(db)
        .await?;
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for h in local {
        if let Some(p) = h.provider_id {
            *counts.entry(p).or_default() += 1;
        }
    }
    let mut ranked: Vec<(i64, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    for (id, _) in ranked {
        if let Some(org) = organisations::Entity::find_by_id(id).one(db).await? {
            out.push((org.id, org.name));
        }
    }
    Ok(out)
}

/// Two of our council's children's homes hold block beds, so block-contract
/// utilisation has something to show.
async fn block_contracts(db: &DatabaseConnection, our_council_id: i64) -> Result<(), StartError> {
    let chosen = homes::Entity::find()
        .filter(homes::Column::HostCouncilId.eq(our_council_id))
        .filter(homes::Column::ProvisionType.eq("childrens_home"))
        .filter(homes::Column::RegisteredPlaces.gte(3))
        .all(db)
        .await?;
    for home in chosen.into_iter().take(2) {
        crate::db::entities::council_contracts::ActiveModel {
            council_id: Set(our_council_id),
            home_id: Set(home.id),
            contract: Set("block".into()),
            block_beds: Set(Some(2)),
            updated_at: Set(chrono::Utc::now().fixed_offset()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(public_url: &str) -> crate::config::Server {
        crate::config::Server {
            listen: "127.0.0.1:8080".parse().unwrap(),
            public_url: public_url.parse().unwrap(),
            trusted_proxies: 0,
            request_timeout_seconds: 30,
        }
    }

    #[test]
    fn the_demos_links_follow_the_address_it_serves_unless_one_is_set() {
        let at =
            |listen: &str| public_url(&server("http://localhost:8080"), listen.parse().unwrap());
        assert_eq!(at("127.0.0.1:9000").as_str(), "http://127.0.0.1:9000/");
        assert_eq!(at("0.0.0.0:8081").as_str(), "http://localhost:8081/");
        let set = public_url(
            &server("https://sufficiency.example.gov.uk"),
            "0.0.0.0:8081".parse().unwrap(),
        );
        assert_eq!(set.as_str(), "https://sufficiency.example.gov.uk/");
    }
}
