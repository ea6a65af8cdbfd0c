//! "No change since last week" from the email, without signing in. The
//! link names the home and carries a single-use, expiring token made for
//! one provider contact, one home and one week. Opening it shows what will
//! be filed; the button files it (a GET never changes anything, so mail
//! scanners that open links cannot file a return) and the page confirms
//! what was filed. The return is filed as the contact the link was sent to.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use importers::vocab::IsoWeek;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::Source;
use super::filing::{self, Filing, NoChange};
use super::store::{self, ReturnView};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::db::entities::{email_links, homes, users};
use crate::email::links::{self, Purpose, Refusal};
use crate::error::{Error, Result};
use crate::web::html::{render, render_with_status};
use crate::web::page::PageContext;

/// What the link allows, once checked.
pub struct Checked {
    pub link: email_links::Model,
    pub home: homes::Model,
    pub week: IsoWeek,
    pub viewer: Viewer,
}

/// Checks a link for `urn`: the token's own home, unexpired, unused, its
/// user still active and still with the home's provider.
pub async fn check(
    conn: &impl ConnectionTrait,
    urn: &str,
    token: &str,
    now: chrono::DateTime<Utc>,
) -> Result<std::result::Result<Checked, Refusal>> {
    let link = match links::check(conn, token, Purpose::NoChange, now).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (Some(home_id), Some(monday)) = (link.home_id, link.week_start) else {
        return Ok(Err(Refusal::Invalid));
    };
    let Some(home) = homes::Entity::find_by_id(home_id).one(conn).await? else {
        return Ok(Err(Refusal::Invalid));
    };
    // Another home's token, or a URN changed by hand.
    if home.urn != urn {
        return Ok(Err(Refusal::Invalid));
    }
    let user = users::Entity::find_by_id(link.user_id).one(conn).await?;
    let Some(user) = user.filter(|u| u.active) else {
        return Ok(Err(Refusal::Invalid));
    };
    let viewer = Viewer::of_user(user).ok_or_else(|| Error::internal("unknown role"))?;
    if !viewer.belongs_to(home.provider_id) {
        return Ok(Err(Refusal::Invalid));
    }
    Ok(Ok(Checked {
        link,
        home,
        week: IsoWeek::containing(monday),
        viewer,
    }))
}

/// Files the copy and uses up the link, in one transaction.
pub async fn file(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::config::Settings,
    urn: &str,
    token: &str,
    client_ip: Option<String>,
) -> Result<std::result::Result<(NoChange, Checked), Refusal>> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let checked = match check(&txn, urn, token, now).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !links::consume(&txn, &checked.link, now).await? {
        return Ok(Err(Refusal::Used));
    }
    let viewer = Viewer {
        client_ip,
        ..checked.viewer.clone()
    };
    let filing = Filing::new(Source::NoChange);
    let done =
        filing::no_change(&txn, &viewer, &checked.home, checked.week, filing, settings).await?;
    match &done {
        // Nothing filed: keep the link usable for when it can be.
        NoChange::NothingToCopy | NoChange::NoLongerFits(_) | NoChange::Refused(_) => {
            txn.rollback().await?
        }
        _ => txn.commit().await?,
    }
    Ok(Ok((done, checked)))
}

#[derive(Template)]
#[template(path = "returns/one_click.html")]
struct OneClickPage {
    page: PageContext,
    home_name: String,
    urn: String,
    week: String,
    action: String,
    update_url: String,
    /// Last week's figures (before) or what was filed (after).
    figures: Option<ReturnView>,
    state: &'static str,
    message: String,
}

fn refused(page: PageContext, refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::Invalid => StatusCode::NOT_FOUND,
        Refusal::Expired | Refusal::Used => StatusCode::GONE,
    };
    render_with_status(
        status,
        &OneClickPage {
            page,
            home_name: String::new(),
            urn: String::new(),
            week: String::new(),
            action: String::new(),
            update_url: "/".into(),
            figures: None,
            state: "refused",
            message: format!(
                "{} You can sign in to file or update your return.",
                refusal.message()
            ),
        },
    )
}

/// GET: what "no change" would file.
pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Path((urn, token)): Path<(String, String)>,
) -> Result<Response> {
    let checked = match check(&state.db, &urn, &token, Utc::now()).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refused(page, refusal)),
    };
    let current = store::current(&state.db, checked.home.id, checked.week).await?;
    let previous = store::latest_before(&state.db, checked.home.id, checked.week).await?;
    let (state_name, figures, message) = match (current, previous) {
        (Some(current), _) => (
            "already",
            Some(current),
            "This week's return is already filed. Nothing more is needed.".to_string(),
        ),
        (None, Some(previous)) => (
            "ready",
            Some(previous.clone()),
            format!(
                "This files the figures of week {} again for week {}.",
                previous.week(),
                checked.week
            ),
        ),
        (None, None) => (
            "nothing",
            None,
            "There is no earlier return to copy: sign in to file this week's return.".into(),
        ),
    };
    Ok(render(&OneClickPage {
        page,
        home_name: checked.home.name.clone(),
        urn: checked.home.urn.clone(),
        week: checked.week.to_string(),
        action: format!("/one-click/{}/{}", checked.home.urn, token),
        update_url: format!("/homes/{}/returns/{}", checked.home.urn, checked.week),
        figures,
        state: state_name,
        message,
    }))
}

/// POST: file it and confirm what was filed.
pub async fn submit(
    State(state): State<AppState>,
    page: PageContext,
    client: crate::web::client_ip::ClientIp,
    Path((urn, token)): Path<(String, String)>,
) -> Result<Response> {
    let (done, checked) = match file(&state.db, &state.settings, &urn, &token, client.0).await? {
        Ok(filed) => filed,
        Err(refusal) => return Ok(refused(page, refusal)),
    };
    let (state_name, figures, message) = match done {
        NoChange::Filed(view) => (
            "filed",
            Some(view),
            "Last week's figures were filed again for this week.".to_string(),
        ),
        NoChange::AlreadyFiled(view) => (
            "already",
            Some(view),
            "This week's return was already filed. Nothing was changed.".to_string(),
        ),
        NoChange::NothingToCopy => (
            "nothing",
            None,
            "There is no earlier return to copy: sign in to file this week's return.".into(),
        ),
        NoChange::NoLongerFits(why) => (
            "nothing",
            None,
            format!(
                "Last week's figures no longer fit the home's details ({why}). Sign in to update the return."
            ),
        ),
        NoChange::Refused(why) => ("nothing", None, format!("Nothing was filed: {why}.")),
    };
    Ok(render(&OneClickPage {
        page,
        home_name: checked.home.name.clone(),
        urn: checked.home.urn.clone(),
        week: checked.week.to_string(),
        action: String::new(),
        update_url: format!("/homes/{}/returns/{}", checked.home.urn, checked.week),
        figures,
        state: state_name,
        message,
    }))
}
