//! The knowledge base (issue 19): `/api/v1/articles` and the pages under `/kb`.

mod api;
mod json;
mod web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/articles", A, api::list).doc(
            Op::new("Articles the caller may see, newest first (requesters: published ones for them)")
                .query::<api::ListQuery>()
                .ok::<Items<json::ArticleJson>>(),
        ),
        route(M::POST, "/api/v1/articles", A, api::create).doc(
            Op::new("Write an article (a draft)")
                .body::<api::ArticleBody>()
                .created::<json::ArticleDetailJson>(),
        ),
        route(M::GET, "/api/v1/articles/{id}", A, api::get).doc(
            Op::new("One article: writers see the newest version, readers the published one")
                .ok::<json::ArticleDetailJson>(),
        ),
        route(M::PUT, "/api/v1/articles/{id}", A, api::update).doc(
            Op::new("Save the next version (If-Match; 412 when someone saved first)")
                .body::<api::ArticleBody>()
                .ok::<json::ArticleDetailJson>(),
        ),
        route(M::POST, "/api/v1/articles/{id}/workflow", A, api::workflow).doc(
            Op::new("Submit, publish (not one's own edit), reject or retire")
                .body::<api::WorkflowBody>()
                .ok::<json::ArticleDetailJson>(),
        ),
        route(M::GET, "/api/v1/articles/{id}/versions", A, api::versions)
            .doc(Op::new("Every version, newest first").ok::<Items<json::VersionJson>>()),
        route(M::GET, "/api/v1/articles/{id}/diff", A, api::diff).doc(
            Op::new("What changed between two versions")
                .query::<api::DiffQuery>()
                .ok::<Items<json::DiffJson>>(),
        ),
        route(M::POST, "/api/v1/articles/{id}/rollback", A, api::rollback).doc(
            Op::new("Save an earlier version again as the newest")
                .body::<api::RollbackBody>()
                .ok::<json::ArticleDetailJson>(),
        ),
        route(M::POST, "/api/v1/articles/{id}/feedback", A, api::feedback).doc(
            Op::new("Was this helpful? (one answer per reader)")
                .body::<api::FeedbackBody>()
                .ok::<json::ArticleJson>(),
        ),
        route(M::GET, "/api/v1/article-drafts", A, api::draft).doc(
            Op::new("A draft written from an incident or a problem")
                .query::<api::DraftQuery>()
                .ok::<json::DraftJson>(),
        ),
        route(M::GET, "/api/v1/tickets/{id}/articles", A, api::ticket_articles).doc(
            Op::new("The articles attached to an incident or a problem").ok::<Items<json::ArticleJson>>(),
        ),
        route(M::POST, "/api/v1/tickets/{id}/articles", A, api::attach).doc(
            Op::new("Attach an article to an incident or a problem")
                .body::<api::AttachBody>()
                .ok::<Items<json::ArticleJson>>(),
        ),
        route(M::GET, "/kb", A, web::list),
        route(M::GET, "/kb/new", A, web::new_form),
        route(M::POST, "/kb", A, web::create),
        route(M::GET, "/kb/{id}", A, web::detail),
        route(M::GET, "/kb/{id}/edit", A, web::edit_form),
        route(M::POST, "/kb/{id}", A, web::update),
        route(M::POST, "/kb/{id}/workflow", A, web::workflow),
        route(M::POST, "/kb/{id}/rollback", A, web::rollback),
        route(M::POST, "/kb/{id}/feedback", A, web::feedback),
        route(M::GET, "/kb/{id}/diff", A, web::diff),
        route(M::POST, "/tickets/{id}/articles", A, web::attach),
    ]
}

pub const NAV: &[NavLink] = &[nav(Some(Permission::ReadTickets), "/kb", "nav-kb", "nav.kb")];
