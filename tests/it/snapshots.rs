//! What the API answers and what key pages say, as snapshots
//! (`tests/it/snapshots/`): a change to a field, a message or a page's
//! wording shows in review as a change to a file. Ids, times, weeks and
//! dates that move with the clock are redacted, so the same snapshot holds
//! on SQLite and PostgreSQL, on any day.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::{Persona, Response};

/// Dates and weeks that depend on today, replaced in page text.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b\d{4}-W\d{2}\b", "[week]");
    settings.add_filter(r"\b\d{4}-\d{2}-\d{2}(T[0-9:.+-]+Z?)?", "[date]");
    settings.add_filter(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b",
        "[date]",
    );
    settings.add_filter(r"\b\d{1,2}:\d{2}(am|pm)?\b", "[time]");
    // The charts' axis labels: the last twelve Mondays.
    settings.add_filter(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",
        "[day]",
    );
    // The week picker lists every week since the first return.
    settings.add_filter(r"(\[week\]: week beginning \[date\] ?)+", "[weeks]");
    // This week's return is late or not by the day the test runs (due
    // Tuesday at noon); earlier weeks' are always late.
    settings.add_filter(r"\b(Filed late|Filed)\n", "[filed, late or not]\n");
    settings.add_filter(r"(?m)^(Late|Not filed)$", "[late, or not yet due]");
    settings.add_filter(r"\d+ of them late", "[n] of them late");
    settings.add_filter(
        r"\b(Late|Not filed)\nNo return",
        "[late, or not yet due]\nNo return",
    );
    settings
}

fn json(response: &Response) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("not JSON: {}", response.body))
}

/// The text of a page's `<main>`, a line per block, tags removed.
fn main_text(response: &Response) -> String {
    let body = &response.body;
    let start = body.find("<main").expect("a main element");
    let end = body.rfind("</main>").expect("the end of main");
    let mut html = body[start..end].to_string();
    for block in [
        "</p>",
        "</h1>",
        "</h2>",
        "</h3>",
        "</li>",
        "</tr>",
        "</dt>",
        "</dd>",
        "</div>",
        "</legend>",
        "</label>",
        "</caption>",
    ] {
        html = html.replace(block, &format!("{block}\n"));
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn api_answers() {
    let app = crate::search::with_vacancies().await;
    let mut provider = app.api_client(Persona::ProviderA).await;
    let mut placements = app.api_client(Persona::Placements).await;
    settings().bind_async(async {
        let home = provider.get("/api/v1/homes/SC100001").await;
        home.assert_status(StatusCode::OK);
        insta::assert_json_snapshot!("api_home", json(&home), {
            ".rating.date" => "[date]",
            ".latest_return.filed_at" => "[time]",
        });

        let filed = provider
            .put_json(&crate::api::path(&app), &crate::api::body(1, 1, 2))
            .await;
        filed.assert_status(StatusCode::OK);
        insta::assert_json_snapshot!("api_return_filed", json(&filed), {
            ".filed_at" => "[time]",
            ".late" => "[late by today's date]",
        });

        let listed = provider.get("/api/v1/homes/SC100001/returns").await;
        listed.assert_status(StatusCode::OK);
        insta::assert_json_snapshot!("api_returns_listed", json(&listed), {
            "[].filed_at" => "[time]",
            "[].late" => "[late by today's date]",
        });

        let refused = provider
            .put_json(
                &crate::api::path(&app),
                r#"{"occupied_ours": -1, "occupied_other": 99, "vacancies": [{"beds": 0}]}"#,
            )
            .await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        insta::assert_json_snapshot!("api_return_refused", json(&refused));

        let found = placements
            .get("/api/v1/vacancies?age=14&sex=female&postcode=BH12%201AA&needs=emotional_behavioural")
            .await;
        found.assert_status(StatusCode::OK);
        insta::assert_json_snapshot!("api_vacancies", json(&found), {
            ".**.updated_at" => "[time]",
            ".**.filed_at" => "[time]",
        });
    })
    .await;
}

#[tokio::test]
async fn key_pages() {
    let app = crate::search::with_vacancies().await;
    let mut placements = app.signed_in(Persona::Placements).await;
    let mut commissioner = app.signed_in(Persona::Commissioner).await;
    let mut provider = app.signed_in(Persona::ProviderA).await;
    settings()
        .bind_async(async {
            let search = placements
                .get("/search?age=14&sex=female&postcode=BH12+1AA&needs=emotional_behavioural")
                .await;
            search.assert_status(StatusCode::OK);
            insta::assert_snapshot!("page_search_results", main_text(&search));

            let home = commissioner.get("/homes/SC100001").await;
            home.assert_status(StatusCode::OK);
            insta::assert_snapshot!("page_home_for_the_council", main_text(&home));

            let board = commissioner.get("/returns").await;
            board.assert_status(StatusCode::OK);
            insta::assert_snapshot!("page_returns_board", main_text(&board));

            let capacity = commissioner.get("/capacity").await;
            capacity.assert_status(StatusCode::OK);
            insta::assert_snapshot!("page_capacity", main_text(&capacity));

            let week = provider.get("/").await;
            insta::assert_snapshot!(
                "page_providers_week",
                format!("{}\n{}", week.status, main_text(&week))
            );
        })
        .await;
}

#[tokio::test]
async fn bed_request_api_and_pages() {
    let app = crate::search::with_vacancies().await;
    let mut council = app.api_client(Persona::Placements).await;
    let mut provider = app.api_client(Persona::ProviderA).await;
    let reply_by = (chrono::Utc::now() + chrono::Duration::hours(6)).to_rfc3339();
    let body = serde_json::json!({
        "age": 14, "sex": "female", "postcode": "BH12 1AA", "needs": ["emotional_behavioural"],
        "length": "short_term", "considerations": ["no_pets", "only_child"],
        "reply_by": reply_by, "note": "Near a bus route, please."
    });
    settings()
        .bind_async(async {
            let sent = council
                .post_json("/api/v1/requests", &body.to_string())
                .await;
            sent.assert_status(StatusCode::CREATED);
            let reference = json(&sent)["reference"].as_str().unwrap().to_string();
            insta::assert_json_snapshot!("api_request_sent", json(&sent), {
                ".reference" => "[reference]",
                ".sent_at" => "[time]",
                ".reply_by" => "[time]",
                ".needed_from" => "[date]",
            });
            let answered = provider
                .put_json(
                    &format!("/api/v1/requests/{reference}/answers/SC100001"),
                    &serde_json::json!({
                        "answer": "offer",
                        "available_from": (chrono::Utc::now() + chrono::Duration::days(2))
                            .date_naive()
                            .to_string(),
                        "weekly_fee": "4800",
                        "note": "Room ready"
                    })
                    .to_string(),
                )
                .await;
            answered.assert_status(StatusCode::OK);
            insta::assert_json_snapshot!("api_request_answered_as_the_provider", json(&answered), {
                ".reference" => "[reference]",
                ".sent_at" => "[time]",
                ".reply_by" => "[time]",
                ".needed_from" => "[date]",
                ".homes[].answered_at" => "[time]",
            });
            let mut officer = app.signed_in(Persona::Placements).await;
            let page = officer.get(&format!("/requests/{reference}")).await;
            page.assert_status(StatusCode::OK);
            insta::assert_snapshot!(
                "page_request_for_the_officer",
                main_text(&page).replace(&reference, "[reference]")
            );
        })
        .await;
}
