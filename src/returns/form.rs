//! The return form as browsers send it. Vacancy groups are numbered fields
//! (`v0_beds`, `v0_needs`...), so the form works without JavaScript: "Add
//! another vacancy" and "Remove" are submit buttons that show the form again.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use importers::vocab::{Need, Pence, Sexes};
use serde::Deserialize;

use super::{HomeFacts, Occupancy, ReturnInput, Unavailable, VacancyInput};
use crate::web::forms::FormErrors;

/// Most vacancy groups one form shows.
pub const MAX_GROUPS: usize = 20;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct ReturnForm {
    pairs: Vec<(String, String)>,
}

/// What the submit button asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    File,
    AddVacancy,
    RemoveVacancy(usize),
}

impl ReturnForm {
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && v == value)
    }

    /// Blanks a field, e.g. counts a first return must have typed in.
    pub fn clear(&mut self, name: &str) {
        self.pairs.retain(|(k, _)| k != name);
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.pairs.retain(|(k, _)| k != name);
        self.pairs.push((name.to_string(), value.into()));
    }

    /// Vacancy groups on the page.
    pub fn groups(&self) -> usize {
        self.get("vacancy_groups")
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_GROUPS)
    }

    pub fn action(&self) -> Action {
        match self.get("action") {
            "add_vacancy" => Action::AddVacancy,
            a => match a
                .strip_prefix("remove_vacancy_")
                .and_then(|i| i.parse().ok())
            {
                Some(i) => Action::RemoveVacancy(i),
                None => Action::File,
            },
        }
    }

    pub fn idempotency_key(&self) -> Option<String> {
        Some(self.get("idempotency_key").trim().to_string())
            .filter(|k| !k.is_empty() && k.len() <= 64)
    }

    /// A form showing `input`, ready to be changed.
    pub fn from_input(
        input: &ReturnInput,
        idempotency_key: &str,
        members: &[crate::regions::Member],
    ) -> Self {
        let mut f = ReturnForm::default();
        f.set("idempotency_key", idempotency_key);
        if let Some(c) = input.capacity {
            f.set("capacity", c.to_string());
        }
        for member in members {
            let beds = input.occupied.of(member.id);
            if beds > 0 {
                f.set(&member.occupied_field(), beds.to_string());
            }
        }
        f.set(
            "occupied_outside_region",
            input.occupied.outside_region.to_string(),
        );
        let u = &input.unavailable;
        for (name, value) in [
            ("staffing", u.staffing),
            ("works", u.works),
            ("matching", u.matching),
            ("registration", u.registration),
            ("other", u.other),
        ] {
            f.set(&format!("unavailable_{name}"), value.to_string());
        }
        f.set(
            "unavailable_other_reason",
            u.other_reason.clone().unwrap_or_default(),
        );
        f.set("note", input.note.clone().unwrap_or_default());
        for (i, v) in input.vacancies.iter().enumerate() {
            f.set_vacancy(i, v);
        }
        f.set("vacancy_groups", input.vacancies.len().to_string());
        f
    }

    fn set_vacancy(&mut self, i: usize, v: &VacancyInput) {
        let k = |name: &str| format!("v{i}_{name}");
        self.set(&k("beds"), v.beds.to_string());
        self.set(
            &k("available_day"),
            v.available_from.format("%-d").to_string(),
        );
        self.set(
            &k("available_month"),
            v.available_from.format("%-m").to_string(),
        );
        self.set(
            &k("available_year"),
            v.available_from.format("%Y").to_string(),
        );
        self.set(&k("min_age"), v.min_age.to_string());
        self.set(&k("max_age"), v.max_age.to_string());
        self.set(&k("sexes"), v.sexes.code());
        for need in &v.needs {
            self.pairs.push((k("needs"), need.code().to_string()));
        }
        if v.emergency {
            self.set(&k("emergency"), "yes");
        }
        if v.solo_only {
            self.set(&k("solo_only"), "yes");
        }
        self.set(
            &k("fee"),
            v.weekly_fee
                .map(|p| format!("{}.{:02}", p.0 / 100, p.0 % 100))
                .unwrap_or_default(),
        );
        self.set(&k("vnote"), v.note.clone().unwrap_or_default());
    }

    /// One more, empty, vacancy group, defaulting to what the home is for.
    pub fn add_group(&mut self, home: &HomeFacts, monday: NaiveDate) {
        let i = self.groups();
        if i >= MAX_GROUPS {
            return;
        }
        let k = |name: &str| format!("v{i}_{name}");
        self.set(&k("beds"), "1");
        self.set(&k("available_day"), monday.format("%-d").to_string());
        self.set(&k("available_month"), monday.format("%-m").to_string());
        self.set(&k("available_year"), monday.format("%Y").to_string());
        self.set(
            &k("min_age"),
            home.min_age.map(|a| a.to_string()).unwrap_or_default(),
        );
        self.set(
            &k("max_age"),
            home.max_age.map(|a| a.to_string()).unwrap_or_default(),
        );
        self.set(&k("sexes"), home.sexes.unwrap_or(Sexes::Mixed).code());
        for need in &home.needs {
            self.pairs.push((k("needs"), need.code().to_string()));
        }
        self.set("vacancy_groups", (i + 1).to_string());
    }

    /// Drops group `index`, renumbering the ones after it.
    pub fn remove_group(&mut self, index: usize) {
        let groups = self.groups();
        if index >= groups {
            return;
        }
        let mut kept = Vec::with_capacity(self.pairs.len());
        for (key, value) in self.pairs.drain(..) {
            match group_of(&key) {
                Some((i, _)) if i == index => {}
                Some((i, rest)) if i > index => kept.push((format!("v{}_{rest}", i - 1), value)),
                _ => kept.push((key, value)),
            }
        }
        self.pairs = kept;
        self.set("vacancy_groups", (groups - 1).to_string());
    }

    /// Reads the typed values; rules that need the home are checked after.
    /// `members` are the region's councils the form lists a line for.
    pub fn parse(
        &self,
        states_capacity: bool,
        members: &[crate::regions::Member],
    ) -> Result<ReturnInput, FormErrors> {
        let mut errors = FormErrors::default();
        let capacity = if states_capacity {
            count(
                &mut errors,
                self.get("capacity"),
                "capacity",
                "the number of carers or units you have for children",
            )
        } else {
            None
        };
        let mut occupied = Occupancy::default();
        for member in members {
            let field = member.occupied_field();
            let beds = optional_count(&mut errors, self.get(&field), &field).unwrap_or(0);
            occupied.set(member.id, beds);
        }
        occupied.outside_region = optional_count(
            &mut errors,
            self.get("occupied_outside_region"),
            "occupied_outside_region",
        )
        .unwrap_or(0);
        let mut unavailable = Unavailable::default();
        for (name, slot) in [
            ("staffing", &mut unavailable.staffing),
            ("works", &mut unavailable.works),
            ("matching", &mut unavailable.matching),
            ("registration", &mut unavailable.registration),
            ("other", &mut unavailable.other),
        ] {
            let field = format!("unavailable_{name}");
            *slot = optional_count(&mut errors, self.get(&field), &field).unwrap_or(0);
        }
        unavailable.other_reason = text(self.get("unavailable_other_reason"));
        let mut vacancies = Vec::new();
        for i in 0..self.groups() {
            if let Some(v) = self.parse_vacancy(i, &mut errors) {
                vacancies.push(v);
            }
        }
        errors.into_result(ReturnInput {
            capacity,
            occupied,
            unavailable,
            vacancies,
            note: text(self.get("note")),
        })
    }

    fn parse_vacancy(&self, i: usize, errors: &mut FormErrors) -> Option<VacancyInput> {
        let k = |name: &str| format!("v{i}_{name}");
        let n = i + 1;
        let beds = count(
            errors,
            self.get(&k("beds")),
            &k("beds"),
            &format!("how many beds vacancy {n} is for"),
        );
        let date_parts = ["available_day", "available_month", "available_year"]
            .map(|p| self.get(&k(p)).trim().to_string());
        let available_from = if date_parts.iter().any(String::is_empty) {
            errors.add(
                k("available_day"),
                format!("Enter the date vacancy {n} is available from, with a day, month and year"),
            );
            None
        } else {
            let parsed = (
                date_parts[2].parse::<i32>(),
                date_parts[1].parse::<u32>(),
                date_parts[0].parse::<u32>(),
            );
            match parsed {
                (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d).or_else(|| {
                    errors.add(
                        k("available_day"),
                        format!("The date vacancy {n} is available from must be a real date"),
                    );
                    None
                }),
                _ => {
                    errors.add(
                        k("available_day"),
                        format!("The date vacancy {n} is available from must be a real date"),
                    );
                    None
                }
            }
        };
        let age = |errors: &mut FormErrors, field: &str, what: &str| -> Option<u8> {
            match self.get(&k(field)).trim().parse::<u8>() {
                Ok(a) if a <= 25 => Some(a),
                Ok(_) => {
                    errors.add(
                        k("min_age"),
                        format!("Ages for vacancy {n} must be between 0 and 25"),
                    );
                    None
                }
                Err(_) => {
                    errors.add(
                        k("min_age"),
                        format!("Enter the {what} age vacancy {n} can take, as a whole number"),
                    );
                    None
                }
            }
        };
        let min_age = age(errors, "min_age", "youngest");
        let max_age = age(errors, "max_age", "oldest");
        let sexes = Sexes::from_code(self.get(&k("sexes")));
        if sexes.is_none() {
            errors.add(k("sexes"), format!("Select who vacancy {n} can take"));
        }
        let mut needs = Vec::new();
        for code in self.all(&k("needs")) {
            match Need::from_code(code) {
                Some(need) if !needs.contains(&need) => needs.push(need),
                Some(_) => {}
                None => errors.add(k("needs"), "Select needs from the list"),
            }
        }
        let weekly_fee = match self.get(&k("fee")).trim() {
            "" => None,
            t => t
                .parse::<Pence>()
                .map_err(|e| errors.add(k("fee"), e.to_string()))
                .ok(),
        };
        Some(VacancyInput {
            beds: beds?,
            available_from: available_from?,
            min_age: min_age?,
            max_age: max_age?,
            sexes: sexes?,
            needs,
            emergency: !self.get(&k("emergency")).is_empty(),
            solo_only: !self.get(&k("solo_only")).is_empty(),
            weekly_fee,
            note: text(self.get(&k("vnote"))),
        })
    }
}

