//! Getting returns filed: Monday's request to every provider contact with
//! a one-click "no change" link per home, Tuesday's reminder for homes not
//! yet filed, and after the due time the list of non-filers to
//! commissioners.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use importers::vocab::IsoWeek;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::Role;
use crate::config::Settings;
use crate::db::entities::{homes, organisations, returns, users};
use crate::email::links::{self, NewLink, Purpose};
use crate::email::templates::{NonFiler, NonFilers, RequestedHome, ReturnRequest};
use crate::email::{self, Category, Recipient, recipients};
use crate::error::Result;

/// When the week's return is due, in words: "12:00pm on Tuesday 24 November".
pub fn due_text(settings: &Settings, week: IsoWeek) -> String {
    settings
        .returns
        .due(week)
        .with_timezone(&chrono_tz::Europe::London)
        .format("%-I:%M%P on %A %-d %B")
        .to_string()
}

/// Homes of the placements market registered during the week, of these
/// providers, or of every provider when `None`.
async fn open_homes(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    week: IsoWeek,
    provider_id: Option<i64>,
    host_council_id: Option<i64>,
) -> Result<Vec<homes::Model>> {
    let mut query = homes::Entity::find()
        .filter(crate::homes::registered_during(week))
        .filter(crate::homes::in_market(&settings.market));
    if let Some(id) = provider_id {
        query = query.filter(homes::Column::ProviderId.eq(id));
    }
    if let Some(id) = host_council_id {
        query = query.filter(homes::Column::HostCouncilId.eq(id));
    }
    Ok(query
        .order_by_asc(homes::Column::Name)
        .order_by_asc(homes::Column::Urn)
        .all(conn)
        .await?)
}

/// Which of these homes have a current return for the week.
async fn filed(
    conn: &impl ConnectionTrait,
    home_ids: &[i64],
    week: IsoWeek,
) -> Result<HashSet<i64>> {
    let mut done = HashSet::new();
    for chunk in home_ids.chunks(400) {
        let rows: Vec<i64> = returns::Entity::find()
            .select_only()
            .column(returns::Column::HomeId)
            .filter(returns::Column::HomeId.is_in(chunk.iter().copied()))
            .filter(returns::Column::WeekStart.eq(week.monday()))
            .filter(returns::Column::IsCurrent.eq(true))
            .into_tuple()
            .all(conn)
            .await?;
        done.extend(rows);
    }
    Ok(done)
}

