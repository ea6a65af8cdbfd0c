//! Sending a request: the criteria of a search, the homes to ask, how long
//! the placement should last, matching considerations and a reply-by
//! time. One transaction gives it a reference, records the homes asked and
//! queues one email per provider contact with a single-use answer link per
//! home (expiring at the reply-by time). The page, the API and the demo all
//! send through [`send`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use importers::vocab::{Judgement, Need, RegistrationStatus};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;

use super::{Consideration, Length, Reference, Status, describe, vocab};
use crate::app::AppState;
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{bed_request_homes, bed_requests, homes, inspections};
use crate::email::links::{self, NewLink, Purpose};
use crate::email::templates::{AskedHome, BedRequestLetter};
use crate::email::{self, Category, recipients};
use crate::error::{Error, Result};
use crate::geo::Point;
use crate::search::MinRating;
use crate::search::params::SearchParams;
use crate::web::forms::FormErrors;

/// A request as the officer (or an API client) put it, before checking.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The search's criteria, as its query string gives them.
    pub search: SearchParams,
    /// URNs of the homes to ask; `None` asks the homes the search finds
    /// (its results and near misses).
    pub homes: Option<Vec<String>>,
    pub length: Option<Length>,
    pub considerations: Vec<Consideration>,
    pub reply_by: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// Problems the channel found reading its input (the API's codes),
    /// reported with the rest.
    pub problems: FormErrors,
    /// URNs typed by hand (the form's other-homes box), whose problems
    /// are shown there rather than on the ticked homes.
    pub typed: Vec<String>,
}

/// The homes of a search a request may ask: its results and near misses,
/// a hit per home, but never a home that misses on its rating (the rating
/// gate is lifted only by asking the search for homes below Good).
pub fn askable(outcome: &crate::search::Outcome) -> Vec<&crate::search::Hit> {
    let mut hits: Vec<&crate::search::Hit> = Vec::new();
    for hit in outcome.results.iter().chain(&outcome.near_misses) {
        if !matches!(hit.miss, Some(crate::search::Miss::Rating(_)))
            && !hits.iter().any(|h| h.home.urn == hit.home.urn)
        {
            hits.push(hit);
        }
    }
    hits
}

