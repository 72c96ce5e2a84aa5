//! `/api/v1/forecasts`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::forecasts::NewRule;
use steward_store::ForecastRecord;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};

#[derive(Serialize, ToSchema)]
pub struct ForecastJson {
    id: i64,
    name: String,
    /// PromQL; its first series is forecast.
    query: String,
    ci_id: Option<steward_core::ids::CiId>,
    ci_name: Option<String>,
    threshold: f64,
    /// `above` or `below`: which side of the threshold is the failure.
    breach: String,
    horizon_minutes: i64,
    lookback_minutes: i64,
    evaluated_at: Option<String>,
    /// When the breach is predicted (within the horizon), if it is.
    predicted_at: Option<String>,
    last_value: Option<f64>,
    /// `linear`, `holt-winters` or `observed` (already past the threshold).
    model: String,
    /// What went wrong at the last evaluation (Prometheus away, a bad query); empty if nothing.
    error: String,
}

impl From<&ForecastRecord> for ForecastJson {
    fn from(f: &ForecastRecord) -> Self {
        ForecastJson {
            id: f.id,
            name: f.name.clone(),
            query: f.query.clone(),
            ci_id: f.ci_id,
            ci_name: f.ci_name.clone(),
            threshold: f.threshold,
            breach: f.breach.clone(),
            horizon_minutes: f.horizon_minutes,
            lookback_minutes: f.lookback_minutes,
            evaluated_at: f.evaluated_at.map(time),
            predicted_at: f.predicted_at.map(time),
            last_value: f.last_value,
            model: f.model.clone(),
            error: f.error.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastBody {
    #[schema(min_length = 1, max_length = 120, pattern = "@line")]
    name: String,
    #[schema(min_length = 1, max_length = 4000, pattern = "@nonblank_text")]
    query: String,
    ci_id: Option<i64>,
    /// The value crossed; for `outside`, the band's half-width in deviations (0.5–50).
    threshold: f64,
    /// `above` or `below` (a predicted crossing), or `outside` (the newest value leaving its
    /// Holt-Winters band: a metric anomaly; two days of history or more, a weekly season from
    /// two weeks).
    #[schema(pattern = "^(above|below|outside)$")]
    breach: String,
    /// How far ahead a predicted breach opens an incident (1 minute – 90 days).
    #[schema(minimum = 1, maximum = 129600)]
    horizon_minutes: i64,
    /// History the forecast is fitted on (2 minutes – 30 days; two days or more adds a daily season).
    #[schema(minimum = 2, maximum = 43200)]
    lookback_minutes: i64,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ForecastJson>>> {
    let found = state.app.forecasts().list(&actor).await?;
    Ok(Json(Items::of(found.iter(), ForecastJson::from)))
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ForecastBody>,
) -> ApiResult<(StatusCode, Json<ForecastJson>)> {
    let rule = NewRule {
        name: b.name,
        query: b.query,
        ci_id: b.ci_id,
        threshold: b.threshold,
        breach: b.breach,
        horizon_minutes: b.horizon_minutes,
        lookback_minutes: b.lookback_minutes,
    };
    let f = state.app.forecasts().create(&actor, rule).await?;
    Ok((StatusCode::CREATED, Json((&f).into())))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ForecastJson>> {
    Ok(Json((&state.app.forecasts().get(&actor, id).await?).into()))
}

pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.forecasts().delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn run(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ForecastJson>> {
    Ok(Json((&state.app.forecasts().run(&actor, id).await?).into()))
}
