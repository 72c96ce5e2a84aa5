//! Authentication of every non-public request, and CSRF checks for browser sessions.
//!
//! A bearer token wins over a cookie. Requests carried by the session cookie that change
//! something must echo the session's CSRF token, either in the `X-CSRF-Token` header or as the
//! `_csrf` field of a url-encoded form. This is checked here, once, so no form can forget it.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use steward_app::{Actor, AppError, Credential};

use crate::AppState;
use crate::error::{ApiError, wants_json};

pub const SESSION_COOKIE: &str = "steward_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The API token a request carries: `Authorization: Bearer <token>`, or — for monitoring's
/// receivers (`/hooks/*`), whose senders may only speak Basic — `Basic` with the token as the
/// password (the user name is not read), or Alerta's `Key`.
fn api_token(headers: &HeaderMap, path: &str) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.trim().to_owned());
    }
    // Alerta's clients send `Key <api key>`.
    if scheme.eq_ignore_ascii_case("key") && path.starts_with("/hooks/") {
        return Some(credentials.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") && path.starts_with("/hooks/") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        // An undecodable or password-less header still authenticates as nobody: 401.
        return Some(text.split_once(':').map_or(String::new(), |(_, p)| p.to_owned()));
    }
    None
}

pub(crate) async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    resolve_at(state, headers, "").await
}

pub(crate) async fn resolve_at(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<Option<Actor>, AppError> {
    if let Some(token) = api_token(headers, path) {
        return state.app.tokens().token_actor(&token).await;
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(secret) => state.app.auth().session_actor(secret).await,
        None => Ok(None),
    }
}

fn unauthenticated(path: &str, uri: &str) -> Response {
    if wants_json(path) {
        return ApiError::from(AppError::Unauthenticated).into_response();
    }
    let next: String = url_encode(uri);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|v| v[1..].to_owned()).unwrap_or_default()
}

/// Lets the request through with its [`Actor`] in the extensions, or answers 401 / a redirect
/// to the sign-in page.
pub async fn require_actor(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let actor = match resolve_at(&state, request.headers(), &path).await {
        Ok(Some(actor)) => actor,
        Ok(None) => {
            let uri = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
            return unauthenticated(&path, &uri);
        }
        Err(err) => return ApiError::from(err).into_response(),
    };
    if let Credential::Session { csrf_token, .. } = &actor.credential
        && !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let route = request.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
        let limit = crate::limits::form_read_bytes(&state, route.as_deref());
        request = match check_csrf(request, csrf_token, limit).await {
            Ok(request) => request,
            Err(response) => return response,
        };
    }
    request.extensions_mut().insert(actor);
    next.run(request).await
}

fn csrf_rejected() -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong CSRF token; reload the page and try again")
        .into_response()
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn check_csrf(request: Request, expected: &str, limit: usize) -> Result<Request, Response> {
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if same_secret(sent, expected) { Ok(request) } else { Err(csrf_rejected()) };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(csrf_rejected());
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            .into_response()
    })?;
    let sent = form_urlencoded_field(&bytes, CSRF_FIELD);
    if !sent.is_some_and(|s| same_secret(&s, expected)) {
        return Err(csrf_rejected());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A `Set-Cookie` value with the attributes every Steward cookie carries.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}
