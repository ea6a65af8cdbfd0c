//! The landing page: for council staff, the local market at a glance; for a
//! provider, its own homes.

pub mod routes;
mod views;

use std::collections::BTreeMap;

use importers::vocab::{Judgement, ProvisionType, RegistrationStatus};
use sea_orm::sea_query::{Alias, Expr, IntoCondition};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, JoinType, QueryFilter, QuerySelect,
    RelationDef,
};

use crate::db::entities::{homes, inspections, organisations};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct TypeCount {
    pub code: &'static str,
    pub label: &'static str,
    pub homes: i64,
    pub places: i64,
}

#[derive(Debug, Clone)]
pub struct RatingCount {
    pub filter: &'static str,
    pub label: &'static str,
    pub tag_class: &'static str,
    pub homes: i64,
}

#[derive(Debug, Clone)]
pub struct CouncilCount {
    pub id: i64,
    pub name: String,
    pub homes: i64,
    pub places: i64,
    pub below_good: i64,
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub council_id: Option<i64>,
    pub council_name: String,
    pub homes: i64,
    pub places: i64,
    pub by_type: Vec<TypeCount>,
    pub by_rating: Vec<RatingCount>,
    pub councils: Vec<CouncilCount>,
}

fn current_inspection() -> RelationDef {
    homes::Entity::belongs_to(inspections::Entity)
        .from(homes::Column::Id)
        .to(inspections::Column::HomeId)
        .on_condition(|_, right| {
            Expr::col((right, inspections::Column::IsCurrent))
                .eq(true)
                .into_condition()
        })
        .into()
}

/// One row per open home: council, type, places, rating.
type HomeFacts = (Option<i64>, String, Option<i32>, Option<String>);

/// The overview for council staff of `our_id` (their member council).
pub async fn overview(db: &DatabaseConnection, our_id: Option<i64>) -> Result<Overview> {
    let facts: Vec<HomeFacts> = homes::Entity::find()
        .select_only()
        .columns([
            homes::Column::HostCouncilId,
            homes::Column::ProvisionType,
            homes::Column::RegisteredPlaces,
        ])
        .column_as(
            Expr::col((Alias::new("ci"), inspections::Column::Overall)),
            "overall",
        )
        .join_as(JoinType::LeftJoin, current_inspection(), Alias::new("ci"))
        .filter(homes::Column::RegistrationStatus.is_in(RegistrationStatus::open_codes()))
        .into_tuple()
        .all(db)
        .await?;
    let mine: Vec<&HomeFacts> = facts
        .iter()
        .filter(|f| our_id.is_some() && f.0 == our_id)
        .collect();

    let mut by_type: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (_, code, places, _) in &mine {
        let entry = by_type.entry(code.as_str()).or_default();
        entry.0 += 1;
        entry.1 += i64::from(places.unwrap_or(0));
    }
    let by_type = ProvisionType::ALL
        .iter()
        .filter_map(|t| {
            by_type.get(t.code()).map(|(homes, places)| TypeCount {
                code: t.code(),
                label: t.label(),
                homes: *homes,
                places: *places,
            })
        })
        .collect();

    let rating_of = |f: &HomeFacts| f.3.as_deref().and_then(Judgement::from_code);
    let mut by_rating: Vec<RatingCount> = [
        Judgement::Outstanding,
        Judgement::Good,
        Judgement::RequiresImprovement,
        Judgement::Inadequate,
    ]
    .into_iter()
    .map(|j| RatingCount {
        filter: j.code(),
        label: j.label(),
        tag_class: j.tag_class(),
        homes: mine.iter().filter(|f| rating_of(f) == Some(j)).count() as i64,
    })
    .collect();
    by_rating.push(RatingCount {
        filter: "not_inspected",
        label: "Not yet inspected",
        tag_class: "govuk-tag--grey",
        homes: mine.iter().filter(|f| rating_of(f).is_none()).count() as i64,
    });

    let mut councils: BTreeMap<i64, CouncilCount> = BTreeMap::new();
    for f in &facts {
        let Some(id) = f.0 else { continue };
        let c = councils.entry(id).or_insert(CouncilCount {
            id,
            name: String::new(),
            homes: 0,
            places: 0,
            below_good: 0,
        });
        c.homes += 1;
        c.places += i64::from(f.2.unwrap_or(0));
        if rating_of(f).is_some_and(Judgement::is_concern) {
            c.below_good += 1;
        }
    }
    // Every council's name (a few hundred rows): a list of their ids would
    // be a statement SQLite prepares afresh on each view.
    let names: Vec<(i64, String)> = organisations::Entity::find()
        .select_only()
        .columns([organisations::Column::Id, organisations::Column::Name])
        .filter(organisations::Column::Kind.eq(crate::organisations::Kind::Council.code()))
        .into_tuple()
        .all(db)
        .await?;
    for (id, name) in names {
        if let Some(c) = councils.get_mut(&id) {
            c.name = name;
        }
    }
    let mut councils: Vec<CouncilCount> = councils.into_values().collect();
    councils.sort_by(|a, b| b.homes.cmp(&a.homes).then_with(|| a.name.cmp(&b.name)));
    councils.truncate(12);

    Ok(Overview {
        council_id: our_id,
        council_name: match our_id {
            Some(id) => crate::regions::member(db, id)
                .await?
                .map(|m| m.name)
                .unwrap_or_default(),
            None => String::new(),
        },
        homes: mine.len() as i64,
        places: mine.iter().map(|f| i64::from(f.2.unwrap_or(0))).sum(),
        by_type,
        by_rating,
        councils,
    })
}
