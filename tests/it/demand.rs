//! Unmet demand: the searches of a period, and those that found nothing
//! grouped by what was asked, counted by the database.

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};
use sufficiency::db::entities::searches;
use sufficiency::search::demand::{AgeBand, between};

use crate::support::TestApp;

/// A search-log row, as the log writes it, from `days_ago` days ago.
pub fn logged(
    age: i16,
    sexes: &str,
    district: &str,
    results: i32,
    days_ago: i64,
) -> searches::ActiveModel {
    let now = Utc::now();
    searches::ActiveModel {
        searched_at: Set((now - Duration::days(days_ago)).fixed_offset()),
        user_id: Set(None),
        role: Set("placements".into()),
        channel: Set("page".into()),
        district: Set(district.into()),
        age: Set(age),
        sexes: Set(sexes.into()),
        needs_mask: Set(0),
        max_miles: Set(20),
        needed_from: Set(now.date_naive()),
        provision_types: Set(String::new()),
        emergency: Set(false),
        solo: Set(false),
        min_rating: Set("good".into()),
        results: Set(results),
        near_misses: Set(0),
        ..Default::default()
    }
}

/// Girls of 15 searched for twice from BH12 and a girl of 17 once from BH1
/// (one band: three times, ages 15 and 17, both districts); a boy of 16
/// once. A search that found beds is a search but not unmet demand, and
/// one from before the period is neither.
#[tokio::test]
async fn unmet_demand_counts_the_periods_searches_by_what_was_asked() {
    let app = TestApp::new().await;
    searches::Entity::insert_many([
        logged(15, "female", "BH12", 0, 1),
        logged(15, "female", "BH12", 0, 2),
        logged(17, "female", "BH1", 0, 3),
        logged(16, "male", "BH12", 0, 1),
        logged(15, "female", "BH12", 2, 1),
        logged(15, "female", "BH12", 0, 40),
    ])
    .exec(&app.db)
    .await
    .expect("log rows");
    let ours = Some(app.seed.our_council_id);
    app.execute(&format!(
        "UPDATE searches SET council_id = {}",
        app.seed.our_council_id
    ))
    .await;
    let now = Utc::now();
    let demand = between(&app.db, ours, now - Duration::days(30), now)
        .await
        .expect("demand");
    assert_eq!((demand.searches, demand.unmet_searches), (5, 4));
    assert_eq!(demand.unmet.len(), 2, "{:?}", demand.unmet);
    let girls = &demand.unmet[0];
    assert_eq!(
        (girls.band, girls.sexes.as_str(), girls.times),
        (AgeBand::FifteenToSeventeen, "female", 3)
    );
    assert_eq!(girls.ages, [15, 17]);
    assert_eq!(girls.districts, ["BH1", "BH12"]);
    let boys = &demand.unmet[1];
    assert_eq!(
        (
            boys.band,
            boys.sexes.as_str(),
            boys.times,
            boys.ages.as_slice()
        ),
        (AgeBand::FifteenToSeventeen, "male", 1, &[16][..])
    );
}

/// A fostering-only search that found nothing is demand for fostering, not
/// for any kind of home.
#[tokio::test]
async fn unmet_demand_is_grouped_by_the_kinds_of_home_asked_for() {
    let app = TestApp::new().await;
    let fostering = || {
        let mut row = logged(15, "female", "BH12", 0, 1);
        row.provision_types = Set("independent_fostering_agency".into());
        row
    };
    searches::Entity::insert_many([fostering(), fostering(), logged(15, "female", "BH12", 0, 1)])
        .exec(&app.db)
        .await
        .expect("log rows");
    let ours = Some(app.seed.our_council_id);
    app.execute(&format!(
        "UPDATE searches SET council_id = {}",
        app.seed.our_council_id
    ))
    .await;
    let now = Utc::now();
    let demand = between(&app.db, ours, now - Duration::days(30), now)
        .await
        .expect("demand");
    assert_eq!(demand.unmet.len(), 2, "{:?}", demand.unmet);
    assert_eq!(demand.unmet[0].times, 2);
    assert_eq!(
        demand.unmet[0].types_label(),
        "Independent fostering agency"
    );
    assert_eq!(demand.unmet[1].types_label(), "Any kind of home");
    let mut c = app.signed_in(crate::support::Persona::Commissioner).await;
    c.get("/search/demand")
        .await
        .assert_contains("Independent fostering agency")
        .assert_contains("Any kind of home");
    let csv = c.get("/search/demand.csv").await;
    assert!(csv.body.contains("Kinds of home"), "{}", csv.body);
}
