//! `/approvals/{token}`: what a mailed approval link opens, without signing in. The approver
//! reads the whole change (an approver always sees what they approve) and approves or rejects
//! it, once; forged, used and expired links say so.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use steward_app::changes::LinkView;
use steward_core::changes::Decision;

use crate::AppState;
use crate::web::{Page, WebForm, WebResult, render};

#[derive(Template)]
#[template(path = "approval_link.html")]
struct LinkPage<'a> {
    page: Page<'a>,
    v: Option<LinkView>,
    token: String,
    done: Option<&'static str>,
    reasons: Vec<(String, i64)>,
}

fn reasons(page: &Page<'_>, v: &LinkView) -> Vec<(String, i64)> {
    v.change.reasons.iter().map(|r| (super::detail::reason_text(page, &r.factor), r.points)).collect()
}

async fn show(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    token: String,
    err: Option<steward_app::AppError>,
    done: Option<&'static str>,
) -> WebResult {
    let mut page = Page::anonymous(state, headers, uri, "");
    page.title = page.t.get("changes.approval_title").to_owned();
    let found = state.app.changes().link(&token).await;
    let (v, status_err) = match found {
        Ok(v) => (Some(v), err),
        Err(e) => (None, Some(e)),
    };
    if let Some(e) = status_err {
        page.error = Some(link_error(page.t, &e));
    }
    let reasons = v.as_ref().map(|v| reasons(&page, v)).unwrap_or_default();
    let failed = page.error.is_some() && done.is_none();
    crate::web::answer(render(&LinkPage { page, v, token, done, reasons }), failed)
}

/// What a mailed approval link's page says when the link or the decision fails: unknown,
/// expired, no longer waiting (a request's level decided meanwhile), used; else the error's
/// own words. Changes' and requests' links alike.
pub(crate) fn link_error(t: &crate::i18n::Catalog, e: &steward_app::AppError) -> String {
    use steward_app::AppError;
    match e {
        AppError::NotFound(_) => t.get("changes.link_unknown").to_owned(),
        AppError::Conflict { message, .. } if message.contains("expired") => {
            t.get("changes.link_expired").to_owned()
        }
        AppError::Conflict { message, .. } if message.contains("no longer waits") => {
            t.get("req.link_decided").to_owned()
        }
        AppError::Conflict { field: Some("token"), .. } => t.get("changes.link_used").to_owned(),
        other => crate::web::form_errors::error_text(t, other).unwrap_or_else(|| e.to_string()),
    }
}

pub async fn link_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> WebResult {
    if is_request(&state, &token).await {
        return crate::requests::web::link::show(&state, &headers, &uri, token, None).await;
    }
    show(&state, &headers, &uri, token, None, None).await
}

/// Whether the link decides a service request (they share the path with changes' links).
async fn is_request(state: &AppState, token: &str) -> bool {
    matches!(state.app.changes().link_kind(token).await, Ok(steward_core::tickets::TicketKind::Request))
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn link_decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
    WebForm(f): WebForm<LinkForm>,
) -> WebResult {
    let decision = if f.decision == "approve" { Decision::Approve } else { Decision::Reject };
    if is_request(&state, &token).await {
        return crate::requests::web::link::decide(&state, &headers, &uri, token, decision, &f.comment).await;
    }
    match state.app.changes().decide_by_link(&token, decision, &f.comment).await {
        Ok(_) => {
            let mut page = Page::anonymous(&state, &headers, &uri, "");
            page.title = page.t.get("changes.approval_title").to_owned();
            let done =
                if decision == Decision::Approve { "changes.link_approved" } else { "changes.link_rejected" };
            render_done(page, token, done)
        }
        Err(e) => show(&state, &headers, &uri, token, Some(e), None).await,
    }
}

fn render_done(page: Page<'_>, token: String, done: &'static str) -> WebResult {
    Ok(render(&LinkPage { page, v: None, token, done: Some(done), reasons: Vec::new() }))
}
