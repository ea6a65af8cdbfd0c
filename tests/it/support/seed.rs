//! What every test starts from: our council and a neighbour, providers A and
//! B with homes (each with a "canary" address that must never leak to the
//! other provider), and one user per role.

use chrono::{NaiveDate, Utc};
use importers::vocab::{
    Contract, Judgement, Need, Postcode, ProvisionType, RegistrationStatus, Sector, Sexes, Urn,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sufficiency::app::AppState;
use sufficiency::auth::{Role, Viewer};
use sufficiency::config::Settings;
use sufficiency::db::entities::{
    homes as homes_entity, inspections, organisations as organisations_entity,
};
use sufficiency::homes::{self, Area, HomeDetails, HomeInput, Registration};
use sufficiency::organisations::{self, Kind, OrganisationInput};
use sufficiency::users::{self, NewUser};

pub const PASSWORD: &str = "correct horse battery staple";
/// Addresses that must appear only to council staff and the owning provider.
pub const CANARY_A: &str = "1 Canary Street";
pub const CANARY_B: &str = "9 Sentinel Lane";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    Anonymous,
    Admin,
    Commissioner,
    Placements,
    /// A user of provider A, which owns homes A1 and A2.
    ProviderA,
    /// A user of provider B, which owns home B1.
    ProviderB,
    /// A commissioner of Dorset, another member council of the region.
    OtherCouncil,
}

impl Persona {
    pub const ALL: [Persona; 7] = [
        Persona::Anonymous,
        Persona::Admin,
        Persona::Commissioner,
        Persona::Placements,
        Persona::ProviderA,
        Persona::ProviderB,
        Persona::OtherCouncil,
    ];

    pub fn email(self) -> Option<&'static str> {
        match self {
            Persona::Anonymous => None,
            Persona::Admin => Some("admin@test.example"),
            Persona::Commissioner => Some("commissioner@test.example"),
            Persona::Placements => Some("placements@test.example"),
            Persona::ProviderA => Some("provider-a@test.example"),
            Persona::ProviderB => Some("provider-b@test.example"),
            Persona::OtherCouncil => Some("commissioner@dorset.test.example"),
        }
    }

    pub fn role(self) -> Option<Role> {
        match self {
            Persona::Anonymous => None,
            Persona::Admin => Some(Role::Admin),
            Persona::Commissioner | Persona::OtherCouncil => Some(Role::Commissioner),
            Persona::Placements => Some(Role::Placements),
            Persona::ProviderA | Persona::ProviderB => Some(Role::Provider),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub our_council_id: i64,
    pub other_council_id: i64,
    pub provider_a_id: i64,
    pub provider_b_id: i64,
    pub home_a1: String,
    pub home_a2: String,
    pub home_b1: String,
    pub user_ids: Vec<(Persona, i64)>,
    /// A user no test signs in as, for routes that act on a user.
    pub spare_user_id: i64,
    /// An API token of provider A's user.
    pub token_a_id: i64,
    /// A pending spreadsheet upload of provider A.
    pub upload_a: String,
    /// A monitoring case on A1, with an action and a plan file.
    pub case_a: i64,
    pub action_a: i64,
    pub plan_file_a: i64,
    /// An inspection of A1 reported by A's user, awaiting confirmation.
    pub report_a: i64,
    /// Our council's open bed request asking A1 (its reference).
    pub request_a: String,
}

impl Seed {
    pub fn user_id(&self, persona: Persona) -> i64 {
        self.user_ids
            .iter()
            .find(|(p, _)| *p == persona)
            .map(|(_, id)| *id)
            .expect("seeded user")
    }
}

fn details(name: &str, address: &str, postcode: &str) -> HomeDetails {
    HomeDetails {
        name: name.into(),
        min_age: Some(11),
        max_age: Some(17),
        sexes: Some(Sexes::Mixed),
        needs: vec![Need::EmotionalBehavioural],
        short_break_only: false,
        locality: None,
        address_line1: Some(address.into()),
        address_line2: None,
        town: Some("Bournemouth".into()),
        county: None,
        postcode: Some(postcode.parse::<Postcode>().expect("postcode")),
    }
}

fn registration(provider_id: i64, council_id: i64, places: i32) -> Registration {
    Registration {
        provision_type: ProvisionType::ChildrensHome,
        sector: Some(Sector::Private),
        registered_places: Some(places),
        registration_status: RegistrationStatus::Active,
        registration_date: NaiveDate::from_ymd_opt(2015, 4, 1),
        host_council_id: Some(council_id),
        provider: sufficiency::organisations::pick::Pick::id(provider_id),
        contract: Contract::Spot,
        block_beds: None,
    }
}

/// An organisation, by the service's own `organisations::create`.
pub async fn organisation(
    db: &DatabaseConnection,
    kind: Kind,
    name: &str,
    ons_code: Option<&str>,
) -> organisations_entity::Model {
    let input = OrganisationInput {
        kind,
        name: name.into(),
        sector: Some(if kind == Kind::Council {
            Sector::LocalAuthority
        } else {
            Sector::Private
        }),
        contact_email: None,
        ownership_note: None,
        ons_code: ons_code.map(str::to_string),
    };
    organisations::create(db, &Viewer::system("test seed"), input)
        .await
        .expect("organisation")
}

/// A children's home for ages 11 to 17 in Bournemouth, registered in 2015.
pub struct NewHome<'a> {
    pub urn: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
    pub provider_id: i64,
    pub council_id: i64,
    pub places: i32,
}

