//! Filing a return: the one path every channel takes (the web form, "no
//! change" and its one-click link, a spreadsheet upload, the API), so the
//! same rules hold whichever a provider uses:
//!
//! - only the home's provider (or council editors) files, only for a home
//!   of the placements market, registered that week, and only for a week
//!   inside the window (`Window`: up to next week, back `amend_weeks`);
//! - an `Idempotency-Key` is bound to its home, week and figures: the same
//!   key again with the same return is the earlier filing, with anything
//!   else a clear error;
//! - a return identical to the week's current one files nothing;
//! - whether a week's return was late is decided by its first filing: an
//!   amendment after the deadline is an amendment, never "filed late".
//!
//! A filing adds a version in the caller's transaction with its vacancies,
//! the offers row and the audit row; earlier versions stay.

use chrono::{DateTime, Utc};
use importers::vocab::{IsoWeek, Need};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use super::store::{ReturnView, current, facts, latest_before, with_vacancies};
use super::{ReturnInput, Source, rules};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{homes, return_placements, return_vacancies, returns};
use crate::error::{Error, Result};

/// How a filing came about.
#[derive(Debug, Clone)]
pub struct Filing {
    pub source: Source,
    /// Repeating a request with the same key and return files once.
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

/// What a filing did.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// A new version, current from now on.
    New(ReturnView),
    /// The same as the week's current return: nothing was filed.
    Unchanged(ReturnView),
    /// A retry of a request already filed under its idempotency key.
    Repeated(ReturnView),
}

impl Filed {
    pub fn view(&self) -> &ReturnView {
        match self {
            Filed::New(v) | Filed::Unchanged(v) | Filed::Repeated(v) => v,
        }
    }

    pub fn is_new(&self) -> bool {
        matches!(self, Filed::New(_))
    }
}

/// The weeks a return may be filed or amended for, as of now: from
/// `returns.amend_weeks` back up to next week (providers file early for
/// next Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: IsoWeek,
    pub last: IsoWeek,
}

impl Window {
    pub fn now(settings: &Settings) -> Self {
        Self::at(settings, Utc::now())
    }

    /// The window as it was (or is) at `at`: a filing made at a given time
    /// (the demo's history) is judged by that time.
    pub fn at(settings: &Settings, at: DateTime<Utc>) -> Self {
        let week = IsoWeek::containing(at.with_timezone(&chrono_tz::Europe::London).date_naive());
        Window {
            first: week.plus(-settings.returns.amend_weeks.max(0)),
            last: week.plus(1),
        }
    }

    /// `week` if it may be filed, else an error naming the window.
    pub fn check(&self, week: IsoWeek) -> Result<IsoWeek> {
        if week > self.last {
            Err(Error::field(
                "week",
                format!(
                    "Returns can be filed for weeks up to {} (next week); {week} is too far ahead",
                    self.last
                ),
            ))
        } else if week < self.first {
            Err(Error::field(
                "week",
                format!(
                    "Returns can be filed or amended for weeks from {} to {}; {week} is too long ago",
                    self.first, self.last
                ),
            ))
        } else {
            Ok(week)
        }
    }
}

/// Whether `viewer` may file for `home` for `week` at all (at `at`), before
/// its figures are looked at.
pub fn may_file(
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    at: DateTime<Utc>,
    settings: &Settings,
) -> Result<()> {
    if !viewer.role.edits_market() && !viewer.belongs_to(home.provider_id) {
        return Err(Error::Forbidden);
    }
    if !settings.market.includes_code(&home.provision_type) {
        return Err(Error::field(
            "week",
            format!(
                "{} is a {}, which is not part of the placements market: it files no weekly return",
                home.name,
                crate::homes::type_label(&home.provision_type).to_lowercase()
            ),
        ));
    }
    Window::at(settings, at).check(week)?;
    if !crate::homes::was_registered_during(home, week) {
        return Err(Error::field("week", not_registered(home)));
    }
    Ok(())
}

