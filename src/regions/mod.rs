//! The region a deployment serves: its member councils. Staff belong to one
//! member and see "our council" as theirs; homes, Ofsted data and returns
//! are shared by every member. A single-council deployment is a region of
//! one, started from `[council]` in the configuration.

pub mod names;
pub mod routes;
mod views;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::{Locality, Settings};
use crate::db::entities::{council_members, organisations, users};
use crate::error::{Error, Result};
use crate::organisations::Kind;
pub use names::{CouncilNames, OnsCode, council_key};

/// A member council and the areas it reports by.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub name: String,
    /// What pages call it ("BCP").
    pub short_name: String,
    pub ons_code: Option<String>,
    pub localities: Vec<Locality>,
}

impl Member {
    /// The locality a postcode district defaults to in this council.
    pub fn locality_for_district(&self, district: &str) -> Option<&str> {
        self.localities
            .iter()
            .find(|l| {
                l.postcode_districts
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(district))
            })
            .map(|l| l.name.as_str())
    }

    /// The form field for beds this council's children occupy: by ONS
    /// code, so the name is the same in every database.
    pub fn occupied_field(&self) -> String {
        match &self.ons_code {
            Some(code) => format!("occupied_{code}"),
            None => format!("occupied_{}", self.id),
        }
    }

    pub fn locality_names(&self) -> Vec<String> {
        self.localities.iter().map(|l| l.name.clone()).collect()
    }
}

fn member_of(org: organisations::Model, member: council_members::Model) -> Member {
    Member {
        id: org.id,
        short_name: member
            .short_name
            .clone()
            .unwrap_or_else(|| org.name.clone()),
        name: org.name,
        ons_code: org.ons_code,
        // Written only by `set_localities`; an unreadable list reads as none.
        localities: serde_json::from_str(&member.localities).unwrap_or_default(),
    }
}

/// Every member, by name.
pub async fn members(conn: &impl ConnectionTrait) -> Result<Vec<Member>> {
    let rows = council_members::Entity::find()
        .find_also_related(organisations::Entity)
        .order_by_asc(organisations::Column::Name)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(member, org)| org.map(|org| member_of(org, member)))
        .collect())
}

/// The members a return's form lists: the home's own council first.
pub async fn members_for_home(
    conn: &impl ConnectionTrait,
    home: &crate::db::entities::homes::Model,
) -> Result<Vec<Member>> {
    let mut all = members(conn).await?;
    all.sort_by_key(|m| Some(m.id) != home.host_council_id);
    Ok(all)
}

pub async fn member(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Member>> {
    let row = council_members::Entity::find_by_id(id)
        .find_also_related(organisations::Entity)
        .one(conn)
        .await?;
    Ok(row.and_then(|(member, org)| org.map(|org| member_of(org, member))))
}

pub async fn is_member(conn: &impl ConnectionTrait, id: i64) -> Result<bool> {
    Ok(council_members::Entity::find_by_id(id).count(conn).await? > 0)
}

/// The council a member of staff works for, when it is a member.
pub async fn viewer_council(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
) -> Result<Option<Member>> {
    match viewer.council_id() {
        Some(id) => member(conn, id).await,
        None => Ok(None),
    }
}

/// The member councils a home matters to: the one whose area it is in and
/// those whose children live there. By home id; homes that matter to no
/// member are absent.
pub async fn interested_in(
    conn: &impl ConnectionTrait,
    homes: &[&crate::db::entities::homes::Model],
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let members: std::collections::HashSet<i64> =
        members(conn).await?.into_iter().map(|m| m.id).collect();
    let ids: Vec<i64> = homes.iter().map(|h| h.id).collect();
    let mut out = crate::returns::store::placing_councils(conn, &ids).await?;
    for home in homes {
        if let Some(host) = home.host_council_id.filter(|c| members.contains(c)) {
            let councils = out.entry(home.id).or_default();
            if !councils.contains(&host) {
                councils.insert(0, host);
            }
        }
    }
    out.retain(|_, councils| {
        councils.retain(|c| members.contains(c));
        !councils.is_empty()
    });
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyMember,
}

/// The council organisation for an ONS code: the one holding the code, else
/// one whose name matches the code's name (the Ofsted import names councils
/// as Ofsted spells them), else a new one.
async fn council_organisation(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    code: &OnsCode,
    name: Option<&str>,
) -> Result<organisations::Model> {
    let by_code = organisations::Entity::find()
        .filter(organisations::Column::OnsCode.eq(code.as_str()))
        .one(conn)
        .await?;
    if let Some(org) = by_code {
        return Ok(org);
    }
    let Some(name) = name else {
        return Err(Error::field(
            "code",
            format!(
                "No council with the code {code} is known: check the code, or load a \
                 boundaries file that names it"
            ),
        ));
    };
    let key = council_key(name);
    let by_name = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq(Kind::Council.code()))
        .filter(organisations::Column::OnsCode.is_null())
        .all(conn)
        .await?
        .into_iter()
        .find(|org| council_key(&org.name) == key);
    if let Some(org) = by_name {
        let mut active: organisations::ActiveModel = org.into();
        active.ons_code = Set(Some(code.to_string()));
        return Ok(active.update(conn).await?);
    }
    crate::organisations::create(
        conn,
        viewer,
        crate::organisations::OrganisationInput {
            kind: Kind::Council,
            name: name.to_string(),
            sector: None,
            contact_email: None,
            ownership_note: None,
            ons_code: Some(code.to_string()),
        },
    )
    .await
}

