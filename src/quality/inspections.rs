//! Inspections reported by a home's provider (awaiting confirmation) or
//! recorded by council staff, beside Ofsted's data. Each one refreshes the
//! home's current rating and its monitoring case in the same transaction;
//! a provider's report counts only once confirmed, unless it raises a flag.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use importers::vocab::{EventType, Judgement, ProvisionType, Scale};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};

use super::alerts;
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::cases;
use crate::config::Settings;
use crate::db::entities::{homes, inspections};
use crate::error::{Error, Result};
use crate::web::forms::FormErrors;

/// An inspection outcome as a form states it.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionInput {
    pub event_type: EventType,
    pub date: NaiveDate,
    pub overall: Option<Judgement>,
    pub helped_protected: Option<Judgement>,
    pub leaders_managers: Option<Judgement>,
    pub report_url: Option<url::Url>,
}

/// The scale a home's inspections use.
pub fn scale_of(home: &homes::Model) -> Scale {
    match ProvisionType::from_code(&home.provision_type) {
        Some(t) if t.uses_supported_accommodation_scale() => Scale::SupportedAccommodation,
        _ => Scale::FourPoint,
    }
}

/// The judgements a home's inspections can have, best first.
pub fn judgements_for(scale: Scale) -> Vec<Judgement> {
    Judgement::ALL
        .iter()
        .copied()
        .filter(|j| j.scale() == scale)
        .collect()
}

/// Rules beyond what the form's parsing checks.
pub fn check(input: &InspectionInput, home: &homes::Model, today: NaiveDate) -> FormErrors {
    let mut errors = FormErrors::default();
    if input.date > today {
        errors.add("date", "The inspection date must be today or in the past");
    }
    if input.event_type == EventType::Full && input.overall.is_none() {
        errors.add(
            "overall",
            "Select the overall judgement: a full inspection always has one",
        );
    }
    let scale = scale_of(home);
    for (field, j) in [
        ("overall", input.overall),
        ("helped_protected", input.helped_protected),
        ("leaders_managers", input.leaders_managers),
    ] {
        if j.is_some_and(|j| j.scale() != scale) {
            errors.add(
                field,
                "Select a judgement on this home's scale from the list",
            );
        }
    }
    if let Some(url) = &input.report_url {
        let ofsted = url
            .host_str()
            .is_some_and(|h| h == "ofsted.gov.uk" || h.ends_with(".ofsted.gov.uk"));
        if url.scheme() != "https" || !ofsted {
            errors.add(
                "report_url",
                "Enter the link to the report on Ofsted's website, starting https://reports.ofsted.gov.uk/",
            );
        }
    }
    errors
}

/// Records an inspection (see [`record`]) and queues the alerts it raises,
/// all in one transaction: a provider's report asks commissioners to
/// confirm it, and any rating below Good alerts those who watch the home.
pub async fn record_and_alert(
    db: &DatabaseConnection,
    settings: &Settings,
    viewer: &Viewer,
    home: &homes::Model,
    input: &InspectionInput,
) -> Result<inspections::Model> {
    let txn = crate::db::begin_write(db).await?;
    let recorded = record(&txn, viewer, home, input).await?;
    // Alerts go in the same transaction as the rating they report.
    let now = Utc::now();
    if !viewer.role.edits_market() {
        alerts::inspection_reported(&txn, settings, home, &recorded, now).await?;
    }
    alerts::rating_alerts(&txn, settings, now).await?;
    txn.commit().await?;
    Ok(recorded)
}

/// Confirms a provider's report (see [`confirm`]) and queues the rating
/// alerts it raises, in one transaction.
pub async fn confirm_and_alert(
    db: &DatabaseConnection,
    settings: &Settings,
    viewer: &Viewer,
    home: &homes::Model,
    id: i64,
) -> Result<inspections::Model> {
    let txn = crate::db::begin_write(db).await?;
    let confirmed = confirm(&txn, viewer, home, id).await?;
    alerts::rating_alerts(&txn, settings, Utc::now()).await?;
    txn.commit().await?;
    Ok(confirmed)
}

