//! `/runbooks/secrets`: the secret store (names only; values go in, never out) and
//! `/runbooks/grants`: just-in-time grants — asked for with a reason, decided by a change
//! manager, expiring by themselves.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::AppError;
use steward_core::identity::Permission;
use steward_store::GrantRecord;

use crate::AppState;
use crate::extract::CurrentActor;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "runbook_secrets.html")]
struct SecretsPage<'a> {
    page: Page<'a>,
    secrets: Vec<(String, String, jiff::Timestamp)>,
    can_manage: bool,
}

pub async fn secrets(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let secrets = state.app.runbooks().secrets(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "runbooks.secrets");
    Ok(render(&SecretsPage { page, secrets, can_manage: actor.can(Permission::ManageRunbooks) }))
}

#[derive(Deserialize)]
pub struct SecretForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    delete: String,
}

pub async fn set_secret(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<SecretForm>,
) -> WebResult {
    let r = state.app.runbooks();
    if !f.delete.is_empty() {
        return after_form(r.delete_secret(&actor, &f.delete).await, "/runbooks/secrets", Notice::Deleted);
    }
    after_form(r.set_secret(&actor, &f.name, &f.value).await, "/runbooks/secrets", Notice::Saved)
}

#[derive(Template)]
#[template(path = "runbook_grants.html")]
struct GrantsPage<'a> {
    page: Page<'a>,
    grants: Vec<GrantRecord>,
    now: jiff::Timestamp,
    can_decide: bool,
    me: i64,
}

pub async fn grants(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let grants = state.app.runbooks().grants(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "runbooks.grants");
    Ok(render(&GrantsPage {
        page,
        grants,
        now: state.app.now(),
        can_decide: actor.can(Permission::ManageChanges),
        me: actor.user.id.get(),
    }))
}

#[derive(Deserialize)]
pub struct GrantForm {
    action: String,
    #[serde(default)]
    id: i64,
    /// CI names, comma- or space-separated.
    #[serde(default)]
    cis: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    comment: String,
}

pub async fn act_grant(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<GrantForm>,
) -> WebResult {
    let r = state.app.runbooks();
    let back = "/runbooks/grants";
    let result = match f.action.as_str() {
        "request" => {
            let names: Vec<String> = f
                .cis
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let found = state.app.store().cis_named(&names).await.map_err(AppError::from)?;
            match names.iter().find(|n| !found.contains_key(*n)) {
                Some(missing) => Err(AppError::invalid("cis", format!("no CI is named {missing}"))),
                None => {
                    let ids: Vec<_> = names.iter().filter_map(|n| found.get(n).copied()).collect();
                    let minutes = f.minutes.trim().parse().unwrap_or(0);
                    r.request_grant(&actor, &ids, &f.reason, minutes).await.map(|_| ())
                }
            }
        }
        "approve" => r.decide_grant(&actor, f.id, true, &f.comment).await,
        "reject" => r.decide_grant(&actor, f.id, false, &f.comment).await,
        "revoke" => r.revoke_grant(&actor, f.id).await,
        _ => Err(AppError::invalid("action", "unknown action")),
    };
    after_form(result, back, Notice::Saved)
}
