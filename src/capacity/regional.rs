//! The regional dashboard: for a week, each member council's area with the
//! same figures as its own capacity dashboard, and the beds each council's
//! children occupy across the region: the raw data for a regional
//! sufficiency statement.

use std::collections::HashMap;

use importers::vocab::IsoWeek;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Figures;
use crate::config::Market;
use crate::db::entities::{return_placements, returns};
use crate::error::Result;
use crate::regions::Member;
use crate::web::export::{ExportCell, Table};

/// One member council's line.
#[derive(Debug, Clone)]
pub struct CouncilLine {
    pub member: Member,
    /// Its area's homes and who uses them.
    pub area: Figures,
    /// Beds its children occupy in any home, by returns for the week.
    pub placed: i64,
}

#[derive(Debug, Clone)]
pub struct Regional {
    pub week: IsoWeek,
    pub lines: Vec<CouncilLine>,
    pub totals: Figures,
    pub placed: i64,
}

/// Beds each council's children occupy, by the current returns for `week`.
async fn placed_by_council(
    conn: &impl ConnectionTrait,
    week: IsoWeek,
) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = return_placements::Entity::find()
        .select_only()
        .column(return_placements::Column::CouncilId)
        .column_as(return_placements::Column::Beds.sum(), "beds")
        .inner_join(returns::Entity)
        .filter(returns::Column::IsCurrent.eq(true))
        .filter(returns::Column::WeekStart.eq(week.monday()))
        .group_by(return_placements::Column::CouncilId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn regional(
    conn: &impl ConnectionTrait,
    market: &Market,
    week: IsoWeek,
) -> Result<Regional> {
    let placed = placed_by_council(conn, week).await?;
    let mut lines = Vec::new();
    let mut totals = Figures::default();
    for member in crate::regions::members(conn).await? {
        let area = super::area_totals(conn, market, member.id, week).await?;
        totals.merge(&area);
        lines.push(CouncilLine {
            placed: placed.get(&member.id).copied().unwrap_or(0),
            member,
            area,
        });
    }
    let placed = lines.iter().map(|l| l.placed).sum();
    Ok(Regional {
        week,
        lines,
        totals,
        placed,
    })
}

impl Regional {
    pub fn table(&self) -> Table {
        let row = |name: String, code: String, f: &Figures, placed: i64| {
            vec![
                ExportCell::from(self.week.to_string()),
                name.into(),
                code.into(),
                f.homes.into(),
                f.filed.into(),
                f.places.into(),
                f.ours.into(),
                f.other_members().into(),
                f.outside_region.into(),
                f.not_admittable().into(),
                f.vacant.into(),
                f.good_or_better.into(),
                placed.into(),
            ]
        };
        let mut rows: Vec<Vec<ExportCell>> = self
            .lines
            .iter()
            .map(|l| {
                let code = l.member.ons_code.clone().unwrap_or_default();
                row(l.member.name.clone(), code, &l.area, l.placed)
            })
            .collect();
        rows.push(row(
            "Region".into(),
            String::new(),
            &self.totals,
            self.placed,
        ));
        Table {
            headers: vec![
                "Week",
                "Council",
                "ONS code",
                "Homes in its area",
                "Returns filed",
                "Registered places",
                "Used by its own children",
                "Used by other member councils' children",
                "Used by children of councils outside the region",
                "Not admittable",
                "Vacant",
                "Rated Good or better",
                "Beds its children occupy across the region",
            ],
            rows,
        }
    }
}
