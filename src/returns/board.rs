//! Where every home stands for a week: filed, filed late, not filed or late,
//! with the week's figures and totals.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use importers::vocab::{IsoWeek, ProvisionType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef,
};

use super::Status;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{homes, organisations, returns};
use crate::error::Result;
use crate::web::export::{ExportCell, Table};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub council_id: Option<i64>,
    pub locality: Option<String>,
    pub provision_type: Option<ProvisionType>,
    pub provider_id: Option<i64>,
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct HomeLine {
    pub id: i64,
    pub urn: String,
    pub name: String,
    pub provision_type: String,
    pub locality: Option<String>,
    pub registered_places: Option<i32>,
    pub provider_name: Option<String>,
    /// The current rating flags the home (see `quality`).
    pub flagged: bool,
    /// When any return for the home was last filed.
    pub last_filed: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub home: HomeLine,
    /// The week's current return, if filed.
    pub ret: Option<returns::Model>,
    pub status: Status,
    /// Beds the viewer's council's children occupy, when filed.
    pub ours: Option<i32>,
}

impl Row {
    /// Beds other councils' children occupy, when filed.
    pub fn others(&self) -> Option<i32> {
        self.ret
            .as_ref()
            .map(|r| r.occupied - self.ours.unwrap_or(0))
    }

    /// Filed more than once for the week: its status stays its first
    /// filing's.
    pub fn amended(&self) -> bool {
        self.ret.as_ref().is_some_and(|r| r.version > 1)
    }

