//! The CMDB: the API for classes, CIs, relationships, impact and history, and the CMDB pages.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
mod json;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use self::json::{CiAsOf, CiJson, CiPage, CiViewJson, ClassCreated, ClassJson, ImpactJson};
use crate::api::{Created, Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/ci-classes", A, api::classes)
            .doc(Op::new("CI classes: built-in and admin-defined, with typed attributes").ok::<Items<ClassJson>>()),
        route(M::POST, "/api/v1/ci-classes", A, api::create_class)
            .doc(Op::new("Add a CI class (admin)").body::<api::ClassBody>().created::<ClassCreated>()),
        route(M::GET, "/api/v1/cis", A, api::list).doc(
            Op::new("Configuration items by class and name prefix, a page at a time")
                .query::<api::ListQuery>()
                .ok::<CiPage>(),
        ),
        route(M::POST, "/api/v1/cis", A, api::create)
            .doc(Op::new("Add a configuration item").body::<api::NewCiBody>().created::<CiJson>()),
        route(M::GET, "/api/v1/cis/{id}", A, api::get)
            .doc(Op::new("A CI with its relationships and open incidents").ok::<CiViewJson>()),
        route(M::PATCH, "/api/v1/cis/{id}", A, api::update).doc(
            Op::new("Change a CI (If-Match; an attribute set to null is removed)")
                .body::<api::PatchCiBody>()
                .ok::<CiJson>(),
        ),
        route(M::GET, "/api/v1/cis/{id}/impact", A, api::impact).doc(
            Op::new("Blast radius: direction upstream|downstream|both, depth 1–10 (6); hits with explaining paths, business services and open incidents affected")
                .query::<api::ImpactQuery>()
                .ok::<ImpactJson>(),
        ),
        route(M::GET, "/api/v1/cis/{id}/history", A, api::as_of)
            .doc(Op::new("The CI as it was at `at` (RFC 3339)").query::<api::AsOfQuery>().ok::<CiAsOf>()),
        route(M::POST, "/api/v1/ci-relations", A, api::relate).doc(
            Op::new("Relate two CIs (the type must allow their classes)")
                .body::<api::RelationBody>()
                .created::<Created>(),
        ),
        route(M::DELETE, "/api/v1/ci-relations/{id}", A, api::unrelate)
            .doc(Op::new("Remove a relationship").no_content()),
        route(M::GET, "/api/v1/incidents/{id}/cis", A, api::incident_cis)
            .doc(Op::new("The CIs an incident affects").ok::<Items<CiJson>>()),
        route(M::PUT, "/api/v1/incidents/{id}/cis/{ci_id}", A, api::link_incident)
            .doc(Op::new("Link an incident to a CI it affects").no_content()),
        route(M::DELETE, "/api/v1/incidents/{id}/cis/{ci_id}", A, api::unlink_incident)
            .doc(Op::new("Unlink a CI from an incident (404 when it was not linked)").no_content()),
        route(M::GET, "/cmdb", A, web::list),
        route(M::POST, "/cmdb", A, web::create),
        route(M::GET, "/cmdb/new", A, web::new_ci),
        route(M::GET, "/cmdb/transfer", A, web::transfer),
        route(M::POST, "/cmdb/import", A, web::import),
        route(M::GET, "/cmdb/export.json", A, web::export_json),
        route(M::GET, "/cmdb/export.csv", A, web::export_csv),
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
