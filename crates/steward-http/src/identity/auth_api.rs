//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::Credential;
use steward_core::ids::{TeamId, UserId};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{TokenJson, UserJson, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, CurrentActor};
use crate::identity::client::Client;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// A bearer token from a password sign-in.
#[derive(Serialize, ToSchema)]
pub struct LoginResult {
    /// The secret, shown this once.
    token: String,
    expires_at: String,
    scopes: Vec<&'static str>,
    user_id: UserId,
}

/// `POST /api/v1/auth/login` → `{"token","expires_at"}`.
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginResult>> {
    let issued = state.app.tokens().api_login(&body.username, &body.password, &client).await?;
    Ok(Json(LoginResult {
        token: issued.secret,
        expires_at: time(issued.token.expires_at),
        scopes: TokenJson::new(&issued.token, state.app.now()).scopes,
        user_id: issued.token.user_id,
    }))
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
/// The caller, the teams they are in, and what their credential may do.
#[derive(Serialize, ToSchema)]
pub struct Me {
    user: UserJson,
    teams: Vec<TeamName>,
    scopes: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamName {
    id: TeamId,
    name: String,
}

pub async fn me(State(state): State<AppState>, CurrentActor(actor): CurrentActor) -> ApiResult<Json<Me>> {
    let teams = state.app.directory().teams_of(actor.user.id).await?;
    let scopes = match &actor.credential {
        Credential::Token { scopes, .. } => *scopes,
        _ => actor.user.role.scopes(),
    };
    Ok(Json(Me {
        user: UserJson::from(&actor.user),
        teams: teams.iter().map(|t| TeamName { id: t.id, name: t.name.clone() }).collect(),
        scopes: scopes.iter().map(|s| s.as_str()).collect(),
    }))
}
