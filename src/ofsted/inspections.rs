//! An import's inspections: each event's values as Ofsted publishes them,
//! a provider's or the council's report confirmed by Ofsted's record of the
//! same inspection, and each home's current inspection.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate};
use importers::ofsted::{Inspection, Setting};
use importers::vocab::{Judgement, Scale};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::summary::RatingChange;
use crate::db::entities::inspections;
use crate::error::Result;

use super::apply::CHUNK;

/// One event's values as Ofsted publishes them.
pub(super) struct InspectionValues {
    home_id: i64,
    event_number: Option<String>,
    event_type: String,
    date: NaiveDate,
    published: Option<NaiveDate>,
    scale: Scale,
    grades: [Option<String>; 5],
}

impl InspectionValues {
    pub(super) fn new(home_id: i64, i: &Inspection, s: &Setting) -> Self {
        let graded = [
            i.overall,
            i.helped_protected,
            i.leaders_managers,
            i.education,
            i.health,
        ];
        let scale = graded.iter().flatten().next().map(|j| j.scale()).unwrap_or(
            if s.provision_type.uses_supported_accommodation_scale() {
                Scale::SupportedAccommodation
            } else {
                Scale::FourPoint
            },
        );
        InspectionValues {
            home_id,
            event_number: i.event_number.clone(),
            event_type: i.event_type.code().to_string(),
            date: i.date,
            published: i.published,
            scale,
            grades: graded.map(|g| g.map(|j| j.code().to_string())),
        }
    }

    pub(super) fn differs_from(&self, m: &inspections::Model) -> bool {
        m.event_type != self.event_type
            || m.inspection_date != self.date
            || m.publication_date != self.published
            || m.scale != self.scale.code()
            || [
                &m.overall,
                &m.helped_protected,
                &m.leaders_managers,
                &m.education,
                &m.health,
            ]
            .into_iter()
            .zip(self.grades.iter())
            .any(|(a, b)| a != b)
    }

    pub(super) fn set_on(&self, m: &mut inspections::ActiveModel) {
        let [overall, helped, leaders, education, health] = self.grades.clone();
        m.home_id = Set(self.home_id);
        m.event_type = Set(self.event_type.clone());
        m.inspection_date = Set(self.date);
        m.publication_date = Set(self.published);
        m.scale = Set(self.scale.code().to_string());
        m.overall = Set(overall);
        m.helped_protected = Set(helped);
        m.leaders_managers = Set(leaders);
        m.education = Set(education);
        m.health = Set(health);
        m.source = Set("ofsted".into());
        m.verified = Set(true);
    }

    pub(super) fn new_model(&self, now: DateTime<FixedOffset>) -> inspections::ActiveModel {
        let mut m = inspections::ActiveModel {
            event_number: Set(self.event_number.clone()),
            report_url: Set(None),
            is_current: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        self.set_on(&mut m);
        m
    }

    pub(super) fn describe(&self) -> Value {
        json!({
            "event_type": self.event_type,
            "inspection_date": self.date,
            "publication_date": self.published,
            "overall": self.grades[0],
            "helped_protected": self.grades[1],
            "leaders_managers": self.grades[2],
        })
    }
}

/// Turns a provider's or the council's report into Ofsted's record of the
/// same inspection, noting what Ofsted's data changed.
pub(super) async fn confirm_report(
    txn: &DatabaseTransaction,
    found: &inspections::Model,
    values: &InspectionValues,
    event_number: Option<String>,
    now: DateTime<FixedOffset>,
) -> Result<inspections::Model> {
    let mut as_ofsted = found.clone();
    let [overall, helped, leaders, _, _] = values.grades.clone();
    as_ofsted.overall = overall;
    as_ofsted.helped_protected = helped;
    as_ofsted.leaders_managers = leaders;
    let difference = crate::quality::inspections::difference(found, &as_ofsted);
    let mut model = found.clone().into_active_model();
    values.set_on(&mut model);
    model.event_number = Set(event_number);
    if !found.verified {
        model.confirmed_at = Set(Some(now));
        model.confirmed_by = Set(Some("Ofsted data".into()));
    }
    model.ofsted_difference = Set(difference);
    model.updated_at = Set(now);
    Ok(model.update(txn).await?)
}

/// Marks each home's latest full inspection that counts
/// (`quality::counts_as_current`) as current and reports homes whose
/// current rating changed.
pub async fn refresh_current(
    txn: &impl ConnectionTrait,
    home_ids: &[i64],
    names: &HashMap<i64, (String, String)>,
) -> Result<Vec<RatingChange>> {
    let mut changes = Vec::new();
    let mut clear = Vec::new();
    let mut set = Vec::new();
    for chunk in home_ids.chunks(CHUNK) {
        let all = inspections::Entity::find()
            .filter(inspections::Column::HomeId.is_in(chunk.to_vec()))
            .order_by_asc(inspections::Column::HomeId)
            .order_by_desc(inspections::Column::InspectionDate)
            .order_by_desc(inspections::Column::Id)
            .all(txn)
            .await?;
        let mut by_home: BTreeMap<i64, Vec<&inspections::Model>> = BTreeMap::new();
        for i in &all {
            by_home.entry(i.home_id).or_default().push(i);
        }
        for (home_id, list) in by_home {
            let old = list.iter().find(|i| i.is_current).copied();
            let new = list
                .iter()
                .find(|i| crate::quality::counts_as_current(i))
                .copied();
            if old.map(|i| i.id) == new.map(|i| i.id) {
                continue;
            }
            if let Some(o) = old {
                clear.push(o.id);
            }
            if let Some(n) = new {
                set.push(n.id);
            }
            let grade = |i: Option<&inspections::Model>| {
                i.and_then(|i| i.overall.as_deref())
                    .and_then(Judgement::from_code)
            };
            let (from, to) = (grade(old), grade(new));
            if from != to {
                let (urn, name) = names.get(&home_id).cloned().unwrap_or_default();
                changes.push(RatingChange {
                    urn,
                    name,
                    from,
                    to,
                });
            }
        }
    }
    // Clear before setting: at most one current inspection per home, always.
    for chunk in clear.chunks(CHUNK) {
        inspections::Entity::update_many()
            .col_expr(
                inspections::Column::IsCurrent,
                sea_orm::sea_query::Expr::value(false),
            )
            .filter(inspections::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    for chunk in set.chunks(CHUNK) {
        inspections::Entity::update_many()
            .col_expr(
                inspections::Column::IsCurrent,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(inspections::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(changes)
}
