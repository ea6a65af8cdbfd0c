//! Merging two organisations that are one: Ofsted spells an owner several
//! ways ("Beaufort care Group" / "Beaufort Care Group Limited"). Everything
//! of the merged-away organisation moves to the one that stays (homes,
//! users, uploads), and its spelling is kept as an alias, so a later import
//! maps that spelling to the survivor and never undoes the merge.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::{find, loose_key};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{
    bed_request_homes, homes, monitoring_cases, organisation_aliases, organisations,
    return_uploads, users,
};
use crate::error::{Error, Result};

/// What a merge moves, for the confirmation page and the audit trail.
#[derive(Debug, Clone)]
pub struct Merge {
    pub from: organisations::Model,
    pub into: organisations::Model,
    /// (URN, name) of each home that moves.
    pub homes: Vec<(String, String)>,
    /// (name, email) of each user who moves.
    pub users: Vec<(String, String)>,
    /// Monitoring cases of those homes (open or closed), which move with them.
    pub cases: Vec<(i64, String, String)>,
    /// Spellings merged into `from` before, which follow it.
    pub aliases: Vec<String>,
}

/// What merging `from` into `into` would move; nothing is changed.
pub async fn preview(conn: &impl ConnectionTrait, from_id: i64, into_id: i64) -> Result<Merge> {
    let from = find(conn, from_id).await?;
    let into = find(conn, into_id).await?;
    if from.id == into.id {
        return Err(Error::field(
            "into",
            "Choose another organisation: an organisation cannot be merged into itself",
        ));
    }
    if from.kind != into.kind {
        return Err(Error::field(
            "into",
            "Choose an organisation of the same kind: a provider merges into a provider, a council into a council",
        ));
    }
    let moving = homes::Entity::find()
        .filter(owned_by(from.id))
        .order_by_asc(homes::Column::Name)
        .all(conn)
        .await?;
    let home_ids: Vec<i64> = moving.iter().map(|h| h.id).collect();
    let names: std::collections::HashMap<i64, String> =
        moving.iter().map(|h| (h.id, h.name.clone())).collect();
    let cases = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::HomeId.is_in(home_ids))
        .order_by_asc(monitoring_cases::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|c| {
            let home = names.get(&c.home_id).cloned().unwrap_or_default();
            (
                c.id,
                home,
                crate::cases::status_label(&c.status).to_string(),
            )
        })
        .collect();
    let users = users::Entity::find()
        .filter(users::Column::OrganisationId.eq(from.id))
        .order_by_asc(users::Column::DisplayName)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.display_name, u.email))
        .collect();
    let aliases = aliases_of(conn, from.id).await?;
    Ok(Merge {
        homes: moving.into_iter().map(|h| (h.urn, h.name)).collect(),
        users,
        cases,
        aliases,
        from,
        into,
    })
}

fn owned_by(org_id: i64) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(homes::Column::ProviderId.eq(org_id))
        .add(homes::Column::HostCouncilId.eq(org_id))
}

/// [`merge`] in a transaction of its own, committed when it returns.
pub async fn merge_now(
    db: &DatabaseConnection,
    viewer: &Viewer,
    from_id: i64,
    into_id: i64,
) -> Result<Merge> {
    let txn = crate::db::begin_write(db).await?;
    let merged = merge(&txn, viewer, from_id, into_id).await?;
    txn.commit().await?;
    Ok(merged)
}

