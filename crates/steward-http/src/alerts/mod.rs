//! Alerts from monitoring (issue 18): the receivers (`/hooks/*`), the API and the console.

pub(crate) mod api;
mod hooks;
mod others;
mod setup_api;
mod setup_web;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

/// The largest delivery a receiver reads: 10,000 alerts of Alertmanager's with a dozen labels
/// each fit (about 6 MB); a larger one is refused whole (413), never taken in part.
pub const HOOK_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    let limit = || axum::extract::DefaultBodyLimit::max(HOOK_BODY_BYTES);
    vec![
        route(M::POST, "/hooks/alertmanager", A, hooks::alertmanager).with_layer(limit()),
        route(M::POST, "/hooks/grafana", A, hooks::grafana).with_layer(limit()),
        route(M::PUT, "/hooks/grafana", A, hooks::grafana).with_layer(limit()),
        route(M::POST, "/hooks/zabbix", A, others::zabbix).with_layer(limit()),
        route(M::POST, "/hooks/generic", A, others::generic).with_layer(limit()),
        route(M::POST, "/hooks/alerta/alert", A, others::alerta).with_layer(limit()),
        route(M::GET, "/api/v1/alerts", A, api::list).doc(
            Op::new("Alerts from monitoring, newest first")
                .query::<api::AlertQuery>()
                .ok::<Items<api::AlertJson>>(),
        ),
        route(M::GET, "/api/v1/alerts/{id}", A, api::detail)
            .doc(Op::new("An alert, the rest of its group and its history").ok::<api::AlertDetailJson>()),
        route(M::POST, "/api/v1/alerts/{id}/acknowledge", A, api::acknowledge)
            .doc(Op::new("Say you are on an alert").no_content()),
        route(M::GET, "/api/v1/silences", A, api::silences).doc(
            Op::new("Silences still to end (`all`: every one)")
                .query::<api::EndedQuery>()
                .ok::<Items<api::SilenceJson>>(),
        ),
        route(M::POST, "/api/v1/silences", A, api::create_silence).doc(
            Op::new("Silence alerts matching labels for a while (a maintenance window)")
                .body::<api::SilenceBody>()
                .created::<crate::api::Created>(),
        ),
        route(M::DELETE, "/api/v1/silences/{id}", A, api::expire_silence)
            .doc(Op::new("End a silence now").no_content()),
        route(M::GET, "/api/v1/alert-rules", A, setup_api::rules)
            .doc(Op::new("Alert rules, in the order they are tried").ok::<Items<setup_api::RuleJson>>()),
        route(M::POST, "/api/v1/alert-rules", A, setup_api::create_rule).doc(
            Op::new("Add a rule after the others: which alerts open incidents, how urgent, how they resolve")
                .body::<setup_api::RuleBody>()
                .created::<crate::api::Created>(),
        ),
        route(M::DELETE, "/api/v1/alert-rules/{id}", A, setup_api::delete_rule)
            .doc(Op::new("Delete an alert rule").no_content()),
        route(M::GET, "/api/v1/maintenance-windows", A, setup_api::windows).doc(
            Op::new("Maintenance windows on CIs still to end (`all`: every one)")
                .query::<api::EndedQuery>()
                .ok::<Items<setup_api::WindowJson>>(),
        ),
        route(M::POST, "/api/v1/maintenance-windows", A, setup_api::create_window).doc(
            Op::new("Schedule maintenance on a CI: its alerts meanwhile are expected and open nothing")
                .body::<setup_api::WindowBody>()
                .created::<crate::api::Created>(),
        ),
        route(M::DELETE, "/api/v1/maintenance-windows/{id}", A, setup_api::end_window)
            .doc(Op::new("End a maintenance window now").no_content()),
        route(M::GET, "/alerts/rules", A, setup_web::rules),
        route(M::POST, "/alerts/rules", A, setup_web::create_rule),
        route(M::POST, "/alerts/rules/{id}/delete", A, setup_web::delete_rule),
        route(M::POST, "/alerts/maintenance", A, setup_web::create_window),
        route(M::POST, "/alerts/maintenance/{id}/end", A, setup_web::end_window),
        route(M::GET, "/alerts", A, web::console),
        route(M::GET, "/alerts/silences", A, web::silences),
        route(M::GET, "/alerts/{id}", A, web::detail),
        route(M::POST, "/alerts/{id}/acknowledge", A, web::acknowledge),
        route(M::POST, "/alerts/silences", A, web::create_silence),
        route(M::POST, "/alerts/silences/{id}/expire", A, web::expire_silence),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::WorkTickets), "/alerts", "nav-alerts", "nav.alerts")];
