//! The portal's answers to surveys waiting for the signed-in requester (the home shows them).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use steward_app::AppError;
use steward_core::ids::TicketId;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{WebForm, WebResult, form_error};

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    stars: Option<i64>,
    #[serde(default)]
    comment: String,
}

/// `POST /portal/ratings/{ticket_id}`: rate a resolution from the portal's home.
pub async fn rate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<RatingForm>,
) -> WebResult {
    let result = match f.stars {
        Some(stars) => state.app.surveys().rate(&actor, id, stars, &f.comment).await.map(|_| ()),
        None => Err(AppError::invalid("stars", "choose 1 to 5 stars")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/portal?notice=rated").into_response()),
        Err(e) => form_error(e, "/portal"),
    }
}

#[derive(Deserialize)]
pub struct NpsForm {
    #[serde(default)]
    score: Option<i64>,
    #[serde(default)]
    reason: String,
}

/// `POST /portal/nps`: answer the month's NPS survey from the portal's home.
pub async fn answer_nps(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<NpsForm>,
) -> WebResult {
    let result = match f.score {
        Some(score) => state.app.surveys().answer_nps(&actor, score, &f.reason).await.map(|_| ()),
        None => Err(AppError::invalid("score", "choose 0 to 10")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/portal?notice=nps_answered").into_response()),
        Err(e) => form_error(e, "/portal"),
    }
}
