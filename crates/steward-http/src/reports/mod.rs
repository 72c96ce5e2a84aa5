//! Service reports: the report as JSON and CSV, the dashboard and the printable monthly report.
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
        route(M::GET, "/api/v1/reports/incidents", A, api::incidents).doc(
            Op::new("Incident report per week or month: volume, backlog, MTTA/MTTR (wall and business), SLA attainment, first-contact and reopen rates, breakdowns, availability")
                .query::<api::ReportParams>()
                .ok::<api::IncidentReportJson>(),
        ),
        route(M::GET, "/api/v1/reports/incidents.csv", A, api::incidents_csv).doc(
            Op::new("The same report as CSV").query::<api::ReportParams>().file("text/csv"),
        ),
        route(M::GET, "/api/v1/reports/requests", A, api::requests).doc(
            Op::new("Service request report: the incident report's figures over requests (response: a reply or a task done; resolution: fulfilled, against the request policies or the item's delivery time)")
                .query::<api::ReportParams>()
                .ok::<api::IncidentReportJson>(),
        ),
        route(M::GET, "/api/v1/reports/requests.csv", A, api::requests_csv).doc(
            Op::new("The request report as CSV").query::<api::ReportParams>().file("text/csv"),
        ),
        route(M::GET, "/reports", A, web::dashboard),
        route(M::GET, "/reports/monthly", A, web::monthly),
    ]
}

/// The area's link in the main navigation.
pub const NAV: &[NavLink] = &[nav(Some(Permission::ReadReports), "/reports", "nav-reports", "nav.reports")];
