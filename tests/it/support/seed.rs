//! What every test starts from: our council and a neighbour, providers A and
//! B with homes (each with a "canary" address that must never leak to the
//! other provider), and one user per role.

use chrono::{NaiveDate, Utc};
use importers::vocab::{
    Contract, Judgement, Need, Postcode, ProvisionType, RegistrationStatus, Sector, Sexes, Urn,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use sufficiency::auth::{Role, Viewer};
use sufficiency::db::entities::inspections;
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
}

impl Persona {
    pub const ALL: [Persona; 6] = [
        Persona::Anonymous,
        Persona::Admin,
        Persona::Commissioner,
        Persona::Placements,
        Persona::ProviderA,
        Persona::ProviderB,
    ];

    pub fn email(self) -> Option<&'static str> {
        match self {
            Persona::Anonymous => None,
            Persona::Admin => Some("admin@test.example"),
            Persona::Commissioner => Some("commissioner@test.example"),
            Persona::Placements => Some("placements@test.example"),
            Persona::ProviderA => Some("provider-a@test.example"),
            Persona::ProviderB => Some("provider-b@test.example"),
        }
    }

    pub fn role(self) -> Option<Role> {
        match self {
            Persona::Anonymous => None,
            Persona::Admin => Some(Role::Admin),
            Persona::Commissioner => Some(Role::Commissioner),
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

pub async fn seed(db: &DatabaseConnection, state: &sufficiency::app::AppState) -> Seed {
    let settings = &state.settings;
    let system = Viewer::system("test seed");
    let org = |kind, name: &str, ons: Option<&str>| OrganisationInput {
        kind,
        name: name.into(),
        sector: Some(if kind == Kind::Council {
            Sector::LocalAuthority
        } else {
            Sector::Private
        }),
        contact_email: None,
        ownership_note: None,
        ons_code: ons.map(str::to_string),
    };
    let ours = organisations::create(
        db,
        &system,
        org(Kind::Council, &settings.council.name, Some("E06000058")),
    )
    .await
    .expect("council");
    let other = organisations::create(db, &system, org(Kind::Council, "Dorset", Some("E06000059")))
        .await
        .expect("council");
    let a = organisations::create(db, &system, org(Kind::Provider, "Acme Care Ltd", None))
        .await
        .expect("provider a");
    let b = organisations::create(
        db,
        &system,
        org(Kind::Provider, "Brightside Homes Limited", None),
    )
    .await
    .expect("provider b");

    let area = Area {
        council: &settings.council,
        our_council_id: Some(ours.id),
    };
    let home = |urn: &str,
                name: &str,
                address: &str,
                postcode: &str,
                provider: i64,
                council: i64,
                places: i32| HomeInput {
        urn: Some(urn.parse::<Urn>().expect("urn")),
        details: details(name, address, postcode),
        registration: Some(registration(provider, council, places)),
    };
    let a1 = homes::create(
        db,
        &system,
        home(
            "SC100001",
            "Alder House",
            CANARY_A,
            "BH1 1AA",
            a.id,
            ours.id,
            4,
        ),
        &area,
    )
    .await
    .expect("a1");
    let a2 = homes::create(
        db,
        &system,
        home(
            "SC100002",
            "Birch Lodge",
            "2 Quiet Road",
            "BH23 1AA",
            a.id,
            ours.id,
            3,
        ),
        &area,
    )
    .await
    .expect("a2");
    let b1 = homes::create(
        db,
        &system,
        home(
            "SC200001",
            "Cedar View",
            CANARY_B,
            "BH12 1AA",
            b.id,
            ours.id,
            2,
        ),
        &area,
    )
    .await
    .expect("b1");

    // A1 was last rated Good.
    let now = Utc::now().fixed_offset();
    inspections::ActiveModel {
        home_id: Set(a1.id),
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

    let mut user_ids = Vec::new();
    for persona in Persona::ALL {
        let (Some(email), Some(role)) = (persona.email(), persona.role()) else {
            continue;
        };
        let organisation_id = match persona {
            Persona::ProviderA => Some(a.id),
            Persona::ProviderB => Some(b.id),
            _ => None,
        };
        let user = users::create(
            db,
            &system,
            NewUser {
                email: email.into(),
                display_name: format!("{persona:?} user"),
                role,
                organisation: organisation_id
                    .map(sufficiency::organisations::pick::Pick::id)
                    .unwrap_or_default(),
                password: PASSWORD.into(),
            },
            settings,
        )
        .await
        .expect("user");
        user_ids.push((persona, user.id));
    }
    let spare = users::create(
        db,
        &system,
        NewUser {
            email: "spare@test.example".into(),
            display_name: "Spare user".into(),
            role: Role::Placements,
            organisation: Default::default(),
            password: PASSWORD.into(),
        },
        settings,
    )
    .await
    .expect("spare user");
    let provider_a_user = user_ids
        .iter()
        .find(|(p, _)| *p == Persona::ProviderA)
        .map(|(_, id)| *id)
        .expect("provider a user");
    let (_, token) = sufficiency::auth::tokens::create(db, &system, provider_a_user, "seed token")
        .await
        .expect("token");
    let viewer_a = Viewer {
        user_id: Some(provider_a_user),
        role: Role::Provider,
        organisation_id: Some(a.id),
        ..Viewer::system("provider-a@test.example")
    };
    let csv = "URN,Week,Occupied by our council's children,Occupied by other councils' children\nSC100002,2026-W40,2,1\n";
    let upload_a = sufficiency::returns::upload::receive(
        db,
        &state.sandbox,
        &viewer_a,
        "seed.csv",
        csv.as_bytes().to_vec(),
        settings,
    )
    .await
    .expect("seed upload");
    // A monitoring case on A1 with an action and a plan file, and an
    // inspection A's user reported there, awaiting confirmation.
    let txn = sufficiency::db::begin_write(db).await.expect("txn");
    let (case, _) = sufficiency::cases::open_concern(
        &txn,
        &system,
        &a1,
        sufficiency::cases::Reason::Safeguarding,
        "Seeded concern".into(),
    )
    .await
    .expect("case");
    let detail = sufficiency::cases::find(&txn, &system, case.id)
        .await
        .expect("case detail");
    let action = sufficiency::cases::activity::add_action(
        &txn,
        &system,
        &detail,
        sufficiency::cases::activity::NewAction {
            description: "Send the staffing plan".into(),
            owner: sufficiency::cases::activity::Owner::Provider,
            due_on: NaiveDate::from_ymd_opt(2030, 1, 1),
        },
    )
    .await
    .expect("action");
    let plan_file = sufficiency::cases::plan::store(
        &txn,
        &system,
        &detail,
        "plan.pdf",
        b"%PDF-1.4 seeded plan".to_vec(),
        settings.cases.max_plan_bytes,
    )
    .await
    .expect("plan file");
    let report = sufficiency::quality::inspections::record(
        &txn,
        &viewer_a,
        &a1,
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
    Seed {
        case_a: case.id,
        action_a: action.id,
        plan_file_a: plan_file,
        report_a: report.id,
        token_a_id: token.id,
        upload_a,
        spare_user_id: spare.id,
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
