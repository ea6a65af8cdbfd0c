//! Reading and filing returns. Filing always adds a version in one
//! transaction with its vacancies and its audit row; the previous version
//! stays, no longer current.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use importers::vocab::{IsoWeek, Need, Pence, Sexes};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use super::rules::{self, Problem};
use super::{HomeFacts, ReturnInput, Source, Unavailable, VacancyInput};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
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

/// How a filing came about.
#[derive(Debug, Clone)]
pub struct Filing {
    pub source: Source,
    /// Repeating a request with the same key files once.
    pub idempotency_key: Option<String>,
    pub copied_from: Option<i64>,
    /// When it was filed; `None` for now.
    pub at: Option<DateTime<Utc>>,
}

impl Filing {
    pub fn new(source: Source) -> Self {
        Filing {
            source,
            idempotency_key: None,
            copied_from: None,
            at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub view: ReturnView,
    /// True when an identical request had already filed it.
    pub duplicate: bool,
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

/// Problems keyed by form field, for a form page.
pub fn form_errors(problems: &[Problem]) -> FormErrors {
    let mut errors = FormErrors::default();
    for p in problems {
        errors.add(p.field.form_id(p.vacancy), p.message.clone());
    }
    errors
}

/// Files a return for a week: a new version, current from now on. Pass a
/// write transaction; nothing is half-written if anything fails.
pub async fn file(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    input: &ReturnInput,
    filing: Filing,
    settings: &Settings,
) -> Result<Filed> {
    if !viewer.role.edits_market() && !viewer.belongs_to(home.provider_id) {
        return Err(Error::Forbidden);
    }
    if !crate::homes::was_registered_during(home, week) {
        return Err(Error::field("week", not_registered(home)));
    }
    // Serialise filings for one home (PostgreSQL; SQLite's write lock
    // already does).
    homes::Entity::find_by_id(home.id)
        .lock_exclusive()
        .one(conn)
        .await?;
    if let Some(key) = &filing.idempotency_key {
        let earlier = returns::Entity::find()
            .filter(returns::Column::HomeId.eq(home.id))
            .filter(returns::Column::IdempotencyKey.eq(key.as_str()))
            .one(conn)
            .await?;
        if let Some(ret) = earlier {
            return Ok(Filed {
                view: with_vacancies(conn, ret).await?,
                duplicate: true,
            });
        }
    }
    let facts = facts(conn, home).await?;
    let problems = rules::check(input, &facts, week);
    if !problems.is_empty() {
        return Err(Error::Invalid(form_errors(&problems)));
    }
    let at = filing.at.unwrap_or_else(Utc::now);
    let previous = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home.id))
        .filter(returns::Column::WeekStart.eq(week.monday()))
        .order_by_desc(returns::Column::Version)
        .one(conn)
        .await?;
    let version = previous.as_ref().map(|p| p.version + 1).unwrap_or(1);
    if previous.is_some() {
        returns::Entity::update_many()
            .col_expr(
                returns::Column::IsCurrent,
                sea_orm::sea_query::Expr::value(false),
            )
            .filter(returns::Column::HomeId.eq(home.id))
            .filter(returns::Column::WeekStart.eq(week.monday()))
            .filter(returns::Column::IsCurrent.eq(true))
            .exec(conn)
            .await?;
    }
    let n = |v: u32| v as i32;
    let ret = returns::ActiveModel {
        home_id: Set(home.id),
        week_start: Set(week.monday()),
        version: Set(version),
        is_current: Set(true),
        registered_places: Set(facts.places.map(n)),
        capacity: Set(if facts.states_capacity() {
            input.capacity.map(n)
        } else {
            None
        }),
        occupied_ours: Set(n(input.occupied_ours)),
        occupied_other: Set(n(input.occupied_other)),
        unavailable_staffing: Set(n(input.unavailable.staffing)),
        unavailable_works: Set(n(input.unavailable.works)),
        unavailable_matching: Set(n(input.unavailable.matching)),
        unavailable_registration: Set(n(input.unavailable.registration)),
        unavailable_other: Set(n(input.unavailable.other)),
        unavailable_other_reason: Set(input
            .unavailable
            .other_reason
            .clone()
            .filter(|r| !r.trim().is_empty())),
        vacancies: Set(n(input.vacant_beds())),
        note: Set(input.note.clone().filter(|r| !r.trim().is_empty())),
        source: Set(filing.source.code().to_string()),
        copied_from_id: Set(filing.copied_from),
        submitted_by_user_id: Set(viewer.user_id),
        submitted_by: Set(viewer.email.clone()),
        submitted_at: Set(at.fixed_offset()),
        late: Set(at > settings.returns.due(week)),
        idempotency_key: Set(filing.idempotency_key.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let rows: Vec<return_vacancies::ActiveModel> = input
        .vacancies
        .iter()
        .map(|v| return_vacancies::ActiveModel {
            return_id: Set(ret.id),
            beds: Set(n(v.beds)),
            available_from: Set(v.available_from),
            min_age: Set(i16::from(v.min_age)),
            max_age: Set(i16::from(v.max_age)),
            sexes: Set(v.sexes.code().to_string()),
            needs_mask: Set(Need::mask(&v.needs)),
            emergency: Set(v.emergency),
            solo_only: Set(v.solo_only),
            weekly_fee_pence: Set(v.weekly_fee.map(|p| p.0)),
            note: Set(v.note.clone().filter(|s| !s.trim().is_empty())),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        return_vacancies::Entity::insert_many(rows)
            .exec(conn)
            .await?;
    }
    super::offers::refresh(conn, home.id).await?;
    let summary = format!(
        "{} return for {} ({}) week {week}{}",
        if version == 1 { "Filed" } else { "Amended" },
        home.name,
        home.urn,
        if version > 1 {
            format!(", version {version}")
        } else {
            String::new()
        }
    );
    let after = json!({
        "week": week.to_string(),
        "version": version,
        "source": filing.source.code(),
        "occupied_ours": input.occupied_ours,
        "occupied_other": input.occupied_other,
        "not_admittable": input.unavailable.total(),
        "vacancies": input.vacant_beds(),
    });
    audit::record(
        conn,
        viewer,
        Change::created("return", format!("{}:{week}", home.urn), after).summary(summary),
    )
    .await?;
    Ok(Filed {
        view: with_vacancies(conn, ret).await?,
        duplicate: false,
    })
}

/// What pressing "No change since last week" did.
#[derive(Debug, Clone, PartialEq)]
pub enum NoChange {
    Filed(Filed),
    /// This week was already filed: nothing was changed.
    AlreadyFiled(ReturnView),
    /// There is no earlier return to copy.
    NothingToCopy,
    /// Last week's figures break a rule now (the home's details changed).
    NoLongerFits(String),
}

/// Files a copy of the latest earlier return for this week.
pub async fn no_change(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    filing: Filing,
    settings: &Settings,
) -> Result<NoChange> {
    if let Some(existing) = current(conn, home.id, week).await? {
        return Ok(NoChange::AlreadyFiled(existing));
    }
    let Some(previous) = latest_before(conn, home.id, week).await? else {
        return Ok(NoChange::NothingToCopy);
    };
    let filing = Filing {
        source: Source::NoChange,
        copied_from: Some(previous.ret.id),
        ..filing
    };
    match file(
        conn,
        viewer,
        home,
        week,
        &previous.to_input(),
        filing,
        settings,
    )
    .await
    {
        Ok(filed) => Ok(NoChange::Filed(filed)),
        Err(Error::Invalid(errors)) => Ok(NoChange::NoLongerFits(errors.summary())),
        Err(other) => Err(other),
    }
}

/// Why a home that is no longer registered cannot file for a week.
fn not_registered(home: &homes::Model) -> String {
    let status = crate::homes::status_label(&home.registration_status).to_lowercase();
    match home.registration_ended_on {
        Some(ended) => format!(
            "{}'s registration ended ({status}) on {}: returns can be filed only for weeks up to then",
            home.name,
            crate::web::filters::long_date(&ended)
        ),
        None => format!(
            "{} is no longer registered ({status}): returns cannot be filed for it",
            home.name
        ),
    }
}