/// Merges `from` into `into`: its homes, users and uploads move, its
/// spellings become the survivor's aliases, and it is deleted. Audited.
pub async fn merge(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    from_id: i64,
    into_id: i64,
) -> Result<Merge> {
    if !viewer.role.edits_market() {
        return Err(Error::Forbidden);
    }
    let merge = preview(conn, from_id, into_id).await?;
    let (from, into) = (&merge.from, &merge.into);
    homes::Entity::update_many()
        .col_expr(homes::Column::ProviderId, Expr::value(into.id))
        .filter(homes::Column::ProviderId.eq(from.id))
        .exec(conn)
        .await?;
    homes::Entity::update_many()
        .col_expr(homes::Column::HostCouncilId, Expr::value(into.id))
        .filter(homes::Column::HostCouncilId.eq(from.id))
        .exec(conn)
        .await?;
    users::Entity::update_many()
        .col_expr(users::Column::OrganisationId, Expr::value(into.id))
        .filter(users::Column::OrganisationId.eq(from.id))
        .exec(conn)
        .await?;
    return_uploads::Entity::update_many()
        .col_expr(return_uploads::Column::OrganisationId, Expr::value(into.id))
        .filter(return_uploads::Column::OrganisationId.eq(from.id))
        .exec(conn)
        .await?;
    // The homes it was asked about in bed requests are the survivor's now.
    bed_request_homes::Entity::update_many()
        .col_expr(bed_request_homes::Column::ProviderId, Expr::value(into.id))
        .filter(bed_request_homes::Column::ProviderId.eq(from.id))
        .exec(conn)
        .await?;
    organisation_aliases::Entity::update_many()
        .col_expr(
            organisation_aliases::Column::OrganisationId,
            Expr::value(into.id),
        )
        .filter(organisation_aliases::Column::OrganisationId.eq(from.id))
        .exec(conn)
        .await?;
    organisation_aliases::Entity::delete_many()
        .filter(organisation_aliases::Column::Kind.eq(from.kind.clone()))
        .filter(organisation_aliases::Column::NameKey.eq(from.name_key.clone()))
        .exec(conn)
        .await?;
    organisations::Entity::delete_by_id(from.id)
        .exec(conn)
        .await?;
    organisation_aliases::ActiveModel {
        kind: Set(from.kind.clone()),
        name: Set(from.name.clone()),
        name_key: Set(from.name_key.clone()),
        organisation_id: Set(into.id),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    // What the survivor lacks, the merged-away organisation may know.
    let mut survivor = into.clone().into_active_model();
    let mut filled = false;
    if super::contact::Contact::of_organisation(into).is_empty() {
        survivor.contact_name = Set(from.contact_name.clone());
        survivor.contact_phone = Set(from.contact_phone.clone());
        survivor.contact_email = Set(from.contact_email.clone());
        filled = true;
    }
    for (mine, theirs, column) in [
        (&into.ownership_note, &from.ownership_note, "ownership_note"),
        (&into.ons_code, &from.ons_code, "ons_code"),
    ] {
        if mine.is_none() && theirs.is_some() {
            let value = Set(theirs.clone());
            match column {
                "ownership_note" => survivor.ownership_note = value,
                _ => survivor.ons_code = value,
            }
            filled = true;
        }
    }
    if filled {
        survivor.updated_at = Set(Utc::now().fixed_offset());
        survivor.update(conn).await?;
    }
    audit::record(
        conn,
        viewer,
        Change::updated(
            "organisation",
            into.id,
            serde_json::to_value(from).map_err(Error::internal)?,
            serde_json::json!({
                "merged_into": into.id,
                "homes": merge.homes.iter().map(|(urn, _)| urn).collect::<Vec<_>>(),
                "users": merge.users.iter().map(|(_, email)| email).collect::<Vec<_>>(),
                "alias": from.name,
            }),
        )
        .summary(format!(
            "Merged '{}' into '{}': {} homes, {} users moved; '{}' kept as another spelling",
            from.name,
            into.name,
            merge.homes.len(),
            merge.users.len(),
            from.name
        )),
    )
    .await?;
    Ok(merge)
}

/// Organisations of the same kind that are likely the same as `org` (names
/// differing only by "Limited"/"plc", case or punctuation), then any whose
/// name contains `q`: the choices offered on the merge page.
pub async fn candidates(
    conn: &impl ConnectionTrait,
    org: &organisations::Model,
    q: Option<&str>,
) -> Result<(Vec<organisations::Model>, Vec<organisations::Model>)> {
    let same_kind = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq(org.kind.clone()))
        .filter(organisations::Column::Id.ne(org.id));
    let key = loose_key(&org.name);
    let first_word = key.split(' ').next().unwrap_or_default().to_string();
    let likely = same_kind
        .clone()
        .filter(organisations::Column::NameKey.starts_with(first_word))
        .order_by_asc(organisations::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .filter(|o| loose_key(&o.name) == key)
        .collect();
    let found = match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Vec::new(),
        Some(q) => {
            same_kind
                .filter(organisations::Column::NameKey.contains(super::name_key(q)))
                .order_by_asc(organisations::Column::Name)
                .paginate(conn, 20)
                .fetch_page(0)
                .await?
        }
    };
    Ok((likely, found))
}

/// The spellings merged into an organisation.
pub async fn aliases_of(conn: &impl ConnectionTrait, org_id: i64) -> Result<Vec<String>> {
    Ok(organisation_aliases::Entity::find()
        .filter(organisation_aliases::Column::OrganisationId.eq(org_id))
        .order_by_asc(organisation_aliases::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect())
}
