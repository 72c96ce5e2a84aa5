//! The CMDB: the API for classes, CIs, relationships, impact and history, and the CMDB pages.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/ci-classes", A, api::classes),
        route(M::POST, "/api/v1/ci-classes", A, api::create_class),
        route(M::GET, "/api/v1/cis", A, api::list),
        route(M::POST, "/api/v1/cis", A, api::create),
        route(M::GET, "/api/v1/cis/{id}", A, api::get),
        route(M::PATCH, "/api/v1/cis/{id}", A, api::update),
        route(M::GET, "/api/v1/cis/{id}/impact", A, api::impact),
        route(M::GET, "/api/v1/cis/{id}/history", A, api::as_of),
        route(M::POST, "/api/v1/ci-relations", A, api::relate),
        route(M::DELETE, "/api/v1/ci-relations/{id}", A, api::unrelate),
        route(M::GET, "/api/v1/incidents/{id}/cis", A, api::incident_cis),
        route(M::PUT, "/api/v1/incidents/{id}/cis/{ci_id}", A, api::link_incident),
        route(M::GET, "/cmdb", A, web::list),
        route(M::POST, "/cmdb", A, web::create),
        route(M::GET, "/cmdb/classes", A, web::classes),
        route(M::POST, "/cmdb/classes", A, web::create_class),
        route(M::GET, "/cmdb/{id}", A, web::detail),
        route(M::POST, "/cmdb/{id}", A, web::update),
        route(M::POST, "/cmdb/{id}/relations", A, web::relate),
        route(M::GET, "/cmdb/{id}/impact", A, web::impact),
    ]
}

/// The area's link in the main navigation.
pub const NAV: &[NavLink] = &[nav(Some(Permission::ReadCmdb), "/cmdb", "nav-cmdb", "nav.cmdb")];
