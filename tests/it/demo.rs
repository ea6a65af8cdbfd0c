//! The demo database: real Ofsted data for BCP and its neighbours, with
//! twelve weeks of returns, change reports of the imports, and monitoring
//! cases with history, so that every screen shows real-looking data.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::db::entities::{
    bed_request_homes, bed_requests, case_escalations, case_meetings, homes, inspections,
    monitoring_cases, ofsted_imports, organisation_aliases, organisations, returns,
};

use crate::support::{TestApp, repo_path};

#[tokio::test]
async fn the_demo_has_returns_change_reports_and_cases_with_history() {
    let app = TestApp::empty().await;
    let logins = sufficiency::demo::build(&app.db, &app.state.settings, &repo_path("data/demo"))
        .await
        .expect("demo builds");
    assert_eq!(logins.len(), 9);
    let db = &app.db;
    // A region: BCP, Dorset, Hampshire and Southampton, with users of two.
    let members = sufficiency::regions::members(db).await.unwrap();
    let codes: Vec<&str> = members
        .iter()
        .filter_map(|m| m.ons_code.as_deref())
        .collect();
    for code in ["E06000058", "E06000059", "E10000014", "E06000045"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert!(
        logins
            .iter()
            .any(|l| l.email.starts_with("dorset-commissioner"))
    );
    assert!(logins.iter().any(|l| l.email.starts_with("regional-lead")));
    // Provider A's homes are in more than one member council: one return
    // each, seen by all of them.
    let member_ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let provider_a = sufficiency::db::entities::users::Entity::find()
        .filter(
            sufficiency::db::entities::users::Column::Email.eq("provider-a@demo.sufficiency.test"),
        )
        .one(db)
        .await
        .unwrap()
        .and_then(|u| u.organisation_id)
        .unwrap();
    let mut councils: Vec<i64> = homes::Entity::find()
        .filter(homes::Column::ProviderId.eq(provider_a))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|h| h.host_council_id)
        .filter(|c| member_ids.contains(c))
        .collect();
    councils.sort();
    councils.dedup();
    assert!(councils.len() > 1, "{councils:?}");
    assert!(returns::Entity::find().count(db).await.unwrap() > 1000);

    let imports = ofsted_imports::Entity::find().all(db).await.unwrap();
    assert_eq!(imports.len(), 4);
    assert!(imports.iter().all(|i| i.status == "done"));
    let last = sufficiency::ofsted::web_import::report_of(&imports[2]).expect("report");
    assert!(!last.downgrades.is_empty(), "2023-24 has real downgrades");
    assert!(!last.upgrades.is_empty());

    let open = monitoring_cases::Entity::find()
        .filter(monitoring_cases::Column::Status.ne("closed"))
        .count(db)
        .await
        .unwrap();
    assert!(open >= 5, "{open} open cases");
    assert!(case_meetings::Entity::find().count(db).await.unwrap() > 5);
    assert!(case_escalations::Entity::find().count(db).await.unwrap() > 0);
    let awaiting = inspections::Entity::find()
        .filter(inspections::Column::Verified.eq(false))
        .count(db)
        .await
        .unwrap();
    assert_eq!(awaiting, 2, "two provider reports await confirmation");

    // The leavers and joiners table closed a BCP children's home, and the
    // report says so, our council's area first.
    let leavers = sufficiency::ofsted::web_import::report_of(&imports[3]).expect("report");
    assert_eq!(leavers.layout, "leavers and joiners");
    assert_eq!(leavers.homes_deregistered[0].urn, "2607291", "{leavers:?}");
    let closed = homes::Entity::find()
        .filter(homes::Column::Urn.eq("2607291"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.registration_status, "resigned");
    assert!(closed.registration_ended_on.is_some());
    // Beaufort's two spellings are one organisation.
    let aliases = organisation_aliases::Entity::find().all(db).await.unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0].name, "Beaufort care Group");
    // Bed requests: placed, no suitable offer, and one still open with an
    // offer, a refusal and a home to answer.
    let requests = bed_requests::Entity::find().all(db).await.unwrap();
    let statuses: Vec<&str> = requests.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["placed", "no_suitable_offer", "open"]);
    let answers: Vec<Option<String>> = bed_request_homes::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.answer)
        .collect();
    for wanted in [Some("offer"), Some("cannot_offer"), None] {
        assert!(
            answers.iter().any(|a| a.as_deref() == wanted),
            "{wanted:?} in {answers:?}"
        );
    }
}

/// Homes whose name and address Ofsted withheld get a fictional name and a
/// real postcode inside their own council, so they sit in the right place
/// on the map and in searches.
#[tokio::test]
async fn withheld_homes_get_a_real_postcode_inside_their_council() {
    let app = TestApp::empty().await;
    sufficiency::demo::build(&app.db, &app.state.settings, &repo_path("data/demo"))
        .await
        .expect("demo builds");
    let mut council_of = std::collections::HashMap::new();
    let mut sample =
        csv::Reader::from_path(repo_path("data/demo/geo/postcodes_sample.csv")).unwrap();
    for row in sample.records() {
        let row = row.unwrap();
        council_of.insert(row[0].to_string(), row[4].to_string());
    }
    let councils: std::collections::HashMap<i64, String> = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("council"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let demo = homes::Entity::find()
        .filter(homes::Column::Name.ends_with("(demo)"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(demo.len() >= 5, "{} fictionalised homes", demo.len());
    for home in demo {
        let postcode = home.postcode.clone().unwrap_or_default();
        let host = home.host_council_id.and_then(|id| councils.get(&id));
        assert_eq!(
            council_of.get(&postcode),
            host,
            "{} at {postcode}",
            home.name
        );
        assert!(
            home.latitude.is_some() && home.longitude.is_some(),
            "{} has a position",
            home.name
        );
    }
}
