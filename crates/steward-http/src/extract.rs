//! Extractors that turn bad input into the API's error envelope, naming the field at fault,
//! instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use steward_app::Actor;

use crate::error::ApiError;
use crate::strict_json::Strict;

/// A JSON body. Input structs use `#[serde(deny_unknown_fields)]` so a misspelt field is an
/// error, not silently ignored.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body with the bytes it came as (a receiver keeps what its sender sent, or checks a
/// signature over it); errors as [`ApiJson`]'s, but any content type is taken, as monitoring
/// tools label their bodies loosely.
pub struct JsonBody<T>(pub T, pub Bytes);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        Ok(JsonBody(parse_json(&bytes)?, bytes))
    }
}

/// The body's bytes, with [`ApiJson`]'s errors (413 as JSON).
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(RawBody(Bytes::from_request(req, state).await.map_err(body_error)?))
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        );
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("could not read the request body: {rejection}"),
    )
}

/// Parses JSON, reporting the path of the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(Strict(&mut de)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        if matches!(inner.classify(), serde_json::error::Category::Syntax | serde_json::error::Category::Eof)
        {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {message}"),
            );
        }
        // A missing field is named in the message, one level below the path of its parent;
        // an unknown one is already the last step of the path.
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match (missing, path.as_str()) {
            (Some(name), "." | "") => name.to_owned(),
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, "." | "") => "body".to_owned(),
            (None, p) => p.to_owned(),
        };
        let code = if message.starts_with("unknown field") { "unknown_field" } else { "invalid" };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message.split(" at line").next().unwrap_or(&message).to_owned(),
        )
        .with_field(field)
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("trailing data after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

/// Path parameters, with a 4xx envelope when one does not parse (e.g. a non-numeric id).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let path = parts.uri.path().to_owned();
        Path::<T>::from_request_parts(parts, state).await.map(|Path(v)| ApiPath(v)).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text())
                .with_field("path")
                .for_path(&path)
        })
    }
}

/// Query parameters, with a 4xx envelope naming the parameter at fault.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let path = parts.uri.path().to_owned();
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| ApiQuery(v)).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
                .with_field("query")
                .for_path(&path)
        })
    }
}

/// The authenticated actor the auth middleware put on the request.
pub struct CurrentActor(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .map(CurrentActor)
            .ok_or_else(|| steward_app::AppError::Unauthenticated.into())
    }
}
