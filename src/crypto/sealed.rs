//! AES-256-GCM sealing of small secrets (users' Gemini API keys) bound to their owner.
//!
//! Layout of a sealed value: `[key version: 1 byte][nonce: 12 bytes][ciphertext + tag]`.
//! The nonce is random per encryption (96 bits; fine for far more than 2^32 seals per key).
//! The associated data names what the secret belongs to (the user id), so a ciphertext copied
//! into another user's row fails to open instead of handing over someone else's key. The
//! version byte lets a future master key be added while old values still open.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};

use super::MasterKey;

/// The version byte written by this build's master key.
const CURRENT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why a sealed value did not open. Never contains the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the sealed value is truncated or malformed")]
    Malformed,
    #[error("the sealed value was made with key version {0}, which this server does not have")]
    UnknownKeyVersion(u8),
    #[error(
        "the sealed value does not open with this master key for this owner \
         (wrong master key, or the value belongs to someone else)"
    )]
    WrongKeyOrOwner,
}

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(master_key: &MasterKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(master_key.as_bytes().into()),
        }
    }

    /// Encrypts `secret` for the owner named by `associated_data`.
    pub fn seal(&self, secret: &[u8], associated_data: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = super::random_bytes();
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: secret,
                    aad: associated_data,
                },
            )
            .expect("AES-GCM encryption of a small buffer cannot fail");
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(CURRENT_VERSION);
        sealed.extend_from_slice(&nonce_bytes);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a value made by [`Sealer::seal`] for the same owner.
    pub fn open(&self, sealed: &[u8], associated_data: &[u8]) -> Result<Vec<u8>, SealError> {
        let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
        if version != CURRENT_VERSION {
            return Err(SealError::UnknownKeyVersion(version));
        }
        if rest.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated_data,
                },
            )
            .map_err(|_| SealError::WrongKeyOrOwner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&MasterKey::generate())
    }

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only() {
        let sealer = sealer();
        let sealed = sealer.seal(b"AIzaSy-secret", b"user-1");
        assert!(!sealed.windows(6).any(|w| w == b"AIzaSy"));
        assert_eq!(sealer.open(&sealed, b"user-1").unwrap(), b"AIzaSy-secret");
        assert_eq!(
            sealer.open(&sealed, b"user-2"),
            Err(SealError::WrongKeyOrOwner)
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let sealer = sealer();
        assert_ne!(sealer.seal(b"same", b"u"), sealer.seal(b"same", b"u"));
    }

    #[test]
    fn another_master_key_gives_a_clear_error_not_garbage() {
        let sealed = sealer().seal(b"secret", b"u");
        assert_eq!(
            sealer().open(&sealed, b"u"),
            Err(SealError::WrongKeyOrOwner)
        );
    }

    #[test]
    fn malformed_and_unknown_versions_are_refused() {
        let sealer = sealer();
        assert_eq!(sealer.open(&[], b"u"), Err(SealError::Malformed));
        assert_eq!(sealer.open(&[1, 2, 3], b"u"), Err(SealError::Malformed));
        let mut sealed = sealer.seal(b"secret", b"u");
        sealed[0] = 9;
        assert_eq!(
            sealer.open(&sealed, b"u"),
            Err(SealError::UnknownKeyVersion(9))
        );
    }
}
