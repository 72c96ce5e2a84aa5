//! The customer's voice (issue 23): CSAT and NPS surveys — the API, the mailed links' pages
//! (`web/links.rs`, no sign-in), the portal's "rate" cards (`web/portal.rs`) — and the
//! satisfaction report and the monthly service-improvement leaderboard (`web/reports.rs`).

mod api;
mod json;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::Op;
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::{Authenticated as A, Public as P};
    use Method as M;
    vec![
        route(M::GET, "/api/v1/surveys/pending", A, api::pending)
            .doc(Op::new("The caller's surveys waiting for an answer").ok::<json::PendingJson>()),
        route(M::POST, "/api/v1/surveys/csat/{ticket_id}", A, api::rate).doc(
            Op::new("Rate a resolved ticket, 1–5 stars (its requester, once)")
                .body::<api::RatingBody>()
                .ok::<json::CsatJson>(),
        ),
        route(M::GET, "/api/v1/surveys/csat", A, api::csat_month)
            .doc(Op::new("A month's CSAT ratings").query::<api::MonthQuery>().ok::<json::CsatMonthJson>()),
        route(M::POST, "/api/v1/surveys/nps", A, api::answer_nps).doc(
            Op::new("Answer the caller's waiting NPS survey, 0–10 and why")
                .body::<api::NpsBody>()
                .ok::<api::NpsAnsweredJson>(),
        ),
        route(M::GET, "/api/v1/surveys/nps", A, api::nps).doc(
            Op::new("NPS per month, team and service, with the reasons (searchable, tagged by sentiment)")
                .query::<api::NpsQuery>()
                .ok::<json::NpsResultsJson>(),
        ),
        route(M::POST, "/api/v1/surveys/nps/send", A, api::send_nps).doc(
            Op::new("Send a month's NPS survey now (admins); nobody gets a month's survey twice")
                .body::<api::SendBody>()
                .ok::<json::NpsSentJson>(),
        ),
        route(M::GET, "/api/v1/leaderboard", A, api::leaderboard).doc(
            Op::new("The month's service-improvement leaderboard, with movement against the month before")
                .query::<api::MonthQuery>()
                .ok::<json::LeaderboardJson>(),
        ),
        route(M::GET, "/survey/csat/{token}", P, web::links::csat_page),
        route(M::POST, "/survey/csat/{token}", P, web::links::csat_answer),
        route(M::GET, "/survey/nps/{token}", P, web::links::nps_page),
        route(M::POST, "/survey/nps/{token}", P, web::links::nps_answer),
        route(M::GET, "/survey/nps/{token}/unsubscribe", P, web::links::unsubscribe_page),
        route(M::POST, "/survey/nps/{token}/unsubscribe", P, web::links::unsubscribe),
        route(M::POST, "/portal/ratings/{ticket_id}", A, web::portal::rate),
        route(M::POST, "/portal/nps", A, web::portal::answer_nps),
        route(M::GET, "/satisfaction", A, web::reports::satisfaction),
        route(M::POST, "/satisfaction/nps/send", A, web::reports::send_nps),
        route(M::GET, "/leaderboard", A, web::reports::leaderboard),
    ]
}

/// The satisfaction report and the leaderboard, for those who read reports.
pub const NAV: &[NavLink] = &[
    nav(Some(Permission::ReadReports), "/satisfaction", "nav-satisfaction", "nav.satisfaction"),
    nav(Some(Permission::ReadReports), "/leaderboard", "nav-leaderboard", "nav.leaderboard"),
];
