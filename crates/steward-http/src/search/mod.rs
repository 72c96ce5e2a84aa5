//! Search (issue 19): `/api/v1/search` and `/search` (everything the user may see, grouped by
//! kind — the header's box on every page leads here), and `/api/v1/suggestions`, what the
//! incident and problem forms show as a title is typed: known errors, articles and similar
//! open incidents.

mod api;
mod web;

use axum::http::Method;

use crate::api::Op;
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/search", A, api::search).doc(
            Op::new("Search everything the caller may see: tickets, problems, articles, CIs, people")
                .query::<api::SearchParams>()
                .ok::<api::SearchAnswer>(),
        ),
        route(M::GET, "/api/v1/suggestions", A, api::suggestions).doc(
            Op::new("While a title is typed: matching known errors, articles and similar open incidents")
                .query::<api::SuggestParams>()
                .ok::<api::Suggestions>(),
        ),
        route(M::GET, "/search", A, web::page),
    ]
}
