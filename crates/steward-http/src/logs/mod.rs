//! Logs (issue 22): senders (`/ingest/logs`, Loki's `/loki/api/v1/push`, the syslog listener in
//! `syslog.rs`), the API under `/api/v1/logs`, and the log explorer under `/logs`.

pub(crate) mod api;
mod ingest;
pub(crate) mod json;
mod loki;
pub mod syslog;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

/// The largest delivery of log lines read (a 1 MB line fits many times over); larger is 413.
pub const LOG_BODY_BYTES: usize = 32 * 1024 * 1024;

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    use json::*;
    let limit = || axum::extract::DefaultBodyLimit::max(LOG_BODY_BYTES);
    vec![
        route(M::POST, "/ingest/logs", A, ingest::logs).with_layer(limit()),
        route(M::POST, "/loki/api/v1/push", A, ingest::loki).with_layer(limit()),
        route(M::GET, "/api/v1/logs/templates", A, api::templates).doc(
            Op::new("Log templates, most lines in the window first")
                .query::<api::TemplatesQuery>()
                .ok::<Items<LogTemplateJson>>(),
        ),
        route(M::GET, "/api/v1/logs/templates/{id}", A, api::template).doc(
            Op::new("A template with its lines per minute and its hosts (a merged one answers its survivor)")
                .query::<api::TemplateQuery>()
                .ok::<LogTemplateDetailJson>(),
        ),
        route(M::GET, "/api/v1/logs/lines", A, api::lines)
            .doc(Op::new("Log lines, newest first").query::<api::LinesQuery>().ok::<Items<LogLineJson>>()),
        route(M::GET, "/api/v1/logs/hosts", A, api::hosts)
            .doc(Op::new("Hosts that send logs, with their CIs").ok::<Items<LogHostJson>>()),
        route(M::GET, "/logs", A, web::explorer),
        route(M::GET, "/logs/lines", A, web::lines),
        route(M::GET, "/logs/templates/{id}", A, web::template),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::ReadLogs), "/logs", "nav-logs", "nav.logs")];
