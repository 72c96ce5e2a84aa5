//! SLAs: calendars and policies, an incident's clocks and the in-app notifications, as JSON.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;

use axum::http::Method;

use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/incidents/{id}/sla", A, api::incident),
        route(M::GET, "/api/v1/notifications", A, api::notifications),
        route(M::POST, "/api/v1/notifications/read", A, api::mark_read),
        route(M::GET, "/api/v1/sla/calendars", A, api::calendars),
        route(M::POST, "/api/v1/sla/calendars", A, api::create_calendar),
        route(M::GET, "/api/v1/sla/policies", A, api::policies),
        route(M::POST, "/api/v1/sla/policies", A, api::create_policy),
    ]
}
