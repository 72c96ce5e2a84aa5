//! The JSON API under `/api/v1`. JSON types live here and are converted by hand from core
//! types, which stay free of serialization concerns.

pub(crate) mod audit;
mod auth;
mod cmdb;
pub(crate) mod directory;
pub(crate) mod incidents;
mod openapi;
mod patch;
pub(crate) mod reports;
pub(crate) mod sla;
mod tokens;

use axum::http::Method;
use jiff::Timestamp;
use serde::Serialize;
use steward_core::identity::{ApiToken, User};

use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::{Authenticated as A, Public as P};
    use Method as M;
    vec![
        route(M::POST, "/api/v1/auth/login", P, auth::login),
        route(M::POST, "/api/v1/auth/logout", A, auth::logout),
        route(M::GET, "/api/v1/me", A, auth::me),
        route(M::GET, "/api/v1/users", A, directory::list_users),
        route(M::POST, "/api/v1/users", A, directory::create_user),
        route(M::GET, "/api/v1/users/{id}", A, directory::get_user),
        route(M::PATCH, "/api/v1/users/{id}", A, directory::update_user),
        route(M::GET, "/api/v1/teams", A, directory::list_teams),
        route(M::POST, "/api/v1/teams", A, directory::create_team),
        route(M::PUT, "/api/v1/teams/{id}/members/{user_id}", A, directory::add_member),
        route(M::DELETE, "/api/v1/teams/{id}/members/{user_id}", A, directory::remove_member),
        route(M::GET, "/api/v1/tokens", A, tokens::list),
        route(M::POST, "/api/v1/tokens", A, tokens::create),
        route(M::DELETE, "/api/v1/tokens/{id}", A, tokens::revoke),
        route(M::GET, "/api/v1/audit/events", A, audit::events),
        route(M::GET, "/api/v1/audit/verify", A, audit::verify),
        route(M::GET, "/api/openapi.json", A, openapi::document),
        route(M::GET, "/api/v1/incidents", A, incidents::list),
        route(M::POST, "/api/v1/incidents", A, incidents::create),
        route(M::GET, "/api/v1/incidents/{id}", A, incidents::get),
        route(M::PATCH, "/api/v1/incidents/{id}", A, incidents::update),
        route(M::POST, "/api/v1/incidents/{id}/transition", A, incidents::transition),
        route(M::GET, "/api/v1/incidents/{id}/comments", A, incidents::comments),
        route(M::POST, "/api/v1/incidents/{id}/comments", A, incidents::comment),
        route(M::GET, "/api/v1/incidents/{id}/attachments", A, incidents::attachments),
        route(M::POST, "/api/v1/incidents/{id}/attachments", A, incidents::upload)
            .with_layer(axum::extract::DefaultBodyLimit::disable()),
        route(M::GET, "/api/v1/incidents/{id}/activity", A, incidents::activity),
        route(M::PUT, "/api/v1/incidents/{id}/watchers/{user_id}", A, incidents::watch),
        route(M::DELETE, "/api/v1/incidents/{id}/watchers/{user_id}", A, incidents::unwatch),
        route(M::POST, "/api/v1/incidents/{id}/related", A, incidents::relate),
        route(M::GET, "/api/v1/attachments/{id}", A, incidents::download),
        route(M::GET, "/api/v1/incidents/{id}/sla", A, sla::incident),
        route(M::GET, "/api/v1/notifications", A, sla::notifications),
        route(M::POST, "/api/v1/notifications/read", A, sla::mark_read),
        route(M::GET, "/api/v1/ci-classes", A, cmdb::classes),
        route(M::POST, "/api/v1/ci-classes", A, cmdb::create_class),
        route(M::GET, "/api/v1/cis", A, cmdb::list),
        route(M::POST, "/api/v1/cis", A, cmdb::create),
        route(M::GET, "/api/v1/cis/{id}", A, cmdb::get),
        route(M::PATCH, "/api/v1/cis/{id}", A, cmdb::update),
        route(M::GET, "/api/v1/cis/{id}/impact", A, cmdb::impact),
        route(M::GET, "/api/v1/cis/{id}/history", A, cmdb::as_of),
        route(M::POST, "/api/v1/ci-relations", A, cmdb::relate),
        route(M::DELETE, "/api/v1/ci-relations/{id}", A, cmdb::unrelate),
        route(M::GET, "/api/v1/incidents/{id}/cis", A, cmdb::incident_cis),
        route(M::PUT, "/api/v1/incidents/{id}/cis/{ci_id}", A, cmdb::link_incident),
        route(M::GET, "/api/v1/reports/incidents", A, reports::incidents),
        route(M::GET, "/api/v1/reports/incidents.csv", A, reports::incidents_csv),
        route(M::GET, "/api/v1/sla/calendars", A, sla::calendars),
        route(M::POST, "/api/v1/sla/calendars", A, sla::create_calendar),
        route(M::GET, "/api/v1/sla/policies", A, sla::policies),
        route(M::POST, "/api/v1/sla/policies", A, sla::create_policy),
        route(M::GET, "/api/v1/categories", A, incidents::categories),
        route(M::POST, "/api/v1/categories", A, incidents::create_category),
    ]
}

/// Instants are RFC 3339 in UTC.
fn time(t: Timestamp) -> String {
    t.to_string()
}

#[derive(Serialize)]
pub struct UserJson {
    id: i64,
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
    id: i64,
    user_id: i64,
    username: String,
    name: String,
    scopes: Vec<&'static str>,
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