/// Sends a request from the viewer's council. Field problems come back as
/// `Error::Invalid` with nothing saved.
pub async fn send(
    state: &AppState,
    viewer: &Viewer,
    draft: Draft,
    now: DateTime<Utc>,
) -> Result<bed_requests::Model> {
    let settings = &state.settings;
    let council = viewer.council_id().ok_or(Error::Forbidden)?;
    let offers = state.offers.snapshot(&state.db).await?;
    let mut errors = draft.problems.clone();
    let criteria = match draft.search.parse(&state.db, &offers).await {
        Ok(c) => Some(c),
        Err(problems) => {
            for (field, message) in problems.iter() {
                errors.add(field, message);
            }
            None
        }
    };
    let urns = match (&draft.homes, &criteria) {
        (Some(urns), _) => urns.clone(),
        (None, Some(c)) => askable(&crate::search::search(&offers, c, settings))
            .into_iter()
            .map(|hit| hit.home.urn.clone())
            .collect(),
        (None, None) => Vec::new(),
    };
    let min_rating = criteria.as_ref().map(|c| c.min_rating);
    let asked = resolve_homes(
        &state.db,
        &urns,
        &draft.typed,
        settings,
        min_rating,
        &mut errors,
    )
    .await?;
    if criteria.is_some() && asked.is_empty() && errors.get("homes").is_none() {
        errors.add("homes", "Tick at least one home to ask");
    }
    let length = draft.length.or_else(|| {
        errors.add(
            "length",
            "Select how long the placement is expected to last",
        );
        None
    });
    let reply_by = match draft.reply_by {
        Some(at) if at <= now + Duration::minutes(15) => {
            errors.add(
                "reply_by",
                "The reply-by time must be at least 15 minutes from now",
            );
            None
        }
        Some(at) if at > now + Duration::days(28) => {
            errors.add("reply_by", "The reply-by time must be within 4 weeks");
            None
        }
        Some(at) => Some(at),
        None => {
            errors.add(
                "reply_by",
                "Enter the date and time providers must reply by",
            );
            None
        }
    };
    let note = draft
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if let Some(n) = &note
        && n.chars().count() > settings.requests.note_max_chars
    {
        errors.add(
            "note",
            format!(
                "The note must be {} characters or fewer",
                settings.requests.note_max_chars
            ),
        );
    }
    let (Some(criteria), Some(length), Some(reply_by)) = (criteria, length, reply_by) else {
        return Err(Error::Invalid(ordered(errors)));
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(ordered(errors)));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let year = now.with_timezone(&chrono_tz::Europe::London).year();
    let sequence = next_sequence(&txn, year).await?;
    let reference = Reference::new(year, sequence);
    let request = bed_requests::ActiveModel {
        reference: Set(reference.to_string()),
        year: Set(year),
        sequence: Set(sequence),
        council_id: Set(council),
        created_by: Set(viewer.user_id),
        created_by_name: Set(viewer.display_name.clone()),
        age: Set(i16::from(criteria.age)),
        sex: Set(criteria.sex.code().into()),
        needs_mask: Set(Need::mask(&criteria.needs)),
        district: Set(criteria.origin.district.as_str().into()),
        max_miles: Set(criteria.max_miles as i32),
        needed_from: Set(criteria.needed_from),
        provision_types: Set(vocab::join(
            &criteria.provision_types,
            importers::vocab::ProvisionType::code,
        )),
        emergency: Set(criteria.emergency),
        solo: Set(criteria.solo),
        min_rating: Set(criteria.min_rating.code().into()),
        duration: Set(length.code().into()),
        considerations: Set(vocab::join(&draft.considerations, Consideration::code)),
        note: Set(note),
        reply_by: Set(reply_by.fixed_offset()),
        status: Set(Status::Open.code().into()),
        created_at: Set(now.fixed_offset()),
        updated_at: Set(now.fixed_offset()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let origin = criteria.origin.point;
    let rows: Vec<bed_request_homes::ActiveModel> = asked
        .iter()
        .map(|home| bed_request_homes::ActiveModel {
            request_id: Set(request.id),
            home_id: Set(home.id),
            provider_id: Set(home.provider_id),
            miles: Set(miles(origin, home)),
            ..Default::default()
        })
        .collect();
    bed_request_homes::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    let sender = sender_text(&viewer.display_name, &viewer.email);
    let by_provider: Vec<(&homes::Model, i64)> = asked
        .iter()
        .filter_map(|h| Some((h, h.provider_id?)))
        .collect();
    let emailed =
        ask_providers(&txn, settings, &request, &sender, &by_provider, now, false).await?;
    audit::record(
        &txn,
        viewer,
        Change::created(
            "bed_request",
            &request.reference,
            json!({
                "homes": asked.iter().map(|h| h.urn.clone()).collect::<Vec<_>>(),
                "reply_by": request.reply_by,
                "duration": request.duration,
                "emails": emailed,
            }),
        )
        .summary(format!(
            "Sent request {} to {} homes",
            request.reference,
            asked.len()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}

/// Errors in the order the request form shows its fields.
fn ordered(mut errors: FormErrors) -> FormErrors {
    errors.sort_by_fields(&[
        "age",
        "sex",
        "needs",
        "postcode",
        "miles",
        "from",
        "type",
        "rating",
        "confirm_below_good",
        "homes",
        "other_homes",
        "length",
        "considerations",
        "reply_by",
        "note",
    ]);
    errors
}

fn miles(origin: Point, home: &homes::Model) -> Option<f64> {
    let (latitude, longitude) = (home.latitude?, home.longitude?);
    let miles = origin.miles_to(Point {
        latitude,
        longitude,
    });
    Some((miles * 10.0).round() / 10.0)
}

/// The homes the URNs name: open homes of the placements market with a
/// provider, rated at least as the search asked, each once. Anything else
/// is a field error naming the URN.
async fn resolve_homes(
    conn: &impl ConnectionTrait,
    urns: &[String],
    typed: &[String],
    settings: &Settings,
    min_rating: Option<MinRating>,
    errors: &mut FormErrors,
) -> Result<Vec<homes::Model>> {
    let mut wanted: Vec<String> = Vec::new();
    for urn in urns {
        let urn = urn.trim().to_ascii_uppercase();
        if !urn.is_empty() && !wanted.contains(&urn) {
            wanted.push(urn);
        }
    }
    if wanted.len() > settings.requests.max_homes {
        errors.add(
            "homes",
            format!(
                "Ask at most {} homes in one request",
                settings.requests.max_homes
            ),
        );
        return Ok(Vec::new());
    }
    let found: BTreeMap<String, homes::Model> = homes::Entity::find()
        .filter(homes::Column::Urn.is_in(wanted.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.urn.clone(), h))
        .collect();
    let ratings: HashMap<i64, Option<Judgement>> = inspections::Entity::find()
        .filter(inspections::Column::HomeId.is_in(found.values().map(|h| h.id)))
        .filter(inspections::Column::IsCurrent.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| {
            (
                i.home_id,
                i.overall.as_deref().and_then(Judgement::from_code),
            )
        })
        .collect();
    let admitted = |h: &homes::Model| {
        let rating = ratings.get(&h.id).copied().flatten();
        min_rating.is_none_or(|m| m.admits(rating))
    };
    let mut asked = Vec::new();
    for urn in wanted {
        let field = if typed.contains(&urn) {
            "other_homes"
        } else {
            "homes"
        };
        match found.get(&urn) {
            None => errors.add(field, format!("{urn} is not a home on the service")),
            Some(h)
                if !RegistrationStatus::from_code(&h.registration_status)
                    .is_some_and(|s| s.is_open()) =>
            {
                errors.add(field, format!("{} ({urn}) is no longer open", h.name))
            }
            Some(h) if !settings.market.includes_code(&h.provision_type) => errors.add(
                field,
                format!("{} ({urn}) is not a kind of home councils place in", h.name),
            ),
            Some(h) if h.provider_id.is_none() => errors.add(
                field,
                format!("{} ({urn}) has no provider on the service", h.name),
            ),
            Some(h) if !admitted(h) => errors.add(
                field,
                format!(
                    "{} ({urn}) is rated below what the search asked: to ask it, search again \
                     including homes rated below Good",
                    h.name
                ),
            ),
            Some(h) => asked.push(h.clone()),
        }
    }
    Ok(asked)
}

/// The next number of the year's references. Two requests sent at once
/// must not take the same number: SQLite's write transaction already holds
/// the database; on PostgreSQL senders queue on a lock for the year's
/// numbers (held to the end of the transaction; nothing else waits).
async fn next_sequence(conn: &impl ConnectionTrait, year: i32) -> Result<i32> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        /// Names the lock: "bed request numbers", then the year.
        const NUMBERS: i32 = 0x0BED;
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({NUMBERS}, {year})"))
            .await?;
    }
    let last: Option<Option<i32>> = bed_requests::Entity::find()
        .select_only()
        .column_as(bed_requests::Column::Sequence.max(), "last")
        .filter(bed_requests::Column::Year.eq(year))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(last.flatten().unwrap_or(0) + 1)
}

/// "Monday 7 December 2026 at 3:00pm" (or "at midday"), in UK time, as
/// the pages write it.
pub fn reply_by_text(request: &bed_requests::Model) -> String {
    let weekday = request
        .reply_by
        .with_timezone(&chrono_tz::Europe::London)
        .format("%A");
    format!(
        "{weekday} {}",
        crate::web::filters::date_time(&request.reply_by)
    )
}

/// Who to ask about a request: "Sam Jones (sam@council.gov.uk)".
pub fn sender_text(name: &str, email: &str) -> String {
    if email.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({email})")
    }
}

/// Emails each contact of the providers asked, with an answer link per
/// home of theirs (the request, or its reminder): `asked` pairs each home
/// with the provider asked about it. Returns how many emails.
pub async fn ask_providers(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    request: &bed_requests::Model,
    sender: &str,
    asked: &[(&homes::Model, i64)],
    now: DateTime<Utc>,
    reminder: bool,
) -> Result<usize> {
    let mut by_provider: BTreeMap<i64, Vec<&homes::Model>> = BTreeMap::new();
    for (home, provider) in asked {
        by_provider.entry(*provider).or_default().push(home);
    }
    let council = crate::regions::member(conn, request.council_id)
        .await?
        .map(|m| m.name)
        .unwrap_or_else(|| settings.region.name.clone());
    let valid_for = request.reply_by.with_timezone(&Utc) - now;
    let kind = if reminder { "reminder" } else { "request" };
    let mut queued = 0;
    for (provider, homes) in by_provider {
        for person in recipients::provider_contacts(conn, provider).await? {
            let Some(user_id) = person.user_id else {
                continue;
            };
            let key = format!("bed_{kind}:{}:{user_id}", request.id);
            if !email::will_queue(conn, &key, Category::BedRequest, &person).await? {
                continue;
            }
            let mut listed = Vec::new();
            for home in &homes {
                let link = NewLink {
                    purpose: Purpose::AnswerRequest,
                    user_id,
                    home_id: Some(home.id),
                    week_start: None,
                    request_id: Some(request.id),
                    category: None,
                    valid_for,
                };
                let token = links::create(conn, link, now).await?;
                listed.push(AskedHome {
                    name: home.name.clone(),
                    urn: home.urn.clone(),
                    answer_url: email::link(settings, &format!("/answer/{}/{token}", home.urn)),
                });
            }
            let letter = BedRequestLetter {
                name: person.name.clone(),
                council: council.clone(),
                reference: request.reference.clone(),
                reply_by: reply_by_text(request),
                reminder,
                asks: describe(request),
                note: request.note.clone(),
                sender: sender.to_string(),
                homes: listed,
                requests_url: email::link(settings, "/requests"),
            };
            if email::queue(
                conn,
                settings,
                &key,
                Category::BedRequest,
                &person,
                now,
                |f| letter.render(f),
            )
            .await?
            {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
