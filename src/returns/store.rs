//! Reading returns: a home's current return for a week, its history and
//! versions. Filing is `filing`'s.

use std::collections::HashMap;

use importers::vocab::{IsoWeek, Need, Pence, Sexes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::rules::Problem;
use super::{HomeFacts, ReturnInput, Unavailable, VacancyInput};
use crate::db::entities::{home_needs, homes, return_vacancies, returns};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

/// A filed return with its vacancies.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnView {
    pub ret: returns::Model,
    pub vacancies: Vec<return_vacancies::Model>,
}

impl ReturnView {
    pub fn week(&self) -> IsoWeek {
        IsoWeek::containing(self.ret.week_start)
    }

    pub fn unavailable_total(&self) -> i32 {
        let r = &self.ret;
        r.unavailable_staffing
            + r.unavailable_works
            + r.unavailable_matching
            + r.unavailable_registration
            + r.unavailable_other
    }

    /// The return as input again: to pre-fill a form or copy it forward.
    pub fn to_input(&self) -> ReturnInput {
        let r = &self.ret;
        let n = |v: i32| v.max(0) as u32;
        ReturnInput {
            capacity: r.capacity.map(n),
            occupied_ours: n(r.occupied_ours),
            occupied_other: n(r.occupied_other),
            unavailable: Unavailable {
                staffing: n(r.unavailable_staffing),
                works: n(r.unavailable_works),
                matching: n(r.unavailable_matching),
                registration: n(r.unavailable_registration),
                other: n(r.unavailable_other),
                other_reason: r.unavailable_other_reason.clone(),
            },
            vacancies: self
                .vacancies
                .iter()
                .map(|v| VacancyInput {
                    beds: n(v.beds),
                    available_from: v.available_from,
                    min_age: v.min_age.clamp(0, 25) as u8,
                    max_age: v.max_age.clamp(0, 25) as u8,
                    sexes: Sexes::from_code(&v.sexes).unwrap_or(Sexes::Mixed),
                    needs: Need::from_mask(v.needs_mask),
                    emergency: v.emergency,
                    solo_only: v.solo_only,
                    weekly_fee: v.weekly_fee_pence.map(Pence),
                    note: v.note.clone(),
                })
                .collect(),
            note: r.note.clone(),
        }
    }
}

