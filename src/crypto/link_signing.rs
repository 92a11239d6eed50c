//! Signatures for links whose signature is their whole authorisation: an `<img>` tag or a
//! download link cannot send a bearer token, so the server signs what the link opens and until
//! when (`Image.url`, the export links).
//!
//! HMAC-SHA256 under a key every instance shares. Each kind of link signs with its own
//! purpose text in front, so a signature made for one kind (an image) can never open another
//! (an export) with the same subject bytes.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The key links are signed with.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The signature (base64url, unpadded) of `subject` for `purpose`, valid until `expires`
    /// (Unix seconds).
    pub fn sign(&self, purpose: &[u8], subject: &[u8], expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, subject, expires).finalize().into_bytes())
    }

    /// Whether `signature` is the one [`sign`](Self::sign) makes; compared in constant time.
    /// Expiry is the caller's to check (it knows the time).
    pub fn verify(&self, purpose: &[u8], subject: &[u8], expires: i64, signature: &str) -> bool {
        URL_SAFE_NO_PAD.decode(signature).is_ok_and(|signature| {
            self.mac(purpose, subject, expires)
                .verify_slice(&signature)
                .is_ok()
        })
    }

    fn mac(&self, purpose: &[u8], subject: &[u8], expires: i64) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.0).expect("BUG: HMAC takes keys of any length");
        mac.update(purpose);
        mac.update(subject);
        mac.update(&expires.to_be_bytes());
        mac
    }
}

/// The prefix of absolute links (`https://example.com`, no trailing slash) from the configured
/// public base URL; empty for relative links.
pub fn base_url(configured: Option<&str>) -> String {
    configured
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_opens_only_its_purpose_subject_and_expiry() {
        let key = LinkKey::new([7; 32]);
        let signature = key.sign(b"a\n", b"subject", 100);
        assert!(key.verify(b"a\n", b"subject", 100, &signature));
        assert!(!key.verify(b"b\n", b"subject", 100, &signature));
        assert!(!key.verify(b"a\n", b"subjecT", 100, &signature));
        assert!(!key.verify(b"a\n", b"subject", 101, &signature));
        assert!(!key.verify(b"a\n", b"subject", 100, "not base64!"));
        assert!(!LinkKey::new([8; 32]).verify(b"a\n", b"subject", 100, &signature));
    }
}
