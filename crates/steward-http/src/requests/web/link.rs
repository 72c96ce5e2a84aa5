//! A service request's mailed approval link, under the same `/approvals/{token}` as a
//! change's (the link's ticket says which): the approver reads what was ordered and approves
//! or rejects it once, without signing in. Forged, used and expired links say so.

use askama::Template;
use axum::http::{HeaderMap, Uri};
use steward_app::requests::RequestLink;
use steward_core::changes::Decision;

use crate::AppState;
use crate::web::{Page, WebResult, render};

#[derive(Template)]
#[template(path = "request_link.html")]
struct LinkPage<'a> {
    page: Page<'a>,
    v: Option<RequestLink>,
    item_name: String,
    token: String,
    done: Option<&'static str>,
}

/// The page for `token`, with `err` from a decision that failed (or the link's own state).
pub async fn show(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    token: String,
    err: Option<steward_app::AppError>,
) -> WebResult {
    let mut page = Page::anonymous(state, headers, uri, "");
    page.title = page.t.get("req.approval_title").to_owned();
    let (v, err) = match state.app.requests().link(&token).await {
        Ok(v) => (Some(v), err),
        Err(e) => (None, Some(e)),
    };
    if let Some(e) = err {
        page.error = Some(crate::changes::web::link_error(page.t, &e));
    }
    let item_name = v
        .as_ref()
        .map(|l| match (&l.view.item_name_zh, page.lang_is_zh()) {
            (Some(zh), true) => zh.clone(),
            _ => l.view.item_name.clone(),
        })
        .unwrap_or_default();
    let failed = page.error.is_some();
    crate::web::answer(render(&LinkPage { page, v, item_name, token, done: None }), failed)
}

/// Decides by the link; the thanks, or the page again with why not.
pub async fn decide(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    token: String,
    decision: Decision,
    comment: &str,
) -> WebResult {
    match state.app.requests().decide_by_link(&token, decision, comment).await {
        Ok(_) => {
            let mut page = Page::anonymous(state, headers, uri, "");
            page.title = page.t.get("req.approval_title").to_owned();
            let done = if decision == Decision::Approve { "req.link_approved" } else { "req.link_rejected" };
            let item_name = String::new();
            Ok(render(&LinkPage { page, v: None, item_name, token, done: Some(done) }))
        }
        Err(e) => show(state, headers, uri, token, Some(e)).await,
    }
}
