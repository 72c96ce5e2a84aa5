//! Error pages in the layout (issue 17, bug 6): a 403, 404 or 422 page keeps the menu of the
//! signed-in user and speaks their language. Handlers and extractors answer a minimal page
//! marked with [`ErrorPage`]; this layer, outside every route, dresses it. The message is the
//! catalogue's for the status (and the field's label), never the app's English detail, which
//! may name internal codes.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ErrorPage;
use crate::web::{Page, form_errors, render};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    page: Page<'a>,
    status: u16,
    message: String,
}

fn message_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "error_page.unauthenticated",
        403 => "error_page.forbidden",
        404 => "error_page.not_found",
        400 | 422 => "error_page.invalid",
        409 => "error_page.conflict",
        412 => "form.stale",
        413 => "error_page.too_large",
        429 => "error_page.too_many",
        _ => "error_page.internal",
    }
}

pub async fn dress(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (headers, uri) = (request.headers().clone(), request.uri().clone());
    let response = next.run(request).await;
    let Some(marked) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let status = response.status();
    // Only error answers reach here, so reading the session again costs nothing on the paths
    // that matter; a route outside the signed-in ones (an unknown path) gets the menu too.
    let actor = crate::auth::resolve(&state, &headers).await.ok().flatten();
    let mut page = match &actor {
        Some(actor) => Page::new(&state, actor, &headers, &uri, message_key(status)),
        None => Page::anonymous(&state, &headers, &uri, ""),
    };
    let mut message = page.t.get(message_key(status)).to_owned();
    if let Some(text) = marked.field.and_then(|f| form_errors::text_of_word(page.t, &format!("invalid.{f}")))
    {
        message = format!("{message} {text}");
    }
    page.title = format!("{} · {}", status.as_u16(), page.t.get(message_key(status)));
    let mut dressed = render(&ErrorTemplate { page, status: status.as_u16(), message });
    *dressed.status_mut() = status;
    for (name, value) in response.headers() {
        if name != axum::http::header::CONTENT_LENGTH && name != axum::http::header::CONTENT_TYPE {
            dressed.headers_mut().append(name.clone(), value.clone());
        }
    }
    dressed.into_response()
}
