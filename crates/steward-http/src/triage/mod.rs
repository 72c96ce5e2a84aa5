//! Auto-triage (issue 22): the API (`api.rs`), the page with the newest training's accuracy, a
//! "train now" button and a box to try a text (`web.rs`), and the suggestions on an incident's
//! page with a button to apply each (`web.rs`, `suggestions`).

mod api;
mod web;

use axum::http::Method;

use crate::api::{Items, Op};
use crate::{Access, Route, route};
pub(crate) use web::{IncidentSuggestion, for_incident};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/triage", A, api::report).doc(
            Op::new("The newest training of the auto-triage classifiers: held-out accuracy per field")
                .ok::<api::TriageJson>(),
        ),
        route(M::POST, "/api/v1/triage/train", A, api::train).doc(
            Op::new("Train on the resolved incidents now (daily by itself); says which fields lack history")
                .ok::<api::TriageJson>(),
        ),
        route(M::POST, "/api/v1/triage/suggest", A, api::suggest).doc(
            Op::new(
                "Suggest category, service, team and priority for a text (422 `model` before any training)",
            )
            .body::<api::SuggestBody>()
            .ok::<Items<api::TriageSuggestionJson>>(),
        ),
        route(M::GET, "/triage", A, web::page),
        route(M::POST, "/triage", A, web::act),
        route(M::POST, "/incidents/{id}/triage", A, web::apply),
    ]
}
