//! Each home's current offer (`home_offers`): its latest current return,
//! when that return has vacancies. `store::file` refreshes a home's row in
//! the filing transaction; bulk loads rebuild the table. Searches and the
//! vacancy digest read offers by home instead of working out every home's
//! latest week.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use crate::db::entities::{home_offers, returns};
use crate::error::Result;

/// Brings one home's offer in line with its returns.
pub async fn refresh(conn: &impl ConnectionTrait, home_id: i64) -> Result<()> {
    let latest = returns::Entity::find()
        .filter(returns::Column::HomeId.eq(home_id))
        // Repeats the partial index's condition so the database can use it.
        .filter(Expr::cust(r#""is_current" = TRUE"#))
        .order_by_desc(returns::Column::WeekStart)
        .one(conn)
        .await?;
    match latest {
        Some(ret) if ret.vacancies > 0 => {
            home_offers::Entity::insert(home_offers::ActiveModel {
                home_id: Set(home_id),
                return_id: Set(ret.id),
                week_start: Set(ret.week_start),
            })
            .on_conflict(
                OnConflict::column(home_offers::Column::HomeId)
                    .update_columns([
                        home_offers::Column::ReturnId,
                        home_offers::Column::WeekStart,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        }
        _ => {
            home_offers::Entity::delete_by_id(home_id)
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// Rebuilds every offer from the returns (after a bulk load).
pub async fn rebuild(conn: &impl ConnectionTrait) -> Result<()> {
    home_offers::Entity::delete_many().exec(conn).await?;
    conn.execute_unprepared(migrations::m20261126_000013_home_offers::REBUILD)
        .await?;
    Ok(())
}

/// These homes' current offers from returns of `since` or later, with the
/// return each comes from.
pub async fn of_homes(
    conn: &impl ConnectionTrait,
    home_ids: &[i64],
    since: NaiveDate,
) -> Result<HashMap<i64, returns::Model>> {
    let mut offers = HashMap::new();
    for chunk in home_ids.chunks(400) {
        let found = returns::Entity::find()
            .join(
                JoinType::InnerJoin,
                home_offers::Relation::Returns.def().rev(),
            )
            .filter(home_offers::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(home_offers::Column::WeekStart.gte(since))
            .all(conn)
            .await?;
        offers.extend(found.into_iter().map(|r| (r.home_id, r)));
    }
    Ok(offers)
}