/// Makes the council with this code a member.
pub async fn add(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    code: &OnsCode,
    names: &CouncilNames,
    short_name: Option<String>,
    localities: Vec<Locality>,
) -> Result<(Member, Added)> {
    let org = council_organisation(conn, viewer, code, names.name(code)).await?;
    if let Some(existing) = member(conn, org.id).await? {
        return Ok((existing, Added::AlreadyMember));
    }
    council_members::ActiveModel {
        organisation_id: Set(org.id),
        short_name: Set(short_name.filter(|s| !s.trim().is_empty())),
        localities: Set(serde_json::to_string(&localities).map_err(Error::internal)?),
        added_at: Set(Utc::now().fixed_offset()),
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        viewer,
        Change::created(
            "council_member",
            org.id,
            json!({"name": org.name, "ons_code": code.as_str()}),
        )
        .summary(format!("Added {} to the region", org.name)),
    )
    .await?;
    let member = member(conn, org.id).await?.ok_or(Error::NotFound)?;
    Ok((member, Added::Added))
}

/// Takes a council out of the region. Refused for the last member and while
/// it has active staff (their sign-ins would lose their council).
pub async fn remove(conn: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Member> {
    let member = member(conn, id).await?.ok_or(Error::NotFound)?;
    if council_members::Entity::find().count(conn).await? <= 1 {
        return Err(Error::BadRequest(format!(
            "{} is the region's only member council; add another before removing it",
            member.name
        )));
    }
    let staff = users::Entity::find()
        .filter(users::Column::OrganisationId.eq(id))
        .filter(users::Column::Active.eq(true))
        .count(conn)
        .await?;
    if staff > 0 {
        return Err(Error::BadRequest(format!(
            "{} still has {staff} active user{}: deactivate them first",
            member.name,
            if staff == 1 { "" } else { "s" }
        )));
    }
    council_members::Entity::delete_by_id(id).exec(conn).await?;
    audit::record(
        conn,
        viewer,
        Change::event("removed", "council_member", Some(id.to_string()))
            .summary(format!("Removed {} from the region", member.name)),
    )
    .await?;
    Ok(member)
}

/// What an administrator may change about a member.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChange {
    pub short_name: Option<String>,
    pub localities: Vec<Locality>,
}

/// Changes a member's short name and localities.
pub async fn update(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    change: MemberChange,
) -> Result<Member> {
    let before = member(conn, id).await?.ok_or(Error::NotFound)?;
    let short_name = change
        .short_name
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    council_members::ActiveModel {
        organisation_id: sea_orm::ActiveValue::Unchanged(id),
        short_name: Set(short_name.clone()),
        localities: Set(serde_json::to_string(&change.localities).map_err(Error::internal)?),
        ..Default::default()
    }
    .update(conn)
    .await?;
    audit::record(
        conn,
        viewer,
        Change::updated(
            "council_member",
            id,
            json!({"short_name": before.short_name, "localities": before.localities}),
            json!({"short_name": short_name, "localities": change.localities}),
        )
        .summary(format!("Changed {}'s settings", before.name)),
    )
    .await?;
    member(conn, id).await?.ok_or(Error::NotFound)
}

