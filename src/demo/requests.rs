//! Demo bed requests from BCP's placements officer to the two demo
//! providers' homes: one placed, one closed with no suitable offer (with
//! the providers' reasons), one open with an offer, a refusal and a home
//! still to answer. Sent, answered and decided through the same domain
//! functions as the pages.

use chrono::{Duration, Utc};
use importers::vocab::{Judgement, Pence, RegistrationStatus};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::app::{AppState, StartError};
use crate::auth::Viewer;
use crate::config::Settings;
use crate::db::entities::{homes, inspections, users};
use crate::requests::answers::{self, AnswerInput};
use crate::requests::deciding::{self, Decision};
use crate::requests::sending::{self, Draft};
use crate::requests::{Consideration, Length, Reason};
use crate::search::MinRating;
use crate::search::params::SearchParams;

async fn user(db: &DatabaseConnection, email: &str) -> Result<Viewer, StartError> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?
        .and_then(Viewer::of_user)
        .ok_or_else(|| StartError::Other(format!("demo user {email} missing")))
}

/// Two open children's homes of a provider rated Good or better (what a
/// search asks by default), by name.
async fn two_homes(
    db: &DatabaseConnection,
    provider: Option<i64>,
) -> Result<Vec<homes::Model>, StartError> {
    let open = RegistrationStatus::open_codes();
    let candidates = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(provider))
        .filter(homes::Column::ProvisionType.eq("childrens_home"))
        .filter(homes::Column::RegistrationStatus.is_in(open))
        .order_by_asc(homes::Column::Name)
        .all(db)
        .await?;
    let good: Vec<i64> = inspections::Entity::find()
        .filter(inspections::Column::HomeId.is_in(candidates.iter().map(|h| h.id)))
        .filter(inspections::Column::IsCurrent.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|i| {
            let rating = i.overall.as_deref().and_then(Judgement::from_code);
            MinRating::Good.admits(rating)
        })
        .map(|i| i.home_id)
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|h| good.contains(&h.id))
        .take(2)
        .collect())
}

fn search(age: u8, sex: &str, district: &str, needs: &[&str]) -> SearchParams {
    SearchParams {
        age: age.to_string(),
        sex: sex.into(),
        postcode: district.into(),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    }
}

fn offer(days: i64, pounds: i64, note: &str) -> AnswerInput {
    AnswerInput::Offer {
        available_from: Utc::now().date_naive() + Duration::days(days),
        weekly_fee: Pence(pounds * 100),
        note: Some(note.into()).filter(|n: &String| !n.is_empty()),
    }
}

fn cannot(reason: Reason) -> AnswerInput {
    AnswerInput::CannotOffer { reason, note: None }
}

/// Sends a request and answers it: `answers[i]` for the i-th home asked.
async fn request(
    state: &AppState,
    officer: &Viewer,
    providers: &[Viewer],
    asked: &[&homes::Model],
    draft: Draft,
    answers: &[Option<AnswerInput>],
) -> Result<String, StartError> {
    let draft = Draft {
        homes: Some(asked.iter().map(|h| h.urn.clone()).collect()),
        ..draft
    };
    let sent = sending::send(state, officer, draft, Utc::now())
        .await
        .map_err(|e| StartError::Other(format!("demo request: {e}")))?;
    for (home, answer) in asked.iter().zip(answers) {
        let (Some(answer), Some(provider)) = (
            answer,
            providers
                .iter()
                .find(|p| p.organisation_id == home.provider_id),
        ) else {
            continue;
        };
        answers::answer(&state.db, provider, &sent.reference, &home.urn, answer)
            .await
            .map_err(|e| StartError::Other(format!("demo answer: {e}")))?;
    }
    Ok(sent.reference)
}

pub async fn generate(db: &DatabaseConnection, settings: &Settings) -> Result<usize, StartError> {
    let state = AppState::new(db.clone(), settings.clone());
    let officer = user(db, "placements@demo.sufficiency.test").await?;
    let a = user(db, "provider-a@demo.sufficiency.test").await?;
    let b = user(db, "provider-b@demo.sufficiency.test").await?;
    let a_homes = two_homes(db, a.organisation_id).await?;
    let b_homes = two_homes(db, b.organisation_id).await?;
    let (Some(a1), Some(a2), Some(b1)) = (a_homes.first(), a_homes.get(1), b_homes.first()) else {
        return Err(StartError::Other(
            "the demo providers have too few homes".into(),
        ));
    };
    let providers = [a.clone(), b.clone()];
    let reply_by = |hours: i64| Some(Utc::now() + Duration::hours(hours));

    let placed = request(
        &state,
        &officer,
        &providers,
        &[a1, a2, b1],
        Draft {
            search: search(15, "female", "BH12", &["emotional_behavioural"]),
            length: Some(Length::LongTerm),
            considerations: vec![Consideration::SchoolPlace],
            reply_by: reply_by(30),
            note: Some("We would like an introductory visit this week.".into()),
            ..Default::default()
        },
        &[
            Some(offer(
                3,
                5200,
                "Room on the ground floor; school places nearby.",
            )),
            Some(cannot(Reason::Matching)),
            Some(offer(7, 4900, "")),
        ],
    )
    .await?;
    deciding::decide(
        db,
        settings,
        &officer,
        &placed,
        &Decision::Placed(a1.urn.clone()),
    )
    .await
    .map_err(|e| StartError::Other(format!("demo decision: {e}")))?;

    let unmet = request(
        &state,
        &officer,
        &providers,
        &[a1, b1],
        Draft {
            search: search(12, "male", "BH1", &["autism", "learning_disability"]),
            length: Some(Length::ShortTerm),
            considerations: vec![Consideration::OnlyChild, Consideration::NoPets],
            reply_by: reply_by(6),
            ..Default::default()
        },
        &[
            Some(cannot(Reason::DoesNotMeetNeeds)),
            Some(cannot(Reason::NoVacancy)),
        ],
    )
    .await?;
    deciding::decide(db, settings, &officer, &unmet, &Decision::NoSuitableOffer)
        .await
        .map_err(|e| StartError::Other(format!("demo decision: {e}")))?;

    request(
        &state,
        &officer,
        &providers,
        &[a2, b1, a1],
        Draft {
            search: search(16, "female", "BH23", &["mental_health"]),
            length: Some(Length::Emergency),
            considerations: vec![Consideration::GoingMissing],
            reply_by: reply_by(20),
            note: Some("Needed tonight if at all possible.".into()),
            ..Default::default()
        },
        &[
            Some(offer(
                0,
                6100,
                "Staffed 2:1 for the first week at no extra cost.",
            )),
            Some(cannot(Reason::NoVacancy)),
            None,
        ],
    )
    .await?;
    Ok(3)
}
