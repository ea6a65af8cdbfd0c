//! The organisations an Ofsted file names (owners and councils), found by
//! their name key, or by a spelling merged into another organisation (its
//! alias), or created, once per import.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use importers::vocab::Sector;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

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

/// Organisations by kind and name key, loaded once per import.
pub(super) struct Organisations {
    by_key: HashMap<(String, String), (i64, String)>,
    /// Merged-away spellings: (kind, name key) -> the surviving organisation.
    aliases: HashMap<(String, String), (i64, String)>,
}

/// An organisation named in a report, with its id for a link.
pub type OrganisationRef = (i64, String);

impl Organisations {
    pub(super) async fn load(txn: &DatabaseTransaction) -> Result<Self> {
        let all = organisations::Entity::find().all(txn).await?;
        let names: HashMap<i64, String> = all.iter().map(|o| (o.id, o.name.clone())).collect();
        let aliases = organisation_aliases::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|a| {
                let name = names.get(&a.organisation_id)?.clone();
                Some(((a.kind, a.name_key), (a.organisation_id, name)))
            })
            .collect();
        Ok(Organisations {
            by_key: all
                .into_iter()
                .map(|o| ((o.kind.clone(), o.name_key.clone()), (o.id, o.name)))
                .collect(),
            aliases,
        })
    }

    /// An organisation's name, by id.
    pub(super) fn name_of(&self, id: i64) -> Option<String> {
        self.by_key
            .values()
            .find(|(known, _)| *known == id)
            .map(|(_, name)| name.clone())
    }

    fn find(&self, key: &(String, String)) -> Option<&(i64, String)> {
        self.by_key.get(key).or_else(|| self.aliases.get(key))
    }

    /// Finds each wanted organisation by kind and name key, creating the
    /// missing ones in one batch. Returns ids by (kind, name as given).
    pub(super) async fn ensure(
        &mut self,
        txn: &DatabaseTransaction,
        wanted: Vec<Wanted>,
        summary: &mut ImportSummary,
        audits: &mut Vec<Change>,
        now: DateTime<FixedOffset>,
    ) -> Result<HashMap<(String, String), i64>> {
        // Key -> (name as first given, row to insert).
        let mut to_create: BTreeMap<(String, String), (String, organisations::ActiveModel)> =
            BTreeMap::new();
        let mut pending: Vec<(Wanted, (String, String))> = Vec::new();
        for w in wanted {
            let key = (w.kind.code().to_string(), name_key(&w.name));
            let known = self
                .find(&key)
                .map(|(_, name)| name.clone())
                .or_else(|| to_create.get(&key).map(|(name, _)| name.clone()));
            match known {
                Some(existing) if existing != w.name.trim() => {
                    if !summary.name_matches.iter().any(|(g, _)| *g == w.name) {
                        summary
                            .name_matches
                            .push((w.name.trim().to_string(), existing));
                    }
                }
                Some(_) => {}
                None => {
                    let sector = match w.kind {
                        Kind::Provider => w.sector.map(|s| s.code().to_string()),
                        Kind::Council => Some(Sector::LocalAuthority.code().to_string()),
                    };
                    let name = w.name.trim().to_string();
                    to_create.insert(
                        key.clone(),
                        (
                            name.clone(),
                            organisations::ActiveModel {
                                kind: Set(w.kind.code().to_string()),
                                name: Set(name),
                                name_key: Set(key.1.clone()),
                                sector: Set(sector),
                                contact_email: Set(None),
                                ownership_note: Set(None),
                                ons_code: Set(w.ons_code.clone()),
                                created_at: Set(now),
                                updated_at: Set(now),
                                ..Default::default()
                            },
                        ),
                    );
                }
            }
            pending.push((w, key));
        }
        let keys: Vec<String> = to_create.keys().map(|(_, key)| key.clone()).collect();
        let created: Vec<organisations::ActiveModel> =
            to_create.into_values().map(|(_, row)| row).collect();
        for chunk in created.chunks(CHUNK) {
            organisations::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        if !created.is_empty() {
            for chunk in keys.chunks(CHUNK) {
                let rows = organisations::Entity::find()
                    .filter(organisations::Column::NameKey.is_in(chunk.to_vec()))
                    .all(txn)
                    .await?;
                for org in rows {
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
                    self.by_key.insert(key, (org.id, org.name));
                }
            }
        }
        let mut ids = HashMap::new();
        for (w, key) in pending {
            if let Some((id, _)) = self.find(&key) {
                ids.insert((w.kind.code().to_string(), w.name), *id);
            }
        }
        Ok(ids)
    }

    /// Providers whose names differ only by a legal suffix: reported with
    /// a link to merge them, never merged by the import.
    pub(super) fn possible_duplicates(&self) -> Vec<(OrganisationRef, OrganisationRef)> {
        let mut by_loose: BTreeMap<String, Vec<&(i64, String)>> = BTreeMap::new();
        for ((kind, _), org) in &self.by_key {
            if kind == Kind::Provider.code() {
                by_loose.entry(loose_key(&org.1)).or_default().push(org);
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
