//! Problems (issue 19): the API under `/api/v1/problems` and `/api/v1/known-errors`, the pages
//! under `/problems` (list, form, problem page with its analysis, known errors), and problem
//! candidates — incidents recurring on one CI, service or category.

mod api;
mod candidates;
mod json;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub(crate) use web::incident_panel;

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/problems", A, api::list).doc(
            Op::new("List problems, filtered, sorted and paged")
                .query::<crate::ticket_query::ListParams>()
                .ok::<json::ProblemPage>(),
        ),
        route(M::POST, "/api/v1/problems", A, api::create).doc(
            Op::new("Open a problem, with the incidents it explains and its CIs")
                .body::<api::CreateBody>()
                .created::<json::ProblemDetailJson>(),
        ),
        route(M::GET, "/api/v1/problems/{id}", A, api::get).doc(
            Op::new("One problem with its analysis and links (ETag = version)")
                .ok::<json::ProblemDetailJson>(),
        ),
        route(M::PATCH, "/api/v1/problems/{id}", A, api::update).doc(
            Op::new("Change fields (If-Match; 412 when stale)")
                .body::<api::PatchBody>()
                .ok::<json::ProblemDetailJson>(),
        ),
        route(M::POST, "/api/v1/problems/{id}/transition", A, api::transition).doc(
            Op::new("Move to another state (409 lists the allowed ones)")
                .body::<api::TransitionBody>()
                .ok::<json::ProblemDetailJson>(),
        ),
        route(M::PUT, "/api/v1/problems/{id}/analysis", A, api::analyse).doc(
            Op::new("Record the root-cause analysis: 5-Whys, fishbone, root cause, workaround, fix")
                .body::<api::AnalysisBody>()
                .ok::<json::ProblemDetailJson>(),
        ),
        route(M::POST, "/api/v1/problems/{id}/incidents", A, api::link_incidents).doc(
            Op::new("Link incidents (409 when one has a problem already)")
                .body::<api::LinkBody>()
                .ok::<json::ProblemDetailJson>(),
        ),
        route(M::DELETE, "/api/v1/problems/{id}/incidents/{incident_id}", A, api::unlink_incident)
            .doc(Op::new("Unlink an incident").no_content()),
        route(M::POST, "/api/v1/problems/{id}/cis", A, api::link_cis)
            .doc(Op::new("Link affected CIs").body::<api::CiLinkBody>().ok::<json::ProblemDetailJson>()),
        route(M::DELETE, "/api/v1/problems/{id}/cis/{ci_id}", A, api::unlink_ci)
            .doc(Op::new("Unlink a CI").no_content()),
        route(M::POST, "/api/v1/problems/{id}/resolve-incidents", A, api::resolve_incidents).doc(
            Op::new("Resolve the resolved problem's open linked incidents with its fix note")
                .body::<api::ResolveBody>()
                .ok::<Items<json::LinkedIncident>>(),
        ),
        route(M::GET, "/api/v1/problems/{id}/timeline", A, api::timeline).doc(
            Op::new("The problem's, its incidents' and their alerts' events, oldest first")
                .ok::<Items<json::TimelineJson>>(),
        ),
        route(M::GET, "/api/v1/known-errors", A, api::known_errors).doc(
            Op::new("The known-error database: problems in known_error with their workaround")
                .query::<api::KnownErrorQuery>()
                .ok::<Items<json::KnownErrorJson>>(),
        ),
        route(M::GET, "/api/v1/problem-candidates", A, candidates::api).doc(
            Op::new("Problem candidates: incidents recurring on one CI, service or category")
                .query::<candidates::CandidateQuery>()
                .ok::<Items<candidates::CandidateJson>>(),
        ),
        route(M::GET, "/problems", A, web::list),
        route(M::GET, "/problems/new", A, web::new_form),
        route(M::POST, "/problems", A, web::create),
        route(M::POST, "/problems/draft", A, web::draft),
        route(M::GET, "/problems/known-errors", A, web::known_errors),
        route(M::GET, "/problems/candidates", A, candidates::page),
        route(M::GET, "/problems/{id}", A, web::detail),
        route(M::POST, "/problems/{id}/transition", A, web::transition),
        route(M::POST, "/problems/{id}/analysis", A, web::analyse),
        route(M::POST, "/problems/{id}/incidents", A, web::link_incidents),
        route(M::POST, "/problems/{id}/incidents/{incident_id}/unlink", A, web::unlink_incident),
        route(M::POST, "/problems/{id}/resolve-incidents", A, web::resolve_incidents),
        route(M::POST, "/incidents/{id}/problem", A, web::link_from_incident),
    ]
}

pub const NAV: &[NavLink] =
    &[nav(Some(Permission::WorkTickets), "/problems", "nav-problems", "nav.problems")];
