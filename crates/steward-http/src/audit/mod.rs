//! The audit trail: the event log and its chain check, as JSON and as a page.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::Op;
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/audit/events", A, api::events)
            .doc(Op::new("The audit trail, newest first").query::<api::EventQuery>().ok::<api::EventPage>()),
        route(M::GET, "/api/v1/audit/verify", A, api::verify).doc(
            Op::new("Verify the hash chain, the signed anchors and (with state=true) the tables")
                .query::<api::VerifyQuery>()
                .ok::<api::Verification>(),
        ),
        route(M::GET, "/audit", A, web::page),
    ]
}

/// The area's link in the main navigation.
pub const NAV: &[NavLink] = &[nav(Some(Permission::ReadAudit), "/audit", "nav-audit", "nav.audit")];
