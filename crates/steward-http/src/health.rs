//! Liveness and readiness probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;

/// What a probe answers: `ok` / `ready`, or `unavailable` with the reason.
#[derive(Serialize)]
pub struct Probe {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// The process is up.
pub async fn healthz() -> Json<Probe> {
    Json(Probe { status: "ok", version: Some(env!("CARGO_PKG_VERSION")), reason: None })
}

/// The process can serve: its database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Probe>) {
    match state.app.ready().await {
        Ok(()) => (StatusCode::OK, Json(Probe { status: "ready", version: None, reason: None })),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            let probe = Probe { status: "unavailable", version: None, reason: Some("database unreachable") };
            (StatusCode::SERVICE_UNAVAILABLE, Json(probe))
        }
    }
}
