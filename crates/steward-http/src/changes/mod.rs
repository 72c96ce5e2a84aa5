//! Changes (issue 20): the API under `/api/v1/changes` and the setup under `/api/v1/change-*`,
//! `/api/v1/approver-groups`, `/api/v1/approval-policies`, `/api/v1/risk-questions`,
//! `/api/v1/delegations`; the pages under `/changes` and the mailed approval links under
//! `/approvals/{token}`.

mod api;
mod hooks;
pub(crate) mod json;
mod release_api;
mod setup_api;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::{Authenticated as A, Public as P};
    use Method as M;
    use json::*;
    vec![
        route(M::GET, "/api/v1/changes", A, api::list).doc(
            Op::new("List changes, filtered, sorted and paged")
                .query::<crate::ticket_query::ListParams>()
                .ok::<ChangePage>(),
        ),
        route(M::POST, "/api/v1/changes", A, api::create).doc(
            Op::new("Raise a change on its model, with CIs and linked tickets")
                .body::<api::CreateBody>()
                .created::<ChangeDetailJson>(),
        ),
        route(M::GET, "/api/v1/changes/{id}", A, api::get).doc(
            Op::new("One change with its plan, risk, approvals and conflicts (ETag = version)")
                .ok::<ChangeDetailJson>(),
        ),
        route(M::PATCH, "/api/v1/changes/{id}", A, api::update).doc(
            Op::new("Change fields, plans or the review (If-Match; 412 when stale)")
                .body::<api::PatchBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/move", A, api::move_to).doc(
            Op::new("Move to a next step of its model (422 names what is missing)")
                .body::<api::MoveBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/cancel", A, api::cancel)
            .doc(Op::new("Cancel an open change").body::<api::VersionBody>().ok::<ChangeDetailJson>()),
        route(M::POST, "/api/v1/changes/{id}/risk", A, api::assess).doc(
            Op::new("Assess the risk from the questionnaire and the CMDB, with reasons")
                .body::<api::RiskBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/schedule", A, api::schedule).doc(
            Op::new("Book the window (409 names each conflict not accepted with a reason)")
                .body::<api::ScheduleBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::GET, "/api/v1/changes/{id}/conflicts", A, api::conflicts).doc(
            Op::new("The conflicts a window would have")
                .query::<api::WindowQuery>()
                .ok::<Items<ConflictJson>>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/decision", A, api::decide).doc(
            Op::new("Approve or reject as an approver or their delegate")
                .body::<api::DecisionBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/complete", A, api::complete).doc(
            Op::new("Complete the implementation with its outcome")
                .body::<api::CompleteBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::POST, "/api/v1/changes/{id}/cis", A, api::link_ci)
            .doc(Op::new("Link a CI").body::<api::CiBody>().ok::<ChangeDetailJson>()),
        route(M::DELETE, "/api/v1/changes/{id}/cis/{ci_id}", A, api::unlink_ci)
            .doc(Op::new("Unlink a CI").no_content()),
        route(M::POST, "/api/v1/changes/{id}/links", A, api::link_ticket).doc(
            Op::new("Link an incident or a problem by number")
                .body::<api::TicketLinkBody>()
                .ok::<ChangeDetailJson>(),
        ),
        route(M::GET, "/api/v1/incidents/{id}/suspect-changes", A, api::suspects).doc(
            Op::new("Changes on the incident's CIs within a day before it (possible causes)")
                .ok::<Items<SuspectJson>>(),
        ),
        route(M::GET, "/api/v1/change-models", A, setup_api::models)
            .doc(Op::new("Change models").ok::<Items<ModelJson>>()),
        route(M::POST, "/api/v1/change-models", A, setup_api::save_model).doc(
            Op::new("Import a model from YAML: new, or the next version of its name")
                .body::<setup_api::ModelBody>()
                .ok::<ModelJson>(),
        ),
        route(M::GET, "/api/v1/change-models/{id}", A, setup_api::model)
            .doc(Op::new("A model with its YAML and steps").ok::<ModelDetailJson>()),
        route(M::POST, "/api/v1/change-models/{id}/retire", A, setup_api::retire_model)
            .doc(Op::new("Retire a model (409 while changes follow it)").no_content()),
        route(M::GET, "/api/v1/approver-groups", A, setup_api::groups)
            .doc(Op::new("Approver groups").ok::<Items<GroupJson>>()),
        route(M::POST, "/api/v1/approver-groups", A, setup_api::save_group).doc(
            Op::new("Create or redefine an approver group by name")
                .body::<setup_api::GroupBody>()
                .ok::<GroupJson>(),
        ),
        route(M::GET, "/api/v1/approval-policies", A, setup_api::policies)
            .doc(Op::new("Which groups approve which changes").ok::<Items<PolicyJson>>()),
        route(M::POST, "/api/v1/approval-policies", A, setup_api::add_policy).doc(
            Op::new("Require a group at a level for a type from a risk class")
                .body::<setup_api::PolicyBody>()
                .created::<PolicyJson>(),
        ),
        route(M::DELETE, "/api/v1/approval-policies/{id}", A, setup_api::delete_policy)
            .doc(Op::new("Delete a policy").no_content()),
        route(M::GET, "/api/v1/risk-questions", A, setup_api::questions)
            .doc(Op::new("The risk questionnaire").ok::<Items<QuestionJson>>()),
        route(M::POST, "/api/v1/risk-questions", A, setup_api::add_question)
            .doc(Op::new("Add a question").body::<setup_api::QuestionBody>().created::<QuestionJson>()),
        route(M::DELETE, "/api/v1/risk-questions/{id}", A, setup_api::delete_question)
            .doc(Op::new("Delete a question").no_content()),
        route(M::GET, "/api/v1/change-freezes", A, setup_api::freezes)
            .doc(Op::new("Freezes to come").ok::<Items<FreezeJson>>()),
        route(M::POST, "/api/v1/change-freezes", A, setup_api::add_freeze).doc(
            Op::new("Add a freeze (blackout) window").body::<setup_api::FreezeBody>().created::<FreezeJson>(),
        ),
        route(M::DELETE, "/api/v1/change-freezes/{id}", A, setup_api::delete_freeze)
            .doc(Op::new("Delete a freeze").no_content()),
        route(M::GET, "/api/v1/change-calendar", A, setup_api::calendar).doc(
            Op::new("Changes and freezes between two instants")
                .query::<setup_api::CalendarQuery>()
                .ok::<CalendarJson>(),
        ),
        route(M::GET, "/api/v1/cis/{id}/change-slots", A, setup_api::slots)
            .doc(Op::new("The weekly slots a CI accepts changes in").ok::<Items<String>>()),
        route(M::PUT, "/api/v1/cis/{id}/change-slots", A, setup_api::set_slots).doc(
            Op::new("Set the weekly slots a CI accepts changes in")
                .body::<setup_api::SlotsBody>()
                .ok::<Items<String>>(),
        ),
        route(M::GET, "/api/v1/delegations", A, setup_api::delegations)
            .doc(Op::new("Delegations of approvals still to end").ok::<Items<DelegationJson>>()),
        route(M::POST, "/api/v1/delegations", A, setup_api::delegate).doc(
            Op::new("Let someone decide for an approver while away")
                .body::<setup_api::DelegationBody>()
                .created::<DelegationJson>(),
        ),
        route(M::DELETE, "/api/v1/delegations/{id}", A, setup_api::end_delegation)
            .doc(Op::new("End a delegation now").no_content()),
        route(M::POST, "/hooks/deployments", A, hooks::deployments),
        route(M::GET, "/api/v1/releases", A, release_api::list)
            .doc(Op::new("Releases, soonest target first").ok::<Items<release_api::ReleaseJson>>()),
        route(M::POST, "/api/v1/releases", A, release_api::create).doc(
            Op::new("Create a release")
                .body::<release_api::ReleaseBody>()
                .created::<release_api::ReleaseJson>(),
        ),
        route(M::GET, "/api/v1/releases/{id}", A, release_api::get)
            .doc(Op::new("A release with its changes' readiness").ok::<release_api::ReleaseDetailJson>()),
        route(M::POST, "/api/v1/releases/{id}/changes", A, release_api::add).doc(
            Op::new("Put a change in the release (409 when it is in another)")
                .body::<release_api::AddBody>()
                .ok::<release_api::ReleaseDetailJson>(),
        ),
        route(M::DELETE, "/api/v1/releases/{id}/changes/{change_id}", A, release_api::remove)
            .doc(Op::new("Take a change out of the release").no_content()),
        route(M::GET, "/changes/setup", A, web::setup::page),
        route(M::POST, "/changes/setup", A, web::setup::act),
        route(M::GET, "/changes/releases", A, web::releases::list),
        route(M::POST, "/changes/releases", A, web::releases::create),
        route(M::GET, "/changes/releases/{id}", A, web::releases::detail),
        route(M::POST, "/changes/releases/{id}", A, web::releases::act),
        route(M::GET, "/changes", A, web::list),
        route(M::GET, "/changes/new", A, web::new_form),
        route(M::POST, "/changes", A, web::create),
        route(M::GET, "/changes/calendar", A, web::calendar),
        route(M::GET, "/changes/models", A, web::models),
        route(M::POST, "/changes/models", A, web::save_model),
        route(M::GET, "/changes/{id}", A, web::detail),
        route(M::POST, "/changes/{id}/act", A, web::act),
        route(M::GET, "/approvals/{token}", P, web::link_page),
        route(M::POST, "/approvals/{token}", P, web::link_decide),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::WorkTickets), "/changes", "nav-changes", "nav.changes")];
