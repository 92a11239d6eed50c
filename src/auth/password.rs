//! Password hashing with argon2id (OWASP parameters) on the blocking pool.
//!
//! A hash costs ~19 MiB and tens of milliseconds of one core, so it must never run on an async
//! worker thread: that would stall every other request on that thread. A semaphore bounds how
//! many run at once, so a burst of sign-ins queues instead of exhausting memory and CPU.

use std::sync::Arc;

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString},
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

/// Hashes and verifies passwords off the async runtime, a bounded number at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified against when the e-mail is unknown, so an
    /// unknown e-mail takes as long as a wrong password.
    dummy_hash: Arc<OnceCell<String>>,
}

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("BUG: valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        self.run_blocking(move || {
            let salt_bytes: [u8; 16] = crate::crypto::random_bytes();
            let salt = SaltString::encode_b64(&salt_bytes)
                .map_err(|err| anyhow::anyhow!("salt encoding failed: {err}"))?;
            argon2()
                .hash_password(password.expose_secret().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| anyhow::anyhow!("password hashing failed: {err}"))
        })
        .await
    }

    /// Checks a password against a stored hash. `None` means "no such user": a dummy hash is
    /// verified instead so that the answer takes the same time, and the result is `false`.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<bool> {
        let (hash, is_real) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash().await?, false),
        };
        let matches = self
            .run_blocking(move || {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|err| anyhow::anyhow!("stored password hash is malformed: {err}"))?;
                Ok(argon2()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(matches && is_real)
    }

    async fn dummy_hash(&self) -> anyhow::Result<String> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let random: [u8; 16] = crate::crypto::random_bytes();
                let password = SecretString::from(base64_encode(&random));
                self.hash(password).await
            })
            .await
            .cloned()
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("the password hashing semaphore was closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("the password hashing task panicked")?
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher
            .hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify(
                    SecretString::from("correct horse battery"),
                    Some(hash.clone())
                )
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(SecretString::from("wrong horse battery"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(
            !hasher
                .verify(SecretString::from("anything at all"), None)
                .await
                .unwrap()
        );
    }
}
