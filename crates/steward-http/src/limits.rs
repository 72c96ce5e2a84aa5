//! A body larger than Steward would ever read is refused from its announced length, at once,
//! instead of after waiting for bytes that may never come (`Content-Length: 99999999999`).
//! Each route's own limit (`DefaultBodyLimit`, the attachment size) still applies to what is
//! read.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The length a request announces, if it names one.
pub fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

pub fn too_large(message: String) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
}

/// The largest body a route that carries files inline reads (an order from the catalogue, its
/// attachment fields' files as base64): the usual limit plus two files of the attachment size,
/// as base64 writes them and a form then escapes them (`+`, `/` and `=` become three
/// characters: a quarter more leaves room). Each file is still held to the attachment size.
pub fn file_body_bytes(state: &AppState) -> usize {
    let file = state.app.config().attachment_max_bytes.div_ceil(3) * 4 / 4 * 5;
    state.config.max_body_bytes.saturating_add(file.saturating_mul(2))
}

/// The routes (as matched) that carry files inline: `router` records them from the route
/// table, so the CSRF check reads their larger bodies and no other's.
pub static FILE_ROUTES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();

/// How much of a signed-in form post to `route` the CSRF check may read to find its token:
/// the route's own limit.
pub fn form_read_bytes(state: &AppState, route: Option<&str>) -> usize {
    let files = route.is_some_and(|r| FILE_ROUTES.get().is_some_and(|all| all.contains(&r)));
    if files { file_body_bytes(state) } else { state.config.max_body_bytes }
}

pub async fn refuse_announced_oversize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let largest = state
        .config
        .max_body_bytes
        .max(state.app.config().attachment_max_bytes)
        .max(file_body_bytes(&state))
        .max(crate::alerts::HOOK_BODY_BYTES)
        .max(crate::logs::LOG_BODY_BYTES);
    if announced_length(request.headers()).is_some_and(|n| n > largest as u64) {
        return too_large(format!("the request body may not exceed {} KiB", largest / 1024)).into_response();
    }
    next.run(request).await
}
