//! The home form, as browsers send it, and its parsing into a `HomeInput`.

use chrono::{NaiveDate, Utc};
use importers::vocab::{
    Contract, Need, Postcode, ProvisionType, RegistrationStatus, Sector, Sexes, Urn,
};
use serde::Deserialize;
use validator::Validate;

use super::{HomeDetail, HomeDetails, HomeInput, Registration};
use crate::web::forms::{FormErrors, FormInput, date_from_parts, optional, optional_number};

#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct HomeForm {
    pub urn: String,
    #[validate(length(min = 1, message = "Enter the home's name"))]
    pub name: String,
    /// Present ("1") when the form has the registration section (admins and
    /// commissioners); providers' forms leave registration as it is.
    pub registration: String,
    pub provision_type: String,
    pub sector: String,
    pub registered_places: String,
    pub registration_status: String,
    pub registration_day: String,
    pub registration_month: String,
    pub registration_year: String,
    pub host_council_id: String,
    pub provider_id: String,
    /// The provider's name as typed (or picked: then `provider_id` is set).
    pub provider_id_name: String,
    pub contract: String,
    pub block_beds: String,
    pub min_age: String,
    pub max_age: String,
    pub sexes: String,
    pub needs: Vec<String>,
    pub short_break_only: String,
    pub locality: String,
    #[validate(length(max = 200, message = "Address line 1 must be 200 characters or fewer"))]
    pub address_line1: String,
    #[validate(length(max = 200, message = "Address line 2 must be 200 characters or fewer"))]
    pub address_line2: String,
    #[validate(length(max = 100, message = "Town must be 100 characters or fewer"))]
    pub town: String,
    #[validate(length(max = 100, message = "County must be 100 characters or fewer"))]
    pub county: String,
    pub postcode: String,
}

impl HomeForm {
    /// A new home: active, spot-purchased, registration section shown.
    pub fn blank() -> Self {
        HomeForm {
            registration: "1".into(),
            registration_status: RegistrationStatus::Active.code().into(),
            contract: Contract::Spot.code().into(),
            ..Default::default()
        }
    }

    pub fn from_detail(d: &HomeDetail, with_registration: bool) -> Self {
        let h = &d.home;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let number = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
        HomeForm {
            urn: h.urn.clone(),
            name: h.name.clone(),
            registration: if with_registration {
                "1".into()
            } else {
                String::new()
            },
            provision_type: h.provision_type.clone(),
            sector: text(&h.sector),
            registered_places: number(h.registered_places),
            registration_status: h.registration_status.clone(),
            registration_day: h
                .registration_date
                .map(|d| d.format("%-d").to_string())
                .unwrap_or_default(),
            registration_month: h
                .registration_date
                .map(|d| d.format("%-m").to_string())
                .unwrap_or_default(),
            registration_year: h
                .registration_date
                .map(|d| d.format("%Y").to_string())
                .unwrap_or_default(),
            host_council_id: h.host_council_id.map(|n| n.to_string()).unwrap_or_default(),
            provider_id: h.provider_id.map(|n| n.to_string()).unwrap_or_default(),
            provider_id_name: d
                .provider
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            contract: d
                .contract
                .as_ref()
                .map(|c| c.contract.clone())
                .unwrap_or_else(|| Contract::Spot.code().into()),
            block_beds: number(d.contract.as_ref().and_then(|c| c.block_beds)),
            min_age: h.min_age.map(|n| n.to_string()).unwrap_or_default(),
            max_age: h.max_age.map(|n| n.to_string()).unwrap_or_default(),
            sexes: text(&h.sexes),
            needs: d.needs.iter().map(|n| n.code().to_string()).collect(),
            short_break_only: if h.short_break_only {
                "yes".into()
            } else {
                String::new()
            },
            locality: text(&h.locality),
            address_line1: text(&h.address_line1),
            address_line2: text(&h.address_line2),
            town: text(&h.town),
            county: text(&h.county),
            postcode: text(&h.postcode),
        }
    }

