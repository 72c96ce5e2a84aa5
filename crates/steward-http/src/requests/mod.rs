//! Service requests and the catalogue (issue 23): the API under `/api/v1/catalogue` and
//! `/api/v1/requests`; the requester's portal (`portal.rs`: home, catalogue, order form, my
//! requests), the request page (`page.rs`) and the catalogue designer (`designer.rs`).

mod api;
mod json;
pub(crate) mod web;

use axum::http::Method;

use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/catalogue", A, api::list_items).doc(
            Op::new("The catalogue items the caller may order (every item, for admins)")
                .ok::<Items<json::ItemJson>>(),
        ),
        route(M::POST, "/api/v1/catalogue", A, api::create_item).doc(
            Op::new("Add a catalogue item (admins); publish its form next")
                .body::<api::ItemBody>()
                .created::<json::ItemJson>(),
        ),
        route(M::GET, "/api/v1/catalogue/{id}", A, api::get_item)
            .doc(Op::new("One item with its current form and fulfilment plan").ok::<json::ItemDetailJson>()),
        route(M::PUT, "/api/v1/catalogue/{id}", A, api::update_item).doc(
            Op::new("Change an item's name, category, audience, delivery time, team (admins)")
                .body::<api::ItemBody>()
                .ok::<json::ItemJson>(),
        ),
        route(M::POST, "/api/v1/catalogue/{id}/versions", A, api::publish).doc(
            Op::new("Publish a new form and plan (admins); requests made before keep theirs")
                .body::<api::DesignBody>()
                .created::<json::VersionJson>(),
        ),
        route(M::POST, "/api/v1/catalogue/{id}/orders", A, api::order).carrying_files().doc(
            Op::new("Order an item: answers checked against the form version given (409 when it changed)")
                .body::<api::OrderBody>()
                .created::<json::RequestDetailJson>(),
        ),
        route(M::GET, "/api/v1/requests", A, api::list).doc(
            Op::new("Service requests: the caller's own, or the desk's")
                .query::<api::ListQuery>()
                .ok::<Items<json::RequestJson>>(),
        ),
        route(M::GET, "/api/v1/requests/awaiting-approval", A, api::waiting)
            .doc(Op::new("Requests waiting for the caller's approval").ok::<Items<json::WaitingJson>>()),
        route(M::GET, "/api/v1/requests/{id}", A, api::get).doc(
            Op::new("One request with its answers, approvals, tasks and conversation")
                .ok::<json::RequestDetailJson>(),
        ),
        route(M::POST, "/api/v1/requests/{id}/decision", A, api::decide).doc(
            Op::new("Approve or reject the level waiting for the caller")
                .body::<api::DecisionBody>()
                .ok::<json::RequestDetailJson>(),
        ),
        route(M::POST, "/api/v1/requests/{id}/levels/{level}/approver", A, api::reroute).doc(
            Op::new("Put a pending approval level nobody has decided to another person or group (the request's desk)")
                .body::<api::RerouteBody>()
                .ok::<json::RequestDetailJson>(),
        ),
        route(M::POST, "/api/v1/requests/{id}/tasks/{task_id}/done", A, api::task_done).doc(
            Op::new("Mark an open fulfilment task done (its team)")
                .body::<api::TaskDoneBody>()
                .ok::<json::RequestDetailJson>(),
        ),
        route(M::POST, "/api/v1/requests/{id}/transition", A, api::transition).doc(
            Op::new("Cancel, close, or resolve by hand (409 when not allowed now)")
                .body::<api::TransitionBody>()
                .ok::<json::RequestDetailJson>(),
        ),
        route(M::POST, "/api/v1/requests/{id}/comments", A, api::comment).doc(
            Op::new("Reply on a request (or, from the desk, a work note)")
                .body::<api::CommentBody>()
                .created::<json::RequestDetailJson>(),
        ),
        route(M::GET, "/portal", A, web::portal::home),
        route(M::GET, "/portal/answers", A, web::portal::answers),
        route(M::GET, "/portal/catalogue", A, web::portal::catalogue),
        route(M::GET, "/portal/catalogue/{id}", A, web::order::form),
        route(M::POST, "/portal/catalogue/{id}", A, web::order::submit).carrying_files(),
        route(M::GET, "/portal/articles/{id}", A, web::portal::article),
        route(M::POST, "/portal/deflections", A, web::portal::deflected),
        route(M::GET, "/portal/requests", A, web::portal::mine),
        route(M::GET, "/portal/approvals", A, web::portal::approvals),
        route(M::GET, "/requests", A, web::desk::list),
        route(M::GET, "/requests/{id}", A, web::page::detail),
        route(M::POST, "/requests/{id}/decision", A, web::page::decide),
        route(M::POST, "/requests/{id}/levels/{level}/approver", A, web::page::reroute),
        route(M::POST, "/requests/{id}/tasks/{task_id}/done", A, web::page::task_done),
        route(M::POST, "/requests/{id}/transition", A, web::page::transition),
        route(M::POST, "/requests/{id}/comments", A, web::page::comment),
        route(M::GET, "/admin/catalogue", A, web::designer::list),
        route(M::POST, "/admin/catalogue", A, web::designer::create),
        route(M::GET, "/admin/catalogue/{id}", A, web::designer::item),
        route(M::POST, "/admin/catalogue/{id}", A, web::designer::update),
        route(M::POST, "/admin/catalogue/{id}/design", A, web::designer::publish),
    ]
}

/// The portal for everyone (requesters' entrance), the desk's request list for staff, and the
/// designer for admins.
pub const NAV: &[NavLink] = &[
    nav(None, "/portal", "nav-portal", "nav.portal"),
    nav(Some(Permission::WorkTickets), "/requests", "nav-requests", "nav.requests"),
    nav(Some(Permission::ManageCatalogue), "/admin/catalogue", "nav-catalogue", "catalogue.title"),
];
