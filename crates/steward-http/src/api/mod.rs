//! The JSON API under `/api/v1`. JSON types live here and are converted by hand from core
//! types, which stay free of serialization concerns.

mod openapi;
pub(crate) mod patch;

use axum::http::Method;
use jiff::Timestamp;
use serde::Serialize;
use steward_core::identity::{ApiToken, User};
use steward_core::ids::{TokenId, UserId};

use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![route(M::GET, "/api/openapi.json", A, openapi::document)]
}

/// Instants are RFC 3339 in UTC.
pub(crate) fn time(t: Timestamp) -> String {
    t.to_string()
}

#[derive(Serialize)]
pub struct UserJson {
    id: UserId,
    username: String,
    display_name: String,
    email: Option<String>,
    role: &'static str,
    disabled: bool,
    locale: Option<String>,
    organisation: Option<String>,
    created_at: String,
    updated_at: String,
    version: i64,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> UserJson {
        UserJson {
            id: u.id,
            username: u.username.to_string(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            disabled: u.disabled,
            locale: u.locale.clone(),
            organisation: u.organisation.clone(),
            created_at: time(u.created_at),
            updated_at: time(u.updated_at),
            version: u.version,
        }
    }
}

#[derive(Serialize)]
pub struct TokenJson {
    id: TokenId,
    user_id: UserId,
    username: String,
    name: String,
    pub(crate) scopes: Vec<&'static str>,
    created_at: String,
    expires_at: String,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
    active: bool,
}

impl TokenJson {
    /// The token as JSON; `now` is the app's clock, which says whether it is still active.
    pub fn new(t: &ApiToken, now: Timestamp) -> TokenJson {
        TokenJson {
            id: t.id,
            user_id: t.user_id,
            username: t.username.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: time(t.created_at),
            expires_at: time(t.expires_at),
            revoked_at: t.revoked_at.map(time),
            last_used_at: t.last_used_at.map(time),
            active: t.is_active(now),
        }
    }
}
