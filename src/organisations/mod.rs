//! Organisations: councils (local authorities) and the providers that own
//! homes. Ofsted spells the same owner in several ways, so names are matched
//! on a conservative key: case, punctuation, "&"/"and" and "Ltd"/"Limited"
//! are ignored, nothing else is.

pub mod contact;
pub mod merge;
pub mod pick;
pub mod routes;
pub mod views;

use chrono::Utc;
use importers::vocab::Sector;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ExprTrait, FromQueryResult, IntoActiveModel, JoinType, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationDef,
};
use serde_json::Value;

use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{homes, organisations};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Council,
    Provider,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Council => "council",
            Kind::Provider => "provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Council => "Council",
            Kind::Provider => "Provider",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        match code {
            "council" => Some(Kind::Council),
            "provider" => Some(Kind::Provider),
            _ => None,
        }
    }
}

/// The matching key for an organisation's name.
pub fn name_key(name: &str) -> String {
    let lower = name.to_lowercase().replace('&', " and ");
    let words: Vec<String> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .filter(|w| !w.is_empty())
        .map(|w| if w == "ltd" { "limited".to_string() } else { w })
        .collect();
    words.join(" ")
}

/// The same key without a trailing "limited"/"plc" or apostrophes
/// ("Childrens"/"Children's"): used only to *report* likely duplicates,
/// never to merge them.
pub fn loose_key(name: &str) -> String {
    let key = name_key(name).replace(['\'', '\u{2019}'], "");
    key.strip_suffix(" limited")
        .or_else(|| key.strip_suffix(" plc"))
        .unwrap_or(&key)
        .to_string()
}

/// Ofsted writes "Bournemouth, Christchurch & Poole"; ONS and councils write
/// "Bournemouth, Christchurch and Poole". One canonical spelling.
pub fn canonical_council_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" & ", " and ")
}

pub fn sector_label(code: Option<&str>) -> &'static str {
    code.and_then(Sector::from_code)
        .map(Sector::label)
        .unwrap_or("")
}

/// (id, name) pairs for a select list, providers unless told otherwise.
pub async fn choices(db: &impl ConnectionTrait, kind: Option<Kind>) -> Result<Vec<(i64, String)>> {
    let kind = kind.unwrap_or(Kind::Provider);
    let rows: Vec<(i64, String)> = organisations::Entity::find()
        .select_only()
        .columns([organisations::Column::Id, organisations::Column::Name])
        .filter(organisations::Column::Kind.eq(kind.code()))
        .order_by_asc(organisations::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct OrganisationRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub sector: Option<String>,
    pub contact_email: Option<String>,
    pub ownership_note: Option<String>,
    pub homes: i64,
}

impl OrganisationRow {
    pub fn kind_label(&self) -> &'static str {
        Kind::from_code(&self.kind).map(Kind::label).unwrap_or("")
    }
    pub fn sector_label(&self) -> &'static str {
        sector_label(self.sector.as_deref())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub sector: Option<Sector>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    Homes,
}

impl Sort {
    pub fn from_code(code: &str) -> Sort {
        if code == "homes" {
            Sort::Homes
        } else {
            Sort::Name
        }
    }
}

/// Homes an organisation owns (as provider) or hosts (as council).
fn homes_relation(kind: Option<Kind>) -> RelationDef {
    let column = match kind {
        Some(Kind::Council) => homes::Column::HostCouncilId,
        _ => homes::Column::ProviderId,
    };
    organisations::Entity::belongs_to(homes::Entity)
        .from(organisations::Column::Id)
        .to(column)
        .into()
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &Filter,
    sort: Sort,
    page: crate::web::pagination::PageNumber,
    per_page: u64,
) -> Result<(Vec<OrganisationRow>, u64)> {
    let mut query = organisations::Entity::find()
        .select_only()
        .columns([
            organisations::Column::Id,
            organisations::Column::Kind,
            organisations::Column::Name,
            organisations::Column::Sector,
            organisations::Column::ContactEmail,
            organisations::Column::OwnershipNote,
        ])
        .column_as(
            Expr::col((homes::Entity, homes::Column::Id)).count(),
            "homes",
        )
        .join(JoinType::LeftJoin, homes_relation(filter.kind))
        .group_by(organisations::Column::Id);
    if let Some(kind) = filter.kind {
        query = query.filter(organisations::Column::Kind.eq(kind.code()));
    }
    if let Some(sector) = filter.sector {
        query = query.filter(organisations::Column::Sector.eq(sector.code()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(organisations::Column::NameKey.contains(name_key(q)));
    }
    query = match sort {
        Sort::Name => query.order_by_asc(organisations::Column::Name),
        Sort::Homes => query
            .order_by(Expr::col("homes"), Order::Desc)
            .order_by_asc(organisations::Column::Name),
    };
    let paginator = query.into_model::<OrganisationRow>().paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator
        .fetch_page(page.within(total, per_page) - 1)
        .await?;
    Ok((rows, total))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<organisations::Model> {
    organisations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// By exact name (case-insensitive) or by id, for the command line.
pub async fn find_by_name_or_id(
    db: &impl ConnectionTrait,
    text: &str,
) -> Result<Option<organisations::Model>> {
    if let Ok(id) = text.trim().parse::<i64>()
        && let Some(org) = organisations::Entity::find_by_id(id).one(db).await?
    {
        return Ok(Some(org));
    }
    let matches = organisations::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(organisations::Column::Name)))
                .eq(text.trim().to_lowercase()),
        )
        .all(db)
        .await?;
    match matches.len() {
        0 | 1 => Ok(matches.into_iter().next()),
        _ => Err(Error::BadRequest(format!(
            "'{text}' names more than one organisation; use its id"
        ))),
    }
}

/// What a form or an import supplies about an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationInput {
    pub kind: Kind,
    pub name: String,
    pub sector: Option<Sector>,
    pub contact_email: Option<String>,
    pub ownership_note: Option<String>,
    pub ons_code: Option<String>,
}

