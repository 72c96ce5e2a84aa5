//! SLAs: calendars and policies, an incident's clocks and the in-app notifications, as JSON.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;

use axum::http::Method;

use crate::api::{Created, Items, Op};
use crate::{Access, Route, route};

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
        route(M::GET, "/api/v1/sla/policies", A, api::policies)
            .doc(Op::new("SLA policies in the order they are tried").ok::<Items<api::PolicyJson>>()),
        route(M::POST, "/api/v1/sla/policies", A, api::create_policy)
            .doc(Op::new("Add an SLA policy (admin)").body::<api::PolicyBody>().created::<Created>()),
    ]
}