/// Files a return for a week (see the module's rules). Pass a write
/// transaction; nothing is half-written if anything fails.
pub async fn file(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    input: &ReturnInput,
    filing: Filing,
    settings: &Settings,
) -> Result<Filed> {
    may_file(
        viewer,
        home,
        week,
        filing.at.unwrap_or_else(Utc::now),
        settings,
    )?;
    // Serialise filings for one home (PostgreSQL; SQLite's write lock
    // already does).
    homes::Entity::find_by_id(home.id)
        .lock_exclusive()
        .one(conn)
        .await?;
    if let Some(key) = &filing.idempotency_key
        && let Some(earlier) = returns::Entity::find()
            .filter(returns::Column::HomeId.eq(home.id))
            .filter(returns::Column::IdempotencyKey.eq(key.as_str()))
            .one(conn)
            .await?
    {
        let earlier = with_vacancies(conn, earlier).await?;
        if earlier.week() == week && earlier.to_input() == *input {
            return Ok(Filed::Repeated(earlier));
        }
        return Err(Error::field(
            "idempotency_key",
            format!(
                "This idempotency key was already used for {}'s return for {} with other figures or another week: send a new key for a new return",
                home.name,
                earlier.week()
            ),
        ));
    }
    let facts = facts(conn, home).await?;
    let mut problems = rules::check(input, &facts, week);
    problems.extend(placing_councils_are_members(conn, input).await?);
    if !problems.is_empty() {
        // Named as the channel names its fields.
        let mut errors = crate::web::forms::FormErrors::default();
        for p in &problems {
            let field = match filing.source {
                Source::Api => p.field.api_name(p.vacancy),
                _ => p.field.form_id(p.vacancy),
            };
            errors.add(field, p.message.clone());
        }
        return Err(Error::Invalid(errors));
    }
    if let Some(current) = current(conn, home.id, week).await?
        && current.to_input() == *input
    {
        return Ok(Filed::Unchanged(current));
    }
    insert_version(conn, viewer, home, week, input, &facts, filing, settings).await
}

/// A line for a council that is not a member of the region is refused: its
/// children count under "councils outside the region".
async fn placing_councils_are_members(
    conn: &impl ConnectionTrait,
    input: &ReturnInput,
) -> Result<Option<rules::Problem>> {
    for council in input.occupied.by_member.keys() {
        if !crate::regions::is_member(conn, *council).await? {
            return Ok(Some(rules::Problem {
                field: rules::Field::Occupied,
                vacancy: None,
                message: "Beds occupied name a council that is not a member of the region: \
                          count its children under councils outside the region"
                    .into(),
            }));
        }
    }
    Ok(None)
}

/// [`file`] in a transaction of its own, committed when it returns.
pub async fn file_now(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    input: &ReturnInput,
    filing: Filing,
    settings: &Settings,
) -> Result<Filed> {
    let txn = crate::db::begin_write(db).await?;
    let filed = file(&txn, viewer, home, week, input, filing, settings).await?;
    txn.commit().await?;
    Ok(filed)
}

/// [`no_change`] in a transaction of its own.
pub async fn no_change_now(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    settings: &Settings,
) -> Result<NoChange> {
    let txn = crate::db::begin_write(db).await?;
    let done = no_change(
        &txn,
        viewer,
        home,
        week,
        Filing::new(Source::NoChange),
        settings,
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

/// A new current version of the week's return.
#[allow(clippy::too_many_arguments)]
async fn insert_version(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    week: IsoWeek,
    input: &ReturnInput,
    facts: &super::HomeFacts,
    filing: Filing,
    settings: &Settings,
) -> Result<Filed> {
    let at = filing.at.unwrap_or_else(Utc::now);
    let previous = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home.id))
        .filter(returns::Column::WeekStart.eq(week.monday()))
        .order_by_desc(returns::Column::Version)
        .one(conn)
        .await?;
    let version = previous.as_ref().map(|p| p.version + 1).unwrap_or(1);
    // Late or not is the first filing's: an amendment keeps it.
    let late = match &previous {
        Some(p) => p.late,
        None => at > settings.returns.due(week),
    };
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
        occupied: Set(n(input.occupied.total())),
        occupied_outside_region: Set(n(input.occupied.outside_region)),
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
        late: Set(late),
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
    let lines: Vec<return_placements::ActiveModel> = input
        .occupied
        .by_member
        .iter()
        .filter(|(_, beds)| **beds > 0)
        .map(|(council, beds)| return_placements::ActiveModel {
            return_id: Set(ret.id),
            council_id: Set(*council),
            beds: Set(n(*beds)),
        })
        .collect();
    if !lines.is_empty() {
        return_placements::Entity::insert_many(lines)
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
        "occupied": input.occupied.total(),
        "occupied_by_council": input.occupied.by_member,
        "occupied_outside_region": input.occupied.outside_region,
        "not_admittable": input.unavailable.total(),
        "vacancies": input.vacant_beds(),
    });
    audit::record(
        conn,
        viewer,
        Change::created("return", format!("{}:{week}", home.urn), after).summary(summary),
    )
    .await?;
    Ok(Filed::New(with_vacancies(conn, ret).await?))
}

