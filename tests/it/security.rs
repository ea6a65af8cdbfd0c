//! SECURITY.md items 9, 10, 16, 23: form tokens, response headers, inert
//! output, generic error pages.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sufficiency::router;

use crate::support::{Persona, TestApp};

#[tokio::test]
async fn every_state_changing_route_refuses_a_missing_or_wrong_token() {
    let app = TestApp::new().await;
    for route in router::table()
        .iter()
        .filter(|r| r.methods.contains(&axum::http::Method::POST))
    {
        let path = route
            .path
            .replace("{urn}", &app.seed.home_a1)
            .replace("{id}", &app.seed.provider_a_id.to_string())
            .replace("{reference}", &app.seed.request_a);
        let mut admin = app.signed_in(Persona::Admin).await;
        if path.starts_with(router::API_PREFIX) {
            // The API takes bearer tokens only: a browser's session cookie
            // (all a forged cross-site form carries) does not sign it in.
            admin
                .post_form_without_token(&path, &[("name", "x")])
                .await
                .assert_status(StatusCode::UNAUTHORIZED);
            continue;
        }
        let missing = admin.post_form_without_token(&path, &[("name", "x")]).await;
        missing.assert_status(StatusCode::FORBIDDEN);
        let wrong = admin
            .post_form_without_token(&path, &[("csrf_token", "forged"), ("name", "x")])
            .await;
        wrong.assert_status(StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_even_with_a_token() {
    let app = TestApp::new().await;
    let admin = app.signed_in(Persona::Admin).await;
    let mut admin = admin
        .with_header("origin", "https://evil.example")
        .with_header("host", "localhost:8080");
    let response = admin
        .post_form(
            "/organisations/new",
            &[("kind", "provider"), ("name", "Evil Ltd")],
        )
        .await;
    response
        .assert_status(StatusCode::FORBIDDEN)
        .assert_contains("another website");
}

#[tokio::test]
async fn an_origin_with_another_scheme_or_port_is_refused() {
    let app = TestApp::new().await;
    for origin in [
        "https://localhost:8080",
        "http://localhost:8081",
        "http://localhost",
    ] {
        let admin = app.signed_in(Persona::Admin).await;
        let mut admin = admin
            .with_header("origin", origin)
            .with_header("host", "localhost:8080");
        admin
            .post_form(
                "/organisations/new",
                &[("kind", "provider"), ("name", "Elsewhere Ltd")],
            )
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_same_site_form_post_with_origin_is_accepted() {
    let app = TestApp::new().await;
    let admin = app.signed_in(Persona::Admin).await;
    let mut admin = admin
        .with_header("origin", "http://localhost:8080")
        .with_header("host", "localhost:8080")
        .with_header("sec-fetch-site", "same-origin");
    let response = admin
        .post_form(
            "/organisations/new",
            &[("kind", "provider"), ("name", "Good Ltd")],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn multipart_forms_are_checked_too() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let token = admin.csrf_token().await;
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMultipart Ltd\r\n--B\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nprovider\r\n--B--\r\n"
    );
    let request = |body: String| {
        Request::post("/organisations/new")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .body(Body::from(body))
            .unwrap()
    };
    // The token is found in a multipart body (the handler then refuses the
    // encoding it does not take, but not as a forgery).
    let with = admin.request(request(body.clone())).await;
    assert_ne!(with.status, StatusCode::FORBIDDEN);
    let without = admin.request(request(body.replace(&token, "forged"))).await;
    without.assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Commissioner).await;
    for path in [
        "/",
        "/homes",
        "/sign-in",
        "/healthz",
        "/no-such-page",
        "/assets/app/app.css",
    ] {
        let response = client.get(path).await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(response.header("referrer-policy").is_some(), "{path}");
        let cache = response.header("cache-control").unwrap_or_default();
        if path.starts_with("/assets/") {
            assert!(cache.contains("public"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn pages_have_no_inline_script() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Admin).await;
    for path in ["/", "/homes", "/users", "/audit", "/organisations"] {
        let body = client.get(path).await.body;
        for (i, _) in body.match_indices("<script") {
            let tag = &body[i..body[i..].find('>').map(|e| i + e).unwrap_or(body.len())];
            assert!(tag.contains("src="), "{path} has an inline script: {tag}");
        }
    }
}

#[tokio::test]
async fn unknown_pages_get_a_generic_404() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Placements).await;
    let response = client.get("/homes/SC999999").await;
    response
        .assert_status(StatusCode::NOT_FOUND)
        .assert_contains("Page not found");
    client
        .get("/does/not/exist")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    client
        .get("/organisations/not-a-number")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn database_failures_show_a_generic_page_without_internal_text() {
    let app = TestApp::new().await;
    let mut client = app.signed_in(Persona::Commissioner).await;
    app.db.clone().close().await.unwrap();
    let response = client.get("/homes").await;
    assert!(response.status.is_server_error(), "{}", response.status);
    let text = response.text().to_lowercase();
    for leak in [
        "sqlx",
        "sqlite",
        "postgres",
        "pool",
        "sea_orm",
        "error returned from database",
    ] {
        assert!(
            !text.contains(leak),
            "internal text {leak:?} reached the page: {text}"
        );
    }
}

#[tokio::test]
async fn static_assets_are_served_by_the_app_itself() {
    let app = TestApp::new().await;
    let mut client = app.client();
    for path in [
        "/assets/govuk/govuk-frontend.min.css",
        "/assets/govuk/govuk-frontend.min.js",
        "/assets/fonts/bold-b542beb274-v2.woff2",
        "/assets/app/app.mjs",
    ] {
        client.get(path).await.assert_status(StatusCode::OK);
    }
    let page = client.get("/sign-in").await;
    for attribute in ["src=\"http", "src=\"//", "stylesheet\" href=\"http"] {
        assert!(
            !page.body.contains(attribute),
            "third-party asset: {attribute}"
        );
    }
}

#[tokio::test]
async fn pages_link_assets_by_versioned_names_cached_for_a_year_and_compressed() {
    let app = TestApp::new().await;
    let page = app.client().get("/sign-in").await;
    let start = page
        .body
        .find("rel=\"stylesheet\" href=\"/assets/")
        .expect("a stylesheet link")
        + "rel=\"stylesheet\" href=\"".len();
    let css = &page.body[start..];
    let css = &css[..css.find('"').unwrap()];
    assert!(
        css.ends_with("/govuk/govuk-frontend.min.css")
            && css.len() > "/assets//govuk/govuk-frontend.min.css".len() + 8,
        "a versioned name: {css}"
    );
    let mut client = app.client().with_header("accept-encoding", "gzip, br");
    let asset = client.get(css).await;
    asset.assert_status(StatusCode::OK);
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(asset.header("content-encoding"), Some("br"));
    // The plain name still answers (GOV.UK's stylesheet links fonts so),
    // for an hour.
    let plain = client.get("/assets/govuk/govuk-frontend.min.css").await;
    assert_eq!(plain.header("cache-control"), Some("public, max-age=3600"));
    // Pages are compressed too: each carries its form token masked afresh,
    // so no two pages hold the same bytes for it (BREACH).
    let page = client.get("/sign-in").await;
    assert_eq!(page.header("content-encoding"), Some("br"));
}

#[tokio::test]
async fn each_page_carries_the_form_token_masked_afresh_and_any_of_them_works() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in(Persona::Admin).await;
    let token_on = |body: &str| {
        let start = body
            .find("name=\"csrf_token\" value=\"")
            .expect("a form token")
            + "name=\"csrf_token\" value=\"".len();
        body[start..start + body[start..].find('"').unwrap()].to_string()
    };
    let first = token_on(&admin.get("/organisations/new").await.body);
    let second = token_on(&admin.get("/organisations/new").await.body);
    assert_ne!(first, second);
    for (token, name) in [(&first, "First Ltd"), (&second, "Second Ltd")] {
        let response = admin
            .post_form_without_token(
                "/organisations/new",
                &[("csrf_token", token), ("kind", "provider"), ("name", name)],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{name}");
    }
}

#[tokio::test]
async fn search_text_is_a_value_never_sql() {
    let app = TestApp::new().await;
    let mut a = app.signed_in(Persona::ProviderA).await;
    for q in ["' OR 1=1 --", "%' OR '1'='1", "x\"; DROP TABLE homes; --"] {
        let page = a
            .get(&format!(
                "/homes?q={}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .await;
        page.assert_status(StatusCode::OK)
            .assert_contains("No homes match these filters");
        let owner = a
            .get(&format!(
                "/homes?owner={}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .await;
        owner.assert_lacks("Cedar View");
    }
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get("/homes")
        .await
        .assert_contains("Showing 1 to 3 of 3 homes");
}
