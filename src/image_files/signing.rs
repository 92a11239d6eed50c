//! Signed, expiring image URLs: `/images/{id}?exp={unix seconds}&sig={HMAC}`.
//!
//! The signature (`crypto::link_signing`: HMAC-SHA256 over the image id and the expiry, with a
//! key every instance shares) is the whole authorisation: an `<img>` tag cannot send a bearer token. So a URL works
//! for whoever holds it until it expires, which is why it is short-lived. Expiry times are
//! rounded up to a whole step, so the same image keeps the same URL for a while and the browser
//! can reuse its cached copy instead of fetching the image again on every query.

use std::time::Duration;

use uuid::Uuid;

use crate::crypto::{LinkKey, link_signing};

/// What image signatures sign for (see `crypto::link_signing`).
const PURPOSE: &[u8] = b"videoprompt image url v1\n";

/// The path prefix of the image route.
pub const ROUTE_PREFIX: &str = "/images/";

/// Signs and checks image URLs.
#[derive(Clone)]
pub struct UrlSigner {
    key: LinkKey,
    ttl: Duration,
    /// `https://example.com` (no trailing slash), or empty for relative URLs.
    base_url: String,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigner")
            .field("ttl", &self.ttl)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Why a URL was refused (the route answers without saying which).
#[derive(Debug, PartialEq, Eq)]
pub enum UrlRefused {
    BadSignature,
    Expired,
}

impl UrlSigner {
    pub fn new(key: [u8; 32], ttl: Duration, base_url: Option<&str>) -> Self {
        Self {
            key: LinkKey::new(key),
            ttl,
            base_url: link_signing::base_url(base_url),
        }
    }

    /// The URL for an image, valid for at least the configured lifetime from `now`.
    pub fn url(&self, image_id: Uuid, now: i64) -> String {
        let ttl = i64::try_from(self.ttl.as_secs())
            .unwrap_or(i64::MAX / 4)
            .max(1);
        // A step of a tenth of the lifetime (at most 5 minutes): the URL stays stable that long.
        let step = (ttl / 10).clamp(1, 300);
        let expires = (now.saturating_add(ttl) + step - 1) / step * step;
        let signature = self.key.sign(PURPOSE, image_id.as_bytes(), expires);
        format!(
            "{}{ROUTE_PREFIX}{image_id}?exp={expires}&sig={signature}",
            self.base_url
        )
    }

    /// Checks a URL's signature and expiry; `Ok` with the seconds it stays valid.
    pub fn verify(
        &self,
        image_id: Uuid,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<u64, UrlRefused> {
        if !self
            .key
            .verify(PURPOSE, image_id.as_bytes(), expires, signature)
        {
            return Err(UrlRefused::BadSignature);
        }
        if expires <= now {
            return Err(UrlRefused::Expired);
        }
        Ok(u64::try_from(expires - now).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (i64, String) {
        let query = url.split_once('?').unwrap().1;
        let mut exp = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("exp", v) => exp = v.parse().unwrap(),
                ("sig", v) => sig = v.to_owned(),
                _ => {}
            }
        }
        (exp, sig)
    }

    #[test]
    fn urls_verify_until_they_expire_and_not_for_another_image() {
        let signer = UrlSigner::new([7; 32], Duration::from_secs(3600), None);
        let id = Uuid::now_v7();
        let url = signer.url(id, 1_000_000);
        assert!(url.starts_with(&format!("/images/{id}?exp=")));
        let (exp, sig) = parts(&url);
        assert!(exp >= 1_000_000 + 3600);
        assert!(signer.verify(id, exp, &sig, 1_000_000).is_ok());
        assert_eq!(signer.verify(id, exp, &sig, exp), Err(UrlRefused::Expired));
        assert_eq!(
            signer.verify(Uuid::now_v7(), exp, &sig, 0),
            Err(UrlRefused::BadSignature)
        );
        assert_eq!(
            signer.verify(id, exp + 1, &sig, 0),
            Err(UrlRefused::BadSignature)
        );
        let other = UrlSigner::new([8; 32], Duration::from_secs(3600), None);
        assert_eq!(
            other.verify(id, exp, &sig, 0),
            Err(UrlRefused::BadSignature)
        );
        // Stable within a step: the browser's cache keeps working.
        assert_eq!(signer.url(id, 1_000_000), signer.url(id, 1_000_001));
    }

    #[test]
    fn a_public_base_url_makes_them_absolute() {
        let signer = UrlSigner::new(
            [7; 32],
            Duration::from_secs(60),
            Some("https://vp.example/"),
        );
        assert!(
            signer
                .url(Uuid::nil(), 0)
                .starts_with("https://vp.example/images/")
        );
    }
}
