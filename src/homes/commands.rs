//! Changing homes. Every change is audited in the same transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::Value;

use super::{HomeDetails, HomeInput, Registration};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{council_contracts, home_needs, homes};
use crate::error::{Error, Result};
use crate::organisations::{Kind, pick};
use importers::vocab::Contract;

/// What the audit trail keeps of a home: its columns and its needs.
pub async fn snapshot(conn: &impl ConnectionTrait, home: &homes::Model) -> Result<Value> {
    let mut value = serde_json::to_value(home).map_err(Error::internal)?;
    let mut needs: Vec<String> = home_needs::Entity::find()
        .filter(home_needs::Column::HomeId.eq(home.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.need)
        .collect();
    needs.sort();
    if let Value::Object(map) = &mut value {
        map.insert("needs".into(), needs.into());
    }
    Ok(value)
}

async fn replace_needs(
    conn: &impl ConnectionTrait,
    home_id: i64,
    details: &HomeDetails,
) -> Result<()> {
    home_needs::Entity::delete_many()
        .filter(home_needs::Column::HomeId.eq(home_id))
        .exec(conn)
        .await?;
    let rows: Vec<home_needs::ActiveModel> = details
        .needs
        .iter()
        .map(|n| home_needs::ActiveModel {
            home_id: Set(home_id),
            need: Set(n.code().to_string()),
        })
        .collect();
    if !rows.is_empty() {
        home_needs::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// The region's member councils and how each divides itself, for default
/// localities.
pub struct Area {
    pub members: Vec<crate::regions::Member>,
}

impl Area {
    /// A home in a member council's area without a locality gets the one
    /// its postcode district belongs to there.
    fn locality(&self, details: &HomeDetails, host_council_id: Option<i64>) -> Option<String> {
        if details.locality.is_some() {
            return details.locality.clone();
        }
        let member = self
            .members
            .iter()
            .find(|m| Some(m.id) == host_council_id)?;
        let district = details.postcode.as_ref()?.district().to_string();
        member.locality_for_district(&district).map(str::to_string)
    }
}

fn apply_details(model: &mut homes::ActiveModel, details: &HomeDetails, locality: Option<String>) {
    model.name = Set(details.name.clone());
    model.min_age = Set(details.min_age);
    model.max_age = Set(details.max_age);
    model.sexes = Set(details.sexes.map(|s| s.code().to_string()));
    model.short_break_only = Set(details.short_break_only);
    model.locality = Set(locality);
    model.address_line1 = Set(details.address_line1.clone());
    model.address_line2 = Set(details.address_line2.clone());
    model.town = Set(details.town.clone());
    model.county = Set(details.county.clone());
    model.postcode = Set(details.postcode.as_ref().map(|p| p.to_string()));
}

/// Sets what the registration says, with its owner found; an owner set by
/// hand is today's fact (only a newer Ofsted file changes it).
fn apply_registration(
    model: &mut homes::ActiveModel,
    before: Option<&homes::Model>,
    r: &Registration,
    provider_id: Option<i64>,
) {
    model.provision_type = Set(r.provision_type.code().to_string());
    model.sector = Set(r.sector.map(|s| s.code().to_string()));
    model.registered_places = Set(r.registered_places);
    model.registration_status = Set(r.registration_status.code().to_string());
    model.registration_date = Set(r.registration_date);
    model.host_council_id = Set(r.host_council_id);
    model.provider_id = Set(provider_id);
    if before.is_none_or(|h| h.provider_id != provider_id) {
        model.owner_as_at = Set(provider_id.map(|_| Utc::now().date_naive()));
    }
}

/// Records how `viewer`'s council buys places at a home (a council's own:
/// other members never see it). Spot purchase keeps no row.
async fn set_contract(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    home: &homes::Model,
    r: &Registration,
) -> Result<()> {
    let Some(council) = viewer.council_id() else {
        return Ok(());
    };
    let of_home = || {
        council_contracts::Entity::find()
            .filter(council_contracts::Column::CouncilId.eq(council))
            .filter(council_contracts::Column::HomeId.eq(home.id))
    };
    let before = of_home().one(conn).await?;
    let wanted = (r.contract != Contract::Spot).then(|| (r.contract.code(), r.block_beds));
    let had = before.as_ref().map(|c| (c.contract.as_str(), c.block_beds));
    if wanted == had {
        return Ok(());
    }
    council_contracts::Entity::delete_many()
        .filter(council_contracts::Column::CouncilId.eq(council))
        .filter(council_contracts::Column::HomeId.eq(home.id))
        .exec(conn)
        .await?;
    if let Some((contract, block_beds)) = wanted {
        council_contracts::ActiveModel {
            council_id: Set(council),
            home_id: Set(home.id),
            contract: Set(contract.to_string()),
            block_beds: Set(block_beds),
            updated_at: Set(Utc::now().fixed_offset()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    let label = r.contract.label().to_lowercase();
    audit::record(
        conn,
        viewer,
        Change::updated(
            "council_contract",
            format!("{council}:{}", home.urn),
            serde_json::json!({ "contract": had.map(|h| h.0), "block_beds": had.and_then(|h| h.1) }),
            serde_json::json!({ "contract": wanted.map(|w| w.0), "block_beds": wanted.and_then(|w| w.1) }),
        )
        .summary(format!("Contract for {} ({}): {label}", home.name, home.urn)),
    )
    .await?;
    Ok(())
}

pub async fn create(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    input: HomeInput,
    area: &Area,
) -> Result<homes::Model> {
    let urn = input
        .urn
        .clone()
        .ok_or_else(|| Error::field("urn", "Enter the home's Ofsted URN"))?;
    let registration = input
        .registration
        .as_ref()
        .ok_or_else(|| Error::field("provision_type", "Select the provision type"))?;
    let provider_id =
        pick::resolve(conn, Kind::Provider, &registration.provider, "provider_id").await?;
    let now = Utc::now().fixed_offset();
    let mut model = homes::ActiveModel {
        urn: Set(urn.to_string()),
        multi_building: Set(false),
        latitude: Set(None),
        longitude: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_details(
        &mut model,
        &input.details,
        area.locality(&input.details, registration.host_council_id),
    );
    apply_registration(&mut model, None, registration, provider_id);
    let home = match model.insert(conn).await {
        Ok(home) => home,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(Error::field(
                "urn",
                "A home with this URN already exists. Search for it instead of adding it again",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    replace_needs(conn, home.id, &input.details).await?;
    set_contract(conn, viewer, &home, registration).await?;
    let after = snapshot(conn, &home).await?;
    audit::record(
        conn,
        viewer,
        Change::created("home", &home.urn, after)
            .summary(format!("Added {} ({})", home.name, home.urn)),
    )
    .await?;
    crate::geo::locate_homes(conn, Some(&[home.id])).await?;
    Ok(home)
}

/// [`create`] in a transaction of its own, committed when it returns.
pub async fn create_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: HomeInput,
    area: &Area,
) -> Result<homes::Model> {
    let txn = crate::db::begin_write(db).await?;
    let home = create(&txn, viewer, input, area).await?;
    txn.commit().await?;
    Ok(home)
}

/// [`update`] in a transaction of its own, committed when it returns.
pub async fn update_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    urn: &str,
    input: HomeInput,
    area: &Area,
) -> Result<homes::Model> {
    let txn = crate::db::begin_write(db).await?;
    let home = update(&txn, viewer, urn, input, area).await?;
    txn.commit().await?;
    Ok(home)
}

/// Everyone who may edit a home may change its details. Registration,
/// ownership and contract are for admins and commissioners: from anyone
/// else they are ignored, whatever the request carries (no mass assignment).
pub async fn update(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    urn: &str,
    input: HomeInput,
    area: &Area,
) -> Result<homes::Model> {
    let existing = homes::Entity::find()
        .filter(homes::Column::Urn.eq(urn.trim().to_ascii_uppercase()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let market_editor = viewer.role.edits_market();
    if !market_editor && !viewer.belongs_to(existing.provider_id) {
        return Err(Error::Forbidden);
    }
    let registration = input.registration.as_ref().filter(|_| market_editor);
    let provider_id = match registration {
        Some(r) => pick::resolve(conn, Kind::Provider, &r.provider, "provider_id").await?,
        None => existing.provider_id,
    };
    let before = snapshot(conn, &existing).await?;
    let postcode_changed =
        existing.postcode != input.details.postcode.as_ref().map(|p| p.to_string());
    let host_council_id = registration
        .map(|r| r.host_council_id)
        .unwrap_or(existing.host_council_id);
    let locality = area.locality(&input.details, host_council_id);
    let mut model = existing.clone().into_active_model();
    apply_details(&mut model, &input.details, locality);
    if let Some(r) = registration {
        apply_registration(&mut model, Some(&existing), r, provider_id);
    }
    if postcode_changed {
        // Old coordinates would put the home in the wrong place.
        model.latitude = Set(None);
        model.longitude = Set(None);
    }
    model.updated_at = Set(Utc::now().fixed_offset());
    let home = model.update(conn).await?;
    replace_needs(conn, home.id, &input.details).await?;
    if let Some(r) = registration {
        set_contract(conn, viewer, &home, r).await?;
    }
    let after = snapshot(conn, &home).await?;
    let change = Change::updated("home", &home.urn, before, after)
        .summary(format!("Updated {} ({})", home.name, home.urn));
    if !change.is_empty_update() {
        audit::record(conn, viewer, change).await?;
    }
    crate::geo::locate_homes(conn, Some(&[home.id])).await?;
    Ok(home)
}
