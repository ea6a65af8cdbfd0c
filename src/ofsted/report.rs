//! The change report of an import, kept as JSON with the web import so it
//! can be read again later.

use importers::RowError;
use importers::vocab::Judgement;
use serde::{Deserialize, Serialize};

use super::summary::{ImportSummary, OwnerChange};

/// A home named in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeRef {
    pub urn: String,
    pub name: String,
    /// In our area or where our children live: listed first.
    #[serde(default)]
    pub ours: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingMove {
    pub urn: String,
    pub name: String,
    pub from: String,
    pub to: String,
    /// In our area or where our children live: listed first.
    #[serde(default)]
    pub ours: bool,
}

/// An entry of one of the report's lists, ours or elsewhere in England.
pub trait Listed {
    fn ours(&self) -> bool;
}

impl Listed for HomeRef {
    fn ours(&self) -> bool {
        self.ours
    }
}

impl Listed for RatingMove {
    fn ours(&self) -> bool {
        self.ours
    }
}

impl Listed for OwnerChange {
    fn ours(&self) -> bool {
        self.ours
    }
}

/// The report's lists that can run to thousands (a national file), by the
/// name a page asks for one of them with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Downgrades,
    Upgrades,
    OwnerChanges,
    NewHomes,
    Deregistered,
}

impl List {
    pub const ALL: [List; 5] = [
        List::Downgrades,
        List::Upgrades,
        List::OwnerChanges,
        List::NewHomes,
        List::Deregistered,
    ];

    pub fn code(self) -> &'static str {
        match self {
            List::Downgrades => "downgrades",
            List::Upgrades => "upgrades",
            List::OwnerChanges => "owner-changes",
            List::NewHomes => "new-registrations",
            List::Deregistered => "no-longer-registered",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            List::Downgrades => "Downgrades",
            List::Upgrades => "Upgrades",
            List::OwnerChanges => "Owner changes",
            List::NewHomes => "New registrations",
            List::Deregistered => "No longer registered",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// An organisation named in the report, with its id for a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationLink {
    pub id: i64,
    pub name: String,
}

/// Reports saved before a field existed read it as empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeReport {
    pub layout: String,
    /// The date the file describes.
    pub as_at: Option<chrono::NaiveDate>,
    pub rows_read: usize,
    pub homes_created: usize,
    pub homes_updated: usize,
    pub homes_unchanged: usize,
    pub inspections_added: usize,
    pub inspections_corrected: usize,
    pub new_homes: Vec<HomeRef>,
    pub homes_deregistered: Vec<HomeRef>,
    pub downgrades: Vec<RatingMove>,
    pub upgrades: Vec<RatingMove>,
    pub inspected_with_our_children: Vec<HomeRef>,
    pub reports_confirmed: usize,
    /// URN and what Ofsted's data changed.
    pub reports_corrected: Vec<(String, String)>,
    pub cases_opened: usize,
    pub cases_close_proposed: usize,
    pub rejected: Vec<RowError>,
    pub warnings: usize,
    pub owner_changes: Vec<OwnerChange>,
    pub facts_kept_older: usize,
    /// Pairs of providers whose names differ only by "Limited"/"plc".
    pub possible_duplicates: Vec<(OrganisationLink, OrganisationLink)>,
}

/// Ours first, then the rest, each in the order given.
fn ours_first<T: Listed>(mut list: Vec<T>) -> Vec<T> {
    list.sort_by_key(|item| !item.ours());
    list
}

fn homes(list: &[(String, String)], ours: &std::collections::HashSet<String>) -> Vec<HomeRef> {
    ours_first(
        list.iter()
            .map(|(urn, name)| HomeRef {
                urn: urn.clone(),
                name: name.clone(),
                ours: ours.contains(urn),
            })
            .collect(),
    )
}

impl From<&ImportSummary> for ChangeReport {
    fn from(s: &ImportSummary) -> Self {
        let label = |j: Option<Judgement>| {
            j.map(|j| j.short_label().to_string())
                .unwrap_or_else(|| "Not rated".into())
        };
        let moves = |down: bool| {
            ours_first(
                s.rating_changes
                    .iter()
                    .filter(|c| c.from.is_some() && c.to.is_some())
                    .filter(|c| c.is_downgrade() == down)
                    .map(|c| RatingMove {
                        urn: c.urn.clone(),
                        name: c.name.clone(),
                        from: label(c.from),
                        to: label(c.to),
                        ours: s.ours.contains(&c.urn),
                    })
                    .collect(),
            )
        };
        ChangeReport {
            layout: s.layout.map(|l| l.label().to_string()).unwrap_or_default(),
            rows_read: s.rows_read,
            homes_created: s.homes_created,
            homes_updated: s.homes_updated,
            homes_unchanged: s.homes_unchanged,
            inspections_added: s.inspections_added,
            inspections_corrected: s.inspections_corrected,
            new_homes: homes(&s.new_homes, &s.ours),
            homes_deregistered: homes(&s.homes_deregistered, &s.ours),
            downgrades: moves(true),
            upgrades: moves(false),
            inspected_with_our_children: homes(&s.inspected_with_our_children, &s.ours),
            reports_confirmed: s.reports_confirmed,
            reports_corrected: s.reports_corrected.clone(),
            cases_opened: s.cases_opened,
            cases_close_proposed: s.cases_close_proposed,
            rejected: s.rejected.iter().take(500).cloned().collect(),
            warnings: s.warnings.len(),
            as_at: s.as_at,
            owner_changes: ours_first(s.owner_changes.clone()),
            facts_kept_older: s.facts_kept_older,
            possible_duplicates: s
                .possible_duplicates
                .iter()
                .map(|((a_id, a), (b_id, b))| {
                    let link = |id: &i64, name: &String| OrganisationLink {
                        id: *id,
                        name: name.clone(),
                    };
                    (link(a_id, a), link(b_id, b))
                })
                .collect(),
        }
    }
}
