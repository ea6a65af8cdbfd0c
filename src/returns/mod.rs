//! Weekly vacancy returns: one per home per ISO week, describing the position
//! on the week's Monday. Amendments never overwrite: each filing is a new
//! version and the latest is current.

pub mod api;
pub mod board;
pub mod board_routes;
pub mod chart;
pub mod filing;
pub mod form;
pub mod offers;
pub mod one_click;
pub mod routes;
pub mod rules;
pub mod store;
pub mod summary;
pub mod template;
pub mod upload;
pub mod upload_routes;
mod views;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use importers::vocab::{IsoWeek, Need, Pence, ProvisionType, Sexes};
use serde::{Deserialize, Serialize};

use crate::db::entities::homes;

/// What a provider says about one home for one week.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReturnInput {
    /// Carers or units available; only for homes without fixed places
    /// (fostering agencies, supported accommodation).
    pub capacity: Option<u32>,
    /// Beds occupied, by who placed the children.
    pub occupied: Occupancy,
    pub unavailable: Unavailable,
    /// Admittable vacancies, grouped where they are alike.
    pub vacancies: Vec<VacancyInput>,
    pub note: Option<String>,
}

/// Beds occupied, by the council that placed the children: a line for each
/// member council with children there (organisation id → beds; no zero
/// lines), and a count for councils outside the region.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Occupancy {
    pub by_member: BTreeMap<i64, u32>,
    pub outside_region: u32,
}

impl Occupancy {
    pub fn total(&self) -> u32 {
        self.by_member.values().sum::<u32>() + self.outside_region
    }

    /// Beds occupied by this member council's children.
    pub fn of(&self, council: i64) -> u32 {
        self.by_member.get(&council).copied().unwrap_or(0)
    }

    /// Sets a member's line; zero removes it.
    pub fn set(&mut self, council: i64, beds: u32) {
        if beds == 0 {
            self.by_member.remove(&council);
        } else {
            self.by_member.insert(council, beds);
        }
    }

    /// The deprecated two numbers: "ours" for the home's host council
    /// (which must be a member), "other" for councils outside the region.
    pub fn from_host_and_other(host: Option<i64>, ours: u32, other: u32) -> Occupancy {
        let mut occupancy = Occupancy {
            outside_region: other,
            ..Default::default()
        };
        match host {
            Some(host) => occupancy.set(host, ours),
            None => occupancy.outside_region += ours,
        }
        occupancy
    }
}

/// Beds vacant but not admittable, by reason.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Unavailable {
    pub staffing: u32,
    pub works: u32,
    pub matching: u32,
    pub registration: u32,
    pub other: u32,
    pub other_reason: Option<String>,
}

impl Unavailable {
    pub fn total(&self) -> u32 {
        self.staffing + self.works + self.matching + self.registration + self.other
    }
}

/// One or more admittable beds with the same details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacancyInput {
    pub beds: u32,
    pub available_from: NaiveDate,
    pub min_age: u8,
    pub max_age: u8,
    pub sexes: Sexes,
    pub needs: Vec<Need>,
    pub emergency: bool,
    pub solo_only: bool,
    pub weekly_fee: Option<Pence>,
    pub note: Option<String>,
}

impl ReturnInput {
    pub fn occupied(&self) -> u32 {
        self.occupied.total()
    }

    pub fn vacant_beds(&self) -> u32 {
        self.vacancies.iter().map(|v| v.beds).sum()
    }
}

/// What the rules need to know about the home a return is for.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeFacts {
    pub urn: String,
    pub name: String,
    pub provision_type: Option<ProvisionType>,
    /// `None` where places are not fixed.
    pub places: Option<u32>,
    pub min_age: Option<u8>,
    pub max_age: Option<u8>,
    pub sexes: Option<Sexes>,
    pub needs: Vec<Need>,
}

impl HomeFacts {
    pub fn of(home: &homes::Model, needs: Vec<Need>) -> Self {
        let provision_type = ProvisionType::from_code(&home.provision_type);
        let fixed = !provision_type.is_some_and(ProvisionType::has_no_fixed_places);
        HomeFacts {
            urn: home.urn.clone(),
            name: home.name.clone(),
            provision_type,
            places: home
                .registered_places
                .filter(|_| fixed)
                .map(|p| p.max(0) as u32),
            min_age: home.min_age.map(|a| a.clamp(0, 25) as u8),
            max_age: home.max_age.map(|a| a.clamp(0, 25) as u8),
            sexes: home.sexes.as_deref().and_then(Sexes::from_code),
            needs,
        }
    }

    /// Fostering agencies and supported accommodation state their capacity
    /// each week; other homes have registered places.
    pub fn states_capacity(&self) -> bool {
        self.places.is_none()
    }
}

/// Where a week's return stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Filed,
    FiledLate,
    /// Not filed, and not yet due.
    NotFiled,
    /// Not filed, and past its due time.
    Late,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Filed => "Filed",
            Status::FiledLate => "Filed late",
            Status::NotFiled => "Not filed",
            Status::Late => "Late",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Status::Filed => "govuk-tag--green",
            Status::FiledLate => "govuk-tag--yellow",
            Status::NotFiled => "govuk-tag--grey",
            Status::Late => "govuk-tag--red",
        }
    }

    pub fn is_filed(self) -> bool {
        matches!(self, Status::Filed | Status::FiledLate)
    }

    pub fn of(
        filed: Option<bool>,
        now: chrono::DateTime<chrono::Utc>,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        match filed {
            Some(false) => Status::Filed,
            Some(true) => Status::FiledLate,
            None if now > due => Status::Late,
            None => Status::NotFiled,
        }
    }
}

/// How a return was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Form,
    NoChange,
    Upload,
    Api,
    Demo,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::NoChange => "no_change",
            Source::Upload => "upload",
            Source::Api => "api",
            Source::Demo => "demo",
        }
    }

    pub fn label(code: &str) -> &'static str {
        match code {
            "form" => "Web form",
            "no_change" => "No change since last week",
            "upload" => "Spreadsheet upload",
            "api" => "API",
            "one_click" => "One-click link in email",
            "demo" => "Demo data",
            _ => "",
        }
    }
}

/// Figures filed before this moment are stale: more than
/// `stale_after_days` old. One rule for the search, the map and the home
/// pages, which show them as stale and rank them lower.
pub fn stale_before(
    now: chrono::DateTime<chrono::Utc>,
    stale_after_days: i64,
) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::days(stale_after_days)
}

/// A week from a URL or a form: any well-formed ISO week (`2026-W48`).
/// Which weeks may be filed is the filing's rule (`filing::Window`).
pub fn parse_week(text: &str) -> crate::error::Result<IsoWeek> {
    text.trim()
        .parse()
        .map_err(|_| crate::error::Error::NotFound)
}

/// The current week in the UK.
pub fn this_week() -> IsoWeek {
    IsoWeek::containing(
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::London)
            .date_naive(),
    )
}