/// Monday's request (`reminder` false) or Tuesday's reminder: one email per
/// provider contact listing their homes not yet filed for the week.
pub async fn requests(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    week: IsoWeek,
    now: DateTime<Utc>,
    reminder: bool,
) -> Result<usize> {
    let category = if reminder {
        Category::ReturnReminder
    } else {
        Category::ReturnRequest
    };
    let contacts = users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.eq(Role::Provider.code()))
        .filter(users::Column::OrganisationId.is_not_null())
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?;
    let mut by_provider: BTreeMap<i64, Vec<Recipient>> = BTreeMap::new();
    for user in contacts {
        if let Some(org) = user.organisation_id {
            by_provider.entry(org).or_default().push(Recipient {
                user_id: Some(user.id),
                email: user.email,
                name: user.display_name,
            });
        }
    }
    let due = due_text(settings, week);
    let mut queued = 0;
    for (provider_id, people) in by_provider {
        let homes = open_homes(conn, settings, week, Some(provider_id), None).await?;
        let ids: Vec<i64> = homes.iter().map(|h| h.id).collect();
        let done = filed(conn, &ids, week).await?;
        let pending: Vec<&homes::Model> = homes.iter().filter(|h| !done.contains(&h.id)).collect();
        if pending.is_empty() {
            continue;
        }
        let mut can_copy = HashSet::new();
        for home in &pending {
            if crate::returns::store::latest_before(conn, home.id, week)
                .await?
                .is_some()
            {
                can_copy.insert(home.id);
            }
        }
        for person in people {
            let Some(user_id) = person.user_id else {
                continue;
            };
            let key = format!("{}:{week}:{user_id}", category.code());
            if !email::will_queue(conn, &key, category, &person).await? {
                continue;
            }
            let mut listed = Vec::new();
            for home in &pending {
                let no_change_url = if can_copy.contains(&home.id) {
                    let link = NewLink {
                        request_id: None,
                        purpose: Purpose::NoChange,
                        user_id,
                        home_id: Some(home.id),
                        week_start: Some(week.monday()),
                        category: None,
                        valid_for: Duration::days(settings.email.one_click_valid_days),
                    };
                    let token = links::create(conn, link, now).await?;
                    Some(email::link(
                        settings,
                        &format!("/one-click/{}/{token}", home.urn),
                    ))
                } else {
                    None
                };
                listed.push(RequestedHome {
                    name: home.name.clone(),
                    urn: home.urn.clone(),
                    no_change_url,
                    update_url: email::link(
                        settings,
                        &format!("/homes/{}/returns/{week}", home.urn),
                    ),
                });
            }
            let letter = ReturnRequest {
                name: person.name.clone(),
                council: settings.council.name.clone(),
                week: week.to_string(),
                due: due.clone(),
                reminder,
                homes: listed,
            };
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

/// After the due time: each member council's commissioners get the homes
/// that have not filed among those in its area and those outside the
/// region where its children live. Nothing is sent to a council whose
/// homes have all filed.
pub async fn non_filers(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<usize> {
    let members = crate::regions::members(conn).await?;
    let member_ids: HashSet<i64> = members.iter().map(|m| m.id).collect();
    let mut queued = 0;
    for member in &members {
        let mut homes = open_homes(conn, settings, week, None, Some(member.id)).await?;
        let placed = crate::returns::store::homes_placed_in_by(conn, member.id).await?;
        let outside: Vec<i64> = placed.into_iter().collect();
        for chunk in outside.chunks(400) {
            homes.extend(
                homes::Entity::find()
                    .filter(homes::Column::Id.is_in(chunk.iter().copied()))
                    .filter(crate::homes::registered_during(week))
                    .filter(crate::homes::in_market(&settings.market))
                    .all(conn)
                    .await?
                    .into_iter()
                    .filter(|h| h.host_council_id.is_none_or(|c| !member_ids.contains(&c))),
            );
        }
        queued += non_filers_of(conn, settings, member.id, &homes, week, now).await?;
    }
    Ok(queued)
}

async fn non_filers_of(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    council: i64,
    homes: &[homes::Model],
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<usize> {
    let ids: Vec<i64> = homes.iter().map(|h| h.id).collect();
    let done = filed(conn, &ids, week).await?;
    let missing: Vec<&homes::Model> = homes.iter().filter(|h| !done.contains(&h.id)).collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let provider_names: std::collections::HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(missing.iter().filter_map(|h| h.provider_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let letter = NonFilers {
        week: week.to_string(),
        expected: homes.len(),
        homes: missing
            .iter()
            .map(|h| NonFiler {
                name: h.name.clone(),
                urn: h.urn.clone(),
                provider: h
                    .provider_id
                    .and_then(|p| provider_names.get(&p).cloned())
                    .unwrap_or_else(|| "Provider not recorded".into()),
            })
            .collect(),
        board_url: email::link(settings, &format!("/returns?week={week}")),
    };
    let mut queued = 0;
    for person in recipients::with_roles_in(conn, &[Role::Commissioner], council).await? {
        let key = format!(
            "{}:{week}:{}",
            Category::NonFilers.code(),
            person.user_id.unwrap_or(0)
        );
        if email::queue(
            conn,
            settings,
            &key,
            Category::NonFilers,
            &person,
            now,
            |f| letter.render(f),
        )
        .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}
