//! The organisations an Ofsted file names (owners and councils), found by
//! their name key, or by a spelling merged into another organisation (its
//! alias), or created, once per import. A provider's spelling and sector
//! follow the newest file that names it (on the same date, the spelling
//! first in alphabetical order), so the order files arrive in does not
//! decide how an owner is written.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate};
use importers::vocab::Sector;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::apply::CHUNK;
use super::summary::ImportSummary;
use crate::audit::Change;
use crate::db::entities::{organisation_aliases, organisations};
use crate::error::{Error, Result};
use crate::organisations::{Kind, loose_key, name_key};

/// An organisation the file names.
pub(super) struct Wanted {
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) sector: Option<Sector>,
    pub(super) ons_code: Option<String>,
}

/// An organisation named in a report, with its id for a link.
pub type OrganisationRef = (i64, String);

type Key = (String, String);

/// Organisations by kind and name key, loaded once per import.
pub(super) struct Organisations {
    by_key: HashMap<Key, organisations::Model>,
    /// Merged-away spellings: (kind, name key) -> the surviving organisation.
    aliases: HashMap<Key, i64>,
}

/// What one file says of one organisation: its spelling (the first in
/// alphabetical order when the file spells it several ways) and sector.
struct Named {
    kind: Kind,
    name: String,
    sector: Option<String>,
    ons_code: Option<String>,
}

