//! The API's one error type and its mapping to HTTP: `{"error":{"code","message","field"}}`.
//! Internal errors are logged with their detail and answered with none.

use std::any::Any;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use steward_app::AppError;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after_secs: Option<i64>,
    /// For an illegal transition: the states the ticket may move to.
    pub allowed: Option<Vec<&'static str>>,
    /// Answered as an HTML page: the request was a browser's, for a page.
    pub page: bool,
}

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `invalid`, `not_found`, `forbidden`, `stale_version`, …
    code: &'static str,
    /// For people, in English.
    message: String,
    /// The request field at fault, when one is.
    field: Option<String>,
    /// For `illegal_transition`: the states the ticket may move to.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<Vec<&'static str>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
            allowed: None,
            page: false,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_field(field)
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        let message = err.to_string();
        match err {
            AppError::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message),
            AppError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            AppError::TooManyAttempts { retry_after_secs } => ApiError {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            },
            AppError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            AppError::Invalid { field, .. } => ApiError::invalid(field, message),
            AppError::Conflict { field, .. } => ApiError {
                field: field.map(str::to_owned),
                ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
            },
            AppError::IllegalTransition { allowed, .. } => ApiError {
                allowed: Some(allowed),
                ..ApiError::new(StatusCode::CONFLICT, "illegal_transition", message)
            },
            AppError::Stale { .. } => {
                ApiError::new(StatusCode::PRECONDITION_FAILED, "stale_version", message)
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

impl ApiError {
    /// Shown as an HTML page when `path` is one of the web UI's, not the API's.
    pub fn for_path(mut self, path: &str) -> ApiError {
        self.page = !wants_json(path);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.page {
            let title = format!("{} {}", self.status.as_u16(), self.status.canonical_reason().unwrap_or(""));
            return error_page(self.status, &title, &self.message, self.field);
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                allowed: self.allowed,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Requests for the API (and `/metrics`) get JSON errors; the rest get the web UI's pages.
pub fn wants_json(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics" || path.starts_with("/hooks/")
}

/// Marks a response as an error page, for `web::error_page::dress` to show in the layout and
/// the reader's language; `field` is the request field at fault, if any.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub field: Option<String>,
}

/// An error page: the minimal one here, dressed in the layout on its way out.
pub fn error_page(status: StatusCode, title: &str, message: &str, field: Option<String>) -> Response {
    let mut response = (status, axum::response::Html(plain_page(title, message))).into_response();
    response.extensions_mut().insert(ErrorPage { field });
    response
}

/// A minimal page for errors, in both languages since it may be shown before we know one.
pub fn plain_page(title: &str, message: &str) -> String {
    let esc =
        |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><section class=\"card narrow\">\
         <h1>{t}</h1><p class=\"error\">{m}</p><p><a href=\"/\">Home / 首页</a></p></section></main></body></html>",
        t = esc(title),
        m = esc(message)
    )
}

pub async fn not_found(uri: Uri) -> Response {
    if wants_json(uri.path()) {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no route for {}", uri.path()))
            .into_response();
    }
    error_page(StatusCode::NOT_FOUND, "404", "Not found / 未找到", None)
}

pub async fn method_not_allowed() -> Response {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        .into_response()
}

pub fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
}

pub fn cross_site_response(_error: tower_http::csrf::ProtectionError) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", "cross-site request refused").into_response()
}
