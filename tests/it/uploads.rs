//! Returns by spreadsheet: the template, files from other writers, hostile
//! files, and the rule that nothing is filed until every row is valid and
//! the provider confirms.

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sufficiency::db::entities::{return_vacancies, returns};

use crate::support::{Client, Persona, TestApp, repo_path};

/// The fixtures are returns for 2026-W40: the filing window reaches back
/// to them here.
async fn app_for_fixtures() -> TestApp {
    TestApp::new()
        .await
        .with_settings(|s| s.returns.amend_weeks = 5_000)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path("tests/fixtures/returns").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn upload(client: &mut Client<'_>, name: &str, bytes: &[u8]) -> crate::support::Response {
    let response = client.post_file("/returns/upload", name, bytes).await;
    match response.location() {
        Some(location) => client.get(location).await,
        None => response,
    }
}

fn upload_id(page: &crate::support::Response) -> String {
    let marker = "/returns/uploads/";
    let start = page.body.find(marker).expect("upload id") + marker.len();
    page.body[start..].split('/').next().unwrap().to_string()
}

async fn filed(app: &TestApp) -> u64 {
    returns::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn spreadsheets_from_other_writers_preview_then_file_on_confirmation() {
    for name in [
        "valid.xlsx",
        "valid.ods",
        "valid.xls",
        "valid.csv",
        "extra_sheets.xlsx",
        "dates_as_numbers.xlsx",
        "merged.xlsx",
    ] {
        let app = app_for_fixtures().await;
        let mut a = app.signed_in(Persona::ProviderA).await;
        let preview = upload(&mut a, name, &fixture(name)).await;
        preview
            .assert_status(StatusCode::OK)
            .assert_contains("Check the returns before you file them")
            .assert_contains("make 2 returns");
        assert_eq!(
            filed(&app).await,
            0,
            "{name}: nothing is filed before confirmation"
        );
        let id = upload_id(&preview);
        let response = a
            .post_form(&format!("/returns/uploads/{id}/confirm"), &[])
            .await;
        assert_eq!(response.location(), Some("/"), "{name}");
        a.get("/")
            .await
            .assert_contains("2 returns filed from your spreadsheet");
        let all = returns::Entity::find()
            .filter(returns::Column::Source.eq("upload"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "{name}");
        let a1 = all
            .iter()
            .find(|r| r.vacancies == 2)
            .expect("A1 with two vacant beds");
        let groups = return_vacancies::Entity::find()
            .filter(return_vacancies::Column::ReturnId.eq(a1.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(groups, 2, "{name}: two vacancy rows make two groups");
        // Confirming twice files nothing more.
        a.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
            .await
            .assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(filed(&app).await, 2);
    }
}

#[tokio::test]
async fn every_problem_is_listed_by_row_and_column_and_nothing_can_be_filed() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "wrong_types.xlsx",
            &[
                "2 Occupied by our council's children 'one' is not a whole number",
                "3 Can take 'Anyone' is not one of",
                "3 Available from 'soon' is not a date",
            ],
        ),
        (
            "wrong_urns.xlsx",
            &[
                "SC999999 is not one of your organisation's homes",
                "SC200001 is not one of your organisation's homes",
            ],
        ),
        (
            "one_bad_row.xlsx",
            &[
                "4 Occupied by children of councils outside the region Beds occupied (4) is more than registered places (3)",
            ],
        ),
        ("formula.xlsx", &["a formula with no saved value (=1+0)"]),
    ];
    for (name, messages) in cases {
        let app = app_for_fixtures().await;
        let mut a = app.signed_in(Persona::ProviderA).await;
        let preview = upload(&mut a, name, &fixture(name)).await;
        preview
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("nothing has been filed");
        for message in messages {
            assert!(
                preview.text().contains(message),
                "{name} should say {message:?}: {}",
                preview.text()
            );
        }
        assert!(
            !preview.body.contains("/confirm"),
            "{name}: no way to file a file with problems"
        );
        let id = upload_id(&preview);
        a.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
            .await
            .assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(filed(&app).await, 0, "{name}: one bad row, nothing filed");
    }
}

#[tokio::test]
async fn hostile_and_oversized_files_get_a_clear_message() {
    let app = app_for_fixtures().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let hostile =
        |name: &str| std::fs::read(repo_path("tests/fixtures/hostile").join(name)).unwrap();
    let many_rows = {
        let mut csv = String::from(
            "URN,Week,Occupied by our council's children,Occupied by other councils' children\n",
        );
        for _ in 0..6_000 {
            csv.push_str("SC100001,2026-W40,1,1\n");
        }
        csv.into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.xlsx", hostile("zip_bomb.xlsx"), "zip bomb"),
        ("far.xlsx", hostile("xfd1048576.xlsx"), "column 16384"),
        (
            "strings.xlsx",
            hostile("shared_strings_bomb.xlsx"),
            "more text values than this service accepts",
        ),
        (
            "junk.xlsx",
            hostile("junk.xlsx"),
            "content is not a XLSX file",
        ),
        ("junk.xls", hostile("junk.xls"), "could not"),
        ("rows.csv", many_rows, "more than 5000 rows"),
        (
            "million.xlsx",
            hostile("million_rows.xlsx"),
            "more than 5000 rows",
        ),
        (
            "notes.txt",
            b"hello".to_vec(),
            "must be a .csv, .xlsx, .xlsm, .xls or .ods file",
        ),
        ("empty.csv", Vec::new(), "The selected file is empty"),
        (
            "other.csv",
            b"Name,Age\nSam,3\n".to_vec(),
            "No sheet has the return's headings",
        ),
    ];
    for (name, bytes, message) in cases {
        let page = upload(&mut a, name, &bytes).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text().contains(message),
            "{name} should say {message:?}: {}",
            page.text()
        );
    }
    let too_big = vec![b'a'; 5 * 1024 * 1024 + 10];
    let page = a.post_file("/returns/upload", "big.csv", &too_big).await;
    assert!(matches!(page.status.as_u16(), 413 | 422), "{}", page.status);
    assert_eq!(filed(&app).await, 0);
    // The server is still here.
    a.get("/").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_template_lists_the_providers_own_homes_with_their_latest_figures() {
    let app = app_for_fixtures().await;
    let last = sufficiency::returns::this_week().plus(-1);
    let mut a = app.signed_in(Persona::ProviderA).await;
    crate::returns::file(
        &mut a,
        &app.seed.home_a1,
        &last,
        &crate::returns::a1_fields(&last),
    )
    .await;
    let template = a.get("/returns/template.xlsx").await;
    assert!(
        template
            .header("content-disposition")
            .unwrap()
            .contains(".xlsx")
    );
    let file = importers::returns::parse(
        &template.bytes,
        importers::Format::Xlsx,
        &Default::default(),
    )
    .unwrap();
    let urns: Vec<&str> = file.returns.iter().map(|r| r.urn.as_str()).collect();
    assert_eq!(
        urns,
        vec!["SC100001", "SC100002"],
        "only provider A's homes"
    );
    let a1 = &file.returns[0];
    // A column per member council (BCP and Dorset), and one for outside.
    assert_eq!(
        (a1.counts.by_council.clone(), a1.counts.occupied_other),
        (vec![("E06000058".to_string(), 1)], 1),
        "filled in from the latest return"
    );
    assert_eq!(a1.vacancies[0].beds, 2);
    assert_eq!(a1.week, sufficiency::returns::this_week());
    // Uploaded as it is: A1 is ready, A2 has never filed and needs its counts.
    let preview = upload(&mut a, "template.xlsx", &template.bytes).await;
    preview.assert_contains("Enter how many beds are occupied, by each council's children");
    assert!(preview.text().contains("Birch Lodge") || preview.text().contains("SC100002"));
}

#[tokio::test]
async fn a_discarded_upload_files_nothing_and_another_provider_cannot_see_it() {
    let app = app_for_fixtures().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    let preview = upload(&mut a, "valid.xlsx", &fixture("valid.xlsx")).await;
    let id = upload_id(&preview);
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.get(&format!("/returns/uploads/{id}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    b.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let response = a
        .post_form(&format!("/returns/uploads/{id}/discard"), &[])
        .await;
    assert_eq!(response.location(), Some("/"));
    a.get(&format!("/returns/uploads/{id}"))
        .await
        .assert_contains("This upload has been discarded");
    a.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(filed(&app).await, 0);
}

/// The template's first sheet as CSV, with `change` applied to each row's
/// cells (as a provider editing it in a spreadsheet program and saving CSV).
pub fn template_as_csv(bytes: &[u8], mut change: impl FnMut(&mut Vec<String>)) -> Vec<u8> {
    let sheets = importers::sheet::read(bytes, importers::Format::Xlsx, &Default::default())
        .expect("the template reads");
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in &sheets[0].rows {
        let mut cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| c.text().unwrap_or_default())
            .collect();
        change(&mut cells);
        out.write_record(&cells).expect("csv");
    }
    out.into_inner().expect("csv")
}

#[tokio::test]
async fn rows_that_change_nothing_file_nothing_and_homes_stay_filed() {
    let app = TestApp::new().await;
    let week = sufficiency::returns::this_week();
    // Both of A's homes filed full on Monday morning, before the deadline.
    let monday = chrono::TimeZone::from_local_datetime(
        &chrono_tz::Europe::London,
        &week.monday().and_hms_opt(9, 0, 0).unwrap(),
    )
    .single()
    .unwrap()
    .with_timezone(&chrono::Utc);
    for (urn, ours) in [(&app.seed.home_a1, 3), (&app.seed.home_a2, 2)] {
        let home = app.home(urn).await;
        let input = sufficiency::returns::ReturnInput {
            occupied: sufficiency::returns::Occupancy::from_host_and_other(
                home.host_council_id,
                ours,
                1,
            ),
            ..Default::default()
        };
        let filing = sufficiency::returns::filing::Filing {
            at: Some(monday),
            ..sufficiency::returns::filing::Filing::new(sufficiency::returns::Source::Form)
        };
        sufficiency::returns::filing::file_now(
            &app.db,
            &sufficiency::auth::Viewer::system("test"),
            &home,
            week,
            &input,
            filing,
            &app.state.settings,
        )
        .await
        .unwrap();
    }
    let mut a = app.signed_in(Persona::ProviderA).await;
    let template = a.get(&format!("/returns/template.xlsx?week={week}")).await;
    template.assert_status(StatusCode::OK);
    // One row changed: Alder House's fourth child is now one of ours
    // (columns: URN, home, week, places, capacity, BCP, Dorset, outside).
    let edited = template_as_csv(&template.bytes, |cells| {
        if cells.first().map(String::as_str) == Some("SC100001") {
            cells[5] = "4".into();
            cells[7] = "0".into();
        }
    });
    let preview = upload(&mut a, "returns.csv", &edited).await;
    preview
        .assert_status(StatusCode::OK)
        .assert_contains("1 changes a return; 1 is the same as the return already filed")
        .assert_contains("No change")
        .assert_contains("Amends the return")
        .assert_contains("was 3")
        .assert_contains("now 4");
    let id = upload_id(&preview);
    a.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    a.get("/")
        .await
        .assert_contains("1 return filed from your spreadsheet")
        .assert_contains("1 row had no change and filed nothing");
    assert_eq!(filed(&app).await, 3, "two first filings and one amendment");
    // Both homes are still "Filed": the amendment is no late return.
    let page = a.get("/").await.text();
    assert_eq!(page.matches("Filed late").count(), 0, "{page}");
    assert_eq!(page.matches(" Filed ").count(), 2, "{page}");
}

#[tokio::test]
async fn a_bad_value_shows_as_typed_and_adds_no_problems_after_it() {
    let app = TestApp::new().await;
    let week = sufficiency::returns::this_week();
    let monday = week.monday().format("%d/%m/%Y");
    let csv = format!(
        "URN,Week,Occupied by our council's children,Occupied by other councils' children,Vacant beds,Available from,Youngest age,Oldest age\n\
         SC100001,{week},-1,1,1,{monday},12,16\n\
         SC100001,{week},,,1,{monday},12,17\n"
    );
    let mut a = app.signed_in(Persona::ProviderA).await;
    let preview = upload(&mut a, "returns.csv", csv.as_bytes()).await;
    preview
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("There is 1 problem in the file")
        .assert_contains("'-1' is not a whole number of 0 or more");
    let text = preview.text();
    let returns_table = &text[text.find("Returns in the file").unwrap()..];
    assert!(
        returns_table.contains(" -1 "),
        "shown as typed: {returns_table}"
    );
}

/// A sheet gives beds by member council in a column per council, headed by
/// its ONS code; a column for a council outside the region is refused with
/// a message, and nothing is filed.
#[tokio::test]
async fn a_column_per_member_council_files_its_beds() {
    let app = TestApp::new().await;
    let week = sufficiency::returns::this_week();
    let mut a = app.signed_in(Persona::ProviderA).await;
    let header = "URN,Week,Occupied by BCP's children (E06000058),Occupied by Dorset's children (E06000059),Occupied by children of councils outside the region,Vacant beds,Available from,Youngest age,Oldest age,Can take";
    let monday = week.monday().format("%d/%m/%Y");
    let good = format!("{header}\nSC100002,{week},1,1,0,1,{monday},11,17,Mixed\n");
    let preview = upload(&mut a, "returns.csv", good.as_bytes()).await;
    preview.assert_status(StatusCode::OK);
    let id = upload_id(&preview);
    a.post_form(&format!("/returns/uploads/{id}/confirm"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let ret = sufficiency::db::entities::returns::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ret.occupied, app.ours_in(ret.id).await), (2, 1));

    let outside = good.replace("E06000059", "E10000014");
    let refused = upload(&mut a, "returns.csv", outside.as_bytes()).await;
    refused
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
        .assert_contains("E10000014 is not a member council of the region");
}