pub async fn home(db: &DatabaseConnection, area: &Area, new: NewHome<'_>) -> homes_entity::Model {
    let input = HomeInput {
        urn: Some(new.urn.parse::<Urn>().expect("urn")),
        details: details(new.name, new.address, new.postcode),
        registration: Some(registration(new.provider_id, new.council_id, new.places)),
    };
    homes::create(db, &Viewer::system("test seed"), input, area)
        .await
        .expect("home")
}

/// Ofsted's full inspection of 12 March 2024, Good throughout: the home's
/// current rating.
pub async fn rated_good(db: &DatabaseConnection, home_id: i64) {
    let now = Utc::now().fixed_offset();
    inspections::ActiveModel {
        home_id: Set(home_id),
        event_number: Set(Some("10000001".into())),
        event_type: Set("full".into()),
        inspection_date: Set(NaiveDate::from_ymd_opt(2024, 3, 12).expect("date")),
        publication_date: Set(NaiveDate::from_ymd_opt(2024, 4, 20)),
        scale: Set("four_point".into()),
        overall: Set(Some(Judgement::Good.code().into())),
        helped_protected: Set(Some(Judgement::Good.code().into())),
        leaders_managers: Set(Some(Judgement::Good.code().into())),
        education: Set(None),
        health: Set(None),
        source: Set("ofsted".into()),
        verified: Set(true),
        report_url: Set(None),
        is_current: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("inspection");
}

/// A user with the test password.
pub async fn user(
    db: &DatabaseConnection,
    settings: &Settings,
    email: &str,
    display_name: &str,
    role: Role,
    organisation_id: Option<i64>,
) -> i64 {
    let new = NewUser {
        email: email.into(),
        display_name: display_name.into(),
        role,
        organisation: organisation_id
            .filter(|_| role == Role::Provider)
            .map(sufficiency::organisations::pick::Pick::id)
            .unwrap_or_default(),
        council: organisation_id.filter(|_| role.is_council()),
        regional_lead: false,
        password: PASSWORD.into(),
    };
    users::create(db, &Viewer::system("test seed"), new, settings)
        .await
        .expect("user")
        .id
}

/// Provider A's user as domain functions see them.
fn provider_viewer(user_id: i64, organisation_id: i64) -> Viewer {
    Viewer {
        user_id: Some(user_id),
        role: Role::Provider,
        organisation_id: Some(organisation_id),
        ..Viewer::system("provider-a@test.example")
    }
}

/// A spreadsheet of returns uploaded and waiting for its confirmation.
pub async fn pending_upload(state: &AppState, viewer: &Viewer) -> String {
    let csv = "URN,Week,Occupied by our council's children,Occupied by other councils' children\nSC100002,2026-W40,2,1\n";
    sufficiency::returns::upload::receive(
        &state.db,
        &state.sandbox,
        viewer,
        "seed.csv",
        csv.as_bytes().to_vec(),
        &state.settings,
    )
    .await
    .expect("seed upload")
}

/// What a monitoring case seeds: the case, an action, a plan file, and an
/// inspection the provider reported, awaiting confirmation.
/// An open bed request from `council` asking these homes, reply by
/// tomorrow (rows made directly: the seed has no postcode table).
pub async fn open_request(
    db: &DatabaseConnection,
    council: i64,
    asked: &[&homes_entity::Model],
) -> String {
    use sufficiency::db::entities::{bed_request_homes, bed_requests};
    let now = Utc::now();
    let sequence = bed_requests::Entity::find()
        .all(db)
        .await
        .expect("requests")
        .len() as i32
        + 1;
    let reference = sufficiency::requests::Reference::new(2026, sequence).to_string();
    let request = bed_requests::ActiveModel {
        reference: Set(reference.clone()),
        year: Set(2026),
        sequence: Set(sequence),
        council_id: Set(council),
        created_by: Set(None),
        created_by_name: Set("Seeded officer".into()),
        age: Set(14),
        sex: Set("female".into()),
        needs_mask: Set(Need::mask(&[Need::EmotionalBehavioural])),
        district: Set("BH1".into()),
        max_miles: Set(20),
        needed_from: Set(now.date_naive()),
        provision_types: Set(String::new()),
        emergency: Set(false),
        solo: Set(false),
        min_rating: Set("good".into()),
        duration: Set("short_term".into()),
        considerations: Set("no_pets".into()),
        note: Set(None),
        reply_by: Set((now + chrono::Duration::days(1)).fixed_offset()),
        status: Set("open".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("request");
    for home in asked {
        bed_request_homes::ActiveModel {
            request_id: Set(request.id),
            home_id: Set(home.id),
            provider_id: Set(home.provider_id),
            miles: Set(Some(1.0)),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("request home");
    }
    reference
}

pub struct SeededCase {
    pub case: i64,
    pub action: i64,
    pub plan_file: i64,
    pub report: i64,
}

/// A safeguarding case on `home` with an action and a plan, and a
/// monitoring inspection `provider` reported there.
pub async fn case_with_plan_and_report(
    state: &AppState,
    home: &homes_entity::Model,
    provider: &Viewer,
) -> SeededCase {
    use sufficiency::cases::{self, activity};
    let system = Viewer::system("test seed");
    let txn = sufficiency::db::begin_write(&state.db).await.expect("txn");
    let council = home.host_council_id.expect("the home's council");
    let (case, _) = cases::open_concern(
        &txn,
        &system,
        home,
        council,
        cases::Reason::Safeguarding,
        "Seeded concern".into(),
    )
    .await
    .expect("case");
    let detail = cases::find(&txn, &system, case.id)
        .await
        .expect("case detail");
    let action = activity::add_action(
        &txn,
        &system,
        &detail,
        activity::NewAction {
            description: "Send the staffing plan".into(),
            owner: activity::Owner::Provider,
            due_on: NaiveDate::from_ymd_opt(2030, 1, 1),
        },
    )
    .await
    .expect("action");
    let plan_file = cases::plan::store(
        &txn,
        &system,
        &detail,
        "plan.pdf",
        b"%PDF-1.4 seeded plan".to_vec(),
        state.settings.cases.max_plan_bytes,
    )
    .await
    .expect("plan file");
    let report = sufficiency::quality::inspections::record(
        &txn,
        provider,
        home,
        &sufficiency::quality::inspections::InspectionInput {
            event_type: importers::vocab::EventType::Monitoring,
            date: NaiveDate::from_ymd_opt(2025, 6, 3).expect("date"),
            overall: None,
            helped_protected: None,
            leaders_managers: None,
            report_url: None,
        },
    )
    .await
    .expect("reported inspection");
    txn.commit().await.expect("commit");
    SeededCase {
        case: case.id,
        action: action.id,
        plan_file,
        report: report.id,
    }
}

/// Everything a test starts from (see the top of this file).
pub async fn seed(db: &DatabaseConnection, state: &AppState) -> Seed {
    let settings = &state.settings;
    // Our council is the region's first member, made at start.
    let ours = organisations_entity::Entity::find()
        .filter(organisations_entity::Column::OnsCode.eq("E06000058"))
        .one(db)
        .await
        .expect("query")
        .expect("the first member council");
    // Dorset, a second member council of the region.
    let other = organisation(db, Kind::Council, "Dorset", Some("E06000059")).await;
    sufficiency::regions::add(
        db,
        &Viewer::system("test seed"),
        &sufficiency::regions::OnsCode::parse("E06000059").expect("code"),
        &sufficiency::regions::CouncilNames::default(),
        None,
        Vec::new(),
    )
    .await
    .expect("Dorset joins the region");
    let a = organisation(db, Kind::Provider, "Acme Care Ltd", None).await;
    let b = organisation(db, Kind::Provider, "Brightside Homes Limited", None).await;

    let area = Area {
        members: sufficiency::regions::members(db).await.expect("members"),
    };
    let a1 = home(
        db,
        &area,
        NewHome {
            urn: "SC100001",
            name: "Alder House",
            address: CANARY_A,
            postcode: "BH1 1AA",
            provider_id: a.id,
            council_id: ours.id,
            places: 4,
        },
    )
    .await;
    let a2 = home(
        db,
        &area,
        NewHome {
            urn: "SC100002",
            name: "Birch Lodge",
            address: "2 Quiet Road",
            postcode: "BH23 1AA",
            provider_id: a.id,
            council_id: ours.id,
            places: 3,
        },
    )
    .await;
    let b1 = home(
        db,
        &area,
        NewHome {
            urn: "SC200001",
            name: "Cedar View",
            address: CANARY_B,
            postcode: "BH12 1AA",
            provider_id: b.id,
            council_id: ours.id,
            places: 2,
        },
    )
    .await;
    rated_good(db, a1.id).await;

    let mut user_ids = Vec::new();
    for persona in Persona::ALL {
        let (Some(email), Some(role)) = (persona.email(), persona.role()) else {
            continue;
        };
        let organisation_id = match persona {
            Persona::ProviderA => Some(a.id),
            Persona::ProviderB => Some(b.id),
            Persona::OtherCouncil => Some(other.id),
            _ => Some(ours.id),
        };
        let id = user(
            db,
            settings,
            email,
            &format!("{persona:?} user"),
            role,
            organisation_id,
        )
        .await;
        user_ids.push((persona, id));
    }
    let spare = user(
        db,
        settings,
        "spare@test.example",
        "Spare user",
        Role::Placements,
        Some(ours.id),
    )
    .await;
    let provider_a_user = user_ids
        .iter()
        .find(|(p, _)| *p == Persona::ProviderA)
        .map(|(_, id)| *id)
        .expect("provider a user");
    let (_, token) = sufficiency::auth::tokens::create(
        db,
        &Viewer::system("test seed"),
        provider_a_user,
        "seed token",
    )
    .await
    .expect("token");
    let viewer_a = provider_viewer(provider_a_user, a.id);
    let upload_a = pending_upload(state, &viewer_a).await;
    let case = case_with_plan_and_report(state, &a1, &viewer_a).await;
    let request_a = open_request(db, ours.id, &[&a1]).await;
    Seed {
        request_a,
        case_a: case.case,
        action_a: case.action,
        plan_file_a: case.plan_file,
        report_a: case.report,
        token_a_id: token.id,
        upload_a,
        spare_user_id: spare,
        our_council_id: ours.id,
        other_council_id: other.id,
        provider_a_id: a.id,
        provider_b_id: b.id,
        home_a1: a1.urn,
        home_a2: a2.urn,
        home_b1: b1.urn,
        user_ids,
    }
}