/// At every start: a database without members gets `[council]` as its
/// first, and council staff without a council join the only member.
pub async fn start_with_configured_council(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<()> {
    let system = Viewer::system("start");
    crate::db::in_write_transaction(db, async |txn| {
        let council = &settings.council;
        if council_members::Entity::find().count(txn).await? == 0 {
            let code = OnsCode::parse(&council.ons_code).map_err(Error::BadRequest)?;
            let names = CouncilNames::load(&settings.map.boundaries_file);
            let name = names.name(&code).unwrap_or(&council.name).to_string();
            let names = CouncilNames::single(&code, &name);
            let short = Some(council.short_name.clone());
            add(
                txn,
                &system,
                &code,
                &names,
                short,
                council.localities.clone(),
            )
            .await?;
        }
        let only: Vec<i64> = council_members::Entity::find()
            .select_only()
            .column(council_members::Column::OrganisationId)
            .limit(2)
            .into_tuple()
            .all(txn)
            .await?;
        if let [only] = only[..] {
            users::Entity::update_many()
                .col_expr(
                    users::Column::OrganisationId,
                    sea_orm::sea_query::Expr::value(only),
                )
                .filter(users::Column::Role.ne(crate::auth::Role::Provider.code()))
                .filter(users::Column::OrganisationId.is_null())
                .exec(txn)
                .await?;
        }
        Ok(())
    })
    .await
}

/// Each member's active staff count, for the councils page.
pub async fn staff_counts(conn: &impl ConnectionTrait) -> Result<Vec<(i64, i64)>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::OrganisationId)
        .column_as(users::Column::Id.count(), "staff")
        .join(JoinType::InnerJoin, users::Relation::Organisations.def())
        .filter(organisations::Column::Kind.eq(Kind::Council.code()))
        .filter(users::Column::Active.eq(true))
        .group_by(users::Column::OrganisationId)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Localities as an administrator types them: one a line,
/// `Name: BH1, BH2, ...`.
pub fn parse_localities(text: &str) -> std::result::Result<Vec<Locality>, String> {
    let mut localities = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, districts)) = line.split_once(':') else {
            return Err(format!(
                "Line {}: write the locality's name, a colon, then its postcode districts \
                 (e.g. Poole: BH12, BH13)",
                n + 1
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("Line {}: the locality has no name", n + 1));
        }
        let mut postcode_districts = Vec::new();
        for district in districts
            .split([',', ' '])
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let district = district.to_uppercase();
            let shaped = (2..=4).contains(&district.len())
                && district.as_bytes()[0].is_ascii_alphabetic()
                && district.bytes().all(|b| b.is_ascii_alphanumeric())
                && district.bytes().any(|b| b.is_ascii_digit());
            if !shaped {
                return Err(format!(
                    "Line {}: '{district}' is not a postcode district (e.g. BH12)",
                    n + 1
                ));
            }
            postcode_districts.push(district);
        }
        localities.push(Locality {
            name: name.to_string(),
            postcode_districts,
        });
    }
    Ok(localities)
}

/// The text `parse_localities` reads back.
pub fn localities_text(localities: &[Locality]) -> String {
    localities
        .iter()
        .map(|l| format!("{}: {}", l.name, l.postcode_districts.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localities_read_back_as_typed() {
        let text = "Poole: BH12, bh13\n\nChristchurch: BH23";
        let parsed = parse_localities(text).unwrap();
        assert_eq!(parsed[0].postcode_districts, ["BH12", "BH13"]);
        assert_eq!(
            localities_text(&parsed),
            "Poole: BH12, BH13\nChristchurch: BH23"
        );
        assert!(
            parse_localities("Poole BH12")
                .unwrap_err()
                .contains("Line 1")
        );
        assert!(parse_localities("Poole: 12").unwrap_err().contains("'12'"));
    }
}