fn snapshot(org: &organisations::Model) -> Value {
    serde_json::to_value(org).unwrap_or(Value::Null)
}

fn duplicate_name() -> Error {
    Error::field("name", "There is already an organisation with this name")
}

pub async fn create(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    input: OrganisationInput,
) -> Result<organisations::Model> {
    let now = Utc::now().fixed_offset();
    let inserted = organisations::ActiveModel {
        kind: Set(input.kind.code().to_string()),
        name_key: Set(name_key(&input.name)),
        name: Set(input.name.trim().to_string()),
        // A person's spelling is today's: only a newer Ofsted file changes it.
        name_as_at: Set(Some(now.date_naive())),
        sector: Set(input.sector.map(|s| s.code().to_string())),
        contact_email: Set(input.contact_email),
        ownership_note: Set(input.ownership_note),
        ons_code: Set(input.ons_code),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await;
    let org = match inserted {
        Ok(org) => org,
        Err(e) if crate::db::is_unique_violation(&e) => return Err(duplicate_name()),
        Err(e) => return Err(e.into()),
    };
    audit::record(
        conn,
        viewer,
        Change::created("organisation", org.id, snapshot(&org))
            .summary(format!("Created {}", org.name)),
    )
    .await?;
    Ok(org)
}

/// [`create`] in a transaction of its own, committed when it returns.
pub async fn create_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: OrganisationInput,
) -> Result<organisations::Model> {
    let txn = crate::db::begin_write(db).await?;
    let org = create(&txn, viewer, input).await?;
    txn.commit().await?;
    Ok(org)
}

/// [`update`] in a transaction of its own, committed when it returns.
pub async fn update_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    input: OrganisationInput,
) -> Result<organisations::Model> {
    let txn = crate::db::begin_write(db).await?;
    let org = update(&txn, viewer, id, input).await?;
    txn.commit().await?;
    Ok(org)
}

/// Changes what a commissioner may change; the kind never changes.
pub async fn update(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: OrganisationInput,
) -> Result<organisations::Model> {
    let existing = find(conn, id).await?;
    let before = snapshot(&existing);
    let renamed = existing.name != input.name.trim();
    let mut model = existing.into_active_model();
    model.name_key = Set(name_key(&input.name));
    model.name = Set(input.name.trim().to_string());
    if renamed {
        // A person's spelling is today's: only a newer Ofsted file changes it.
        model.name_as_at = Set(Some(Utc::now().date_naive()));
    }
    model.sector = Set(input.sector.map(|s| s.code().to_string()));
    model.contact_email = Set(input.contact_email);
    model.ownership_note = Set(input.ownership_note);
    model.updated_at = Set(Utc::now().fixed_offset());
    let org = match model.update(conn).await {
        Ok(org) => org,
        Err(e) if crate::db::is_unique_violation(&e) => return Err(duplicate_name()),
        Err(e) => return Err(e.into()),
    };
    let change = Change::updated("organisation", id, before, snapshot(&org))
        .summary(format!("Updated {}", org.name));
    if !change.is_empty_update() {
        audit::record(conn, viewer, change).await?;
    }
    Ok(org)
}

/// Councils' homes are counted by where the home is; providers' by owner.
pub fn kind_of(org: &organisations::Model) -> Kind {
    Kind::from_code(&org.kind).unwrap_or(Kind::Provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_ignore_only_what_is_safe_to_ignore() {
        assert_eq!(
            name_key("Keys Child Care Ltd"),
            name_key("KEYS CHILD CARE LIMITED")
        );
        assert_eq!(
            name_key("Diverse Abilities Plus Ltd."),
            "diverse abilities plus limited"
        );
        assert_eq!(
            name_key("Bournemouth, Christchurch & Poole"),
            "bournemouth christchurch and poole"
        );
        assert_ne!(
            name_key("Beaufort care Group"),
            name_key("Beaufort Care Group Limited")
        );
        assert_eq!(
            loose_key("Beaufort care Group"),
            loose_key("Beaufort Care Group Limited")
        );
        assert_eq!(
            loose_key("Compass Childrens Homes Ltd"),
            loose_key("Compass Children\u{2019}s Homes Limited")
        );
    }

    #[test]
    fn council_names_are_canonical() {
        assert_eq!(
            canonical_council_name("Bournemouth, Christchurch & Poole"),
            "Bournemouth, Christchurch and Poole"
        );
    }
}