impl Organisations {
    pub(super) async fn load(txn: &DatabaseTransaction) -> Result<Self> {
        let by_key = organisations::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|o| ((o.kind.clone(), o.name_key.clone()), o))
            .collect();
        let aliases = organisation_aliases::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|a| ((a.kind, a.name_key), a.organisation_id))
            .collect();
        Ok(Organisations { by_key, aliases })
    }

    /// An organisation's name, by id.
    pub(super) fn name_of(&self, id: i64) -> Option<String> {
        self.by_key
            .values()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
    }

    /// Finds each wanted organisation by kind and name key (or alias),
    /// renames a provider whose spelling a newer file gives, and creates
    /// the missing ones in one batch. Returns ids by (kind, name as given).
    pub(super) async fn ensure(
        &mut self,
        txn: &DatabaseTransaction,
        wanted: Vec<Wanted>,
        as_at: NaiveDate,
        summary: &mut ImportSummary,
        audits: &mut Vec<Change>,
        now: DateTime<FixedOffset>,
    ) -> Result<HashMap<Key, i64>> {
        let mut named: BTreeMap<Key, Named> = BTreeMap::new();
        let mut given: Vec<(Key, Key)> = Vec::new();
        for w in wanted {
            let spelling = w.name.trim().to_string();
            let key = (w.kind.code().to_string(), name_key(&spelling));
            let sector = match w.kind {
                Kind::Provider => w.sector.map(|s| s.code().to_string()),
                Kind::Council => Some(Sector::LocalAuthority.code().to_string()),
            };
            let entry = named.entry(key.clone()).or_insert_with(|| Named {
                kind: w.kind,
                name: spelling.clone(),
                sector: sector.clone(),
                ons_code: w.ons_code.clone(),
            });
            if spelling < entry.name {
                entry.name = spelling;
            }
            if entry.sector.is_none() {
                entry.sector = sector;
            }
            given.push(((w.kind.code().to_string(), w.name), key));
        }

        let mut ids: HashMap<Key, i64> = HashMap::new();
        let mut to_create = Vec::new();
        for (key, n) in named {
            if let Some(&id) = self.aliases.get(&key) {
                ids.insert(key.clone(), id);
                if let Some(survivor) = self.name_of(id) {
                    summary.name_matches.push((n.name, survivor));
                }
            } else if let Some(org) = self.by_key.get(&key).cloned() {
                ids.insert(key.clone(), org.id);
                let kept = self.follow(txn, &org, &n, as_at, audits, now).await?;
                if kept != n.name {
                    summary.name_matches.push((n.name, kept));
                }
            } else {
                to_create.push((key, n));
            }
        }

        let rows: Vec<organisations::ActiveModel> = to_create
            .iter()
            .map(|(key, n)| organisations::ActiveModel {
                kind: Set(n.kind.code().to_string()),
                name: Set(n.name.clone()),
                name_key: Set(key.1.clone()),
                // Councils' names are the canonical ones, not Ofsted's spelling.
                name_as_at: Set((n.kind == Kind::Provider).then_some(as_at)),
                sector: Set(n.sector.clone()),
                contact_email: Set(None),
                ownership_note: Set(None),
                ons_code: Set(n.ons_code.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(CHUNK) {
            organisations::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        let keys: Vec<String> = to_create.iter().map(|((_, k), _)| k.clone()).collect();
        for chunk in keys.chunks(CHUNK) {
            let created = organisations::Entity::find()
                .filter(organisations::Column::NameKey.is_in(chunk.to_vec()))
                .all(txn)
                .await?;
            for org in created {
                let key = (org.kind.clone(), org.name_key.clone());
                if self.by_key.contains_key(&key) {
                    continue;
                }
                audits.push(
                    Change::created(
                        "organisation",
                        org.id,
                        serde_json::to_value(&org).map_err(Error::internal)?,
                    )
                    .summary(format!("Added from Ofsted data: {}", org.name)),
                );
                match Kind::from_code(&org.kind) {
                    Some(Kind::Council) => summary.councils_created += 1,
                    _ => summary.providers_created += 1,
                }
                ids.insert(key.clone(), org.id);
                self.by_key.insert(key, org);
            }
        }
        summary.name_matches.sort();
        summary.name_matches.dedup();
        Ok(given
            .into_iter()
            .filter_map(|(as_given, key)| Some((as_given, *ids.get(&key)?)))
            .collect())
    }

    /// Gives a provider the spelling and sector of a file newer than the
    /// one its spelling came from; returns the name it keeps.
    async fn follow(
        &mut self,
        txn: &DatabaseTransaction,
        org: &organisations::Model,
        n: &Named,
        as_at: NaiveDate,
        audits: &mut Vec<Change>,
        now: DateTime<FixedOffset>,
    ) -> Result<String> {
        if n.kind != Kind::Provider {
            return Ok(org.name.clone());
        }
        let newer = org.name_as_at.is_none_or(|d| as_at > d);
        let same_day_first = org.name_as_at == Some(as_at) && n.name < org.name;
        if !(newer || same_day_first) {
            return Ok(org.name.clone());
        }
        let sector = n.sector.clone().or(org.sector.clone());
        let mut model = org.clone().into_active_model();
        model.name_as_at = Set(Some(as_at));
        if org.name == n.name && org.sector == sector {
            if org.name_as_at != Some(as_at) {
                let updated = model.update(txn).await?;
                self.by_key
                    .insert((org.kind.clone(), org.name_key.clone()), updated);
            }
            return Ok(org.name.clone());
        }
        model.name = Set(n.name.clone());
        model.sector = Set(sector);
        model.updated_at = Set(now);
        let updated = model.update(txn).await?;
        audits.push(
            Change::updated(
                "organisation",
                org.id,
                serde_json::to_value(org).map_err(Error::internal)?,
                serde_json::to_value(&updated).map_err(Error::internal)?,
            )
            .summary(format!(
                "Ofsted's data as at {as_at} spells '{}' as '{}'",
                org.name, updated.name
            )),
        );
        let name = updated.name.clone();
        self.by_key
            .insert((org.kind.clone(), org.name_key.clone()), updated);
        Ok(name)
    }

    /// Providers whose names differ only by a legal suffix: reported with
    /// a link to merge them, never merged by the import.
    pub(super) fn possible_duplicates(&self) -> Vec<(OrganisationRef, OrganisationRef)> {
        let mut by_loose: BTreeMap<String, Vec<OrganisationRef>> = BTreeMap::new();
        for org in self.by_key.values() {
            if org.kind == Kind::Provider.code() {
                by_loose
                    .entry(loose_key(&org.name))
                    .or_default()
                    .push((org.id, org.name.clone()));
            }
        }
        by_loose
            .into_values()
            .filter(|orgs| orgs.len() > 1)
            .map(|mut orgs| {
                orgs.sort_by(|a, b| a.1.cmp(&b.1));
                (orgs[0].clone(), orgs[1].clone())
            })
            .collect()
    }
}