    pub fn has_need(&self, code: &str) -> bool {
        self.needs.iter().any(|n| n == code)
    }

    pub fn with_registration(&self) -> bool {
        self.registration == "1"
    }

    fn parse_details(&self, errors: &mut FormErrors) -> HomeDetails {
        let age = |errors: &mut FormErrors, field: &str, text: &str, label: &str| {
            let value = optional_number::<i16>(
                errors,
                field,
                text,
                &format!("{label} must be a whole number, like 11"),
            );
            match value {
                Some(a) if !(0..=25).contains(&a) => {
                    errors.add(field, format!("{label} must be between 0 and 25"));
                    None
                }
                other => other,
            }
        };
        let min_age = age(errors, "min_age", &self.min_age, "Youngest age");
        let max_age = age(errors, "max_age", &self.max_age, "Oldest age");
        if let (Some(lo), Some(hi)) = (min_age, max_age)
            && lo > hi
        {
            errors.add(
                "min_age",
                format!("Youngest age ({lo}) must not be more than oldest age ({hi})"),
            );
        }
        let sexes = match self.sexes.trim() {
            "" => None,
            code => Sexes::from_code(code).or_else(|| {
                errors.add("sexes", "Select who the home is registered for");
                None
            }),
        };
        let mut needs = Vec::new();
        for code in &self.needs {
            match Need::from_code(code) {
                Some(n) if !needs.contains(&n) => needs.push(n),
                Some(_) => {}
                None => errors.add("needs", "Select needs from the list"),
            }
        }
        let postcode = match optional(&self.postcode) {
            None => None,
            Some(text) => text
                .parse::<Postcode>()
                .map_err(|_| errors.add("postcode", "Enter a real postcode, like BH1 1AA"))
                .ok(),
        };
        HomeDetails {
            name: self.name.trim().to_string(),
            min_age,
            max_age,
            sexes,
            needs,
            short_break_only: !self.short_break_only.is_empty(),
            locality: optional(&self.locality),
            address_line1: optional(&self.address_line1),
            address_line2: optional(&self.address_line2),
            town: optional(&self.town),
            county: optional(&self.county),
            postcode,
        }
    }

    fn parse_registration(&self, errors: &mut FormErrors) -> Option<Registration> {
        let provision_type = ProvisionType::from_code(self.provision_type.trim());
        if provision_type.is_none() {
            errors.add("provision_type", "Select the provision type");
        }
        let sector = match self.sector.trim() {
            "" => None,
            code => Sector::from_code(code).or_else(|| {
                errors.add("sector", "Select a sector from the list");
                None
            }),
        };
        let registered_places = optional_number::<i32>(
            errors,
            "registered_places",
            &self.registered_places,
            "Registered places must be a whole number, like 4",
        );
        if registered_places.is_some_and(|p| !(0..=500).contains(&p)) {
            errors.add(
                "registered_places",
                "Registered places must be between 0 and 500",
            );
        }
        let registration_status = RegistrationStatus::from_code(self.registration_status.trim());
        if registration_status.is_none() {
            errors.add("registration_status", "Select the registration status");
        }
        let registration_date = self.parse_date(errors);
        let host_council_id = optional_number::<i64>(
            errors,
            "host_council_id",
            &self.host_council_id,
            "Select a council from the list",
        );
        let provider =
            crate::organisations::pick::Pick::from_form(&self.provider_id, &self.provider_id_name);
        let contract = Contract::from_code(self.contract.trim()).unwrap_or(Contract::Spot);
        let block_beds = optional_number::<i32>(
            errors,
            "block_beds",
            &self.block_beds,
            "Block beds must be a whole number, like 2",
        );
        match (contract, block_beds, registered_places) {
            (Contract::Block, None, _) => errors.add(
                "block_beds",
                "Enter how many beds the council's block contract covers",
            ),
            (_, Some(b), _) if b < 0 => errors.add("block_beds", "Block beds must be 0 or more"),
            (_, Some(b), Some(p)) if b > p => errors.add(
                "block_beds",
                format!("Block beds ({b}) must not be more than registered places ({p})"),
            ),
            _ => {}
        }
        Some(Registration {
            provision_type: provision_type?,
            sector,
            registered_places,
            registration_status: registration_status?,
            registration_date,
            host_council_id,
            provider,
            contract,
            block_beds: if contract == Contract::Block {
                block_beds
            } else {
                block_beds.filter(|b| *b > 0)
            },
        })
    }

