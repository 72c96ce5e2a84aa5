//! What every `PATCH` handler needs: the version an `If-Match` header names, and fields that
//! tell "absent" (leave as is) from `null` (clear it).

use axum::http::{HeaderMap, StatusCode, header};

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
