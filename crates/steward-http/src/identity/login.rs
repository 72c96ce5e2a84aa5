//! The sign-in page and signing out.
//!
//! The sign-in form is protected against login CSRF with a double-submit token: a random value
//! in a short-lived cookie that the form must echo.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use steward_app::AppError;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie, same_secret, set_cookie};
use crate::extract::CurrentActor;
use crate::web::{Page, WebForm, WebResult, render};

use super::client::{Client, DEVICE_COOKIE};

const LOGIN_CSRF_COOKIE: &str = "steward_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    page: Page<'a>,
    message: Option<&'static str>,
    next: String,
    username: String,
}

/// Only local paths are followed after sign-in, never another site.
fn safe_next(next: &str) -> &str {
    // Browsers drop tabs and newlines and read `\` as `/`, so `/\t/evil` would leave the site.
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if local { next } else { "/" }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
    message: Option<&'static str>,
    next: &str,
    username: &str,
) -> WebResult {
    let csrf = steward_secret()?;
    let page = LoginPage {
        page: Page::anonymous(state, headers, uri, &csrf),
        message,
        next: safe_next(next).to_owned(),
        username: username.to_owned(),
    };
    let mut response = render(&page);
    *response.status_mut() = status;
    let value = set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, state.config.secure_cookies);
    response.headers_mut().append(header::SET_COOKIE, header_value(&value)?);
    Ok(response)
}

fn steward_secret() -> Result<String, crate::web::WebError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

fn header_value(v: &str) -> Result<HeaderValue, crate::web::WebError> {
    HeaderValue::from_str(v).map_err(|e| AppError::Internal(e.into()).into())
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub async fn form(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> WebResult {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && state.app.auth().session_actor(secret).await?.is_some()
    {
        return Ok(Redirect::to("/").into_response());
    }
    let next = serde_urlencoded::from_str::<NextQuery>(uri.query().unwrap_or("")).ok().and_then(|q| q.next);
    login_page(&state, &headers, &uri, StatusCode::OK, None, next.as_deref().unwrap_or("/"), "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Client(client): Client,
    WebForm(form): WebForm<LoginForm>,
) -> WebResult {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, &form.csrf) {
        let page = login_page(
            &state,
            &headers,
            &uri,
            StatusCode::FORBIDDEN,
            Some("login.expired"),
            &form.next,
            &form.username,
        );
        return page;
    }
    let started = match state.app.auth().start_session(&form.username, &form.password, &client).await {
        Ok(s) => s,
        Err(AppError::BadCredentials) => {
            return login_page(
                &state,
                &headers,
                &uri,
                StatusCode::UNAUTHORIZED,
                Some("login.failed"),
                &form.next,
                &form.username,
            );
        }
        Err(AppError::TooManyAttempts { .. }) => {
            return login_page(
                &state,
                &headers,
                &uri,
                StatusCode::TOO_MANY_REQUESTS,
                Some("login.throttled"),
                &form.next,
                &form.username,
            );
        }
        Err(e) => return Err(e.into()),
    };
    // The cookie lives as long as the session: both instants on the app's clock, never the
    // system's (a test's clock may stand anywhere).
    let ttl = started.expires_at.duration_since(state.app.now()).as_secs().max(0);
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    let secure = state.config.secure_cookies;
    let h = response.headers_mut();
    h.append(header::SET_COOKIE, header_value(&set_cookie(SESSION_COOKIE, &started.secret, ttl, secure))?);
    h.append(header::SET_COOKIE, header_value(&set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure))?);
    if let Some((device, expires_at)) = &started.device {
        let ttl = expires_at.duration_since(state.app.now()).as_secs().max(0);
        h.append(header::SET_COOKIE, header_value(&set_cookie(DEVICE_COOKIE, device, ttl, secure))?);
    }
    Ok(response)
}

/// `POST /logout`: ends the session (the CSRF check already ran in the auth middleware).
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentActor(_actor): CurrentActor,
) -> WebResult {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.app.auth().end_session(secret).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    let value = set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies);
    response.headers_mut().append(header::SET_COOKIE, header_value(&value)?);
    Ok(response)
}
