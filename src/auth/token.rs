//! Bearer tokens: 256 random bits handed to the client once; only their SHA-256 is stored.
//!
//! A database leak therefore yields no usable token. The `vp_` prefix makes tokens easy to spot
//! for secret scanners and in support requests ("that's a videoprompt token").

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PREFIX: &str = "vp_";

/// A freshly issued token, shown to the client once.
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = crate::crypto::random_bytes();
        Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn hash(&self) -> [u8; 32] {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Extracts the token from an `Authorization: Bearer …` value (scheme matched without regard to
/// case, as RFC 9110 says). `None` for any other shape.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// An authenticated caller: who they are and which session they used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub session_id: Uuid,
    pub user_id: Uuid,
    /// When the token stops working (a WebSocket signed in with it closes then).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The caller of a request: the session, and the user's row read with it (so that `me` and
/// the like need no second query). Shared, since cached sessions hand out the same row.
#[derive(Clone)]
pub struct Caller {
    pub session: Session,
    pub user: std::sync::Arc<entity::user::Model>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the user's row: it holds the password hash.
        f.debug_struct("Caller")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert!(a.as_str().starts_with("vp_"));
        assert_eq!(a.as_str().len(), 3 + 43);
        assert_eq!(a.hash(), hash_token(a.as_str()));
        assert!(!format!("{a:?}").contains(&a.as_str()[3..]));
    }

    #[test]
    fn bearer_values_are_parsed_leniently_but_safely() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
