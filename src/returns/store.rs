//! Reading returns: a home's current return for a week, its history and
//! versions. Filing is `filing`'s.

use std::collections::{HashMap, HashSet};

use importers::vocab::{IsoWeek, Need, Pence, Sexes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::rules::Problem;
use super::{HomeFacts, Occupancy, ReturnInput, Unavailable, VacancyInput};
use crate::db::entities::{home_needs, homes, return_placements, return_vacancies, returns};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

/// A filed return with its vacancies.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnView {
    pub ret: returns::Model,
    pub vacancies: Vec<return_vacancies::Model>,
    /// Beds occupied by each member council's children.
    pub placements: Vec<return_placements::Model>,
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

    pub fn occupancy(&self) -> Occupancy {
        Occupancy {
            by_member: self
                .placements
                .iter()
                .map(|p| (p.council_id, p.beds.max(0) as u32))
                .collect(),
            outside_region: self.ret.occupied_outside_region.max(0) as u32,
        }
    }

    /// The return as input again: to pre-fill a form or copy it forward.
    pub fn to_input(&self) -> ReturnInput {
        let r = &self.ret;
        let n = |v: i32| v.max(0) as u32;
        ReturnInput {
            capacity: r.capacity.map(n),
            occupied: self.occupancy(),
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

/// Of these homes, those where this council's children live according to
/// their latest return of the last four weeks.
pub async fn homes_with_children_of(
    conn: &impl ConnectionTrait,
    council: i64,
    home_ids: &[i64],
) -> Result<HashSet<i64>> {
    Ok(placing_councils(conn, home_ids)
        .await?
        .into_iter()
        .filter(|(_, councils)| councils.contains(&council))
        .map(|(home, _)| home)
        .collect())
}

/// Every home where this council's children have lived according to a
/// current return of the last four weeks, wherever the home is.
pub async fn homes_placed_in_by(conn: &impl ConnectionTrait, council: i64) -> Result<HashSet<i64>> {
    let since = super::this_week().plus(-3).monday();
    let ids: Vec<i64> = return_placements::Entity::find()
        .select_only()
        .column(returns::Column::HomeId)
        .distinct()
        .inner_join(returns::Entity)
        .filter(return_placements::Column::CouncilId.eq(council))
        .filter(returns::Column::IsCurrent.eq(true))
        .filter(returns::Column::WeekStart.gte(since))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Of these homes, the member councils whose children live in each,
/// according to its latest return of the last four weeks. Homes without
/// members' children are absent.
pub async fn placing_councils(
    conn: &impl ConnectionTrait,
    home_ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>> {
    let since = super::this_week().plus(-3).monday();
    let mut latest: HashMap<i64, (chrono::NaiveDate, i64)> = HashMap::new();
    for chunk in home_ids.chunks(500) {
        let rows: Vec<(i64, i64, chrono::NaiveDate)> = returns::Entity::find()
            .select_only()
            .columns([
                returns::Column::Id,
                returns::Column::HomeId,
                returns::Column::WeekStart,
            ])
            .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(returns::Column::IsCurrent.eq(true))
            .filter(returns::Column::WeekStart.gte(since))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, home, week) in rows {
            let entry = latest.entry(home).or_insert((week, id));
            if week > entry.0 {
                *entry = (week, id);
            }
        }
    }
    let home_of: HashMap<i64, i64> = latest.iter().map(|(home, (_, id))| (*id, *home)).collect();
    let ids: Vec<i64> = home_of.keys().copied().collect();
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64)> = return_placements::Entity::find()
            .select_only()
            .columns([
                return_placements::Column::ReturnId,
                return_placements::Column::CouncilId,
            ])
            .filter(return_placements::Column::ReturnId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (ret, council) in rows {
            if let Some(home) = home_of.get(&ret) {
                out.entry(*home).or_default().push(council);
            }
        }
    }
    Ok(out)
}

/// Beds this council's children occupy in the row's return (`returns.id`),
/// 0 for none: a column for queries that read returns by the thousand.
pub fn beds_of(council: i64) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
    let line = Query::select()
        .column(return_placements::Column::Beds)
        .from(return_placements::Entity)
        .and_where(
            Expr::col((
                return_placements::Entity,
                return_placements::Column::ReturnId,
            ))
            .equals((returns::Entity, returns::Column::Id)),
        )
        .and_where(Expr::col(return_placements::Column::CouncilId).eq(council))
        .to_owned();
    Func::coalesce([Expr::from(line), Expr::val(0)]).into()
}

/// The member councils' lines of these returns.
pub async fn placements_of(
    conn: &impl ConnectionTrait,
    return_ids: &[i64],
) -> Result<HashMap<i64, Vec<return_placements::Model>>> {
    let mut out: HashMap<i64, Vec<return_placements::Model>> = HashMap::new();
    for chunk in return_ids.chunks(500) {
        for p in return_placements::Entity::find()
            .filter(return_placements::Column::ReturnId.is_in(chunk.iter().copied()))
            .order_by_asc(return_placements::Column::CouncilId)
            .all(conn)
            .await?
        {
            out.entry(p.return_id).or_default().push(p);
        }
    }
    Ok(out)
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
    let placements = placements_of(conn, &[ret.id])
        .await?
        .remove(&ret.id)
        .unwrap_or_default();
    Ok(ReturnView {
        ret,
        vacancies,
        placements,
    })
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
    let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    let mut placements = placements_of(conn, &ids).await?;
    Ok(found
        .into_iter()
        .map(|ret| ReturnView {
            vacancies: vacancies.remove(&ret.id).unwrap_or_default(),
            placements: placements.remove(&ret.id).unwrap_or_default(),
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
