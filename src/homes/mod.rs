//! Homes (Ofsted "settings"): what they are, who owns them, where they are
//! and how they are rated. Addresses are sensitive: every query here is
//! scoped to what the viewer may see, on top of the route policies.

pub mod api;
mod commands;
pub mod form;
mod query;
pub mod routes;
mod views;

use chrono::NaiveDate;
use importers::vocab::IsoWeek;
use importers::vocab::{
    Contract, Judgement, Need, Postcode, ProvisionType, RegistrationStatus, Sector, Sexes, Urn,
};
use sea_orm::{ColumnTrait, Condition, FromQueryResult};

use crate::db::entities::{homes, inspections, organisations};

/// Homes registered at some time in `week`: open now, or their registration
/// ended on or after its Monday. A home that closes leaves the weekly
/// lists (returns requests and reminders, non-filers, the board, completion
/// and capacity) from the week after it closed, and past weeks keep it.
pub fn registered_during(week: IsoWeek) -> Condition {
    Condition::any()
        .add(homes::Column::RegistrationStatus.is_in(RegistrationStatus::open_codes()))
        .add(homes::Column::RegistrationEndedOn.gte(week.monday()))
}

/// Homes of the placements market's kinds (`config::Market`).
pub fn in_market(market: &crate::config::Market) -> Condition {
    Condition::all().add(homes::Column::ProvisionType.is_in(market.codes()))
}

/// [`registered_during`] for one home.
pub fn was_registered_during(home: &homes::Model, week: IsoWeek) -> bool {
    RegistrationStatus::from_code(&home.registration_status)
        .is_some_and(RegistrationStatus::is_open)
        || home
            .registration_ended_on
            .is_some_and(|d| d >= week.monday())
}

pub use commands::{Area, create, create_now, snapshot, update, update_now};
pub use query::{
    council_choices, current_inspection_join, export_table, find_detail, list, visible_to,
};

/// A row of a homes list.
#[derive(Debug, Clone, FromQueryResult)]
pub struct HomeRow {
    pub id: i64,
    pub urn: String,
    pub name: String,
    pub provision_type: String,
    pub registration_status: String,
    pub registered_places: Option<i32>,
    pub locality: Option<String>,
    pub sector: Option<String>,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub host_council_id: Option<i64>,
    pub council_name: Option<String>,
    pub rating: Option<String>,
    pub rating_date: Option<NaiveDate>,
    /// The current rating flags the home (see `quality`).
    pub flagged: bool,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
}

impl HomeRow {
    pub fn type_label(&self) -> &'static str {
        type_label(&self.provision_type)
    }
    pub fn status_label(&self) -> &'static str {
        status_label(&self.registration_status)
    }
    pub fn judgement(&self) -> Option<Judgement> {
        self.rating.as_deref().and_then(Judgement::from_code)
    }
    pub fn places_text(&self) -> String {
        self.registered_places
            .map(|p| p.to_string())
            .unwrap_or_else(|| "Not fixed".into())
    }
}

pub fn type_label(code: &str) -> &'static str {
    ProvisionType::from_code(code)
        .map(ProvisionType::label)
        .unwrap_or("Unknown")
}

pub fn status_label(code: &str) -> &'static str {
    RegistrationStatus::from_code(code)
        .map(RegistrationStatus::label)
        .unwrap_or("Unknown")
}

/// Which homes a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub provision_type: Option<ProvisionType>,
    pub rating: Option<RatingFilter>,
    pub locality: Option<String>,
    pub provider_id: Option<i64>,
    pub council_id: Option<i64>,
    pub status: StatusFilter,
    /// Name or URN contains.
    pub q: Option<String>,
    /// The owning provider's name contains.
    pub owner: Option<String>,
    /// Only flagged homes (`Some(true)`) or only unflagged ones.
    pub flagged: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingFilter {
    Is(Judgement),
    GoodOrBetter,
    BelowGood,
    NotInspected,
    Flagged,
}

impl RatingFilter {
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "good_or_better" => Some(RatingFilter::GoodOrBetter),
            "below_good" => Some(RatingFilter::BelowGood),
            "not_inspected" => Some(RatingFilter::NotInspected),
            "flagged" => Some(RatingFilter::Flagged),
            other => Judgement::from_code(other).map(RatingFilter::Is),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Active, suspended or awaiting registration: homes that may have children.
    #[default]
    Open,
    Closed,
    All,
}

impl StatusFilter {
    pub fn from_code(code: &str) -> Self {
        match code {
            "closed" => StatusFilter::Closed,
            "all" => StatusFilter::All,
            _ => StatusFilter::Open,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Urn,
    Type,
    Rating,
    Places,
    Provider,
    Council,
    Inspected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    pub const KEYS: [(&'static str, SortKey); 8] = [
        ("name", SortKey::Name),
        ("urn", SortKey::Urn),
        ("type", SortKey::Type),
        ("rating", SortKey::Rating),
        ("places", SortKey::Places),
        ("provider", SortKey::Provider),
        ("council", SortKey::Council),
        ("inspected", SortKey::Inspected),
    ];

    pub fn from_codes(key: &str, direction: &str) -> Self {
        let key = Self::KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        Sort {
            key,
            descending: direction == "desc",
        }
    }
}

/// What a form or an import supplies about a home.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeInput {
    /// Needed to create a home; a home's URN never changes.
    pub urn: Option<Urn>,
    pub details: HomeDetails,
    /// `None` leaves registration, ownership and contract as they are.
    pub registration: Option<Registration>,
}

/// What a home's statement of purpose says and where it is: its provider
/// may change these.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HomeDetails {
    pub name: String,
    pub min_age: Option<i16>,
    pub max_age: Option<i16>,
    pub sexes: Option<Sexes>,
    pub needs: Vec<Need>,
    pub short_break_only: bool,
    pub locality: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub county: Option<String>,
    pub postcode: Option<Postcode>,
}

/// Registration, ownership and contract: admins and commissioners only.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub provision_type: ProvisionType,
    pub sector: Option<Sector>,
    pub registered_places: Option<i32>,
    pub registration_status: RegistrationStatus,
    pub registration_date: Option<NaiveDate>,
    pub host_council_id: Option<i64>,
    /// The owner, as the form gave it (found by `organisations::pick`).
    pub provider: crate::organisations::pick::Pick,
    /// How the editing member of staff's council buys places there.
    pub contract: Contract,
    pub block_beds: Option<i32>,
}

/// Everything the home page shows.
#[derive(Debug, Clone)]
pub struct HomeDetail {
    pub home: homes::Model,
    pub provider: Option<organisations::Model>,
    pub council: Option<organisations::Model>,
    pub needs: Vec<Need>,
    /// Newest first.
    pub inspections: Vec<inspections::Model>,
    /// Council staff and the home's own provider.
    pub show_address: bool,
    pub can_edit: bool,
    /// The viewer's council's contract for the home (none: spot purchase).
    pub contract: Option<crate::db::entities::council_contracts::Model>,
}

impl HomeDetail {
    pub fn current(&self) -> Option<&inspections::Model> {
        self.inspections.iter().find(|i| i.is_current)
    }
}
