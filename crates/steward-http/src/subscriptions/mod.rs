//! Subscriptions (issue 18): events delivered to email, webhooks and chat robots; the
//! deliveries and their dead letters.

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
        route(M::GET, "/api/v1/subscriptions", A, api::list).doc(
            Op::new("Subscriptions: who outside Steward hears of what").ok::<Items<api::SubscriptionJson>>(),
        ),
        route(M::POST, "/api/v1/subscriptions", A, api::create).doc(
            Op::new(
                "Deliver events of some kinds to email, a signed webhook, Slack, DingTalk, WeCom or Feishu",
            )
            .body::<api::SubscriptionBody>()
            .created::<crate::api::Created>(),
        ),
        route(M::DELETE, "/api/v1/subscriptions/{id}", A, api::delete)
            .doc(Op::new("Delete a subscription and its deliveries").no_content()),
        route(M::GET, "/api/v1/deliveries", A, api::deliveries).doc(
            Op::new("Deliveries, newest first (`status=dead`: the dead letters)")
                .query::<api::DeliveryQuery>()
                .ok::<Items<api::DeliveryJson>>(),
        ),
        route(M::POST, "/api/v1/deliveries/{id}/resend", A, api::resend)
            .doc(Op::new("Send a dead delivery again").no_content()),
        route(M::GET, "/admin/subscriptions", A, web::page),
        route(M::POST, "/admin/subscriptions", A, web::create),
        route(M::POST, "/admin/subscriptions/{id}/delete", A, web::delete),
        route(M::POST, "/admin/deliveries/{id}/resend", A, web::resend),
    ]
}

pub const NAV: &[NavLink] = &[nav(
    Some(Permission::ManageDirectory),
    "/admin/subscriptions",
    "nav-subscriptions",
    "nav.subscriptions",
)];