    pub fn type_label(&self) -> &'static str {
        crate::homes::type_label(&self.home.provision_type)
    }

    pub fn unavailable(&self) -> Option<i32> {
        self.ret.as_ref().map(|r| {
            r.unavailable_staffing
                + r.unavailable_works
                + r.unavailable_matching
                + r.unavailable_registration
                + r.unavailable_other
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub homes: usize,
    pub filed: usize,
    pub filed_late: usize,
    pub not_filed: usize,
    pub places: i64,
    pub occupied_ours: i64,
    pub occupied_other: i64,
    pub unavailable: i64,
    pub vacancies: i64,
}

impl Totals {
    pub fn completion_percent(&self) -> i64 {
        ((self.filed + self.filed_late) * 100)
            .checked_div(self.homes)
            .unwrap_or(0) as i64
    }
}

#[derive(Debug, Clone)]
pub struct Board {
    pub week: IsoWeek,
    pub due: DateTime<Utc>,
    pub rows: Vec<Row>,
    pub totals: Totals,
}

const CHUNK: usize = 500;

fn provider_join() -> RelationDef {
    homes::Entity::belongs_to(organisations::Entity)
        .from(homes::Column::ProviderId)
        .to(organisations::Column::Id)
        .into()
}

/// When the home last filed any return: one seek of `returns_home_submitted`
/// a home (a `MAX` over each home's returns read all five years of them).
fn last_filed() -> Expr {
    let filed = Alias::new("filed");
    Expr::from(
        Query::select()
            .expr(Expr::col((filed.clone(), returns::Column::SubmittedAt)).max())
            .from_as(returns::Entity, filed.clone())
            .and_where(
                Expr::col((filed, returns::Column::HomeId))
                    .equals((homes::Entity, homes::Column::Id)),
            )
            .to_owned(),
    )
}

/// The board for `week`: homes of the placements market registered that
/// week the viewer may see, matching the filter.
pub async fn week(
    db: &DatabaseConnection,
    viewer: &Viewer,
    week: IsoWeek,
    filter: &Filter,
    settings: &Settings,
) -> Result<Board> {
    let mut query = homes::Entity::find()
        .select_only()
        .columns([
            homes::Column::Id,
            homes::Column::Urn,
            homes::Column::Name,
            homes::Column::ProvisionType,
            homes::Column::Locality,
            homes::Column::RegisteredPlaces,
        ])
        .column_as(
            Expr::col((Alias::new("provider"), organisations::Column::Name)),
            "provider_name",
        )
        .column_as(
            crate::quality::flagged_expr("current_inspection"),
            "flagged",
        )
        .column_as(last_filed(), "last_filed")
        .join_as(JoinType::LeftJoin, provider_join(), Alias::new("provider"))
        .join_as(
            JoinType::LeftJoin,
            crate::homes::current_inspection_join(),
            Alias::new("current_inspection"),
        )
        .filter(crate::homes::registered_during(week))
        .filter(crate::homes::in_market(&settings.market))
        .filter(crate::homes::visible_to(viewer));
    if let Some(id) = filter.council_id {
        query = query.filter(homes::Column::HostCouncilId.eq(id));
    }
    if let Some(l) = &filter.locality {
        query = query.filter(homes::Column::Locality.eq(l.as_str()));
    }
    if let Some(t) = filter.provision_type {
        query = query.filter(homes::Column::ProvisionType.eq(t.code()));
    }
    if let Some(id) = filter.provider_id {
        query = query.filter(homes::Column::ProviderId.eq(id));
    }
    let lines: Vec<HomeLine> = query
        .order_by_asc(Expr::col((homes::Entity, homes::Column::Name)))
        .order_by_asc(homes::Column::Urn)
        .into_model::<HomeLine>()
        .all(db)
        .await?;

    let ids: Vec<i64> = lines.iter().map(|h| h.id).collect();
    let mut filed: HashMap<i64, returns::Model> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for r in returns::Entity::find()
            .filter(returns::Column::HomeId.is_in(chunk.to_vec()))
            .filter(returns::Column::WeekStart.eq(week.monday()))
            .filter(returns::Column::IsCurrent.eq(true))
            .all(db)
            .await?
        {
            filed.insert(r.home_id, r);
        }
    }

    let ours: HashMap<i64, i32> = match viewer.council_id() {
        Some(council) => {
            let ids: Vec<i64> = filed.values().map(|r| r.id).collect();
            super::store::placements_of(db, &ids)
                .await?
                .into_iter()
                .map(|(ret, lines)| {
                    let beds = lines
                        .iter()
                        .filter(|l| l.council_id == council)
                        .map(|l| l.beds);
                    (ret, beds.sum())
                })
                .collect()
        }
        None => HashMap::new(),
    };
    let due = settings.returns.due(week);
    let now = Utc::now();
    let mut totals = Totals::default();
    let rows: Vec<Row> = lines
        .into_iter()
        .map(|home| {
            let ret = filed.remove(&home.id);
            let status = Status::of(ret.as_ref().map(|r| r.late), now, due);
            totals.homes += 1;
            match status {
                Status::Filed => totals.filed += 1,
                Status::FiledLate => totals.filed_late += 1,
                _ => totals.not_filed += 1,
            }
            totals.places += i64::from(home.registered_places.unwrap_or(0));
            let our_beds = ret.as_ref().map(|r| ours.get(&r.id).copied().unwrap_or(0));
            if let Some(r) = &ret {
                let o = our_beds.unwrap_or(0);
                totals.occupied_ours += i64::from(o);
                totals.occupied_other += i64::from(r.occupied - o);
                totals.vacancies += i64::from(r.vacancies);
                totals.unavailable += i64::from(
                    r.unavailable_staffing
                        + r.unavailable_works
                        + r.unavailable_matching
                        + r.unavailable_registration
                        + r.unavailable_other,
                );
            }
            Row {
                home,
                ret,
                status,
                ours: our_beds,
            }
        })
        .collect();
    Ok(Board {
        week,
        due,
        rows,
        totals,
    })
}

impl Board {
    pub fn table(&self) -> Table {
        let week = self.week.to_string();
        Table {
            headers: vec![
                "Week",
                "URN",
                "Home",
                "Provider",
                "Flagged",
                "Provision type",
                "Locality",
                "Status",
                "Registered places",
                "Occupied by our children",
                "Occupied by other councils' children",
                "Not admittable",
                "Admittable vacancies",
                "Filed at",
                "Last filed",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let figure = |f: fn(&returns::Model) -> i32| r.ret.as_ref().map(f).into();
                    vec![
                        ExportCell::from(week.clone()),
                        r.home.urn.clone().into(),
                        r.home.name.clone().into(),
                        r.home.provider_name.clone().into(),
                        if r.home.flagged { "Yes" } else { "No" }.into(),
                        r.type_label().into(),
                        r.home.locality.clone().into(),
                        r.status.label().into(),
                        r.home.registered_places.into(),
                        r.ours.into(),
                        r.others().into(),
                        r.unavailable().into(),
                        figure(|m| m.vacancies),
                        r.ret
                            .as_ref()
                            .map(|m| crate::web::filters::date_time(&m.submitted_at))
                            .into(),
                        r.home
                            .last_filed
                            .as_ref()
                            .map(crate::web::filters::date_time)
                            .into(),
                    ]
                })
                .collect(),
        }
    }
}
