//! The import itself, phase by phase: the organisations the file names
//! (`file_organisations.rs`), the homes and their dated facts (`facts.rs`),
//! the inspections (`inspections.rs`), then what follows from them: current
//! ratings, positions and monitoring cases.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use importers::ofsted::{OfstedFile, Setting};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::facts::{self, Stated};
use super::file_organisations::{Organisations, Wanted};
use super::inspections::{InspectionValues, confirm_report, refresh_current};
use super::summary::{ImportSummary, OwnerChange};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{homes, inspections};
use crate::error::{Error, Result};
use crate::organisations::{Kind, canonical_council_name};
use crate::regions::{Member, council_key};

/// Rows per statement, for every batch an import writes.
pub(super) const CHUNK: usize = 400;

/// What every phase shares.
struct Import<'a> {
    txn: &'a DatabaseTransaction,
    file: &'a OfstedFile,
    now: DateTime<FixedOffset>,
    summary: ImportSummary,
    audits: Vec<Change>,
}

pub async fn apply(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    file: &OfstedFile,
) -> Result<ImportSummary> {
    let mut import = Import {
        txn,
        file,
        now: Utc::now().fixed_offset(),
        summary: ImportSummary {
            layout: Some(file.layout),
            as_at: Some(file.as_at),
            rows_read: file.settings.len() + file.errors.len(),
            rejected: file.errors.clone(),
            warnings: file.warnings.clone(),
            ..Default::default()
        },
        audits: Vec::new(),
    };
    let latest = latest_rows(&file.settings);
    let (orgs, ids) = import.organisations(&latest).await?;
    let homes = import.homes(&latest, &orgs, &ids).await?;
    let touched = import.inspections(&homes).await?;
    import.consequences(viewer, &homes, touched).await?;

    let Import {
        summary, audits, ..
    } = import;
    audit::record_many(txn, viewer, audits).await?;
    let description = format!(
        "Imported Ofsted {} file as at {}: {} homes created, {} updated, {} owners changed, {} facts kept as newer than the file, {} inspections added, {} rating changes, {} rows rejected",
        file.layout.label(),
        file.as_at,
        summary.homes_created,
        summary.homes_updated,
        summary.owner_changes.len(),
        summary.facts_kept_older,
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

/// The organisations' ids a file's rows resolve to.
struct OrganisationIds {
    councils: HashMap<String, i64>,
    providers: HashMap<String, i64>,
    /// The region's member councils by id.
    members: HashMap<i64, Member>,
    /// Member councils' names by `council_key`, so that Ofsted's spelling
    /// ("Bristol") finds the member added by ONS code ("Bristol, City of").
    member_names: HashMap<String, String>,
}

impl OrganisationIds {
    /// The name a file's council is recorded under.
    fn council_name(member_names: &HashMap<String, String>, local_authority: &str) -> String {
        let name = canonical_council_name(local_authority);
        member_names
            .get(&council_key(&name))
            .cloned()
            .unwrap_or(name)
    }

    fn of(&self, s: &Setting) -> (Option<i64>, Option<i64>) {
        let council = self
            .councils
            .get(&Self::council_name(&self.member_names, &s.local_authority))
            .copied();
        let provider = s
            .owner
            .as_ref()
            .and_then(|o| self.providers.get(o))
            .copied();
        (council, provider)
    }
}

impl Import<'_> {
    /// Councils and owners named by the file, found (by name, or by a
    /// spelling merged into another organisation) or created in batches.
    async fn organisations(
        &mut self,
        latest: &BTreeMap<String, &Setting>,
    ) -> Result<(Organisations, OrganisationIds)> {
        let mut orgs = Organisations::load(self.txn).await?;
        let members: HashMap<i64, Member> = crate::regions::members(self.txn)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let member_names: HashMap<String, String> = members
            .values()
            .map(|m| (council_key(&m.name), m.name.clone()))
            .collect();
        let mut wanted = Vec::new();
        for s in latest.values() {
            let name = OrganisationIds::council_name(&member_names, &s.local_authority);
            wanted.push(Wanted {
                kind: Kind::Council,
                name,
                sector: None,
                ons_code: None,
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
            .ensure(
                self.txn,
                wanted,
                self.file.as_at,
                &mut self.summary,
                &mut self.audits,
                self.now,
            )
            .await?;
        let of_kind = |kind: Kind| -> HashMap<String, i64> {
            org_ids
                .iter()
                .filter(|((k, _), _)| *k == kind.code())
                .map(|((_, name), id)| (name.clone(), *id))
                .collect()
        };
        let councils = of_kind(Kind::Council);
        self.summary.possible_duplicates = orgs.possible_duplicates();
        let ids = OrganisationIds {
            councils,
            providers: of_kind(Kind::Provider),
            members,
            member_names,
        };
        Ok((orgs, ids))
    }

    /// Homes: new ones created, known ones given what the file states that
    /// is not older than what they hold. Returns every home the file names.
    async fn homes(
        &mut self,
        latest: &BTreeMap<String, &Setting>,
        orgs: &Organisations,
        ids: &OrganisationIds,
    ) -> Result<HashMap<String, homes::Model>> {
        let urns: Vec<String> = latest.keys().cloned().collect();
        let mut existing = load_homes(self.txn, &urns).await?;
        let mut new_homes = Vec::new();
        for (urn, s) in latest {
            let (council_id, provider_id) = ids.of(s);
            let row = Stated {
                setting: s,
                says: self.file.says,
                as_at: self.file.as_at,
                council_id,
                provider_id,
            };
            let Some(home) = existing.get(urn) else {
                let locality = default_locality(s, council_id.and_then(|c| ids.members.get(&c)));
                let mut model = new_home(s, council_id, provider_id, locality, self.now);
                facts::dates_of_new(&mut model, &row);
                new_homes.push(model);
                continue;
            };
            let mut model = home.clone().into_active_model();
            let applied = facts::apply(&mut model, home, &row);
            self.summary.facts_kept_older += applied.kept_older;
            if !model.is_changed() {
                self.summary.homes_unchanged += 1;
                continue;
            }
            if !applied.changed {
                // Only the dates its facts were last stated moved.
                model.update(self.txn).await?;
                self.summary.homes_unchanged += 1;
                continue;
            }
            model.updated_at = Set(self.now);
            let updated = model.update(self.txn).await?;
            self.audits.push(
                Change::updated(
                    "home",
                    urn,
                    serde_json::to_value(home).map_err(Error::internal)?,
                    serde_json::to_value(&updated).map_err(Error::internal)?,
                )
                .summary(format!("Ofsted data updated {} ({urn})", updated.name)),
            );
            if is_open(&home.registration_status) && !is_open(&updated.registration_status) {
                self.summary
                    .homes_deregistered
                    .push((urn.clone(), updated.name.clone()));
            }
            if let Some((from, to)) = applied.owner_moved {
                self.summary.owner_changes.push(OwnerChange {
                    urn: urn.clone(),
                    name: updated.name.clone(),
                    from: from.and_then(|id| orgs.name_of(id)),
                    to: orgs.name_of(to).unwrap_or_default(),
                    ours: false,
                });
            }
            existing.insert(urn.clone(), updated);
            self.summary.homes_updated += 1;
        }
        self.summary.homes_created = new_homes.len();
        for chunk in new_homes.chunks(CHUNK) {
            homes::Entity::insert_many(chunk.to_vec())
                .exec(self.txn)
                .await?;
        }
        let created: Vec<String> = latest
            .keys()
            .filter(|u| !existing.contains_key(*u))
            .cloned()
            .collect();
        for (urn, home) in load_homes(self.txn, &created).await? {
            self.summary
                .new_homes
                .push((urn.clone(), home.name.clone()));
            let after = serde_json::to_value(&home).map_err(Error::internal)?;
            self.audits.push(
                Change::created("home", &urn, after)
                    .summary(format!("Added from Ofsted data: {} ({urn})", home.name)),
            );
            existing.insert(urn, home);
        }
        // The region's homes first, then by name.
        let outside = |urn: &String| {
            existing
                .get(urn)
                .and_then(|h| h.host_council_id)
                .is_none_or(|c| !ids.members.contains_key(&c))
        };
        for list in [
            &mut self.summary.new_homes,
            &mut self.summary.homes_deregistered,
        ] {
            list.sort_by(|(a, a_name), (b, b_name)| {
                (outside(a), a_name).cmp(&(outside(b), b_name))
            });
        }
        Ok(existing)
    }

    /// Inspections, by event number (or home, date and type when Ofsted gave
    /// none): added, corrected, or confirming a provider's or the council's
    /// report. Returns the homes whose inspections changed.
    async fn inspections(&mut self, homes: &HashMap<String, homes::Model>) -> Result<Vec<i64>> {
        let home_ids: Vec<i64> = homes.values().map(|h| h.id).collect();
        let known = load_inspections(self.txn, &home_ids).await?;
        let by_number: HashMap<(i64, String), &inspections::Model> = known
            .iter()
            .filter_map(|i| i.event_number.clone().map(|n| ((i.home_id, n), i)))
            .collect();
        let event_key =
            |i: &inspections::Model| (i.home_id, i.inspection_date, i.event_type.clone());
        // Reports by providers or the council that Ofsted's data now confirms.
        let reported: HashMap<(i64, NaiveDate, String), &inspections::Model> = known
            .iter()
            .filter(|i| i.source != "ofsted" && i.event_number.is_none())
            .map(|i| (event_key(i), i))
            .collect();
        let by_event: HashSet<(i64, NaiveDate, String)> = known.iter().map(event_key).collect();
        let mut seen = HashSet::new();
        let mut new_inspections = Vec::new();
        let mut touched: HashSet<i64> = HashSet::new();
        for s in &self.file.settings {
            let Some(home) = homes.get(s.urn.as_str()) else {
                continue;
            };
            for event in [&s.inspection, &s.previous_inspection]
                .into_iter()
                .flatten()
            {
                let key = (home.id, event.date, event.event_type.code().to_string());
                let seen_key = match &event.event_number {
                    Some(n) => format!("{}:{n}", home.id),
                    None => format!("{}:{}:{}", home.id, event.date, event.event_type.code()),
                };
                if !seen.insert(seen_key) {
                    continue;
                }
                let values = InspectionValues::new(home.id, event, s);
                let found = event
                    .event_number
                    .as_ref()
                    .and_then(|n| by_number.get(&(home.id, n.clone())));
                if let Some(found) = found {
                    if values.differs_from(found) {
                        self.correct(found, &values, s).await?;
                        touched.insert(home.id);
                    }
                } else if let Some(report) = reported.get(&key) {
                    self.confirm(report, &values, event.event_number.clone(), s)
                        .await?;
                    touched.insert(home.id);
                } else if event.event_number.is_some() || !by_event.contains(&key) {
                    new_inspections.push(values.new_model(self.now));
                    self.audits.push(
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
        self.summary.inspections_added = new_inspections.len();
        for chunk in new_inspections.chunks(CHUNK) {
            inspections::Entity::insert_many(chunk.to_vec())
                .exec(self.txn)
                .await?;
        }
        Ok(touched.into_iter().collect())
    }

    async fn correct(
        &mut self,
        found: &inspections::Model,
        values: &InspectionValues,
        s: &Setting,
    ) -> Result<()> {
        let mut model = found.clone().into_active_model();
        values.set_on(&mut model);
        model.updated_at = Set(self.now);
        let updated = model.update(self.txn).await?;
        self.audits.push(
            Change::updated(
                "inspection",
                updated.event_number.clone().unwrap_or_default(),
                serde_json::to_value(found).map_err(Error::internal)?,
                serde_json::to_value(&updated).map_err(Error::internal)?,
            )
            .summary(format!("Ofsted corrected inspection of {}", s.urn)),
        );
        self.summary.inspections_corrected += 1;
        Ok(())
    }

    async fn confirm(
        &mut self,
        report: &inspections::Model,
        values: &InspectionValues,
        event_number: Option<String>,
        s: &Setting,
    ) -> Result<()> {
        let updated = confirm_report(self.txn, report, values, event_number, self.now).await?;
        let difference = updated.ofsted_difference.clone();
        self.audits.push(
            Change::updated(
                "inspection",
                updated.id,
                serde_json::to_value(report).map_err(Error::internal)?,
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
            None => self.summary.reports_confirmed += 1,
            Some(d) => self.summary.reports_corrected.push((s.urn.to_string(), d)),
        }
        Ok(())
    }

    /// Current ratings of the homes whose inspections changed, positions
    /// for distances, and the monitoring cases that follow the ratings.
    async fn consequences(
        &mut self,
        viewer: &Viewer,
        homes: &HashMap<String, homes::Model>,
        touched: Vec<i64>,
    ) -> Result<()> {
        let names: HashMap<i64, (String, String)> = homes
            .values()
            .map(|h| (h.id, (h.urn.clone(), h.name.clone())))
            .collect();
        self.summary.rating_changes = refresh_current(self.txn, &touched, &names).await?;
        // New inspections of homes where members' children live: worth a
        // look whatever the grade.
        let placed = crate::returns::store::placing_councils(self.txn, &touched).await?;
        self.summary.inspected_with_our_children = placed
            .keys()
            .filter_map(|id| names.get(id).cloned())
            .collect();
        self.summary.inspected_with_our_children.sort();

        let all_ids: Vec<i64> = homes.values().map(|h| h.id).collect();
        let interested =
            crate::regions::interested_in(self.txn, &homes.values().collect::<Vec<_>>()).await?;
        self.summary.ours = homes
            .values()
            .filter(|h| interested.contains_key(&h.id))
            .map(|h| h.urn.clone())
            .collect();
        for change in &mut self.summary.owner_changes {
            change.ours = self.summary.ours.contains(&change.urn);
        }
        crate::geo::locate_homes(self.txn, Some(&all_ids)).await?;
        // Opened for newly flagged homes that matter to us, a close proposed
        // where a home improved or closed.
        let cases =
            crate::cases::sync(self.txn, viewer, &all_ids, crate::cases::Scope::Region).await?;
        self.summary.cases_opened = cases.opened.len();
        self.summary.cases_close_proposed = cases.close_proposed.len();
        Ok(())
    }
}

fn is_open(code: &str) -> bool {
    importers::vocab::RegistrationStatus::from_code(code).is_some_and(|s| s.is_open())
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

/// A new home in a member council's area gets the locality its postcode
/// district belongs to there.
fn default_locality(s: &Setting, member: Option<&Member>) -> Option<String> {
    let district = s.address.postcode.as_ref()?.district().to_string();
    member?.locality_for_district(&district).map(str::to_string)
}

fn new_home(
    s: &Setting,
    council_id: Option<i64>,
    provider_id: Option<i64>,
    locality: Option<String>,
    now: DateTime<FixedOffset>,
) -> homes::ActiveModel {
    let status = s
        .registration_status
        .unwrap_or(importers::vocab::RegistrationStatus::Active);
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
        registration_status: Set(status.code().to_string()),
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
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
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
