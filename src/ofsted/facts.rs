//! What an Ofsted file says about one home, applied group by group. Each
//! group of facts (registration, owner, name, address, the other details)
//! remembers the date of the file it came from, and changes only when the
//! file is at least as new: so files imported in any order end in the same
//! home. A fact the file does not state (a withheld name, a column the
//! layout lacks) changes nothing.

use chrono::NaiveDate;
use importers::ofsted::{Says, Setting};
use importers::vocab::RegistrationStatus;
use sea_orm::ActiveValue::Set;

use crate::db::entities::homes;

/// What applying a file's row did to a home.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Applied {
    /// A value changed (not only the date a group was last stated).
    pub changed: bool,
    /// Groups the file stated otherwise but left alone, being older.
    pub kept_older: usize,
    /// The owner the row moved the home from and to.
    pub owner_moved: Option<(Option<i64>, i64)>,
}

/// One row's facts, resolved against the database's organisations.
pub(super) struct Stated<'a> {
    pub setting: &'a Setting,
    pub says: Says,
    pub as_at: NaiveDate,
    pub council_id: Option<i64>,
    pub provider_id: Option<i64>,
}

impl Stated<'_> {
    /// The registration status a new home gets when the file does not say.
    fn status(&self) -> Option<RegistrationStatus> {
        self.setting.registration_status
    }

    fn ended_on(&self, before: Option<NaiveDate>) -> Option<Option<NaiveDate>> {
        let status = self.status()?;
        Some(if status.is_open() {
            None
        } else {
            self.setting.registration_ended.or(before)
        })
    }
}

/// Sets on `m` what the row states and is not older than the home's facts.
pub(super) fn apply(m: &mut homes::ActiveModel, h: &homes::Model, row: &Stated<'_>) -> Applied {
    let mut applied = Applied::default();
    let s = row.setting;
    let says = row.says;
    let newer = |source: Option<NaiveDate>| source.is_none_or(|d| row.as_at >= d);

    // One group: if its values differ from the home's and the file is new
    // enough, set them; either way a new enough file dates the group.
    // Evaluates to whether a value changed.
    macro_rules! group {
        ($as_at:ident, [$(($field:ident, $value:expr)),+ $(,)?]) => {{
            $(let $field = $value;)+
            let differs = false $(|| h.$field != $field)+;
            if newer(h.$as_at) {
                $(if h.$field != $field {
                    m.$field = Set($field);
                })+
                if h.$as_at != Some(row.as_at) {
                    m.$as_at = Set(Some(row.as_at));
                }
                applied.changed |= differs;
                differs
            } else {
                applied.kept_older += usize::from(differs);
                false
            }
        }};
    }

    group!(
        details_as_at,
        [
            (provision_type, s.provision_type.code().to_string()),
            (
                sector,
                if says.sector {
                    s.sector.map(|x| x.code().to_string())
                } else {
                    h.sector.clone()
                }
            ),
            (
                registered_places,
                if says.places {
                    s.places.map(|p| p as i32)
                } else {
                    h.registered_places
                }
            ),
            (
                short_break_only,
                if says.short_break_only {
                    s.short_break_only
                } else {
                    h.short_break_only
                }
            ),
            (
                multi_building,
                if says.multi_building {
                    s.multi_building
                } else {
                    h.multi_building
                }
            ),
            (host_council_id, row.council_id.or(h.host_council_id)),
        ]
    );
    if let Some(status) = row.status() {
        let ended = row.ended_on(h.registration_ended_on).flatten();
        group!(
            status_as_at,
            [
                (registration_status, status.code().to_string()),
                (
                    registration_date,
                    s.registration_date.or(h.registration_date)
                ),
                (registration_ended_on, ended),
            ]
        );
    }
    if let Some(provider_id) = row.provider_id {
        let before = h.provider_id;
        if group!(owner_as_at, [(provider_id, Some(provider_id))]) {
            applied.owner_moved = Some((before, provider_id));
        }
    }
    if let Some(name) = &s.name {
        group!(name_as_at, [(name, name.clone())]);
    }
    let a = &s.address;
    if a.line1.is_some() || a.postcode.is_some() {
        let postcode = a.postcode.as_ref().map(|p| p.to_string());
        let moved = h.postcode != postcode;
        if group!(
            address_as_at,
            [
                (address_line1, a.line1.clone()),
                (address_line2, a.line2.clone()),
                (town, a.town.clone()),
                (county, a.county.clone()),
                (postcode, postcode.clone()),
            ]
        ) && moved
        {
            // Placed again from the postcode table after the import.
            m.latitude = Set(None);
            m.longitude = Set(None);
        }
    }
    applied
}

