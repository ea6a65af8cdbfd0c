use askama::Template;

use super::report::{ChangeReport, HomeRef, List, RatingMove};
use crate::db::entities::ofsted_imports;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "ofsted/imports.html")]
pub struct ImportsPage {
    pub page: PageContext,
    pub imports: Vec<ofsted_imports::Model>,
    pub error: Option<String>,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "ofsted/import.html")]
pub struct ImportPage {
    pub page: PageContext,
    pub row: ofsted_imports::Model,
    pub report: Option<ChangeReport>,
    /// One long list, paged: the rest of England's entries of it.
    pub list: Option<(List, Pagination)>,
}

/// How many entries elsewhere in England the report shows of each list
/// before linking to the list's own pages.
pub const ELSEWHERE_SHOWN: usize = 20;
/// Entries a list's page shows.
pub const PER_PAGE: u64 = 100;

/// One list of the report as the page shows it.
pub struct Section {
    pub list: List,
    pub ours: Vec<Entry>,
    /// The first entries elsewhere in England...
    pub elsewhere: Vec<Entry>,
    /// ...of this many.
    pub elsewhere_total: usize,
}

impl Section {
    pub fn total(&self) -> usize {
        self.ours.len() + self.elsewhere_total
    }

    pub fn more(&self) -> bool {
        self.elsewhere_total > self.elsewhere.len()
    }
}

/// One entry of a report's list, whatever the list.
pub struct Entry {
    pub urn: String,
    pub name: String,
    /// What changed, in words ("Good to Inadequate"; "from X to Y").
    pub change: String,
    pub ours: bool,
}

impl ImportPage {
    pub fn running(&self) -> bool {
        self.row.status == "running"
    }

    /// Each long list of the report, split: ours in full, the first of the
    /// rest of England.
    pub fn sections(&self) -> Vec<Section> {
        List::ALL
            .into_iter()
            .map(|list| {
                let (ours, elsewhere): (Vec<Entry>, Vec<Entry>) =
                    self.entries(list).into_iter().partition(|e| e.ours);
                Section {
                    list,
                    ours,
                    elsewhere_total: elsewhere.len(),
                    elsewhere: elsewhere.into_iter().take(ELSEWHERE_SHOWN).collect(),
                }
            })
            .collect()
    }

    /// A list's entries: ours first, then elsewhere in England.
    pub fn entries(&self, list: List) -> Vec<Entry> {
        let Some(r) = &self.report else {
            return Vec::new();
        };
        let homes = |items: &[HomeRef]| -> Vec<Entry> {
            items
                .iter()
                .map(|h| Entry {
                    urn: h.urn.clone(),
                    name: h.name.clone(),
                    change: String::new(),
                    ours: h.ours,
                })
                .collect()
        };
        let moves = |items: &[RatingMove]| -> Vec<Entry> {
            items
                .iter()
                .map(|m| Entry {
                    urn: m.urn.clone(),
                    name: m.name.clone(),
                    change: format!("{} to {}", m.from, m.to),
                    ours: m.ours,
                })
                .collect()
        };
        match list {
            List::Downgrades => moves(&r.downgrades),
            List::Upgrades => moves(&r.upgrades),
            List::NewHomes => homes(&r.new_homes),
            List::Deregistered => homes(&r.homes_deregistered),
            List::OwnerChanges => r
                .owner_changes
                .iter()
                .map(|c| Entry {
                    urn: c.urn.clone(),
                    name: c.name.clone(),
                    change: format!(
                        "from {} to {}",
                        c.from.as_deref().unwrap_or("no owner"),
                        c.to
                    ),
                    ours: c.ours,
                })
                .collect(),
        }
    }

    /// A list's entries elsewhere in England on this page of it.
    pub fn page_of(&self, list: List, pagination: &Pagination) -> Vec<Entry> {
        self.entries(list)
            .into_iter()
            .filter(|e| !e.ours)
            .skip(Pagination::offset(pagination.page, PER_PAGE) as usize)
            .take(PER_PAGE as usize)
            .collect()
    }
}
