//! Password hashing with argon2id (OWASP parameters) on a small pool of blocking threads.
//!
//! A hash costs ~19 MiB and tens of milliseconds of one core, so it must never run on an async
//! worker thread: that would stall every other request on that thread. The pool's size bounds
//! how many run at once, so a burst of sign-ins queues instead of exhausting memory and CPU.
//!
//! The pool's threads also run at a lower scheduling priority (nice 10 on Linux): when the
//! cores are busy, the async workers answering other requests go first, and a wave of sign-ins
//! costs sign-ins time, not everyone's. (Tokio's shared blocking pool cannot be used for this:
//! an unprivileged thread cannot raise its priority back once lowered.)

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
    mpsc,
};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString},
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

/// Hashes and verifies passwords off the async runtime, a bounded number at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: mpsc::Sender<Job>,
    /// Verified against when the e-mail is unknown, so that an unknown e-mail takes as long as
    /// a wrong password (see [`dummy_hash`]).
    dummy_hash: Arc<str>,
    /// Hashes and verifications started so far (tests check what a request cost).
    runs: Arc<AtomicU64>,
}

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("BUG: valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// Starts `concurrency` hashing threads; they end when the last clone is dropped.
    pub fn new(concurrency: usize) -> Self {
        let (pool, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..concurrency.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match jobs.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("could not start a password hashing thread");
        }
        Self {
            pool,
            dummy_hash: dummy_hash().into(),
            runs: Arc::default(),
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
            None => (self.dummy_hash.to_string(), false),
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

    /// How many hashes and verifications were started since the start.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, result) = oneshot::channel();
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.pool
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        result
            .await
            .context("a password hashing thread died mid-hash")?
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A PHC string with the real parameters, a random salt and a random output. Verifying a
/// password against it costs exactly what verifying against a real hash costs, and nothing
/// matches it; it is made without hashing, so the first unknown e-mail after a start pays one
/// verification like every other, not a hash as well.
fn dummy_hash() -> String {
    let argon2 = argon2();
    let params = argon2.params();
    let salt: [u8; 16] = crate::crypto::random_bytes();
    let output: [u8; 32] = crate::crypto::random_bytes();
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        base64_encode(&salt),
        base64_encode(&output)
    )
}

/// Nice 10 for the calling thread. Linux only: there `setpriority` with `who = 0` is per
/// thread, elsewhere it would lower the whole process. Best effort: where it fails, hashing
/// still works at normal priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
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
    async fn the_dummy_hash_costs_one_verification_and_matches_nothing() {
        let hasher = PasswordHasher::new(1);
        assert!(
            PasswordHash::new(&hasher.dummy_hash).is_ok(),
            "{}",
            hasher.dummy_hash
        );
        assert!(
            hasher
                .dummy_hash
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert!(
            !hasher
                .verify(SecretString::from("anything at all"), None)
                .await
                .unwrap()
        );
        assert_eq!(
            hasher.runs(),
            1,
            "the first unknown e-mail paid more than one hash"
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
