//! What every `PATCH` handler needs: the version an `If-Match` header names, and fields that
//! tell "absent" (leave as is) from `null` (clear it).

use axum::http::{HeaderMap, StatusCode, header};
use steward_app::AppError;

use crate::error::ApiError;

/// Tells an absent field (leave as is) from `null` (clear it).
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A field that may be left out but, when given, may not be `null` (its schema says so).
pub(crate) mod present {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }
}

/// The version named by `If-Match: "3"` (or `3`, or a weak `W/"3"`).
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Some).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_header", "If-Match must hold the ETag of the record")
            .with_field("If-Match")
    })
}

/// The version a write expects, from `If-Match` or else from the body's `version` field.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub version: Option<i64>,
    in_body: bool,
}

pub fn expected(headers: &HeaderMap, body_version: Option<i64>) -> Result<Expected, ApiError> {
    Ok(match if_match(headers)? {
        Some(v) => Expected { version: Some(v), in_body: false },
        None => Expected { version: body_version, in_body: body_version.is_some() },
    })
}

impl Expected {
    /// The answer to a refused write: a stale `If-Match` is 412 Precondition Failed, a stale
    /// `version` in the body 409 Conflict (412 belongs to HTTP's own preconditions).
    pub fn refusal(self, err: AppError) -> ApiError {
        let mut answer = ApiError::from(err);
        if self.in_body && answer.status == StatusCode::PRECONDITION_FAILED {
            answer.status = StatusCode::CONFLICT;
        }
        answer
    }
}
