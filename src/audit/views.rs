use askama::Template;

use crate::db::entities::audit_events;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<audit_events::Model>,
    pub pagination: Pagination,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub actor: String,
}

impl ListPage {
    /// Before/after values as short readable text.
    pub fn values(value: &Option<serde_json::Value>) -> String {
        match value {
            None => String::new(),
            Some(serde_json::Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Some(other) => other.to_string(),
        }
    }
}
