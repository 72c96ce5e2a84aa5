//! The JSON API under `/api/v1`. JSON types live here and are converted by hand from core
//! types, which stay free of serialization concerns.

mod openapi;
pub(crate) mod schema;
pub(crate) use openapi::Op;
pub use openapi::build as openapi_document;
pub(crate) mod patch;

use axum::http::Method;
use jiff::Timestamp;
use std::borrow::Cow;

use serde::Serialize;
use steward_core::identity::{ApiToken, User};
use steward_core::ids::{TokenId, UserId};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Schema};

use crate::{Access, Route, route};

/// A list answer: `{"items": […]}`. Its schema is named after the item (`IncidentList`); written
/// by hand because utoipa's derive gives every instance of a generic type one name.
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    pub fn of<S>(source: impl IntoIterator<Item = S>, f: impl FnMut(S) -> T) -> Items<T> {
        Items { items: source.into_iter().map(f).collect() }
    }
}

impl<T: ToSchema> utoipa::PartialSchema for Items<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(Ref::from_schema_name(T::name())))
            .required("items")
            .into()
    }
}

impl<T: ToSchema> ToSchema for Items<T> {
    fn name() -> Cow<'static, str> {
        format!("{}List", T::name()).into()
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push((T::name().into_owned(), T::schema()));
        T::schemas(out);
    }
}

/// What a create answers when the new record has nothing more to show: its id.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

pub fn routes() -> Vec<Route> {
    use Method as M;
    vec![
        // Public: the document describes the API, it is not a secret.
        route(M::GET, "/api/openapi.json", Access::Public, openapi::document)
            .doc(Op::new("This document").file("application/json")),
    ]
}

/// Instants are RFC 3339 in UTC.
pub(crate) fn time(t: Timestamp) -> String {
    t.to_string()
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    id: UserId,
    username: String,
    display_name: String,
    email: Option<String>,
    role: &'static str,
    disabled: bool,
    locale: Option<String>,
    organisation: Option<String>,
    /// Set only when the user chose one; otherwise times show in the desk's report zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
    /// Whose approval the user's service requests need (set only when there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    manager_id: Option<UserId>,
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
            time_zone: u.time_zone.clone(),
            manager_id: u.manager_id,
            created_at: time(u.created_at),
            updated_at: time(u.updated_at),
            version: u.version,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Token)]
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