/// `v3_beds` -> (3, "beds").
fn group_of(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix('v')?;
    let (index, field) = rest.split_once('_')?;
    Some((index.parse().ok()?, field))
}

fn text(value: &str) -> Option<String> {
    let t = value.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn count(errors: &mut FormErrors, value: &str, field: &str, what: &str) -> Option<u32> {
    match value.trim() {
        "" => {
            errors.add(field, format!("Enter {what} (0 if none)"));
            None
        }
        t => t
            .parse::<u32>()
            .map_err(|_| errors.add(field, format!("Enter {what} as a whole number, like 2")))
            .ok(),
    }
}

fn optional_count(errors: &mut FormErrors, value: &str, field: &str) -> Option<u32> {
    match value.trim() {
        "" => None,
        t => t
            .parse::<u32>()
            .map_err(|_| {
                errors.add(
                    field,
                    "Enter a whole number, like 1 (leave blank or 0 if none)",
                )
            })
            .ok(),
    }
}

impl<S: Send + Sync> FromRequest<S> for ReturnForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let unreadable = || {
            let status = StatusCode::BAD_REQUEST;
            let message =
                "The form could not be read. Go back, check what you entered and try again.";
            (
                status,
                crate::web::html::error_page(status, "There is a problem", message),
            )
                .into_response()
        };
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| unreadable())?;
        serde_html_form::from_bytes(&body).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HomeFacts {
        HomeFacts {
            urn: "SC1".into(),
            name: "Oak".into(),
            provision_type: None,
            places: Some(4),
            min_age: Some(11),
            max_age: Some(17),
            sexes: Some(Sexes::Mixed),
            needs: vec![Need::Autism],
        }
    }

    #[test]
    fn groups_can_be_added_and_removed_without_javascript() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut form = ReturnForm::from_input(&ReturnInput::default(), "k", &[]);
        form.add_group(&facts(), monday);
        form.add_group(&facts(), monday);
        form.set("v1_beds", "2");
        assert_eq!(form.groups(), 2);
        form.remove_group(0);
        assert_eq!(form.groups(), 1);
        assert_eq!(form.get("v0_beds"), "2", "later groups move up");
        let input = form.parse(false, &[]).unwrap();
        assert_eq!(input.vacancies[0].beds, 2);
        assert_eq!(
            input.vacancies[0].needs,
            vec![Need::Autism],
            "the home's needs are the default"
        );
        assert_eq!(input.vacancies[0].available_from, monday);
    }

    fn member(id: i64) -> crate::regions::Member {
        crate::regions::Member {
            id,
            name: format!("Council {id}"),
            short_name: format!("C{id}"),
            ons_code: Some(format!("E0600000{id}")),
            localities: Vec::new(),
        }
    }

    #[test]
    fn blank_and_wrong_numbers_are_named() {
        let form = ReturnForm {
            pairs: vec![
                ("occupied_E06000007".into(), "two".into()),
                ("unavailable_works".into(), "x".into()),
            ],
        };
        let errors = form.parse(false, &[member(7)]).unwrap_err();
        assert!(
            errors
                .get("occupied_E06000007")
                .unwrap()
                .contains("whole number")
        );
        assert!(
            errors.get("occupied_outside_region").is_none(),
            "blank is none"
        );
        assert!(errors.get("unavailable_works").is_some());
    }

    #[test]
    fn a_filled_return_round_trips_through_the_form() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let input = ReturnInput {
            occupied: Occupancy::from_host_and_other(Some(7), 1, 1),
            vacancies: vec![VacancyInput {
                beds: 2,
                available_from: monday,
                min_age: 12,
                max_age: 15,
                sexes: Sexes::Female,
                needs: vec![Need::Autism, Need::MentalHealth],
                emergency: true,
                solo_only: false,
                weekly_fee: Some(Pence(512_345)),
                note: Some("Ground floor".into()),
            }],
            note: Some("All well".into()),
            ..Default::default()
        };
        assert_eq!(
            ReturnForm::from_input(&input, "k", &[member(7), member(8)])
                .parse(false, &[member(7), member(8)])
                .unwrap(),
            input
        );
    }
}
