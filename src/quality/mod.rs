//! The quality gate: when a home is flagged, and inspections reported by
//! providers or recorded by council staff beside Ofsted's own data.
//!
//! A home's current rating is its latest full inspection that counts: one
//! confirmed (Ofsted's data, a council entry, or a provider's report a
//! commissioner or Ofsted's data confirmed), or an unconfirmed report that
//! raises a flag. So a provider's word may raise a flag at once but never
//! lowers one: a report of Good waits beside the rating (`pending_report`)
//! until it is confirmed.
//!
//! A home is flagged when its current rating is below Good (or, for
//! supported accommodation, below "consistently strong"), or when any
//! judgement area of it is Inadequate.

pub mod alerts;
pub mod inspections;
pub mod routes;
mod views;

use importers::vocab::{EventType, Judgement, RegistrationStatus};
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};
use sea_orm::{Condition, ExprTrait};

use crate::db::entities::inspections as inspection;

/// Why a home is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// The overall judgement is below Good.
    Rating(Judgement),
    /// The overall judgement is not a concern but a judgement area is Inadequate.
    Area(Area, Judgement),
}

impl Flag {
    pub fn label(&self) -> String {
        match self {
            Flag::Rating(j) => j.short_label().to_string(),
            Flag::Area(area, j) => format!("{}: {}", area.label(), j.short_label()),
        }
    }

    /// The case reason code this flag opens a case with.
    pub fn reason_code(&self) -> &'static str {
        match self {
            Flag::Rating(_) => "rating",
            Flag::Area(..) => "judgement",
        }
    }
}

/// Ofsted's judgement areas besides the overall one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    HelpedProtected,
    LeadersManagers,
    Education,
    Health,
}

impl Area {
    pub const ALL: [Area; 4] = [
        Area::HelpedProtected,
        Area::LeadersManagers,
        Area::Education,
        Area::Health,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::HelpedProtected => "How well children and young people are helped and protected",
            Area::LeadersManagers => "The effectiveness of leaders and managers",
            Area::Education => "Outcomes in education and related learning activities",
            Area::Health => "Health services",
        }
    }

    fn column(self) -> inspection::Column {
        match self {
            Area::HelpedProtected => inspection::Column::HelpedProtected,
            Area::LeadersManagers => inspection::Column::LeadersManagers,
            Area::Education => inspection::Column::Education,
            Area::Health => inspection::Column::Health,
        }
    }

    fn of(self, i: &inspection::Model) -> Option<Judgement> {
        let code = match self {
            Area::HelpedProtected => &i.helped_protected,
            Area::LeadersManagers => &i.leaders_managers,
            Area::Education => &i.education,
            Area::Health => &i.health,
        };
        code.as_deref().and_then(Judgement::from_code)
    }
}

fn is_worst(j: Judgement) -> bool {
    matches!(j, Judgement::Inadequate | Judgement::SaWeak)
}

/// The flag an inspection raises when it is a home's current one.
pub fn flag_of(i: &inspection::Model) -> Option<Flag> {
    let overall = i.overall.as_deref().and_then(Judgement::from_code);
    if let Some(j) = overall.filter(|j| j.is_concern()) {
        return Some(Flag::Rating(j));
    }
    Area::ALL.into_iter().find_map(|area| {
        area.of(i)
            .filter(|j| is_worst(*j))
            .map(|j| Flag::Area(area, j))
    })
}

/// Whether an inspection can be a home's current rating: a full inspection,
/// confirmed or raising a flag.
pub fn counts_as_current(i: &inspection::Model) -> bool {
    i.event_type == EventType::Full.code() && (i.verified || flag_of(i).is_some())
}

/// [`counts_as_current`] as SQL, for the inspections under `alias`.
pub fn counts_as_current_condition(alias: &str) -> Condition {
    let col = |c: inspection::Column| Expr::col((Alias::new(alias), c));
    Condition::all()
        .add(col(inspection::Column::EventType).eq(EventType::Full.code()))
        .add(
            Condition::any()
                .add(col(inspection::Column::Verified).eq(true))
                .add(flagged_condition(alias)),
        )
}

/// A report awaiting confirmation that would change the home's rating if
/// confirmed: the newest unconfirmed full inspection that is not the
/// current one and no older than it. `inspections` are one home's.
pub fn pending_report(inspections: &[inspection::Model]) -> Option<&inspection::Model> {
    let current = inspections.iter().find(|i| i.is_current);
    inspections
        .iter()
        .filter(|i| i.event_type == EventType::Full.code() && !i.verified && !i.is_current)
        .filter(|i| current.is_none_or(|c| i.inspection_date >= c.inspection_date))
        .max_by_key(|i| (i.inspection_date, i.id))
}

/// Whether confirming `report` would lift the flag the current rating raises.
pub fn would_lift_flag(current: Option<&inspection::Model>, report: &inspection::Model) -> bool {
    current.and_then(flag_of).is_some() && flag_of(report).is_none()
}

/// The rating in words with where it came from, and a pending report beside
/// it: "Requires improvement (Ofsted, 2 March 2024); provider reports Good
/// on 5 December 2026, awaiting confirmation".
pub fn rating_in_words(
    registration_status: &str,
    current: Option<&inspection::Model>,
    pending: Option<&inspection::Model>,
) -> String {
    let mut words = RatingState::of(registration_status, current).label();
    if let Some(c) = current {
        words = format!(
            "{words} ({}, {})",
            short_source(&c.source, c.verified),
            crate::web::filters::long_date(&c.inspection_date)
        );
    }
    if let Some(p) = pending {
        let judgement = p
            .overall
            .as_deref()
            .and_then(Judgement::from_code)
            .map(|j| j.short_label())
            .unwrap_or("no overall judgement");
        let who = if p.source == "provider" {
            "provider"
        } else {
            "council"
        };
        words = format!(
            "{words}; {who} reports {judgement} on {}, awaiting confirmation",
            crate::web::filters::long_date(&p.inspection_date)
        );
    }
    words
}

