//! What the mailed survey links open, without signing in, in the portal's layout: a CSAT
//! rating (`/survey/csat/{token}`), an NPS answer (`/survey/nps/{token}`) and the NPS
//! unsubscribe (`…/unsubscribe`: a button, since mail scanners open links). Each works once;
//! forged, used and expired links say so.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::surveys::{CsatLink, NpsLink};

use super::{SCALE, STARS};
use crate::AppState;
use crate::web::{Page, WebForm, WebResult, render};

#[derive(Template)]
#[template(path = "survey_csat.html")]
struct CsatPage<'a> {
    page: Page<'a>,
    v: Option<CsatLink>,
    token: String,
    done: Option<&'static str>,
    stars: [(i64, &'static str); 5],
}

#[derive(Template)]
#[template(path = "survey_nps.html")]
struct NpsPage<'a> {
    page: Page<'a>,
    v: Option<NpsLink>,
    token: String,
    done: Option<&'static str>,
    scale: [i64; 11],
}

#[derive(Template)]
#[template(path = "survey_unsubscribe.html")]
struct UnsubscribePage<'a> {
    page: Page<'a>,
    token: String,
    done: bool,
}

/// The page's words for a link's error, and whether it is the link's (else the input's).
fn link_error(page: &Page<'_>, e: &AppError) -> String {
    match e {
        AppError::NotFound(_) => page.t.get("survey.link_unknown").to_owned(),
        AppError::Conflict { message, .. } if message.contains("expired") => {
            page.t.get("survey.link_expired").to_owned()
        }
        AppError::Conflict { .. } => page.t.get("survey.link_used").to_owned(),
        other => crate::web::form_errors::error_text(page.t, other).unwrap_or_else(|| other.to_string()),
    }
}

/// The person's own language, unless the reader chose one (`?lang=`, the cookie).
fn their_language<'a>(
    state: &'a AppState,
    page: &mut Page<'a>,
    headers: &HeaderMap,
    uri: &Uri,
    locale: Option<&str>,
) {
    let chosen = uri.query().is_some_and(|q| q.contains("lang="))
        || crate::auth::cookie(headers, crate::i18n::LANG_COOKIE).is_some();
    if !chosen && let Some(lang) = locale.and_then(crate::i18n::Lang::parse) {
        page.lang = lang;
    }
    page.t = state.catalogs.get(page.lang);
}

/// A page shown with a link's error: 404 for a link nobody made, 409 for one used or expired,
/// 422 for input to fix.
fn answer(html: axum::response::Response, err: Option<&AppError>) -> WebResult {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let status = match err {
        None => return Ok(html),
        Some(AppError::NotFound(_)) => StatusCode::NOT_FOUND,
        Some(AppError::Conflict { .. }) => StatusCode::CONFLICT,
        Some(AppError::Forbidden(_)) => StatusCode::FORBIDDEN,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, html).into_response())
}

/// The errors a link's page shows (the link's, the input's); any other is the server's and
/// becomes the generic error page.
fn on_the_page(err: Option<AppError>) -> Result<Option<AppError>, crate::web::WebError> {
    match err {
        Some(
            e @ (AppError::NotFound(_)
            | AppError::Conflict { .. }
            | AppError::Invalid { .. }
            | AppError::Forbidden(_)),
        ) => Ok(Some(e)),
        Some(other) => Err(other.into()),
        None => Ok(None),
    }
}

fn link_page<'a>(state: &'a AppState, headers: &HeaderMap, uri: &Uri, title: &str) -> Page<'a> {
    let mut page = Page::anonymous(state, headers, uri, "");
    page.title = page.t.get(title).to_owned();
    page
}

async fn show_csat(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    token: String,
    err: Option<AppError>,
) -> WebResult {
    let mut page = link_page(state, headers, uri, "survey.csat_title");
    let (v, err) = match state.app.surveys().csat_link(&token).await {
        Ok(v) => (Some(v), err),
        Err(e) => (None, Some(e)),
    };
    if let Some(v) = &v {
        their_language(state, &mut page, headers, uri, v.requester_locale.as_deref());
        page.title = page.t.get("survey.csat_title").to_owned();
    }
    let err = on_the_page(err)?;
    page.error = err.as_ref().map(|e| link_error(&page, e));
    answer(render(&CsatPage { page, v, token, done: None, stars: STARS }), err.as_ref())
}

pub async fn csat_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> WebResult {
    show_csat(&state, &headers, &uri, token, None).await
}

#[derive(Deserialize)]
pub struct CsatForm {
    #[serde(default)]
    stars: Option<i64>,
    #[serde(default)]
    comment: String,
}

pub async fn csat_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
    WebForm(f): WebForm<CsatForm>,
) -> WebResult {
    let Some(stars) = f.stars else {
        return show_csat(
            &state,
            &headers,
            &uri,
            token,
            Some(AppError::invalid("stars", "choose 1 to 5 stars")),
        )
        .await;
    };
    match state.app.surveys().rate_by_link(&token, stars, &f.comment).await {
        Ok(_) => {
            let page = link_page(&state, &headers, &uri, "survey.csat_title");
            Ok(render(&CsatPage { page, v: None, token, done: Some("survey.thanks"), stars: STARS }))
        }
        Err(e) => show_csat(&state, &headers, &uri, token, Some(e)).await,
    }
}

async fn show_nps(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    token: String,
    err: Option<AppError>,
) -> WebResult {
    let mut page = link_page(state, headers, uri, "survey.nps_title");
    let (v, err) = match state.app.surveys().nps_link(&token).await {
        Ok(v) => (Some(v), err),
        Err(e) => (None, Some(e)),
    };
    if let Some(v) = &v {
        their_language(state, &mut page, headers, uri, v.locale.as_deref());
        page.title = page.t.get("survey.nps_title").to_owned();
    }
    let err = on_the_page(err)?;
    page.error = err.as_ref().map(|e| link_error(&page, e));
    answer(render(&NpsPage { page, v, token, done: None, scale: SCALE }), err.as_ref())
}

pub async fn nps_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> WebResult {
    show_nps(&state, &headers, &uri, token, None).await
}

#[derive(Deserialize)]
pub struct NpsForm {
    #[serde(default)]
    score: Option<i64>,
    #[serde(default)]
    reason: String,
}

pub async fn nps_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
    WebForm(f): WebForm<NpsForm>,
) -> WebResult {
    let Some(score) = f.score else {
        return show_nps(&state, &headers, &uri, token, Some(AppError::invalid("score", "choose 0 to 10")))
            .await;
    };
    match state.app.surveys().answer_nps_by_link(&token, score, &f.reason).await {
        Ok(_) => {
            let page = link_page(&state, &headers, &uri, "survey.nps_title");
            Ok(render(&NpsPage { page, v: None, token, done: Some("survey.thanks"), scale: SCALE }))
        }
        Err(e) => show_nps(&state, &headers, &uri, token, Some(e)).await,
    }
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> WebResult {
    let page = link_page(&state, &headers, &uri, "survey.unsubscribe_title");
    Ok(render(&UnsubscribePage { page, token, done: false }))
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> WebResult {
    let mut page = link_page(&state, &headers, &uri, "survey.unsubscribe_title");
    match state.app.surveys().unsubscribe(&token).await {
        Ok(_) => Ok(render(&UnsubscribePage { page, token, done: true })),
        Err(e) => {
            let e = on_the_page(Some(e))?.unwrap_or(AppError::NotFound("survey link"));
            page.error = Some(link_error(&page, &e));
            answer(render(&UnsubscribePage { page, token, done: false }), Some(&e))
        }
    }
}
