//! The secret store's encryption: XChaCha20-Poly1305 with a 256-bit key kept outside the
//! database (a file beside the data, like the anchor key). A sealed value is the random
//! 24-byte nonce followed by the ciphertext; the secret's name is the associated data, so a
//! value copied onto another name does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::{AppError, Result};

/// The key: from a file (made on first use), or random for this process only (tests).
#[derive(Debug, Clone)]
pub enum SecretKey {
    File(std::path::PathBuf),
    Ephemeral,
}

pub(crate) fn seal(key: &[u8; 32], name: &str, value: &str) -> Result<Vec<u8>> {
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: value.as_bytes(), aad: name.as_bytes() })
        .map_err(|_| AppError::Internal(anyhow::anyhow!("sealing a secret failed")))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(out)
}

pub(crate) fn open(key: &[u8; 32], name: &str, sealed: &[u8]) -> Result<String> {
    let broken = || AppError::Conflict {
        field: Some("secret"),
        message: format!("secret `{name}` does not open with this node's key: set it again"),
    };
    if sealed.len() < 24 {
        return Err(broken());
    }
    let (nonce, body) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| broken())?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let plain = cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: body, aad: name.as_bytes() })
        .map_err(|_| broken())?;
    String::from_utf8(plain).map_err(|_| broken())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_under_its_name_and_key() {
        let key = [7u8; 32];
        let sealed = seal(&key, "api_token", "s3cr3t-value").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"), "the value is not stored in clear");
        assert_eq!(open(&key, "api_token", &sealed).unwrap(), "s3cr3t-value");
        assert!(open(&key, "other", &sealed).is_err());
        assert!(open(&[8u8; 32], "api_token", &sealed).is_err());
        assert!(open(&key, "api_token", &sealed[..10]).is_err());
    }
}
