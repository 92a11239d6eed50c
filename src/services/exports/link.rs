//! Export links: `/exports/{kind}/{id}.{extension}?exp={unix seconds}&sig={signature}`.
//!
//! The signature (`crypto::link_signing`, the key that signs image URLs, another purpose) covers
//! the scope and the format, so a link opens exactly the export it was made for, for whoever
//! holds it, until it expires: a browser downloads it without a token, which is why it is
//! short-lived (`--export-url-ttl`).

use std::time::Duration;

use uuid::Uuid;

use super::{ExportFormat, ExportScope};
use crate::crypto::{LinkKey, link_signing};

/// The path prefix of the export route.
pub const ROUTE_PREFIX: &str = "/exports/";

/// What export signatures sign for.
const PURPOSE: &[u8] = b"videoprompt export v1\n";

/// Makes and checks export links.
#[derive(Clone)]
pub struct ExportLinks {
    key: LinkKey,
    ttl: Duration,
    /// `https://example.com` (no trailing slash), or empty for relative links.
    base_url: String,
}

impl ExportLinks {
    pub fn new(key: [u8; 32], ttl: Duration, base_url: Option<&str>) -> Self {
        Self {
            key: LinkKey::new(key),
            ttl,
            base_url: link_signing::base_url(base_url),
        }
    }

    /// The link to `scope`'s export as `format`, valid for the configured lifetime from `now`.
    pub fn link(&self, scope: ExportScope, format: ExportFormat, now: i64) -> String {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 4);
        let expires = now.saturating_add(ttl.max(1));
        let signature = self.key.sign(PURPOSE, &subject(scope, format), expires);
        format!(
            "{}{ROUTE_PREFIX}{}/{}.{}?exp={expires}&sig={signature}",
            self.base_url,
            scope.kind(),
            scope.id(),
            format.extension()
        )
    }

    /// Whether a link's signature is good and it has not expired at `now`.
    pub fn verify(
        &self,
        scope: ExportScope,
        format: ExportFormat,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> bool {
        expires > now
            && self
                .key
                .verify(PURPOSE, &subject(scope, format), expires, signature)
    }
}

/// The signed bytes: kind, id, format.
fn subject(scope: ExportScope, format: ExportFormat) -> Vec<u8> {
    let mut subject = Vec::with_capacity(40);
    subject.extend_from_slice(scope.kind().as_bytes());
    subject.push(b'/');
    subject.extend_from_slice(Uuid::as_bytes(&scope.id()));
    subject.push(b'.');
    subject.extend_from_slice(format.extension().as_bytes());
    subject
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(link: &str) -> (String, i64, String) {
        let (path, query) = link.split_once('?').unwrap();
        let mut exp = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("exp", v) => exp = v.parse().unwrap(),
                ("sig", v) => sig = v.to_owned(),
                _ => {}
            }
        }
        (path.to_owned(), exp, sig)
    }

    #[test]
    fn a_link_opens_its_own_export_until_it_expires() {
        let links = ExportLinks::new([3; 32], Duration::from_secs(600), None);
        let id = Uuid::now_v7();
        let scope = ExportScope::Collection(id);
        let (path, exp, sig) = parts(&links.link(scope, ExportFormat::Csv, 1_000));
        assert_eq!(path, format!("/exports/collection/{id}.csv"));
        assert_eq!(exp, 1_600);
        assert!(links.verify(scope, ExportFormat::Csv, exp, &sig, 1_599));
        assert!(!links.verify(scope, ExportFormat::Csv, exp, &sig, 1_600));
        assert!(!links.verify(scope, ExportFormat::Json, exp, &sig, 1_000));
        assert!(!links.verify(ExportScope::Image(id), ExportFormat::Csv, exp, &sig, 1_000));
        assert!(!links.verify(ExportScope::User(id), ExportFormat::Csv, exp, &sig, 1_000));
        assert!(!links.verify(scope, ExportFormat::Csv, exp + 1, &sig, 1_000));
        let absolute = ExportLinks::new(
            [3; 32],
            Duration::from_secs(600),
            Some("https://vp.example/"),
        );
        assert!(
            absolute
                .link(scope, ExportFormat::Json, 0)
                .starts_with("https://vp.example/exports/")
        );
    }
}
