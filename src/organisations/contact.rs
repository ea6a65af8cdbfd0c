//! Someone to ask about a bed. Each organisation has a placements contact
//! (name, phone, email); a home may have its own, which then replaces the
//! organisation's for that home. Providers keep their own up to date;
//! council staff can correct any. Search results, their exports, the
//! vacancy digest and the API show the contact of each home.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{homes, organisations};
use crate::error::{Error, Result};
use crate::web::forms::{FormErrors, FormInput, optional};

/// Who to ask about a home's vacancies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contact {
    pub fn of_organisation(o: &organisations::Model) -> Self {
        Contact {
            name: o.contact_name.clone(),
            phone: o.contact_phone.clone(),
            email: o.contact_email.clone(),
        }
    }

    /// The home's own contact, if it has one.
    pub fn of_home(h: &homes::Model) -> Self {
        Contact {
            name: h.contact_name.clone(),
            phone: h.contact_phone.clone(),
            email: h.contact_email.clone(),
        }
    }

    /// The contact for a home: its own, else its provider's.
    pub fn for_home(home: &homes::Model, provider: Option<&organisations::Model>) -> Self {
        let own = Contact::of_home(home);
        if !own.is_empty() {
            return own;
        }
        provider.map(Contact::of_organisation).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }

    /// "Jo Bloggs, 01632 960123, jo@example.org", for exports and emails.
    pub fn summary(&self) -> String {
        [&self.name, &self.phone, &self.email]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `tel:` link for the phone number.
    pub fn tel_href(&self) -> Option<String> {
        self.phone.as_ref().map(|p| {
            let digits: String = p
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            format!("tel:{digits}")
        })
    }
}

/// The contact form, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct ContactForm {
    #[validate(length(max = 100, message = "Name must be 100 characters or fewer"))]
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

impl ContactForm {
    pub fn from_contact(c: &Contact) -> Self {
        ContactForm {
            contact_name: c.name.clone().unwrap_or_default(),
            contact_phone: c.phone.clone().unwrap_or_default(),
            contact_email: c.email.clone().unwrap_or_default(),
        }
    }
}

impl FormInput for ContactForm {
    type Parsed = Contact;
    const FIELDS: &'static [&'static str] = &["contact_name", "contact_phone", "contact_email"];

    fn parse(&self) -> std::result::Result<Contact, FormErrors> {
        let mut errors = FormErrors::default();
        let phone = optional(&self.contact_phone);
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c));
            if !allowed || !(10..=15).contains(&digits) {
                errors.add(
                    "contact_phone",
                    "Enter a telephone number, like 01632 960 001 or +44 1632 960 001",
                );
            }
        }
        let email = optional(&self.contact_email);
        if let Some(e) = &email
            && !validator::ValidateEmail::validate_email(e)
        {
            errors.add(
                "contact_email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        errors.into_result(Contact {
            name: optional(&self.contact_name),
            phone,
            email,
        })
    }
}

/// Sets an organisation's placements contact. The route's policy admits
/// council staff and the organisation's own users.
pub async fn set_for_organisation(
    db: &DatabaseConnection,
    viewer: &Viewer,
    org: &organisations::Model,
    contact: Contact,
) -> Result<organisations::Model> {
    if !viewer.is_council() && !viewer.belongs_to(Some(org.id)) {
        return Err(Error::Forbidden);
    }
    let txn = crate::db::begin_write(db).await?;
    let conn = &txn;
    let mut model = org.clone().into_active_model();
    model.contact_name = Set(contact.name);
    model.contact_phone = Set(contact.phone);
    model.contact_email = Set(contact.email);
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit::record(
        conn,
        viewer,
        Change::updated(
            "organisation",
            org.id,
            serde_json::to_value(Contact::of_organisation(org)).map_err(Error::internal)?,
            serde_json::to_value(Contact::of_organisation(&updated)).map_err(Error::internal)?,
        )
        .summary(format!("Placements contact of {} changed", org.name)),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Sets a home's own placements contact; an empty one means "the
/// organisation's". The route's policy admits council staff and the
/// home's provider.
pub async fn set_for_home(
    db: &DatabaseConnection,
    viewer: &Viewer,
    home: &homes::Model,
    contact: Contact,
) -> Result<homes::Model> {
    if !viewer.is_council() && !viewer.belongs_to(home.provider_id) {
        return Err(Error::Forbidden);
    }
    let txn = crate::db::begin_write(db).await?;
    let conn = &txn;
    let mut model = home.clone().into_active_model();
    model.contact_name = Set(contact.name);
    model.contact_phone = Set(contact.phone);
    model.contact_email = Set(contact.email);
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit::record(
        conn,
        viewer,
        Change::updated(
            "home",
            &home.urn,
            serde_json::to_value(Contact::of_home(home)).map_err(Error::internal)?,
            serde_json::to_value(Contact::of_home(&updated)).map_err(Error::internal)?,
        )
        .summary(format!(
            "Placements contact of {} ({}) changed",
            home.name, home.urn
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(phone: &str, email: &str) -> ContactForm {
        ContactForm {
            contact_name: "Placements team".into(),
            contact_phone: phone.into(),
            contact_email: email.into(),
        }
    }

    #[test]
    fn phones_and_emails_are_checked() {
        assert!(form("01632 960 001", "team@example.org").parse().is_ok());
        assert!(form("+44 (0)1632 960001", "").parse().is_ok());
        assert!(form("call us", "").parse().is_err());
        assert!(form("123", "").parse().is_err());
        assert!(form("", "not an email").parse().is_err());
        assert_eq!(form("", "").parse().unwrap().phone, None);
    }

    #[test]
    fn a_contact_reads_as_one_line() {
        let c = form("01632 960 001", "team@example.org").parse().unwrap();
        assert_eq!(
            c.summary(),
            "Placements team, 01632 960 001, team@example.org"
        );
        assert_eq!(c.tel_href().as_deref(), Some("tel:01632960001"));
    }
}
