//! Incidents: the API under `/api/v1/incidents` (and categories, attachments) and the queue, form and detail pages.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod api;
mod duplicates;
mod json;
mod replies;
pub(crate) mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use self::json::{ActivityEntry, AttachmentJson, CategoryJson, CommentJson, IncidentJson, IncidentPage};
use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

/// The types an attachment may have.
fn attachment_types() -> Vec<&'static str> {
    steward_app::incidents::ALLOWED_TYPES.iter().map(|(t, _)| *t).collect()
}

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/incidents", A, api::list).doc(
            Op::new("List incidents, filtered, sorted and paged")
                .query::<crate::ticket_query::ListParams>()
                .ok::<IncidentPage>(),
        ),
        route(M::POST, "/api/v1/incidents", A, api::create)
            .doc(Op::new("Raise an incident").body::<api::CreateBody>().created::<IncidentJson>()),
        route(M::GET, "/api/v1/incidents/{id}", A, api::get)
            .doc(Op::new("One incident (ETag = version)").ok::<IncidentJson>()),
        route(M::PATCH, "/api/v1/incidents/{id}", A, api::update).doc(
            Op::new("Change fields (If-Match; 412 when stale)").body::<api::PatchBody>().ok::<IncidentJson>(),
        ),
        route(M::POST, "/api/v1/incidents/{id}/transition", A, api::transition).doc(
            Op::new("Move to another state (409 lists the allowed ones)")
                .body::<api::TransitionBody>()
                .ok::<IncidentJson>(),
        ),
        route(M::GET, "/api/v1/incidents/{id}/comments", A, api::comments)
            .doc(Op::new("Replies (and work notes for agents)").ok::<Items<CommentJson>>()),
        route(M::POST, "/api/v1/incidents/{id}/comments", A, api::comment)
            .doc(Op::new("Add a reply or a work note").body::<api::CommentBody>().created::<CommentJson>()),
        route(M::GET, "/api/v1/incidents/{id}/attachments", A, api::attachments)
            .doc(Op::new("Attachments").ok::<Items<AttachmentJson>>()),
        route(M::POST, "/api/v1/incidents/{id}/attachments", A, api::upload)
            .with_layer(axum::extract::DefaultBodyLimit::disable())
            .doc(
                Op::new("Upload a file as the raw body, its type as Content-Type")
                    .query::<api::UploadQuery>()
                    .upload(attachment_types)
                    .created::<AttachmentJson>(),
            ),
        route(M::GET, "/api/v1/incidents/{id}/activity", A, api::activity)
            .doc(Op::new("History and conversation, oldest first").ok::<Items<ActivityEntry>>()),
        route(M::PUT, "/api/v1/incidents/{id}/watchers/{user_id}", A, api::watch)
            .doc(Op::new("Watch").no_content()),
        route(M::DELETE, "/api/v1/incidents/{id}/watchers/{user_id}", A, api::unwatch)
            .doc(Op::new("Stop watching").no_content()),
        route(M::POST, "/api/v1/incidents/{id}/related", A, api::relate)
            .doc(Op::new("Relate another incident").body::<api::RelateBody>().no_content()),
        route(M::GET, "/api/v1/incidents/{id}/duplicates", A, duplicates::list).doc(
            Op::new("Open incidents flagged as possible duplicates of this one (agents)")
                .ok::<Items<duplicates::DuplicateJson>>(),
        ),
        route(M::POST, "/api/v1/incidents/{id}/duplicates/{other}/dismiss", A, duplicates::dismiss)
            .doc(Op::new("Not a duplicate: the flag goes").no_content()),
        route(M::POST, "/api/v1/incidents/{id}/merge", A, duplicates::merge).doc(
            Op::new("Merge into another incident (conversation, watchers, CIs, links and alerts move; this one is resolved as its duplicate)")
                .body::<duplicates::MergeBody>()
                .ok::<IncidentJson>(),
        ),
        route(M::GET, "/api/v1/attachments/{id}", A, api::download)
            .doc(Op::new("Download an attachment").files(attachment_types)),
        route(M::GET, "/api/v1/categories", A, api::categories)
            .doc(Op::new("Categories and subcategories").ok::<Items<CategoryJson>>()),
        route(M::POST, "/api/v1/categories", A, api::create_category)
            .doc(Op::new("Add a category (admin)").body::<api::CategoryBody>().created::<CategoryJson>()),
        route(M::PATCH, "/api/v1/categories/{id}", A, api::update_category).doc(
            Op::new("Route a category's new tickets to a team (admin)")
                .body::<api::PatchCategory>()
                .ok::<CategoryJson>(),
        ),
        route(M::POST, "/api/v1/markdown/preview", A, api::preview).doc(
            Op::new("Markdown as a reply or description shows it (safe HTML)")
                .body::<api::PreviewBody>()
                .ok::<api::PreviewJson>(),
        ),
        route(M::GET, "/api/v1/reply-templates", A, replies::list)
            .doc(Op::new("Canned replies the caller keeps").ok::<Items<replies::ReplyTemplateJson>>()),
        route(M::POST, "/api/v1/reply-templates", A, replies::create).doc(
            Op::new("Add a canned reply (a team's agents; shared ones: admins)")
                .body::<replies::ReplyTemplateBody>()
                .created::<crate::api::Created>(),
        ),
        route(M::PUT, "/api/v1/reply-templates/{id}", A, replies::replace)
            .doc(Op::new("Replace a canned reply").body::<replies::ReplyTemplateBody>().no_content()),
        route(M::DELETE, "/api/v1/reply-templates/{id}", A, replies::delete)
            .doc(Op::new("Delete a canned reply").no_content()),
        route(M::GET, "/api/v1/incidents/{id}/reply-templates", A, replies::for_incident).doc(
            Op::new("Canned replies offered on an incident, filled from it")
                .ok::<Items<replies::FilledReplyJson>>(),
        ),
        route(M::GET, "/api/v1/me/queue-columns", A, api::queue_columns)
            .doc(Op::new("The caller's queue columns, in order").ok::<api::QueueColumnsJson>()),
        route(M::PUT, "/api/v1/me/queue-columns", A, api::set_queue_columns).doc(
            Op::new("Choose the caller's queue columns and their order")
                .body::<api::QueueColumnsBody>()
                .ok::<api::QueueColumnsJson>(),
        ),
        route(M::DELETE, "/api/v1/me/queue-columns", A, api::reset_queue_columns)
            .doc(Op::new("Back to the default queue columns").ok::<api::QueueColumnsJson>()),
        route(M::POST, "/incidents/columns", A, web::save_columns),
        route(M::GET, "/replies", A, replies::page),
        route(M::POST, "/replies", A, replies::create_form),
        route(M::POST, "/replies/{id}", A, replies::update_form),
        route(M::POST, "/replies/{id}/delete", A, replies::delete_form),
        route(M::GET, "/incidents", A, web::list),
        route(M::GET, "/incidents/new", A, web::new_form),
        route(M::POST, "/incidents", A, web::create),
        route(M::POST, "/incidents/views", A, web::save_view),
        route(M::POST, "/incidents/bulk", A, web::bulk),
        route(M::GET, "/incidents/export.csv", A, web::export_csv),
        route(M::GET, "/incidents/export.xlsx", A, web::export_xlsx),
        route(M::POST, "/incidents/views/{id}/delete", A, web::delete_view),
        route(M::GET, "/incidents/{id}", A, web::detail),
        route(M::POST, "/incidents/{id}/comment", A, web::comment),
        route(M::POST, "/incidents/{id}/transition", A, web::transition),
        route(M::POST, "/incidents/{id}/update", A, web::update),
        route(M::POST, "/incidents/{id}/details", A, web::save_details),
        route(M::POST, "/incidents/{id}/cis", A, web::save_cis),
        route(M::POST, "/incidents/{id}/merge", A, duplicates::merge_form),
        route(M::POST, "/incidents/{id}/duplicates/{other}/dismiss", A, duplicates::dismiss_form),
        route(M::GET, "/incidents/{id}/report", A, web::report),
    ]
}

/// The area's links in the main navigation.
pub const NAV: &[NavLink] = &[
    nav(None, "/incidents", "nav-incidents", "nav.incidents"),
    nav(None, "/incidents/new", "nav-new-incident", "nav.new_incident"),
    nav(Some(Permission::WorkTickets), "/replies", "nav-replies", "nav.replies"),
];