/// The dates of the groups a new home's row states.
pub(super) fn dates_of_new(m: &mut homes::ActiveModel, row: &Stated<'_>) {
    let s = row.setting;
    let at = Some(row.as_at);
    m.details_as_at = Set(at);
    m.status_as_at = Set(row.status().and(at));
    m.registration_ended_on = Set(row.ended_on(None).flatten());
    m.owner_as_at = Set(row.provider_id.and(at));
    m.name_as_at = Set(s.name.as_ref().and(at));
    m.address_as_at =
        Set((s.address.line1.is_some() || s.address.postcode.is_some()).then_some(row.as_at));
}

#[cfg(test)]
mod tests {
    use super::*;
    use importers::ofsted::Address;
    use importers::vocab::{ProvisionType, Urn};
    use sea_orm::{ActiveModelTrait, IntoActiveModel, TryIntoModel};

    fn setting(status: RegistrationStatus, name: Option<&str>) -> Setting {
        Setting {
            row: 5,
            urn: "SC100001".parse::<Urn>().unwrap(),
            provision_type: ProvisionType::ChildrensHome,
            registration_date: None,
            registration_status: Some(status),
            registration_ended: None,
            movement: None,
            name: name.map(String::from),
            address: Address::default(),
            local_authority: "Dorset".into(),
            sector: None,
            places: Some(3),
            short_break_only: false,
            multi_building: false,
            owner: None,
            inspection: None,
            previous_inspection: None,
        }
    }

    fn home() -> homes::Model {
        let now = chrono::Utc::now().fixed_offset();
        homes::Model {
            id: 1,
            urn: "SC100001".into(),
            name: "Alder House".into(),
            provision_type: "childrens_home".into(),
            sector: None,
            registered_places: Some(3),
            min_age: None,
            max_age: None,
            sexes: None,
            short_break_only: false,
            multi_building: false,
            registration_status: "active".into(),
            registration_date: None,
            host_council_id: Some(1),
            locality: None,
            address_line1: None,
            address_line2: None,
            town: None,
            county: None,
            postcode: None,
            latitude: None,
            longitude: None,
            provider_id: Some(7),
            created_at: now,
            updated_at: now,
            status_as_at: NaiveDate::from_ymd_opt(2025, 3, 31),
            owner_as_at: NaiveDate::from_ymd_opt(2025, 3, 31),
            name_as_at: NaiveDate::from_ymd_opt(2025, 3, 31),
            address_as_at: None,
            details_as_at: NaiveDate::from_ymd_opt(2025, 3, 31),
            registration_ended_on: None,
            contact_name: None,
            contact_phone: None,
            contact_email: None,
        }
    }

    fn stated(s: &Setting, year: i32, provider_id: Option<i64>) -> Stated<'_> {
        Stated {
            setting: s,
            says: Says {
                places: true,
                ..Says::default()
            },
            as_at: NaiveDate::from_ymd_opt(year, 3, 31).unwrap(),
            council_id: Some(1),
            provider_id,
        }
    }

    #[test]
    fn an_older_file_changes_nothing_and_says_what_it_kept() {
        let h = home();
        let s = setting(RegistrationStatus::Closed, Some("Old name"));
        let mut m = h.clone().into_active_model();
        let applied = apply(&mut m, &h, &stated(&s, 2023, Some(9)));
        assert!(!applied.changed);
        assert_eq!(applied.kept_older, 3, "status, owner and name");
        assert_eq!(applied.owner_moved, None);
        assert!(!m.is_changed());
    }

    #[test]
    fn a_newer_file_changes_each_group_it_states_and_dates_it() {
        let h = home();
        let mut s = setting(RegistrationStatus::Resigned, None);
        s.registration_ended = NaiveDate::from_ymd_opt(2025, 10, 17);
        let mut m = h.clone().into_active_model();
        let applied = apply(&mut m, &h, &stated(&s, 2026, Some(9)));
        assert!(applied.changed);
        assert_eq!(applied.owner_moved, Some((Some(7), 9)));
        let after = m.try_into_model().unwrap();
        assert_eq!(after.registration_status, "resigned");
        assert_eq!(
            after.registration_ended_on,
            NaiveDate::from_ymd_opt(2025, 10, 17)
        );
        assert_eq!(after.status_as_at, NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(after.owner_as_at, NaiveDate::from_ymd_opt(2026, 3, 31));
        // A withheld name is no fact: the name and its date stay.
        assert_eq!(after.name, "Alder House");
        assert_eq!(after.name_as_at, NaiveDate::from_ymd_opt(2025, 3, 31));
    }

    #[test]
    fn a_newer_file_stating_the_same_moves_only_the_date() {
        let h = home();
        let s = setting(RegistrationStatus::Active, Some("Alder House"));
        let mut m = h.clone().into_active_model();
        let applied = apply(&mut m, &h, &stated(&s, 2026, Some(7)));
        assert_eq!(applied, Applied::default());
        let after = m.try_into_model().unwrap();
        assert_eq!(after.name_as_at, NaiveDate::from_ymd_opt(2026, 3, 31));
    }
}