/// Records an inspection: a provider's report awaits confirmation; council
/// staff's entry counts as confirmed.
pub async fn record(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    home: &homes::Model,
    input: &InspectionInput,
) -> Result<inspections::Model> {
    let by_council = viewer.role.edits_market();
    if !by_council && !viewer.belongs_to(home.provider_id) {
        return Err(Error::Forbidden);
    }
    let errors = check(input, home, Utc::now().date_naive());
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let duplicate = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home.id))
        .filter(inspections::Column::InspectionDate.eq(input.date))
        .filter(inspections::Column::EventType.eq(input.event_type.code()))
        .one(txn)
        .await?;
    if duplicate.is_some() {
        return Err(Error::field(
            "date",
            format!(
                "A {} on {} is already recorded for this home",
                input.event_type.label().to_lowercase(),
                crate::web::filters::long_date(&input.date)
            ),
        ));
    }
    let now = Utc::now().fixed_offset();
    let code = |j: Option<Judgement>| j.map(|j| j.code().to_string());
    let row = inspections::ActiveModel {
        home_id: Set(home.id),
        event_number: Set(None),
        event_type: Set(input.event_type.code().into()),
        inspection_date: Set(input.date),
        publication_date: Set(None),
        scale: Set(scale_of(home).code().into()),
        overall: Set(code(input.overall)),
        helped_protected: Set(code(input.helped_protected)),
        leaders_managers: Set(code(input.leaders_managers)),
        education: Set(None),
        health: Set(None),
        source: Set(if by_council { "council" } else { "provider" }.into()),
        verified: Set(by_council),
        report_url: Set(input.report_url.as_ref().map(|u| u.to_string())),
        is_current: Set(false),
        reported_by_user_id: Set(viewer.user_id),
        reported_by: Set(Some(viewer.display_name.clone())),
        confirmed_at: Set(by_council.then_some(now)),
        confirmed_by: Set(by_council.then(|| viewer.display_name.clone())),
        ofsted_difference: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        viewer,
        Change::created(
            "inspection",
            row.id,
            serde_json::to_value(&row).map_err(Error::internal)?,
        )
        .summary(format!(
            "{} of {} on {} {}",
            input.event_type.label(),
            home.urn,
            input.date.format("%d/%m/%Y"),
            if by_council {
                "recorded by the council"
            } else {
                "reported by the provider"
            }
        )),
    )
    .await?;
    refresh(txn, viewer, home).await?;
    Ok(row)
}

/// A commissioner confirms a provider's report.
pub async fn confirm(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    id: i64,
) -> Result<inspections::Model> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    let found = inspections::Entity::find_by_id(id)
        .filter(inspections::Column::HomeId.eq(home.id))
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    if found.verified {
        return Ok(found);
    }
    let now = Utc::now().fixed_offset();
    let mut model = found.clone().into_active_model();
    model.verified = Set(true);
    model.confirmed_at = Set(Some(now));
    model.confirmed_by = Set(Some(viewer.display_name.clone()));
    model.updated_at = Set(now);
    let updated = model.update(txn).await?;
    audit::record(
        txn,
        viewer,
        Change::updated(
            "inspection",
            updated.id,
            serde_json::to_value(&found).map_err(Error::internal)?,
            serde_json::to_value(&updated).map_err(Error::internal)?,
        )
        .summary(format!("Provider's report for {} confirmed", home.urn)),
    )
    .await?;
    refresh(txn, viewer, home).await?;
    Ok(updated)
}

async fn refresh(txn: &impl ConnectionTrait, viewer: &Viewer, home: &homes::Model) -> Result<()> {
    let names = HashMap::from([(home.id, (home.urn.clone(), home.name.clone()))]);
    crate::ofsted::refresh_current(txn, &[home.id], &names).await?;
    // A home its provider or the council reports on is one the council
    // watches: its case opens whatever its area.
    cases::sync(txn, viewer, &[home.id], cases::Scope::AndActingCouncil).await?;
    Ok(())
}

/// How a provider's report and Ofsted's data for the same inspection
/// differ, in words; `None` when they agree.
pub fn difference(reported: &inspections::Model, ofsted: &inspections::Model) -> Option<String> {
    let label = |code: &Option<String>| {
        code.as_deref()
            .and_then(Judgement::from_code)
            .map(|j| j.short_label().to_string())
            .unwrap_or_else(|| "none".into())
    };
    let parts: Vec<String> = [
        ("overall", &reported.overall, &ofsted.overall),
        (
            "helped and protected",
            &reported.helped_protected,
            &ofsted.helped_protected,
        ),
        (
            "leaders and managers",
            &reported.leaders_managers,
            &ofsted.leaders_managers,
        ),
    ]
    .into_iter()
    .filter(|(_, r, o)| r.is_some() && r != o)
    .map(|(area, r, o)| format!("{area}: reported {}, Ofsted {}", label(r), label(o)))
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}
