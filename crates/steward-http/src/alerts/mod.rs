//! Alerts from monitoring (issue 18): the receivers (`/hooks/*`), the API and the console.

pub(crate) mod api;
mod hooks;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::POST, "/hooks/alertmanager", A, hooks::alertmanager),
        route(M::GET, "/api/v1/alerts", A, api::list).doc(
            Op::new("Alerts from monitoring, newest first")
                .query::<api::AlertQuery>()
                .ok::<Items<api::AlertJson>>(),
        ),
        route(M::GET, "/alerts", A, web::console),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::WorkTickets), "/alerts", "nav-alerts", "nav.alerts")];
