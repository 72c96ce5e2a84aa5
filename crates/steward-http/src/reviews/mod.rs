//! Post-incident reviews (复盘, issue 19): the API under `/api/v1/incidents/{id}/review` and
//! `/api/v1/review-actions`, the review page, its printable form and Markdown export, and
//! `/reviews` (reviews with the open actions).

mod api;
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
        route(M::POST, "/api/v1/incidents/{id}/review", A, api::open).doc(
            Op::new("Start the incident's post-incident review (409 when it has one)")
                .created::<api::ReviewJson>(),
        ),
        route(M::GET, "/api/v1/incidents/{id}/review", A, api::get).doc(
            Op::new("The review: impact, findings, action items, timeline (ETag = version)")
                .ok::<api::ReviewJson>(),
        ),
        route(M::PUT, "/api/v1/incidents/{id}/review", A, api::edit).doc(
            Op::new("Record the findings (If-Match; 412 when stale)")
                .body::<api::FindingsBody>()
                .ok::<api::ReviewJson>(),
        ),
        route(M::GET, "/api/v1/incidents/{id}/review.md", A, api::markdown)
            .doc(Op::new("The review as Markdown").file("text/markdown")),
        route(M::POST, "/api/v1/incidents/{id}/review/actions", A, api::add_action).doc(
            Op::new("Add an action item with its owner and due date")
                .body::<api::ActionBody>()
                .created::<api::ActionJson>(),
        ),
        route(M::PATCH, "/api/v1/review-actions/{id}", A, api::move_action).doc(
            Op::new("Move an action item (open, in_progress, done, cancelled)")
                .body::<api::MoveBody>()
                .ok::<api::ActionJson>(),
        ),
        route(M::GET, "/api/v1/review-actions", A, api::open_actions).doc(
            Op::new("Open action items, soonest due first")
                .query::<api::ActionsQuery>()
                .ok::<Items<api::ActionJson>>(),
        ),
        route(M::GET, "/reviews", A, web::list),
        route(M::GET, "/incidents/{id}/review", A, web::page),
        route(M::GET, "/incidents/{id}/review/print", A, web::print),
        route(M::POST, "/incidents/{id}/review", A, web::open),
        route(M::POST, "/incidents/{id}/review/findings", A, web::findings),
        route(M::POST, "/incidents/{id}/review/actions", A, web::add_action),
        route(M::POST, "/review-actions/{id}/move", A, web::move_action),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::WorkTickets), "/reviews", "nav-reviews", "nav.reviews")];
