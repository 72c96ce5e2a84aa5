//! Automation (issue 21): runbooks, their runs, schedules and alert triggers, the secret
//! store and just-in-time grants — the API under `/api/v1/runbooks`, `/api/v1/runbook-runs`,
//! `/api/v1/secrets`, `/api/v1/jit-grants`, `/api/v1/automation/report`, and the pages under
//! `/runbooks`.

pub(crate) mod api;
pub(crate) mod json;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    use json::*;
    vec![
        route(M::GET, "/api/v1/runbooks", A, api::list)
            .doc(Op::new("Runbooks, by name").query::<api::ListQuery>().ok::<Items<RunbookJson>>()),
        route(M::POST, "/api/v1/runbooks", A, api::create).doc(
            Op::new("Import a runbook from YAML (409 when its name is taken)")
                .body::<api::DefinitionBody>()
                .created::<RunbookDetailJson>(),
        ),
        route(M::POST, "/api/v1/runbooks/validate", A, api::validate).doc(
            Op::new("Check a definition without saving it (422 names what is wrong)")
                .body::<api::DefinitionBody>()
                .ok::<RunbookCheckJson>(),
        ),
        route(M::GET, "/api/v1/runbooks/{id}", A, api::get)
            .doc(Op::new("A runbook with its definition, parameters and steps").ok::<RunbookDetailJson>()),
        route(M::PUT, "/api/v1/runbooks/{id}", A, api::update).doc(
            Op::new("Save the next version (412 when the version edited is not the newest)")
                .body::<api::UpdateBody>()
                .ok::<RunbookDetailJson>(),
        ),
        route(M::POST, "/api/v1/runbooks/{id}/retire", A, api::retire)
            .doc(Op::new("Retire a runbook: it runs no more; its schedules and triggers go").no_content()),
        route(M::GET, "/api/v1/runbooks/{id}/export", A, api::export)
            .doc(Op::new("The definition as a YAML file").files(|| vec!["text/yaml"])),
        route(M::POST, "/api/v1/runbooks/{id}/runs", A, api::start).doc(
            Op::new("Run it (waits for approval or its change's window when it must; 403 on critical CIs without authority)")
                .body::<api::RunBody>()
                .created::<RunDetailJson>(),
        ),
        route(M::GET, "/api/v1/runbooks/{id}/schedules", A, api::schedules)
            .doc(Op::new("Its cron schedules").ok::<Items<RunbookScheduleJson>>()),
        route(M::POST, "/api/v1/runbooks/{id}/schedules", A, api::add_schedule).doc(
            Op::new("Schedule it (cron in a time zone, skipping a calendar's holidays)")
                .body::<api::ScheduleBody>()
                .created::<RunbookScheduleJson>(),
        ),
        route(M::DELETE, "/api/v1/runbooks/{id}/schedules/{schedule_id}", A, api::remove_schedule)
            .doc(Op::new("Remove a schedule").no_content()),
        route(M::GET, "/api/v1/runbooks/{id}/alert-triggers", A, api::triggers)
            .doc(Op::new("The alerts that start it").ok::<Items<AlertTriggerJson>>()),
        route(M::POST, "/api/v1/runbooks/{id}/alert-triggers", A, api::add_trigger).doc(
            Op::new("Start it when a firing alert carries these labels (auto-remediation)")
                .body::<api::TriggerBody>()
                .created::<AlertTriggerJson>(),
        ),
        route(M::DELETE, "/api/v1/runbooks/{id}/alert-triggers/{trigger_id}", A, api::remove_trigger)
            .doc(Op::new("Remove an alert trigger").no_content()),
        route(M::GET, "/api/v1/runbook-runs", A, api::runs)
            .doc(Op::new("Runs, newest first, paged by `before`").query::<api::RunsQuery>().ok::<RunPage>()),
        route(M::GET, "/api/v1/runbook-runs/{id}", A, api::run)
            .doc(Op::new("A run with its steps, targets, approvals and artefacts").ok::<RunDetailJson>()),
        route(M::GET, "/api/v1/runbook-runs/{id}/output", A, api::output).doc(
            Op::new("Its output (secrets masked), in chunks after `after`")
                .query::<api::OutputQuery>()
                .ok::<Items<RunOutputJson>>(),
        ),
        route(M::GET, "/api/v1/runbook-runs/{id}/artifacts/{name}", A, api::artifact)
            .doc(Op::new("A file a step left in its artefacts folder").file("application/octet-stream")),
        route(M::POST, "/api/v1/runbook-runs/{id}/decision", A, api::decide).doc(
            Op::new("Approve or reject a run waiting at a gate (rejecting needs a comment)")
                .body::<api::DecisionBody>()
                .ok::<RunDetailJson>(),
        ),
        route(M::POST, "/api/v1/runbook-runs/{id}/cancel", A, api::cancel)
            .doc(Op::new("Cancel: at once if waiting, else its process tree is killed").ok::<RunDetailJson>()),
        route(M::GET, "/api/v1/secrets", A, api::secrets)
            .doc(Op::new("The secret store's names (never the values)").ok::<Items<SecretNameJson>>()),
        route(M::PUT, "/api/v1/secrets/{name}", A, api::set_secret)
            .doc(Op::new("Set a secret (stored encrypted)").body::<api::SecretBody>().no_content()),
        route(M::DELETE, "/api/v1/secrets/{name}", A, api::delete_secret)
            .doc(Op::new("Delete a secret").no_content()),
        route(M::GET, "/api/v1/jit-grants", A, api::grants)
            .doc(Op::new("Just-in-time grants (one's own; change managers see all)").ok::<Items<JitGrantJson>>()),
        route(M::POST, "/api/v1/jit-grants", A, api::request_grant).doc(
            Op::new("Ask for the right to run automation on critical CIs for a while")
                .body::<api::GrantBody>()
                .created::<JitGrantJson>(),
        ),
        route(M::POST, "/api/v1/jit-grants/{id}/decision", A, api::decide_grant).doc(
            Op::new("Approve or reject a grant (change managers)").body::<api::DecisionBody>().ok::<JitGrantJson>(),
        ),
        route(M::POST, "/api/v1/jit-grants/{id}/revoke", A, api::revoke_grant)
            .doc(Op::new("End an approved grant now").ok::<JitGrantJson>()),
        route(M::GET, "/api/v1/automation/report", A, api::report).doc(
            Op::new("Runs per day, success rate and time saved").query::<api::ReportQuery>().ok::<api::AutomationReportJson>(),
        ),
        route(M::GET, "/runbooks", A, web::list),
        route(M::POST, "/runbooks", A, web::create),
        route(M::GET, "/runbooks/runs", A, web::runs::list),
        route(M::GET, "/runbooks/runs/{id}", A, web::runs::detail),
        route(M::POST, "/runbooks/runs/{id}", A, web::runs::act),
        route(M::GET, "/runbooks/runs/{id}/live", A, web::runs::live),
        route(M::GET, "/runbooks/runs/{id}/artifacts/{name}", A, web::runs::artifact),
        route(M::GET, "/runbooks/secrets", A, web::access::secrets),
        route(M::POST, "/runbooks/secrets", A, web::access::set_secret),
        route(M::GET, "/runbooks/grants", A, web::access::grants),
        route(M::POST, "/runbooks/grants", A, web::access::act_grant),
        route(M::GET, "/runbooks/{id}", A, web::detail),
        route(M::POST, "/runbooks/{id}", A, web::act),
        route(M::POST, "/runbooks/{id}/run", A, web::start),
        route(M::GET, "/runbooks/{id}/export", A, web::export),
    ]
}

/// A name safe in a `Content-Disposition` header: letters, digits, `.`, `_`, `-` (others
/// become `-`), with `ext` added when given.
pub(crate) fn file_name(name: &str, ext: &str) -> String {
    let base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' })
        .take(120)
        .collect();
    if ext.is_empty() { base } else { format!("{}.{ext}", base.to_lowercase()) }
}

pub const NAV: &[NavLink] =
    &[nav(Some(Permission::RunRunbooks), "/runbooks", "nav-runbooks", "nav.runbooks")];
