//! The API token page: one's own tokens (admins: everyone's), create and revoke.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use jiff::Timestamp;
use serde::Deserialize;
use steward_app::{Actor, AppError};
use steward_core::identity::{ApiToken, Scope};
use steward_core::ids::TokenId;

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebResult, after_form, form_error, render};

/// A token as one table row.
struct TokenRow {
    id: TokenId,
    name: String,
    owner: String,
    scopes: String,
    expires_at: String,
    last_used: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    page: Page<'a>,
    tokens: Vec<TokenRow>,
    /// (scope, ticked by default)
    scopes: Vec<(&'static str, bool)>,
    new_secret: Option<String>,
}

fn rows(tokens: &[ApiToken], now: Timestamp, page: &Page) -> Vec<TokenRow> {
    let minute = |t: Timestamp| page.minute(t);
    let never = page.t.get("common.never");
    tokens
        .iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name.clone(),
            owner: t.username.to_string(),
            scopes: t.scopes.to_string(),
            expires_at: minute(t.expires_at),
            last_used: t.last_used_at.map_or_else(|| never.to_owned(), minute),
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.is_active(now) {
                "active"
            } else {
                "expired"
            },
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    all: bool,
    new_secret: Option<String>,
) -> WebResult {
    let tokens = state.app.tokens().list(actor, all).await?;
    let page = Page::new(state, actor, headers, uri, "tokens.title");
    let scopes = Scope::ALL
        .iter()
        .filter(|s| actor.user.role.scopes().contains(**s))
        .map(|s| (s.as_str(), *s == Scope::Read))
        .collect();
    let tokens = rows(&tokens, state.app.now(), &page);
    Ok(render(&TokensPage { page, tokens, scopes, new_secret }))
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> WebResult {
    page(&state, &actor, &headers, &uri, q.all, None).await
}

/// `POST /tokens`. The form repeats `scope` once per ticked box, which `serde_urlencoded`
/// cannot gather into a list, so the pairs are read by hand.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> WebResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::invalid("form", format!("the form could not be read: {e}")))?;
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let scopes: Vec<&str> = pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()).collect();
    let result = state
        .app
        .tokens()
        .issue(Some(&actor), actor.user.id, field("name"), &scopes.join(" "), field("expires"))
        .await;
    match result {
        Ok(issued) => page(&state, &actor, &headers, &uri, false, Some(issued.secret)).await,
        Err(e) => form_error(e, "/tokens"),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TokenId>,
) -> WebResult {
    let result = state.app.tokens().revoke(&actor, id).await;
    after_form(result, "/tokens", Notice::TokenRevoked)
}
