//! What an import did, in numbers and the changes worth a person's attention.

use std::fmt;

use importers::RowError;
use importers::ofsted::Layout;
use importers::vocab::Judgement;
use serde::{Deserialize, Serialize};

pub use super::file_organisations::OrganisationRef;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq)]
pub struct RatingChange {
    pub urn: String,
    pub name: String,
    pub from: Option<Judgement>,
    pub to: Option<Judgement>,
}

impl RatingChange {
    /// Worse than before on the same scale (or newly below good).
    pub fn is_downgrade(&self) -> bool {
        match (self.from, self.to) {
            (Some(f), Some(t)) => t.rank() > f.rank(),
            (None, Some(t)) => t.is_concern(),
            _ => false,
        }
    }
}

/// A home the file moved from one owner to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerChange {
    pub urn: String,
    pub name: String,
    pub from: Option<String>,
    pub to: String,
    /// In our area or where our children live.
    #[serde(default)]
    pub ours: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub layout: Option<Layout>,
    /// The date the file describes.
    pub as_at: Option<NaiveDate>,
    pub rows_read: usize,
    pub rejected: Vec<RowError>,
    pub warnings: Vec<RowError>,
    pub homes_created: usize,
    pub homes_updated: usize,
    pub homes_unchanged: usize,
    pub inspections_added: usize,
    pub inspections_corrected: usize,
    pub rating_changes: Vec<RatingChange>,
    pub providers_created: usize,
    pub councils_created: usize,
    /// Owner names matched to an existing organisation spelled differently.
    pub name_matches: Vec<(String, String)>,
    /// Organisations whose names differ only by "Limited"/"plc": reported,
    /// never merged by an import (a person merges them).
    pub possible_duplicates: Vec<(OrganisationRef, OrganisationRef)>,
    /// Homes the file moved to another owner.
    pub owner_changes: Vec<OwnerChange>,
    /// Facts the file stated otherwise but that were kept, being newer
    /// than the file.
    pub facts_kept_older: usize,
    /// Provider or council reports Ofsted's data agreed with.
    pub reports_confirmed: usize,
    /// Reports Ofsted's data differed from: URN and the difference.
    pub reports_corrected: Vec<(String, String)>,
    pub cases_opened: usize,
    pub cases_close_proposed: usize,
    /// URN and name of each home the file added.
    pub new_homes: Vec<(String, String)>,
    /// Homes whose registration the file shows has ended.
    pub homes_deregistered: Vec<(String, String)>,
    /// Homes where our children live with an inspection new to us.
    pub inspected_with_our_children: Vec<(String, String)>,
    /// URNs of the file's homes that matter to our council most: in our
    /// area, or where our children live. Reports list them first.
    pub ours: std::collections::HashSet<String>,
}

impl ImportSummary {
    pub fn changed_anything(&self) -> bool {
        self.homes_created
            + self.homes_updated
            + self.inspections_added
            + self.inspections_corrected
            > 0
            || self.providers_created + self.councils_created > 0
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(layout) = self.layout {
            writeln!(f, "Layout: Ofsted {}", layout.label())?;
        }
        if let Some(as_at) = self.as_at {
            writeln!(f, "File describes: {}", as_at.format("%-d %B %Y"))?;
        }
        writeln!(f, "Rows read: {}", self.rows_read)?;
        writeln!(
            f,
            "Homes: {} created, {} updated, {} unchanged",
            self.homes_created, self.homes_updated, self.homes_unchanged
        )?;
        writeln!(
            f,
            "Inspections: {} added, {} corrected",
            self.inspections_added, self.inspections_corrected
        )?;
        writeln!(
            f,
            "Organisations: {} providers and {} councils created",
            self.providers_created, self.councils_created
        )?;
        let downgrades = self
            .rating_changes
            .iter()
            .filter(|c| c.is_downgrade())
            .count();
        writeln!(
            f,
            "Rating changes: {} ({} downgrades)",
            self.rating_changes.len(),
            downgrades
        )?;
        writeln!(
            f,
            "Monitoring cases: {} opened, {} proposed for closing",
            self.cases_opened, self.cases_close_proposed
        )?;
        if self.reports_confirmed + self.reports_corrected.len() > 0 {
            writeln!(
                f,
                "Reported inspections: {} confirmed, {} corrected by Ofsted's data",
                self.reports_confirmed,
                self.reports_corrected.len()
            )?;
            for (urn, difference) in self.reports_corrected.iter().take(50) {
                writeln!(f, "  {urn}: {difference}")?;
            }
        }
        let label = |j: Option<Judgement>| j.map(|j| j.label()).unwrap_or("not rated");
        for c in self
            .rating_changes
            .iter()
            .filter(|c| c.from.is_some())
            .take(50)
        {
            writeln!(
                f,
                "  {} {}: {} -> {}",
                c.urn,
                c.name,
                label(c.from),
                label(c.to)
            )?;
        }
        if !self.name_matches.is_empty() {
            writeln!(
                f,
                "Owner names matched to an existing organisation ({}):",
                self.name_matches.len()
            )?;
            for (given, existing) in self.name_matches.iter().take(50) {
                writeln!(f, "  '{given}' = '{existing}'")?;
            }
        }
        if !self.owner_changes.is_empty() {
            writeln!(f, "Owner changes: {}", self.owner_changes.len())?;
            for c in self.owner_changes.iter().take(50) {
                writeln!(
                    f,
                    "  {} {}: '{}' -> '{}'",
                    c.urn,
                    c.name,
                    c.from.as_deref().unwrap_or("no owner"),
                    c.to
                )?;
            }
        }
        if self.facts_kept_older > 0 {
            writeln!(
                f,
                "Facts kept, being newer than the file ({}): {}",
                self.as_at
                    .map(|d| d.format("%-d %B %Y").to_string())
                    .unwrap_or_default(),
                self.facts_kept_older
            )?;
        }
        if !self.possible_duplicates.is_empty() {
            writeln!(
                f,
                "Possible duplicate organisations, not merged ({}; merge them from the organisation's page):",
                self.possible_duplicates.len()
            )?;
            for ((a_id, a), (b_id, b)) in self.possible_duplicates.iter().take(50) {
                writeln!(
                    f,
                    "  '{a}' (/organisations/{a_id}) / '{b}' (/organisations/{b_id})"
                )?;
            }
        }
        for (heading, homes) in [
            ("New registrations", &self.new_homes),
            ("No longer registered", &self.homes_deregistered),
        ] {
            if !homes.is_empty() {
                writeln!(f, "{heading} ({}, our council's area first):", homes.len())?;
                for (urn, name) in homes.iter().take(50) {
                    writeln!(f, "  {urn} {name}")?;
                }
            }
        }
        writeln!(f, "Rows rejected: {}", self.rejected.len())?;
        for e in &self.rejected {
            writeln!(f, "  {e}")?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "Warnings: {}", self.warnings.len())?;
            for w in self.warnings.iter().take(50) {
                writeln!(f, "  {w}")?;
            }
        }
        Ok(())
    }
}