    /// GOV.UK date input: day, month and year in separate boxes.
    fn parse_date(&self, errors: &mut FormErrors) -> Option<NaiveDate> {
        let date = date_from_parts(
            errors,
            "registration_day",
            "Registration date",
            [
                &self.registration_day,
                &self.registration_month,
                &self.registration_year,
            ],
            false,
        )?;
        if date > Utc::now().date_naive() {
            errors.add(
                "registration_day",
                "Registration date must be today or in the past",
            );
            return None;
        }
        Some(date)
    }
}

impl FormInput for HomeForm {
    type Parsed = HomeInput;
    const FIELDS: &'static [&'static str] = &[
        "urn",
        "name",
        "provision_type",
        "sector",
        "registered_places",
        "registration_status",
        "registration_day",
        "host_council_id",
        "provider_id",
        "provider_id_name",
        "contract",
        "block_beds",
        "min_age",
        "max_age",
        "sexes",
        "needs",
        "locality",
        "address_line1",
        "address_line2",
        "town",
        "county",
        "postcode",
    ];

    fn parse(&self) -> Result<HomeInput, FormErrors> {
        let mut errors = FormErrors::default();
        if self.name.trim().chars().count() > 200 {
            errors.add("name", "Name must be 200 characters or fewer");
        }
        let urn = match optional(&self.urn) {
            None => None,
            Some(text) => text
                .parse::<Urn>()
                .map_err(|e| errors.add("urn", e.to_string()))
                .ok(),
        };
        let details = self.parse_details(&mut errors);
        let registration = if self.with_registration() {
            self.parse_registration(&mut errors)
        } else {
            None
        };
        errors.into_result(HomeInput {
            urn,
            details,
            registration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> HomeForm {
        HomeForm {
            urn: "SC123456".into(),
            name: "Oak House".into(),
            provision_type: "childrens_home".into(),
            registered_places: "4".into(),
            ..HomeForm::blank()
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let input = valid().parse().unwrap();
        assert_eq!(input.urn.unwrap().as_str(), "SC123456");
        assert_eq!(input.registration.unwrap().registered_places, Some(4));
    }

    #[test]
    fn each_rule_has_a_message() {
        let form = HomeForm {
            urn: "12".into(),
            min_age: "16".into(),
            max_age: "11".into(),
            contract: "block".into(),
            postcode: "nowhere".into(),
            registration_day: "31".into(),
            registration_month: "2".into(),
            registration_year: "2020".into(),
            needs: vec!["flying".into()],
            ..valid()
        };
        let errors = form.parse().unwrap_err();
        for field in [
            "urn",
            "min_age",
            "block_beds",
            "postcode",
            "registration_day",
            "needs",
        ] {
            assert!(
                errors.get(field).is_some(),
                "no error for {field}: {errors:?}"
            );
        }
    }

    #[test]
    fn block_beds_cannot_exceed_places() {
        let form = HomeForm {
            contract: "block".into(),
            block_beds: "5".into(),
            ..valid()
        };
        assert_eq!(
            form.parse().unwrap_err().get("block_beds"),
            Some("Block beds (5) must not be more than registered places (4)")
        );
    }

    #[test]
    fn without_the_registration_section_registration_is_left_alone() {
        let form = HomeForm {
            registration: String::new(),
            provision_type: String::new(),
            ..valid()
        };
        assert_eq!(form.parse().unwrap().registration, None);
    }
}
