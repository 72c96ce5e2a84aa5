//! SLAs: calendars and policies, an incident's clocks and the in-app notifications, as JSON.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
mod policy_web;
mod web;

pub(crate) use web::parse_minutes;

use axum::http::Method;

use crate::api::{Created, Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};
use steward_core::identity::Permission;

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/incidents/{id}/sla", A, api::incident).doc(
            Op::new(
                "First-response, resolution and next-update clocks, with the intervals counted and paused",
            )
            .ok::<api::IncidentSla>(),
        ),
        route(M::GET, "/api/v1/requests/{id}/sla", A, api::request).doc(
            Op::new("A service request's clocks: by the first request policy that matches, else its item's delivery time")
                .ok::<api::IncidentSla>(),
        ),
        route(M::GET, "/api/v1/notifications", A, api::notifications).doc(
            Op::new("The caller's in-app notifications (SLA warnings, breaches)")
                .ok::<Items<api::NotificationJson>>(),
        ),
        route(M::POST, "/api/v1/notifications/read", A, api::mark_read)
            .doc(Op::new("Mark all notifications read").no_content()),
        route(M::GET, "/api/v1/sla/calendars", A, api::calendars)
            .doc(Op::new("Business calendars").ok::<Items<api::CalendarJson>>()),
        route(M::POST, "/api/v1/sla/calendars", A, api::create_calendar).doc(
            Op::new("Add a business calendar (admin; hours, holidays, .ics)")
                .body::<api::CalendarBody>()
                .created::<Created>(),
        ),
        route(M::PUT, "/api/v1/sla/calendars/{id}", A, api::update_calendar).doc(
            Op::new("Give a calendar a new definition from now on; time before counts as it did (admin)")
                .body::<api::CalendarBody>()
                .ok::<api::CalendarJson>(),
        ),
        route(M::DELETE, "/api/v1/sla/calendars/{id}", A, api::delete_calendar)
            .doc(Op::new("Delete a calendar no policy uses (admin)").no_content()),
        route(M::GET, "/api/v1/sla/calendars/{id}/due", A, api::due).doc(
            Op::new("Due-time calculator: a start plus business minutes, with the working stretches counted")
                .query::<api::DueQuery>()
                .ok::<api::DueJson>(),
        ),
        route(M::GET, "/admin/sla", A, web::page),
        route(M::POST, "/admin/sla/calendars", A, web::create_calendar),
        route(M::GET, "/admin/sla/calendars/{id}", A, web::calendar),
        route(M::POST, "/admin/sla/calendars/{id}", A, web::update_calendar),
        route(M::POST, "/admin/sla/calendars/{id}/delete", A, web::delete_calendar),
        route(M::GET, "/api/v1/sla/policies", A, api::policies)
            .doc(Op::new("SLA policies in the order they are tried").ok::<Items<api::PolicyJson>>()),
        route(M::POST, "/api/v1/sla/policies", A, api::create_policy)
            .doc(Op::new("Add an SLA policy (admin)").body::<api::PolicyBody>().created::<Created>()),
        route(M::PUT, "/api/v1/sla/policies/{id}", A, api::update_policy).doc(
            Op::new("Give a policy a new definition for tickets opened from now on; older ones keep theirs (admin)")
                .body::<api::PolicyBody>()
                .ok::<api::PolicyJson>(),
        ),
        route(M::DELETE, "/api/v1/sla/policies/{id}", A, api::delete_policy)
            .doc(Op::new("Stop a policy applying to tickets opened from now on (admin)").no_content()),
        route(M::GET, "/admin/sla/policies/new", A, policy_web::new_policy),
        route(M::POST, "/admin/sla/policies", A, policy_web::create_policy),
        route(M::GET, "/admin/sla/policies/{id}", A, policy_web::policy),
        route(M::POST, "/admin/sla/policies/{id}", A, policy_web::update_policy),
        route(M::POST, "/admin/sla/policies/{id}/delete", A, policy_web::delete_policy),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::ManageDirectory), "/admin/sla", "nav-sla", "nav.sla")];