pub async fn home_by_urn(conn: &impl ConnectionTrait, urn: &str) -> Result<homes::Model> {
    homes::Entity::find()
        .filter(homes::Column::Urn.eq(urn.trim().to_ascii_uppercase()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn facts(conn: &impl ConnectionTrait, home: &homes::Model) -> Result<HomeFacts> {
    let needs = home_needs::Entity::find()
        .filter(home_needs::Column::HomeId.eq(home.id))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|n| Need::from_code(&n.need))
        .collect();
    Ok(HomeFacts::of(home, needs))
}

/// Homes named by URN with their facts, in a few queries however many
/// URNs a spreadsheet names. URNs that match no home are absent.
pub async fn facts_by_urn(
    conn: &impl ConnectionTrait,
    urns: &[&str],
) -> Result<HashMap<String, (homes::Model, HomeFacts)>> {
    // Keeps each IN list well under SQLite's and PostgreSQL's bind limits.
    const CHUNK: usize = 500;
    let mut homes_found = Vec::new();
    for chunk in urns.chunks(CHUNK) {
        homes_found.extend(
            homes::Entity::find()
                .filter(homes::Column::Urn.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    let mut needs: HashMap<i64, Vec<Need>> = HashMap::new();
    for chunk in homes_found.chunks(CHUNK) {
        let rows = home_needs::Entity::find()
            .filter(home_needs::Column::HomeId.is_in(chunk.iter().map(|h| h.id)))
            .all(conn)
            .await?;
        for row in rows {
            if let Some(need) = Need::from_code(&row.need) {
                needs.entry(row.home_id).or_default().push(need);
            }
        }
    }
    Ok(homes_found
        .into_iter()
        .map(|home| {
            let facts = HomeFacts::of(&home, needs.remove(&home.id).unwrap_or_default());
            (home.urn.clone(), (home, facts))
        })
        .collect())
}

/// Of these homes, those where our council's children live according to
/// their latest return of the last four weeks.
pub async fn homes_with_our_children(
    conn: &impl ConnectionTrait,
    home_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let since = super::this_week().plus(-3).monday();
    let mut latest: HashMap<i64, (chrono::NaiveDate, i32)> = HashMap::new();
    for chunk in home_ids.chunks(500) {
        let rows: Vec<(i64, chrono::NaiveDate, i32)> = returns::Entity::find()
            .select_only()
            .columns([
                returns::Column::HomeId,
                returns::Column::WeekStart,
                returns::Column::OccupiedOurs,
            ])
            .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(returns::Column::IsCurrent.eq(true))
            .filter(returns::Column::WeekStart.gte(since))
            .into_tuple()
            .all(conn)
            .await?;
        for (home, week, ours) in rows {
            let entry = latest.entry(home).or_insert((week, ours));
            if week > entry.0 {
                *entry = (week, ours);
            }
        }
    }
    Ok(latest
        .into_iter()
        .filter(|(_, (_, ours))| *ours > 0)
        .map(|(home, _)| home)
        .collect())
}

/// A return with its vacancies.
pub async fn with_vacancies(
    conn: &impl ConnectionTrait,
    ret: returns::Model,
) -> Result<ReturnView> {
    let vacancies = return_vacancies::Entity::find()
        .filter(return_vacancies::Column::ReturnId.eq(ret.id))
        .order_by_asc(return_vacancies::Column::Id)
        .all(conn)
        .await?;
    Ok(ReturnView { ret, vacancies })
}

/// The current return of a home for a week.
pub async fn current(
    conn: &impl ConnectionTrait,
    home_id: i64,
    week: IsoWeek,
) -> Result<Option<ReturnView>> {
    let found = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        .filter(returns::Column::WeekStart.eq(week.monday()))
        .filter(returns::Column::IsCurrent.eq(true))
        .one(conn)
        .await?;
    match found {
        Some(ret) => Ok(Some(with_vacancies(conn, ret).await?)),
        None => Ok(None),
    }
}

/// The most recent current return of an earlier week.
pub async fn latest_before(
    conn: &impl ConnectionTrait,
    home_id: i64,
    week: IsoWeek,
) -> Result<Option<ReturnView>> {
    let found = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        .filter(returns::Column::WeekStart.lt(week.monday()))
        .filter(returns::Column::IsCurrent.eq(true))
        .order_by_desc(returns::Column::WeekStart)
        .one(conn)
        .await?;
    match found {
        Some(ret) => Ok(Some(with_vacancies(conn, ret).await?)),
        None => Ok(None),
    }
}

/// Current returns of a home for a run of weeks, oldest first.
pub async fn weeks(
    conn: &impl ConnectionTrait,
    home_id: i64,
    from: IsoWeek,
    to: IsoWeek,
) -> Result<Vec<returns::Model>> {
    Ok(returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        .filter(returns::Column::IsCurrent.eq(true))
        .filter(returns::Column::WeekStart.between(from.monday(), to.monday()))
        .order_by_asc(returns::Column::WeekStart)
        .all(conn)
        .await?)
}

/// Every version of every week, newest first.
pub async fn versions(
    conn: &impl ConnectionTrait,
    home_id: i64,
    limit: u64,
) -> Result<Vec<returns::Model>> {
    Ok(returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        .order_by_desc(returns::Column::WeekStart)
        .order_by_desc(returns::Column::Version)
        .limit(limit)
        .all(conn)
        .await?)
}

/// A home's returns for weeks `from` to `to`, newest week first: the
/// current return of each week, or with `every_version` every version
/// (newest first within a week). Two queries whatever the number.
pub async fn listed(
    conn: &impl ConnectionTrait,
    home_id: i64,
    from: IsoWeek,
    to: IsoWeek,
    every_version: bool,
) -> Result<Vec<ReturnView>> {
    let mut query = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        .filter(returns::Column::WeekStart.between(from.monday(), to.monday()))
        .order_by_desc(returns::Column::WeekStart)
        .order_by_desc(returns::Column::Version);
    if !every_version {
        query = query.filter(returns::Column::IsCurrent.eq(true));
    }
    let found = query.all(conn).await?;
    let mut vacancies: HashMap<i64, Vec<return_vacancies::Model>> = HashMap::new();
    for vacancy in return_vacancies::Entity::find()
        .filter(return_vacancies::Column::ReturnId.is_in(found.iter().map(|r| r.id)))
        .order_by_asc(return_vacancies::Column::Id)
        .all(conn)
        .await?
    {
        vacancies
            .entry(vacancy.return_id)
            .or_default()
            .push(vacancy);
    }
    Ok(found
        .into_iter()
        .map(|ret| ReturnView {
            vacancies: vacancies.remove(&ret.id).unwrap_or_default(),
            ret,
        })
        .collect())
}

/// Problems keyed by form field, for a form page.
pub fn form_errors(problems: &[Problem]) -> FormErrors {
    let mut errors = FormErrors::default();
    for p in problems {
        errors.add(p.field.form_id(p.vacancy), p.message.clone());
    }
    errors
}
