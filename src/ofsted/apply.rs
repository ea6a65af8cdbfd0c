//! The import itself: organisations, homes, inspections, current ratings
//! (organisations in `file_organisations.rs`, inspections in `inspections.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use importers::ofsted::{OfstedFile, Setting};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::file_organisations::{Organisations, Wanted};
use super::inspections::{InspectionValues, confirm_report, refresh_current};
use super::summary::ImportSummary;
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config;
use crate::db::entities::{homes, inspections};
use crate::error::{Error, Result};
use crate::organisations::{Kind, canonical_council_name, name_key};

/// Rows per statement, for every batch an import writes.
pub(super) const CHUNK: usize = 400;

pub async fn apply(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    file: &OfstedFile,
    council: &config::Council,
) -> Result<ImportSummary> {
    let now = Utc::now().fixed_offset();
    let mut summary = ImportSummary {
        layout: Some(file.layout),
        rows_read: file.settings.len() + file.errors.len(),
        rejected: file.errors.clone(),
        warnings: file.warnings.clone(),
        ..Default::default()
    };
    let latest = latest_rows(&file.settings);
    let mut orgs = Organisations::load(txn).await?;
    let mut audits = Vec::new();

    // Councils and providers named by the file, found or created in batches.
    let mut wanted = Vec::new();
    for s in latest.values() {
        let name = canonical_council_name(&s.local_authority);
        let ons = (name_key(&name) == name_key(&council.name)).then(|| council.ons_code.clone());
        wanted.push(Wanted {
            kind: Kind::Council,
            name,
            sector: None,
            ons_code: ons,
        });
        if let Some(owner) = &s.owner {
            wanted.push(Wanted {
                kind: Kind::Provider,
                name: owner.clone(),
                sector: s.sector,
                ons_code: None,
            });
        }
    }
    let org_ids = orgs
        .ensure(txn, wanted, &mut summary, &mut audits, now)
        .await?;
    let council_ids: HashMap<String, i64> = org_ids
        .iter()
        .filter(|((kind, _), _)| *kind == Kind::Council.code())
        .map(|((_, name), id)| (name.clone(), *id))
        .collect();
    let provider_ids: HashMap<String, i64> = org_ids
        .iter()
        .filter(|((kind, _), _)| *kind == Kind::Provider.code())
        .map(|((_, name), id)| (name.clone(), *id))
        .collect();
    summary.possible_duplicates = orgs.possible_duplicates();
    let our_council_id = council_ids
        .get(&canonical_council_name(&council.name))
        .copied();

    // Homes.
    let urns: Vec<String> = latest.keys().cloned().collect();
    let mut existing = load_homes(txn, &urns).await?;
    let mut new_homes = Vec::new();
    for (urn, s) in &latest {
        let council_id = council_ids
            .get(&canonical_council_name(&s.local_authority))
            .copied();
        let provider_id = s.owner.as_ref().and_then(|o| provider_ids.get(o)).copied();
        match existing.get(urn) {
            None => {
                let locality = default_locality(s, council_id, our_council_id, council);
                new_homes.push(new_home(s, council_id, provider_id, locality, now));
            }
            Some(home) => {
                let before = serde_json::to_value(home).map_err(Error::internal)?;
                let mut model = home.clone().into_active_model();
                if apply_changes(&mut model, home, s, council_id, provider_id) {
                    model.updated_at = Set(now);
                    let updated = model.update(txn).await?;
                    let after = serde_json::to_value(&updated).map_err(Error::internal)?;
                    audits.push(
                        Change::updated("home", urn, before, after)
                            .summary(format!("Ofsted data updated {} ({urn})", updated.name)),
                    );
                    let open = |code: &str| {
                        importers::vocab::RegistrationStatus::from_code(code)
                            .is_some_and(|s| s.is_open())
                    };
                    if open(&home.registration_status) && !open(&updated.registration_status) {
                        summary
                            .homes_deregistered
                            .push((urn.clone(), updated.name.clone()));
                    }
                    existing.insert(urn.clone(), updated);
                    summary.homes_updated += 1;
                } else {
                    summary.homes_unchanged += 1;
                }
            }
        }
    }
    summary.homes_created = new_homes.len();
    for chunk in new_homes.chunks(CHUNK) {
        homes::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    let created: Vec<String> = latest
        .keys()
        .filter(|u| !existing.contains_key(*u))
        .cloned()
        .collect();
    for (urn, home) in load_homes(txn, &created).await? {
        summary.new_homes.push((urn.clone(), home.name.clone()));
        let after = serde_json::to_value(&home).map_err(Error::internal)?;
        audits.push(
            Change::created("home", &urn, after)
                .summary(format!("Added from Ofsted data: {} ({urn})", home.name)),
        );
        existing.insert(urn, home);
    }

    // Inspections, by event number (or home, date and type when Ofsted gave none).
    let home_ids: Vec<i64> = existing.values().map(|h| h.id).collect();
    let known = load_inspections(txn, &home_ids).await?;
    let by_number: HashMap<(i64, String), &inspections::Model> = known
        .iter()
        .filter_map(|i| i.event_number.clone().map(|n| ((i.home_id, n), i)))
        .collect();
    // Reports by providers or the council that Ofsted's data now confirms.
    let reported: HashMap<(i64, NaiveDate, String), &inspections::Model> = known
        .iter()
        .filter(|i| i.source != "ofsted" && i.event_number.is_none())
        .map(|i| ((i.home_id, i.inspection_date, i.event_type.clone()), i))
        .collect();
    let by_event: HashSet<(i64, NaiveDate, String)> = known
        .iter()
        .map(|i| (i.home_id, i.inspection_date, i.event_type.clone()))
        .collect();
    let mut seen = HashSet::new();
    let mut new_inspections = Vec::new();
    let mut touched: HashSet<i64> = HashSet::new();
    for s in &file.settings {
        let Some(home) = existing.get(s.urn.as_str()) else {
            continue;
        };
        for event in [&s.inspection, &s.previous_inspection]
            .into_iter()
            .flatten()
        {
            let key = match &event.event_number {
                Some(n) => format!("{}:{n}", home.id),
                None => format!("{}:{}:{}", home.id, event.date, event.event_type.code()),
            };
            if !seen.insert(key) {
                continue;
            }
            let values = InspectionValues::new(home.id, event, s);
            match event
                .event_number
                .as_ref()
                .and_then(|n| by_number.get(&(home.id, n.clone())))
            {
                Some(found) if values.differs_from(found) => {
                    let before = serde_json::to_value(*found).map_err(Error::internal)?;
                    let mut model = (*found).clone().into_active_model();
                    values.set_on(&mut model);
                    model.updated_at = Set(now);
                    let updated = model.update(txn).await?;
                    audits.push(
                        Change::updated(
                            "inspection",
                            updated.event_number.clone().unwrap_or_default(),
                            before,
                            serde_json::to_value(&updated).map_err(Error::internal)?,
                        )
                        .summary(format!("Ofsted corrected inspection of {}", s.urn)),
                    );
                    touched.insert(home.id);
                    summary.inspections_corrected += 1;
                }
                Some(_) => {}
                None if reported.contains_key(&(
                    home.id,
                    event.date,
                    event.event_type.code().to_string(),
                )) =>
                {
                    let key = (home.id, event.date, event.event_type.code().to_string());
                    let Some(found) = reported.get(&key).copied() else {
                        continue;
                    };
                    let updated =
                        confirm_report(txn, found, &values, event.event_number.clone(), now)
                            .await?;
                    let difference = updated.ofsted_difference.clone();
                    audits.push(
                        Change::updated(
                            "inspection",
                            updated.id,
                            serde_json::to_value(found).map_err(Error::internal)?,
                            serde_json::to_value(&updated).map_err(Error::internal)?,
                        )
                        .summary(match &difference {
                            None => format!(
                                "Ofsted's data confirms the reported inspection of {}",
                                s.urn
                            ),
                            Some(d) => format!(
                                "Ofsted's data corrects the reported inspection of {}: {d}",
                                s.urn
                            ),
                        }),
                    );
                    match difference {
                        None => summary.reports_confirmed += 1,
                        Some(d) => summary.reports_corrected.push((s.urn.to_string(), d)),
                    }
                    touched.insert(home.id);
                }
                None if event.event_number.is_none()
                    && by_event.contains(&(
                        home.id,
                        event.date,
                        event.event_type.code().to_string(),
                    )) => {}
                None => {
                    new_inspections.push(values.new_model(now));
                    audits.push(
                        Change::created(
                            "inspection",
                            event.event_number.clone().unwrap_or_default(),
                            values.describe(),
                        )
                        .summary(format!(
                            "{} of {} on {}",
                            event.event_type.label(),
                            s.urn,
                            event.date.format("%d/%m/%Y")
                        )),
                    );
                    touched.insert(home.id);
                }
            }
        }
    }
    summary.inspections_added = new_inspections.len();
    for chunk in new_inspections.chunks(CHUNK) {
        inspections::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }

    // Current ratings of the homes whose inspections changed.
    let names: HashMap<i64, (String, String)> = existing
        .values()
        .map(|h| (h.id, (h.urn.clone(), h.name.clone())))
        .collect();
    let touched: Vec<i64> = touched.into_iter().collect();
    summary.rating_changes = refresh_current(txn, &touched, &names).await?;
    // New inspections of homes where our children live: worth a look
    // whatever the grade.
    let ours = crate::returns::store::homes_with_our_children(txn, &touched).await?;
    summary.inspected_with_our_children = ours
        .iter()
        .filter_map(|id| names.get(id).cloned())
        .collect();
    summary.inspected_with_our_children.sort();

    // Positions for distances, from the postcode table.
    let all_ids: Vec<i64> = existing.values().map(|h| h.id).collect();
    crate::geo::locate_homes(txn, Some(&all_ids)).await?;

    // Cases follow the ratings: opened for newly flagged homes that matter
    // to us, a close proposed where a home improved or closed.
    let cases = crate::cases::sync(
        txn,
        viewer,
        &all_ids,
        crate::cases::Scope::OurArea(our_council_id),
    )
    .await?;
    summary.cases_opened = cases.opened.len();
    summary.cases_close_proposed = cases.close_proposed.len();

    audit::record_many(txn, viewer, audits).await?;
    let description = format!(
        "Imported Ofsted {} file: {} homes created, {} updated, {} inspections added, {} rating changes, {} rows rejected",
        file.layout.label(),
        summary.homes_created,
        summary.homes_updated,
        summary.inspections_added,
        summary.rating_changes.len(),
        summary.rejected.len()
    );
    audit::record(
        txn,
        viewer,
        Change::event("import", "ofsted_file", Some(file.sheet.clone())).summary(description),
    )
    .await?;
    Ok(summary)
}

/// In an inspections-in-year file a setting appears once per event; its
/// most recent row describes it best.
fn latest_rows(settings: &[Setting]) -> BTreeMap<String, &Setting> {
    let date = |s: &Setting| s.inspection.as_ref().map(|i| i.date);
    let mut latest: BTreeMap<String, &Setting> = BTreeMap::new();
    for s in settings {
        let keep = latest
            .get(s.urn.as_str())
            .is_some_and(|prev| date(prev) > date(s));
        if !keep {
            latest.insert(s.urn.to_string(), s);
        }
    }
    latest
}

fn withheld_name(s: &Setting) -> String {
    format!(
        "{} {} (name withheld by Ofsted)",
        s.provision_type.label(),
        s.urn
    )
}

fn default_locality(
    s: &Setting,
    council_id: Option<i64>,
    ours: Option<i64>,
    council: &config::Council,
) -> Option<String> {
    let district = s.address.postcode.as_ref()?.district().to_string();
    (council_id.is_some() && council_id == ours)
        .then(|| council.locality_for_district(&district).map(str::to_string))
        .flatten()
}

fn new_home(
    s: &Setting,
    council_id: Option<i64>,
    provider_id: Option<i64>,
    locality: Option<String>,
    now: DateTime<FixedOffset>,
) -> homes::ActiveModel {
    homes::ActiveModel {
        urn: Set(s.urn.to_string()),
        name: Set(s.name.clone().unwrap_or_else(|| withheld_name(s))),
        provision_type: Set(s.provision_type.code().to_string()),
        sector: Set(s.sector.map(|x| x.code().to_string())),
        registered_places: Set(s.places.map(|p| p as i32)),
        min_age: Set(None),
        max_age: Set(None),
        sexes: Set(None),
        short_break_only: Set(s.short_break_only),
        multi_building: Set(s.multi_building),
        registration_status: Set(s.registration_status.code().to_string()),
        registration_date: Set(s.registration_date),
        host_council_id: Set(council_id),
        locality: Set(locality),
        address_line1: Set(s.address.line1.clone()),
        address_line2: Set(s.address.line2.clone()),
        town: Set(s.address.town.clone()),
        county: Set(s.address.county.clone()),
        postcode: Set(s.address.postcode.as_ref().map(|p| p.to_string())),
        latitude: Set(None),
        longitude: Set(None),
        provider_id: Set(provider_id),
        contract: Set("spot".into()),
        block_beds: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Sets what Ofsted is the source of truth for; true if anything changed.
/// Withheld names and addresses never overwrite what a provider entered, and
/// what only providers know (ages, sexes, needs) is never touched.
fn apply_changes(
    m: &mut homes::ActiveModel,
    h: &homes::Model,
    s: &Setting,
    council_id: Option<i64>,
    provider_id: Option<i64>,
) -> bool {
    let mut changed = false;
    macro_rules! set {
        ($field:ident, $value:expr) => {{
            let value = $value;
            if h.$field != value {
                m.$field = Set(value);
                changed = true;
            }
        }};
    }
    if let Some(name) = &s.name {
        set!(name, name.clone());
    }
    set!(provision_type, s.provision_type.code().to_string());
    set!(sector, s.sector.map(|x| x.code().to_string()));
    set!(registered_places, s.places.map(|p| p as i32));
    set!(
        registration_status,
        s.registration_status.code().to_string()
    );
    if s.registration_date.is_some() {
        set!(registration_date, s.registration_date);
    }
    set!(short_break_only, s.short_break_only);
    set!(multi_building, s.multi_building);
    if council_id.is_some() {
        set!(host_council_id, council_id);
    }
    if provider_id.is_some() {
        set!(provider_id, provider_id);
    }
    let a = &s.address;
    if a.line1.is_some() || a.postcode.is_some() {
        set!(address_line1, a.line1.clone());
        set!(address_line2, a.line2.clone());
        set!(town, a.town.clone());
        set!(county, a.county.clone());
        let postcode = a.postcode.as_ref().map(|p| p.to_string());
        if h.postcode != postcode {
            m.latitude = Set(None);
            m.longitude = Set(None);
        }
        set!(postcode, postcode);
    }
    changed
}

async fn load_homes(
    txn: &DatabaseTransaction,
    urns: &[String],
) -> Result<HashMap<String, homes::Model>> {
    let mut out = HashMap::with_capacity(urns.len());
    for chunk in urns.chunks(CHUNK) {
        for home in homes::Entity::find()
            .filter(homes::Column::Urn.is_in(chunk.to_vec()))
            .all(txn)
            .await?
        {
            out.insert(home.urn.clone(), home);
        }
    }
    Ok(out)
}

async fn load_inspections(
    txn: &DatabaseTransaction,
    home_ids: &[i64],
) -> Result<Vec<inspections::Model>> {
    let mut out = Vec::new();
    for chunk in home_ids.chunks(CHUNK) {
        out.extend(
            inspections::Entity::find()
                .filter(inspections::Column::HomeId.is_in(chunk.to_vec()))
                .all(txn)
                .await?,
        );
    }
    Ok(out)
}
