//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use steward_app::Credential;

use crate::AppState;
use crate::api::{TokenJson, UserJson, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, CurrentActor};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/auth/login` → `{"token","expires_at"}`.
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let issued = state.app.tokens().api_login(&body.username, &body.password).await?;
    Ok(Json(json!({
        "token": issued.secret,
        "expires_at": time(issued.token.expires_at),
        "scopes": TokenJson::new(&issued.token, state.app.now()).scopes,
        "user_id": issued.token.user_id,
    })))
}

/// `POST /api/v1/auth/logout`: revokes the token in use.
pub async fn logout(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<StatusCode> {
    state.app.tokens().revoke_own_credential(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`: who the caller is, their teams, and what the credential may do.
pub async fn me(State(state): State<AppState>, CurrentActor(actor): CurrentActor) -> ApiResult<Json<Value>> {
    let teams = state.app.directory().teams_of(actor.user.id).await?;
    let scopes = match &actor.credential {
        Credential::Token { scopes, .. } => *scopes,
        _ => actor.user.role.scopes(),
    };
    Ok(Json(json!({
        "user": UserJson::from(&actor.user),
        "teams": teams.iter().map(|t| json!({ "id": t.id, "name": t.name })).collect::<Vec<_>>(),
        "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    })))
}
