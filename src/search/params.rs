//! The search's criteria as a query string sends them (the page's GET form
//! and the API share them), and their parsing into `Criteria`.

use chrono::{NaiveDate, Utc};
use importers::vocab::{Need, ProvisionType, Sexes};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::{Criteria, MinRating, Snapshot};
use crate::web::forms::{FormErrors, date_from_parts};

pub const DEFAULT_MILES: u32 = 20;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct SearchParams {
    pub age: String,
    pub sex: String,
    /// Repeated (`needs=a&needs=b`) or comma-separated.
    pub needs: Vec<String>,
    /// The child's home or school: a postcode or a postcode district.
    pub postcode: String,
    pub miles: String,
    /// ISO date (API); the page sends the three boxes below.
    pub from: String,
    pub from_day: String,
    pub from_month: String,
    pub from_year: String,
    #[serde(rename = "type")]
    pub types: Vec<String>,
    pub emergency: String,
    pub solo: String,
    pub rating: String,
    /// Required to search below Good.
    pub confirm_below_good: String,
    pub page: crate::web::pagination::PageNumber,
    /// The page of near misses (they page on their own).
    pub near: crate::web::pagination::PageNumber,
}

fn yes(text: &str) -> bool {
    matches!(text.trim(), "yes" | "true" | "on" | "1")
}

impl SearchParams {
    /// Whether anything was asked (a first visit shows the empty form).
    pub fn is_empty(&self) -> bool {
        self.age.is_empty() && self.postcode.is_empty() && self.sex.is_empty()
    }

    pub fn codes(list: &[String]) -> impl Iterator<Item = &str> {
        list.iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub fn has_need(&self, need: &Need) -> bool {
        Self::codes(&self.needs).any(|c| c == need.code())
    }

    pub fn has_type(&self, t: &ProvisionType) -> bool {
        Self::codes(&self.types).any(|c| c == t.code())
    }

    pub fn rating_or_default(&self) -> &str {
        if self.rating.is_empty() {
            MinRating::Good.code()
        } else {
            &self.rating
        }
    }

    pub fn miles_or_default(&self) -> String {
        if self.miles.trim().is_empty() {
            DEFAULT_MILES.to_string()
        } else {
            self.miles.clone()
        }
    }

    /// The criteria, or every problem with them (keyed by field). The
    /// postcode is looked up through the offers snapshot's memory.
    pub async fn parse(
        &self,
        conn: &impl ConnectionTrait,
        offers: &Snapshot,
    ) -> Result<Criteria, FormErrors> {
        let mut errors = FormErrors::default();
        let age = match self.age.trim().parse::<u8>() {
            Ok(a) if a <= 25 => Some(a),
            _ if self.age.trim().is_empty() => {
                errors.add("age", "Enter the child's age in years");
                None
            }
            _ => {
                errors.add("age", "Age must be a whole number of years from 0 to 25");
                None
            }
        };
        let sex = match Sexes::from_code(self.sex.trim()) {
            Some(s) if s != Sexes::Mixed => Some(s),
            _ => {
                errors.add("sex", "Select the child's sex");
                None
            }
        };
        let mut needs = Vec::new();
        for code in Self::codes(&self.needs) {
            match Need::from_code(code) {
                Some(n) => needs.push(n),
                None => errors.add("needs", format!("'{code}' is not a category of need")),
            }
        }
        let max_miles = match self.miles_or_default().trim().parse::<u32>() {
            Ok(m) if (1..=500).contains(&m) => Some(m),
            _ => {
                errors.add(
                    "miles",
                    "Distance must be a whole number of miles from 1 to 500",
                );
                None
            }
        };
        let needed_from = if !self.from.trim().is_empty() {
            match NaiveDate::parse_from_str(self.from.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add("from", "The date needed must be a date like 2026-12-01");
                    None
                }
            }
        } else {
            date_from_parts(
                &mut errors,
                "from",
                "The date needed",
                [&self.from_day, &self.from_month, &self.from_year],
                false,
            )
            .or(Some(Utc::now().date_naive()))
        };
        let mut provision_types = Vec::new();
        for code in Self::codes(&self.types) {
            match ProvisionType::from_code(code) {
                Some(t) => provision_types.push(t),
                None => errors.add("type", format!("'{code}' is not a provision type")),
            }
        }
        let min_rating = match MinRating::from_code(self.rating_or_default()) {
            Some(r) if r.is_below_good() && !yes(&self.confirm_below_good) => {
                errors.add(
                    "confirm_below_good",
                    "Tick the box to confirm you are searching homes rated below Good",
                );
                None
            }
            Some(r) => Some(r),
            None => {
                errors.add("rating", "Select the lowest rating to include");
                None
            }
        };
        let origin = if self.postcode.trim().is_empty() {
            errors.add(
                "postcode",
                "Enter the postcode of the child's home or school (or its district, like BH12)",
            );
            None
        } else {
            match offers.origin(conn, &self.postcode).await {
                Ok(Some(origin)) => Some(origin),
                Ok(None) => {
                    errors.add(
                        "postcode",
                        format!(
                            "{} is not in the postcode table, so distances cannot be measured from it. Check it, or enter its district",
                            self.postcode.trim().to_uppercase()
                        ),
                    );
                    None
                }
                Err(message) => {
                    errors.add("postcode", message);
                    None
                }
            }
        };
        match (age, sex, max_miles, needed_from, min_rating, origin) {
            (
                Some(age),
                Some(sex),
                Some(max_miles),
                Some(needed_from),
                Some(min_rating),
                Some(origin),
            ) if errors.is_empty() => Ok(Criteria {
                age,
                sex,
                needs,
                origin,
                max_miles,
                needed_from,
                provision_types,
                emergency: yes(&self.emergency),
                solo: yes(&self.solo),
                min_rating,
            }),
            _ => {
                errors.sort_by_fields(&[
                    "age",
                    "sex",
                    "needs",
                    "postcode",
                    "miles",
                    "from",
                    "type",
                    "rating",
                    "confirm_below_good",
                ]);
                Err(errors)
            }
        }
    }
}