/// What pressing "No change since last week" did.
#[derive(Debug, Clone, PartialEq)]
pub enum NoChange {
    Filed(ReturnView),
    /// This week was already filed: nothing was changed.
    AlreadyFiled(ReturnView),
    /// There is no earlier return to copy.
    NothingToCopy,
    /// Last week's figures break a rule now (the home's details changed).
    NoLongerFits(String),
    /// No return may be filed for this home and week (closed, outside the
    /// window, not in the placements market): why.
    Refused(String),
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
    match may_file(
        viewer,
        home,
        week,
        filing.at.unwrap_or_else(Utc::now),
        settings,
    ) {
        Ok(()) => {}
        Err(Error::Invalid(errors)) => return Ok(NoChange::Refused(errors.summary())),
        Err(other) => return Err(other),
    }
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
        Ok(filed) => Ok(NoChange::Filed(filed.view().clone())),
        Err(Error::Invalid(errors)) => Ok(NoChange::NoLongerFits(errors.summary())),
        Err(other) => Err(other),
    }
}

/// What "No change for all homes" did: homes filed, and homes left to do
/// with the reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllUnchanged {
    pub filed: Vec<String>,
    pub skipped: Vec<String>,
}

/// "No change for all homes": files last week's figures again for every
/// home of the viewer's organisation still to file for `week`, in one
/// transaction.
pub async fn no_change_for_all(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    week: IsoWeek,
    settings: &Settings,
) -> Result<AllUnchanged> {
    let homes = still_to_file(db, viewer, week, settings).await?;
    let txn = crate::db::begin_write(db).await?;
    let mut done = AllUnchanged::default();
    for (home, _) in homes {
        let filing = Filing::new(Source::NoChange);
        match no_change(&txn, viewer, &home, week, filing, settings).await? {
            NoChange::Filed(_) => done.filed.push(home.name),
            NoChange::AlreadyFiled(_) => {}
            NoChange::NothingToCopy => done
                .skipped
                .push(format!("{} has no earlier return", home.name)),
            NoChange::NoLongerFits(_) => done.skipped.push(format!(
                "{}'s figures no longer fit its registration",
                home.name
            )),
            NoChange::Refused(why) => done.skipped.push(why),
        }
    }
    txn.commit().await?;
    Ok(done)
}

/// The viewer's organisation's homes that have not filed for `week`, each
/// with the latest earlier return "no change" would copy, if any.
pub async fn still_to_file(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    week: IsoWeek,
    settings: &Settings,
) -> Result<Vec<(homes::Model, Option<ReturnView>)>> {
    let filter = super::board::Filter {
        provider_id: Some(viewer.organisation_id.ok_or(Error::Forbidden)?),
        ..Default::default()
    };
    let board = super::board::week(db, viewer, week, &filter, settings).await?;
    let ids: Vec<i64> = board
        .rows
        .iter()
        .filter(|r| !r.status.is_filed())
        .map(|r| r.home.id)
        .collect();
    let mut homes = Vec::new();
    for home in homes::Entity::find()
        .filter(homes::Column::Id.is_in(ids))
        .order_by_asc(homes::Column::Name)
        .all(db)
        .await?
    {
        let previous = latest_before(db, home.id, week).await?;
        homes.push((home, previous));
    }
    Ok(homes)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_names_its_weeks() {
        let week: IsoWeek = "2026-W49".parse().unwrap();
        let window = Window {
            first: week.plus(-8),
            last: week.plus(1),
        };
        assert!(window.check(week.plus(1)).is_ok());
        assert!(window.check(week.plus(-8)).is_ok());
        let ahead = window.check(week.plus(2)).unwrap_err().public_message().1;
        assert!(ahead.contains("up to 2026-W50"), "{ahead}");
        let behind = window.check(week.plus(-9)).unwrap_err().public_message().1;
        assert!(behind.contains("from 2026-W41 to 2026-W50"), "{behind}");
    }
}
