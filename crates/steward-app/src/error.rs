//! The one error type of the app layer. Interfaces map it to HTTP statuses or CLI messages in
//! exactly one place each.

use steward_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{message}")]
    Conflict { field: Option<&'static str>, message: String },
    #[error("{message}")]
    IllegalTransition { message: String, allowed: Vec<&'static str> },
    #[error("the record was changed by someone else; reload it (current version {current})")]
    Stale { current: i64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> AppError {
        AppError::Invalid { field, message: message.to_string() }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> AppError {
        match err {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Duplicate { field } => {
                AppError::Conflict { field: Some(field), message: format!("{field} is already taken") }
            }
            StoreError::Stale { current } => AppError::Stale { current },
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