fn short_source(source: &str, verified: bool) -> &'static str {
    match (source, verified) {
        ("ofsted", _) => "Ofsted",
        ("provider", false) => "reported by provider, awaiting confirmation",
        ("provider", true) => "reported by provider, confirmed",
        ("council", _) => "recorded by the council",
        _ => "unknown source",
    }
}

fn codes(judgements: impl Iterator<Item = Judgement>) -> Vec<String> {
    judgements.map(|j| j.code().to_string()).collect()
}

/// SQL for "the inspection under `alias` flags its home": the same rule as
/// [`flag_of`], for filtering lists in the database.
pub fn flagged_condition(alias: &str) -> Condition {
    let col = |c: inspection::Column| Expr::col((Alias::new(alias), c));
    let concerns = codes(Judgement::ALL.iter().copied().filter(|j| j.is_concern()));
    let worst = codes(Judgement::ALL.iter().copied().filter(|j| is_worst(*j)));
    let mut any = Condition::any().add(col(inspection::Column::Overall).is_in(concerns));
    for area in Area::ALL {
        any = any.add(col(area.column()).is_in(worst.clone()));
    }
    any
}

/// `flagged_condition` as an expression (for a select column).
pub fn flagged_expr(alias: &str) -> SimpleExpr {
    Expr::case(flagged_condition(alias), true)
        .finally(false)
        .into()
}

/// What a home's rating is, including the states without one.
#[derive(Debug, Clone, PartialEq)]
pub enum RatingState {
    Rated {
        judgement: Judgement,
        awaiting_confirmation: bool,
    },
    /// A full inspection without an overall judgement (e.g. withheld).
    Unrated,
    RegisteredNotInspected,
    RegistrationPending,
}

impl RatingState {
    pub fn of(registration_status: &str, current: Option<&inspection::Model>) -> Self {
        match current {
            Some(i) => match i.overall.as_deref().and_then(Judgement::from_code) {
                Some(judgement) => RatingState::Rated {
                    judgement,
                    awaiting_confirmation: !i.verified,
                },
                None => RatingState::Unrated,
            },
            None if RegistrationStatus::from_code(registration_status)
                == Some(RegistrationStatus::RegistrationPending) =>
            {
                RatingState::RegistrationPending
            }
            None => RatingState::RegisteredNotInspected,
        }
    }

    pub fn label(&self) -> String {
        match self {
            RatingState::Rated { judgement, .. } => judgement.short_label().to_string(),
            RatingState::Unrated => "No overall judgement".into(),
            RatingState::RegisteredNotInspected => "Registered, not yet inspected".into(),
            RatingState::RegistrationPending => "Registration pending".into(),
        }
    }
}

/// How an inspection's source is described to people.
pub fn source_label(source: &str, verified: bool) -> &'static str {
    match (source, verified) {
        ("ofsted", _) => "Ofsted data",
        ("provider", false) => "Reported by provider, awaiting confirmation",
        ("provider", true) => "Reported by provider, confirmed",
        ("council", _) => "Recorded by the council",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspection(overall: Option<&str>, helped: Option<&str>) -> inspection::Model {
        let now = chrono::Utc::now().fixed_offset();
        inspection::Model {
            id: 1,
            home_id: 1,
            event_number: None,
            event_type: "full".into(),
            inspection_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            publication_date: None,
            scale: "four_point".into(),
            overall: overall.map(String::from),
            helped_protected: helped.map(String::from),
            leaders_managers: None,
            education: None,
            health: None,
            source: "ofsted".into(),
            verified: true,
            report_url: None,
            is_current: true,
            created_at: now,
            updated_at: now,
            reported_by_user_id: None,
            reported_by: None,
            confirmed_at: None,
            confirmed_by: None,
            ofsted_difference: None,
        }
    }

    #[test]
    fn below_good_overall_flags() {
        assert_eq!(
            flag_of(&inspection(Some("requires_improvement"), None)),
            Some(Flag::Rating(Judgement::RequiresImprovement))
        );
        assert_eq!(
            flag_of(&inspection(Some("sa_inconsistent"), None)),
            Some(Flag::Rating(Judgement::SaInconsistent))
        );
        assert_eq!(flag_of(&inspection(Some("good"), Some("good"))), None);
        assert_eq!(flag_of(&inspection(None, None)), None);
    }

    #[test]
    fn an_inadequate_area_flags_a_good_home() {
        assert_eq!(
            flag_of(&inspection(Some("good"), Some("inadequate"))),
            Some(Flag::Area(Area::HelpedProtected, Judgement::Inadequate))
        );
        assert_eq!(
            flag_of(&inspection(Some("good"), Some("requires_improvement"))),
            None
        );
    }

    #[test]
    fn states_without_a_rating_are_distinct() {
        assert_eq!(
            RatingState::of("registration_pending", None),
            RatingState::RegistrationPending
        );
        assert_eq!(
            RatingState::of("active", None),
            RatingState::RegisteredNotInspected
        );
        let mut reported = inspection(Some("good"), None);
        reported.verified = false;
        assert_eq!(
            RatingState::of("active", Some(&reported)),
            RatingState::Rated {
                judgement: Judgement::Good,
                awaiting_confirmation: true
            }
        );
    }
}
