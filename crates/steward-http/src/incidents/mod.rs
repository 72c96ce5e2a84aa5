//! Incidents: the API under `/api/v1/incidents` (and categories, attachments) and the queue, form and detail pages.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
pub(crate) mod web;

use axum::http::Method;

use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/incidents", A, api::list),
        route(M::POST, "/api/v1/incidents", A, api::create),
        route(M::GET, "/api/v1/incidents/{id}", A, api::get),
        route(M::PATCH, "/api/v1/incidents/{id}", A, api::update),
        route(M::POST, "/api/v1/incidents/{id}/transition", A, api::transition),
        route(M::GET, "/api/v1/incidents/{id}/comments", A, api::comments),
        route(M::POST, "/api/v1/incidents/{id}/comments", A, api::comment),
        route(M::GET, "/api/v1/incidents/{id}/attachments", A, api::attachments),
        route(M::POST, "/api/v1/incidents/{id}/attachments", A, api::upload)
            .with_layer(axum::extract::DefaultBodyLimit::disable()),
        route(M::GET, "/api/v1/incidents/{id}/activity", A, api::activity),
        route(M::PUT, "/api/v1/incidents/{id}/watchers/{user_id}", A, api::watch),
        route(M::DELETE, "/api/v1/incidents/{id}/watchers/{user_id}", A, api::unwatch),
        route(M::POST, "/api/v1/incidents/{id}/related", A, api::relate),
        route(M::GET, "/api/v1/attachments/{id}", A, api::download),
        route(M::GET, "/api/v1/categories", A, api::categories),
        route(M::POST, "/api/v1/categories", A, api::create_category),
        route(M::GET, "/incidents", A, web::list),
        route(M::GET, "/incidents/new", A, web::new_form),
        route(M::POST, "/incidents", A, web::create),
        route(M::POST, "/incidents/views", A, web::save_view),
        route(M::POST, "/incidents/views/{id}/delete", A, web::delete_view),
        route(M::GET, "/incidents/{id}", A, web::detail),
        route(M::POST, "/incidents/{id}/comment", A, web::comment),
        route(M::POST, "/incidents/{id}/transition", A, web::transition),
        route(M::POST, "/incidents/{id}/update", A, web::update),
        route(M::GET, "/incidents/{id}/report", A, web::report),
    ]
}

/// The area's links in the main navigation.
pub const NAV: &[NavLink] = &[
    nav(None, "/incidents", "nav-incidents", "nav.incidents"),
    nav(None, "/incidents/new", "nav-new-incident", "nav.new_incident"),
];
