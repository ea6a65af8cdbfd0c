//! Choosing an organisation on a form when there are thousands: a text
//! field for its name, with its id beside it when picked from suggestions
//! (`assets/app/picker.mjs` makes the field a type-to-find list with GOV.UK's
//! accessible-autocomplete, fed by `/organisations/choices.json`). Without
//! JavaScript the name typed is found here: the whole name, a merged-away
//! spelling, or the one organisation whose name contains it.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::{Kind, name_key};
use crate::db::entities::{organisation_aliases, organisations};
use crate::error::{Error, Result};

/// How many suggestions a search gives, and names an ambiguous one lists.
const SUGGESTIONS: u64 = 20;

/// An organisation as a form gave it: the id picked, if any, and the name
/// as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pick {
    pub id: Option<i64>,
    pub name: String,
}

impl Pick {
    pub fn new(id: &str, name: &str) -> Self {
        Pick {
            id: id.trim().parse().ok(),
            name: name.trim().to_string(),
        }
    }

    /// A form's field pair: the name typed decides; an empty name is none.
    pub fn from_form(id: &str, name: &str) -> Self {
        if name.trim().is_empty() {
            Pick::default()
        } else {
            Pick::new(id, name)
        }
    }

    /// An organisation known by id (the command line, imports, tests).
    pub fn id(id: i64) -> Self {
        Pick {
            id: Some(id),
            name: String::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_empty() && self.id.is_none()
    }
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

/// Organisations of `kind` whose names contain what was typed, by name.
pub async fn choices(conn: &impl ConnectionTrait, kind: Kind, typed: &str) -> Result<Vec<Choice>> {
    let key = name_key(typed);
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String)> = organisations::Entity::find()
        .select_only()
        .columns([organisations::Column::Id, organisations::Column::Name])
        .filter(organisations::Column::Kind.eq(kind.code()))
        .filter(organisations::Column::NameKey.contains(key))
        .order_by_asc(organisations::Column::Name)
        .limit(SUGGESTIONS)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Choice { id, name })
        .collect())
}

/// The organisation a form means, or `None` when left empty. `field` names
/// the form field for a message when the name fits none or several.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    kind: Kind,
    pick: &Pick,
    field: &'static str,
) -> Result<Option<i64>> {
    if pick.name.is_empty() {
        // Known by id alone, or nothing chosen.
        let Some(id) = pick.id else {
            return Ok(None);
        };
        return match organisations::Entity::find_by_id(id).one(conn).await? {
            Some(org) if org.kind == kind.code() => Ok(Some(org.id)),
            _ => Err(Error::field(
                field,
                format!("Choose a {} from the list", kind.label().to_lowercase()),
            )),
        };
    }
    let key = name_key(&pick.name);
    // Picked from the suggestions (and the name not changed since).
    if let Some(id) = pick.id
        && let Some(org) = organisations::Entity::find_by_id(id).one(conn).await?
        && org.kind == kind.code()
        && org.name_key == key
    {
        return Ok(Some(org.id));
    }
    let exact = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq(kind.code()))
        .filter(organisations::Column::NameKey.eq(key.clone()))
        .one(conn)
        .await?;
    if let Some(org) = exact {
        return Ok(Some(org.id));
    }
    let alias = organisation_aliases::Entity::find()
        .filter(organisation_aliases::Column::Kind.eq(kind.code()))
        .filter(organisation_aliases::Column::NameKey.eq(key))
        .one(conn)
        .await?;
    if let Some(alias) = alias {
        return Ok(Some(alias.organisation_id));
    }
    let found = choices(conn, kind, &pick.name).await?;
    let what = kind.label().to_lowercase();
    match found.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(Error::field(
            field,
            format!(
                "No {what} is called '{}': check the spelling, or add the organisation first",
                pick.name
            ),
        )),
        many => {
            let names: Vec<&str> = many.iter().take(5).map(|c| c.name.as_str()).collect();
            Err(Error::field(
                field,
                format!(
                    "{}{} {what}s have '{}' in their name ({}{}): type more of the name",
                    many.len(),
                    if many.len() as u64 == SUGGESTIONS {
                        " or more"
                    } else {
                        ""
                    },
                    pick.name,
                    names.join("; "),
                    if many.len() > 5 { "; ..." } else { "" }
                ),
            ))
        }
    }
}

/// The name to show in a picker for an organisation id.
pub async fn name_of(conn: &impl ConnectionTrait, id: Option<i64>) -> Result<String> {
    let Some(id) = id else {
        return Ok(String::new());
    };
    Ok(organisations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}
