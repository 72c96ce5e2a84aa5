//! Random secrets and their stored hashes, and password hashing.
//!
//! Session cookies and API tokens are 256-bit random values; only their SHA-256 is stored. A
//! fast hash is right for them (unlike passwords) because they are random, not guessable.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::{AppError, Result};

/// A new random secret with a recognisable prefix (`stw_` for tokens, `sws_` for sessions), so
/// secret scanners and people can tell what leaked.
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    Ok(format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with argon2id off the async threads (it is deliberately slow).
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// Checks a password against a stored PHC string. With no stored hash it still spends the
/// time of one verification, so response times do not tell which usernames exist.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && known
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}

/// An argon2id hash of a random value nobody knows, made once with the default parameters.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret = new_secret("").unwrap_or_default();
        Argon2::default().hash_password(secret.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
    })
}
