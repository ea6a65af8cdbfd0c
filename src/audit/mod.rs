//! The audit trail: who did what, when, to which record, with the values
//! before and after. Written in the same transaction as the change it
//! describes; the database refuses to update or delete audit rows.

pub mod routes;
mod views;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value};

use crate::auth::Viewer;
use crate::db::entities::audit_events;

/// One audited event.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub summary: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn event(action: &str, entity_type: &str, entity_id: Option<String>) -> Self {
        Change {
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id,
            summary: None,
            before: None,
            after: None,
        }
    }

    pub fn created(entity_type: &str, entity_id: impl ToString, after: Value) -> Self {
        Change {
            after: Some(after),
            ..Change::event("create", entity_type, Some(entity_id.to_string()))
        }
    }

    /// Keeps only the fields that changed, so the trail reads as a diff.
    pub fn updated(
        entity_type: &str,
        entity_id: impl ToString,
        before: Value,
        after: Value,
    ) -> Self {
        let (before, after) = diff(before, after);
        Change {
            before: Some(before),
            after: Some(after),
            ..Change::event("update", entity_type, Some(entity_id.to_string()))
        }
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// True when an update changed nothing worth recording.
    pub fn is_empty_update(&self) -> bool {
        self.action == "update"
            && self
                .after
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
    }
}

/// Fields that differ; `updated_at` alone is not a change.
fn diff(before: Value, after: Value) -> (Value, Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut out_b = Map::new();
            let mut out_a = Map::new();
            for (key, new) in a {
                if key == "updated_at" || key == "created_at" {
                    continue;
                }
                let old = b.get(&key).cloned().unwrap_or(Value::Null);
                if old != new {
                    out_b.insert(key.clone(), old);
                    out_a.insert(key, new);
                }
            }
            (Value::Object(out_b), Value::Object(out_a))
        }
        (b, a) => (b, a),
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    change: Change,
) -> Result<(), DbErr> {
    audit_events::ActiveModel {
        occurred_at: Set(Utc::now().fixed_offset()),
        actor_user_id: Set(viewer.user_id),
        actor: Set(viewer.email.clone()),
        action: Set(change.action),
        entity_type: Set(change.entity_type),
        entity_id: Set(change.entity_id),
        summary: Set(change.summary),
        before: Set(change.before),
        after: Set(change.after),
        client_ip: Set(viewer.client_ip.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// Many events at once (imports), in batches.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    changes: Vec<Change>,
) -> Result<(), DbErr> {
    let now = Utc::now().fixed_offset();
    let rows: Vec<audit_events::ActiveModel> = changes
        .into_iter()
        .map(|change| audit_events::ActiveModel {
            occurred_at: Set(now),
            actor_user_id: Set(viewer.user_id),
            actor: Set(viewer.email.clone()),
            action: Set(change.action),
            entity_type: Set(change.entity_type),
            entity_id: Set(change.entity_id),
            summary: Set(change.summary),
            before: Set(change.before),
            after: Set(change.after),
            client_ip: Set(viewer.client_ip.clone()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(2000) {
        audit_events::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    /// A member council's administrator sees what its own staff, providers
    /// and the system did, never another council's staff (their cases'
    /// notes are that council's own).
    pub council: Option<i64>,
}

/// Newest first, one page at a time.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &Filter,
    page: crate::web::pagination::PageNumber,
    per_page: u64,
) -> Result<(Vec<audit_events::Model>, u64), DbErr> {
    let mut query = audit_events::Entity::find();
    if let Some(t) = &filter.entity_type {
        query = query.filter(audit_events::Column::EntityType.eq(t.as_str()));
    }
    if let Some(id) = &filter.entity_id {
        query = query.filter(audit_events::Column::EntityId.eq(id.as_str()));
    }
    if let Some(a) = &filter.action {
        query = query.filter(audit_events::Column::Action.eq(a.as_str()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::Column::Actor.contains(actor.to_lowercase()));
    }
    if let Some(council) = filter.council {
        use crate::db::entities::users;
        use sea_orm::sea_query::Query;
        let ours_or_providers = Query::select()
            .column(users::Column::Id)
            .from(users::Entity)
            .cond_where(
                Condition::any()
                    .add(users::Column::OrganisationId.eq(council))
                    .add(users::Column::Role.eq(crate::auth::Role::Provider.code())),
            )
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(audit_events::Column::ActorUserId.is_null())
                .add(audit_events::Column::ActorUserId.in_subquery(ours_or_providers)),
        );
    }
    let paginator = query
        .order_by_desc(audit_events::Column::OccurredAt)
        .order_by_desc(audit_events::Column::Id)
        .paginate(conn, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator
        .fetch_page(page.within(total, per_page) - 1)
        .await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn updates_record_only_what_changed() {
        let c = Change::updated(
            "home",
            1,
            json!({"name": "Oak", "places": 3, "updated_at": "a"}),
            json!({"name": "Oak", "places": 4, "updated_at": "b"}),
        );
        assert_eq!(c.before, Some(json!({"places": 3})));
        assert_eq!(c.after, Some(json!({"places": 4})));
        assert!(!c.is_empty_update());
        let none = Change::updated("home", 1, json!({"a": 1}), json!({"a": 1}));
        assert!(none.is_empty_update());
    }
}
