//! `/api/v1/surveys` (CSAT and NPS: answering, results, sending the month's NPS) and
//! `/api/v1/leaderboard`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use steward_app::surveys::NpsFilter;
use steward_core::ids::{TeamId, TicketId};
use steward_core::surveys::Sentiment;
use utoipa::{IntoParams, ToSchema};

use super::json::{CsatJson, CsatMonthJson, LeaderboardJson, NpsResultsJson, NpsSentJson, PendingJson};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};
use steward_app::AppError;

/// `GET /api/v1/surveys/pending`: the caller's surveys waiting for an answer.
pub async fn pending(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<PendingJson>> {
    let surveys = state.app.surveys();
    let csat = surveys.csat_waiting(&actor).await?;
    let nps = surveys.nps_waiting(&actor).await?;
    Ok(Json(PendingJson::new(&csat, nps.as_ref())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CsatRating)]
pub struct RatingBody {
    #[schema(minimum = 1, maximum = 5)]
    stars: i64,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    comment: String,
}

/// `POST /api/v1/surveys/csat/{ticket_id}`: the requester rates a resolution, once.
pub async fn rate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<RatingBody>,
) -> ApiResult<Json<CsatJson>> {
    let rated = state.app.surveys().rate(&actor, id, b.stars, &b.comment).await?;
    Ok(Json(CsatJson::from(&rated)))
}

/// Through the API a parameter given is a value: the pages' forms send empty ones for "any".
fn not_blank(fields: &[(&'static str, &Option<String>)]) -> Result<(), AppError> {
    match fields.iter().find(|(_, v)| v.as_deref().is_some_and(|v| v.trim().is_empty())) {
        Some((field, _)) => Err(AppError::invalid(field, "leave it out rather than empty")),
        None => Ok(()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// `YYYY-MM`; default the current month.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    month: Option<String>,
}

/// `GET /api/v1/surveys/csat?month=…`: a month's ratings.
pub async fn csat_month(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<CsatMonthJson>> {
    not_blank(&[("month", &q.month)])?;
    let m = state.app.surveys().csat_month(&actor, q.month.as_deref()).await?;
    Ok(Json(CsatMonthJson::from(&m)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NpsAnswer)]
pub struct NpsBody {
    #[schema(minimum = 0, maximum = 10)]
    score: i64,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    reason: String,
}

/// An NPS answer as stored.
#[derive(Serialize, ToSchema)]
#[schema(as = NpsAnswered)]
pub struct NpsAnsweredJson {
    month: String,
    score: i64,
    reason: String,
    /// positive, neutral or negative.
    sentiment: String,
}

/// `POST /api/v1/surveys/nps`: the caller answers their waiting NPS survey.
pub async fn answer_nps(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<NpsBody>,
) -> ApiResult<Json<NpsAnsweredJson>> {
    let r = state.app.surveys().answer_nps(&actor, b.score, &b.reason).await?;
    Ok(Json(NpsAnsweredJson {
        month: r.month,
        score: b.score,
        reason: r.reason,
        sentiment: r.sentiment.unwrap_or_default(),
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct NpsQuery {
    /// First month, `YYYY-MM` (default: eleven months before `to`).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: the current one).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub to: Option<String>,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
    /// Words the reasons contain.
    pub q: Option<String>,
    /// positive, neutral or negative.
    #[param(pattern = "^(positive|neutral|negative)$")]
    pub sentiment: Option<String>,
}

impl NpsQuery {
    pub fn filter(self) -> Result<NpsFilter, AppError> {
        let sentiment = match self.sentiment.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(Sentiment::parse(s).map_err(|e| AppError::invalid("sentiment", e.message))?),
            None => None,
        };
        let some = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Ok(NpsFilter {
            from: some(self.from),
            to: some(self.to),
            team: self.team_id,
            service: some(self.service),
            q: some(self.q),
            sentiment,
        })
    }
}

/// `GET /api/v1/surveys/nps`: NPS per month, team and service, and the reasons.
pub async fn nps(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<NpsQuery>,
) -> ApiResult<Json<NpsResultsJson>> {
    not_blank(&[("from", &q.from), ("to", &q.to), ("sentiment", &q.sentiment)])?;
    let r = state.app.surveys().nps_results(&actor, &q.filter()?).await?;
    Ok(Json(NpsResultsJson::from(&r)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NpsSendInput)]
pub struct SendBody {
    /// `YYYY-MM`.
    #[schema(min_length = 7, max_length = 7, pattern = "^[0-9]{4}-[0-9]{2}$")]
    month: String,
}

/// `POST /api/v1/surveys/nps/send`: send a month's NPS survey now (admins).
pub async fn send_nps(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<SendBody>,
) -> ApiResult<Json<NpsSentJson>> {
    let sent = state.app.surveys().send_nps(&actor, &b.month).await?;
    Ok(Json(NpsSentJson { month: b.month.trim().to_owned(), sent }))
}

/// `GET /api/v1/leaderboard?month=…`: the month's service-improvement leaderboard.
pub async fn leaderboard(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<LeaderboardJson>> {
    not_blank(&[("month", &q.month)])?;
    let b = state.app.surveys().leaderboard(&actor, q.month.as_deref()).await?;
    Ok(Json(LeaderboardJson::from(&b)))
}
