//! `/api/v1/tokens`: personal API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_core::ids::{TokenId, UserId};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Items, TokenJson};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Everyone's tokens (admins).
    #[serde(default)]
    all: bool,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<TokenJson>>> {
    let tokens = state.app.tokens().list(&actor, q.all).await?;
    let now = state.app.now();
    Ok(Json(Items::of(&tokens, |t| TokenJson::new(t, now))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewToken)]
pub struct CreateToken {
    #[schema(min_length = 1, max_length = 100, pattern = "@line")]
    name: String,
    #[schema(schema_with = crate::api::schema::scopes)]
    scopes: Vec<String>,
    #[serde(default = "default_expiry")]
    expires: String,
    /// Whose token; admins may issue tokens to others (e.g. for Prometheus).
    #[serde(default)]
    user_id: Option<UserId>,
}

/// A new token with its secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    token: TokenJson,
    /// The secret, as `Authorization: Bearer <token>`.
    #[serde(rename = "token")]
    secret: String,
}

fn default_expiry() -> String {
    "30d".into()
}

/// `POST /api/v1/tokens` → 201 with the secret, shown this once.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let owner = body.user_id.unwrap_or(actor.user.id);
    let scopes = body.scopes.join(" ");
    let issued = state.app.tokens().issue(Some(&actor), owner, &body.name, &scopes, &body.expires).await?;
    let token = TokenJson::new(&issued.token, state.app.now());
    Ok((StatusCode::CREATED, Json(IssuedToken { token, secret: issued.secret })))
}

/// `DELETE /api/v1/tokens/{id}`: revokes; the record stays for the audit trail.
pub async fn revoke(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TokenId>,
) -> ApiResult<Json<TokenJson>> {
    let token = state.app.tokens().revoke(&actor, id).await?;
    Ok(Json(TokenJson::new(&token, state.app.now())))
}
