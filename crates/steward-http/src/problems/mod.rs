//! Problems (issue 19). So far: problem candidates — incidents recurring on one CI, service or
//! category (`/api/v1/problem-candidates`, `/problems/candidates`).

mod candidates;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/problem-candidates", A, candidates::api).doc(
            Op::new("Problem candidates: incidents recurring on one CI, service or category")
                .query::<candidates::CandidateQuery>()
                .ok::<Items<candidates::CandidateJson>>(),
        ),
        route(M::GET, "/problems/candidates", A, candidates::page),
    ]
}

pub const NAV: &[NavLink] =
    &[nav(Some(Permission::WorkTickets), "/problems/candidates", "nav-problems", "nav.problems")];
