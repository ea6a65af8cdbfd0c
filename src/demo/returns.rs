//! Twelve weeks of plausible returns for the demo: most homes file on time,
//! some late, a few not at all; some amend; some beds cannot take a child.
//! Every return goes through the same rules and filing path as a real one.
//! The homes' statement-of-purpose details (ages, sexes, needs) that Ofsted
//! does not publish are made up here too, so vacancies have something to fit.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use importers::vocab::{IsoWeek, Need, Pence, ProvisionType, RegistrationStatus, Sexes};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::fnv;
use crate::app::StartError;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{home_needs, homes};
use crate::returns::filing::{self, Filing};
use crate::returns::store;
use crate::returns::{Occupancy, ReturnInput, Source, Unavailable, VacancyInput, this_week};

/// A small deterministic random source, seeded per home and week.
struct Dice(u64);

impl Dice {
    fn new(seed: &str) -> Self {
        Dice(fnv(seed) | 1)
    }
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.roll(100) < percent
    }
}

fn provider_staff(home: &homes::Model) -> Viewer {
    // Shown as who filed; the demo builder acts with admin rights.
    Viewer {
        email: format!("returns@provider-{}.example", home.provider_id.unwrap_or(0)),
        ..Viewer::system("demo builder")
    }
}

/// Ages, sexes and needs for the homes Ofsted gives none for.
async fn describe_homes(db: &DatabaseConnection, homes: &[homes::Model]) -> Result<(), StartError> {
    let txn = crate::db::begin_write(db).await?;
    for home in homes.iter().filter(|h| h.min_age.is_none()) {
        let mut dice = Dice::new(&format!("home:{}", home.urn));
        let (min, max) = [(8, 17), (11, 17), (12, 18), (10, 16)][dice.roll(4) as usize];
        let sexes = match dice.roll(10) {
            0..=6 => Sexes::Mixed,
            7 | 8 => Sexes::Female,
            _ => Sexes::Male,
        };
        let mut model = home.clone().into_active_model();
        model.min_age = Set(Some(min));
        model.max_age = Set(Some(max));
        model.sexes = Set(Some(sexes.code().to_string()));
        model.update(&txn).await?;
        let count = 1 + dice.roll(3) as usize;
        let first = dice.roll(Need::ALL.len() as u64) as usize;
        for k in 0..count {
            let need = Need::ALL[(first + k * 2) % Need::ALL.len()];
            home_needs::ActiveModel {
                home_id: Set(home.id),
                need: Set(need.code().to_string()),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Figures that add up, for one home and week.
/// Beds go to the home's own council (when a member) about half the time,
/// to another member now and then, and otherwise to councils outside.
fn plausible(
    facts: &crate::returns::HomeFacts,
    week: IsoWeek,
    dice: &mut Dice,
    host: Option<i64>,
    members: &[i64],
) -> ReturnInput {
    let places = facts.places.unwrap_or(4 + dice.roll(8) as u32);
    let vacant = match dice.roll(10) {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    }
    .min(places);
    let occupied_beds = places - vacant;
    let mut occupied = Occupancy::default();
    for _ in 0..occupied_beds {
        let council = match host {
            Some(h) if dice.chance(45) => Some(h),
            _ if !members.is_empty() && dice.chance(20) => {
                Some(members[dice.roll(members.len() as u64) as usize])
            }
            _ => None,
        };
        match council {
            Some(c) => {
                let beds = occupied.of(c);
                occupied.set(c, beds + 1);
            }
            None => occupied.outside_region += 1,
        }
    }
    let mut unavailable = Unavailable::default();
    let mut free = vacant;
    if free > 0 && dice.chance(25) {
        match dice.roll(3) {
            0 => unavailable.staffing = 1,
            1 => unavailable.works = 1,
            _ => unavailable.matching = 1,
        }
        free -= 1;
    }
    let fostering = facts.states_capacity();
    let vacancies = if free == 0 {
        Vec::new()
    } else {
        vec![VacancyInput {
            beds: free,
            available_from: week.monday() + Duration::days(dice.roll(10) as i64),
            min_age: facts.min_age.unwrap_or(11),
            max_age: facts.max_age.unwrap_or(17),
            sexes: facts.sexes.unwrap_or(Sexes::Mixed),
            needs: facts.needs.clone(),
            emergency: dice.chance(40),
            solo_only: dice.chance(15),
            weekly_fee: Some(Pence(
                if fostering {
                    750 + dice.roll(450) as i64
                } else {
                    4_000 + dice.roll(3_500) as i64
                } * 100,
            )),
            note: None,
        }]
    };
    ReturnInput {
        capacity: fostering.then_some(places),
        occupied,
        unavailable,
        vacancies,
        note: None,
    }
}

pub async fn generate(db: &DatabaseConnection, settings: &Settings) -> Result<usize, StartError> {
    let members: Vec<i64> = crate::regions::members(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let open = RegistrationStatus::open_codes();
    let types: Vec<&str> = [
        ProvisionType::ChildrensHome,
        ProvisionType::SecureChildrensHome,
        ProvisionType::ResidentialSpecialSchoolChildrensHome,
        ProvisionType::IndependentFosteringAgency,
        ProvisionType::SupportedAccommodation,
    ]
    .iter()
    .map(|t| t.code())
    .collect();
    let query = || {
        homes::Entity::find()
            .filter(homes::Column::RegistrationStatus.is_in(open.clone()))
            .filter(homes::Column::ProvisionType.is_in(types.clone()))
    };
    describe_homes(db, &query().all(db).await?).await?;
    let all = query().all(db).await?;
    let now = Utc::now();
    let now_week = this_week();
    let txn = crate::db::begin_write(db).await?;
    let mut filed = 0;
    for home in &all {
        let viewer = provider_staff(home);
        let facts = store::facts(&txn, home).await?;
        let host = home.host_council_id.filter(|h| members.contains(h));
        for back in (0..12).rev() {
            let week = now_week.plus(-back);
            let mut dice = Dice::new(&format!("{}:{week}", home.urn));
            // Some weeks go unfiled; this week, many have not filed yet.
            if dice.chance(if back == 0 { 45 } else { 7 }) {
                continue;
            }
            let due = settings.returns.due(week);
            let late = dice.chance(12);
            let at = if late {
                due + Duration::hours(20 + dice.roll(60) as i64)
            } else {
                let monday = week
                    .monday()
                    .and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
                chrono_tz::Europe::London
                    .from_local_datetime(&monday)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now)
                    + Duration::minutes(dice.roll(26 * 60) as i64)
            };
            if at > now {
                continue;
            }
            let filing = |source| Filing {
                at: Some(at),
                ..Filing::new(source)
            };
            if back < 11
                && dice.chance(30)
                && let filing::NoChange::Filed(_) = filing::no_change(
                    &txn,
                    &viewer,
                    home,
                    week,
                    filing(Source::NoChange),
                    settings,
                )
                .await
                .map_err(|e| StartError::Other(e.to_string()))?
            {
                filed += 1;
                continue;
            }
            let input = plausible(&facts, week, &mut dice, host, &members);
            filing::file(
                &txn,
                &viewer,
                home,
                week,
                &input,
                filing(Source::Demo),
                settings,
            )
            .await
            .map_err(|e| StartError::Other(format!("{}: {e:?}", home.urn)))?;
            filed += 1;
            // Now and then a provider corrects a figure the next day.
            let later = at + Duration::days(1);
            if dice.chance(5) && later < now {
                let mut amended = input.clone();
                if let Some(v) = amended.vacancies.first_mut().filter(|v| v.beds > 1) {
                    v.beds -= 1;
                    amended.occupied.outside_region += 1;
                } else {
                    amended.note = Some("Corrected: placement confirmed for next week.".into());
                }
                filing::file(
                    &txn,
                    &viewer,
                    home,
                    week,
                    &amended,
                    Filing {
                        at: Some(later),
                        ..Filing::new(Source::Demo)
                    },
                    settings,
                )
                .await
                .map_err(|e| StartError::Other(format!("{}: {e:?}", home.urn)))?;
            }
        }
    }
    txn.commit().await?;
    Ok(filed)
}
