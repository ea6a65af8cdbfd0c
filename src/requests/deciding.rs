//! The officer's decision on a request: placed with one home's offer, no
//! suitable offer, or withdrawn. The outcome and its time are audited, and
//! every provider asked is told by email: the chosen one that its offer
//! was accepted, the others "placed elsewhere, thank you" (or that the
//! request closed without a placement).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Detail, HomeLine, Status};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::bed_requests;
use crate::email::templates::RequestClosedLetter;
use crate::email::{self, Category, recipients};
use crate::error::{Error, Result};

/// What the officer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Placed with the offer of the home with this URN.
    Placed(String),
    NoSuitableOffer,
    Withdrawn,
}

impl Decision {
    fn status(&self) -> Status {
        match self {
            Decision::Placed(_) => Status::Placed,
            Decision::NoSuitableOffer => Status::NoSuitableOffer,
            Decision::Withdrawn => Status::Withdrawn,
        }
    }
}

/// Whether the decision can be recorded on this request: it is open and,
/// to place, the home chosen has an offer standing. The home placed with,
/// if any.
pub fn check(detail: &Detail, decision: &Decision) -> Result<Option<i64>> {
    if !detail.is_open() {
        return Err(Error::field(
            "outcome",
            "This request is already closed: its outcome cannot change",
        ));
    }
    match decision {
        Decision::Placed(urn) => match detail.line(urn) {
            Some(line) if line.is_offer() => Ok(Some(line.home.id)),
            Some(_) => Err(Error::field(
                "outcome",
                "Choose a home that has an offer standing",
            )),
            None => Err(Error::field("outcome", "Choose one of the homes asked")),
        },
        _ => Ok(None),
    }
}

/// Records the decision on an open request of the viewer's council.
pub async fn decide(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    viewer: &Viewer,
    reference: &str,
    decision: &Decision,
) -> Result<Detail> {
    let now = Utc::now();
    crate::db::in_write_transaction(db, async |txn| {
        super::lock(txn, reference).await?;
        let mut detail = super::find(txn, reference, viewer).await?;
        if viewer.council_id() != Some(detail.request.council_id) {
            return Err(Error::NotFound);
        }
        let placed = check(&detail, decision)?;
        let status = decision.status();
        use bed_requests::Column as R;
        let done = bed_requests::Entity::update_many()
            .col_expr(R::Status, Expr::value(status.code()))
            .col_expr(R::PlacedHomeId, Expr::value(placed))
            .col_expr(R::DecidedAt, Expr::value(now.fixed_offset()))
            .col_expr(R::DecidedBy, Expr::value(viewer.display_name.clone()))
            .col_expr(R::UpdatedAt, Expr::value(now.fixed_offset()))
            .filter(R::Id.eq(detail.request.id))
            .filter(R::Status.eq(Status::Open.code()))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(Error::field(
                "outcome",
                "This request is already closed: its outcome cannot change",
            ));
        }
        audit::record(
            txn,
            viewer,
            Change::updated(
                "bed_request",
                &detail.request.reference,
                json!({"status": Status::Open.code()}),
                json!({"status": status.code(), "placed_home_id": placed, "decided_at": now}),
            )
            .summary(format!("{}: {}", detail.request.reference, status.label())),
        )
        .await?;
        detail.request.status = status.code().into();
        detail.request.placed_home_id = placed;
        detail.request.decided_at = Some(now.fixed_offset());
        detail.request.decided_by = Some(viewer.display_name.clone());
        tell_providers(txn, settings, &detail, now).await?;
        Ok(detail)
    })
    .await
}

/// Emails each provider contact of the request its outcome, once.
async fn tell_providers(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    detail: &Detail,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut by_provider: BTreeMap<i64, Vec<&HomeLine>> = BTreeMap::new();
    for line in &detail.homes {
        if let Some(provider) = line.row.provider_id {
            by_provider.entry(provider).or_default().push(line);
        }
    }
    let placed = detail.request.placed_home_id;
    let mut queued = 0;
    for (provider, lines) in by_provider {
        let placed_with_you = lines
            .iter()
            .find(|l| Some(l.home.id) == placed)
            .map(|l| l.home.name.clone());
        let letter_for = |name: String| RequestClosedLetter {
            name,
            council: detail.council_name.clone(),
            reference: detail.request.reference.clone(),
            placed_with_you: placed_with_you.clone(),
            placed_elsewhere: placed.is_some() && placed_with_you.is_none(),
            homes: lines.iter().map(|l| l.home.name.clone()).collect(),
        };
        // The chosen provider must act: that email is not one to opt out of.
        let category = if placed_with_you.is_some() {
            Category::BedRequest
        } else {
            Category::RequestOutcome
        };
        for person in recipients::provider_contacts(conn, provider).await? {
            let Some(user_id) = person.user_id else {
                continue;
            };
            let key = format!("request_closed:{}:{user_id}", detail.request.id);
            let letter = letter_for(person.name.clone());
            if email::queue(conn, settings, &key, category, &person, now, |f| {
                letter.render(f)
            })
            .await?
            {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
