//! When a retryable failure is tried again: exponential backoff with jitter, never sooner than
//! the delay Gemini asked for (`RetryInfo.retryDelay` on a 429), and at most `max_attempts`
//! tries in all (the first included).

use std::time::Duration;

use crate::{backoff::Backoff, config::JobArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// The delay after the first failure, before jitter; it doubles after each further one.
    pub base_delay: Duration,
    /// The longest delay backoff alone produces.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The longest delay backoff alone produces (not a flag).
    pub const MAX_DELAY: Duration = Duration::from_secs(30);

    /// The policy the server's flags (`--max-attempts`, `--retry-base-delay`) ask for.
    pub fn from_args(args: &JobArgs) -> Self {
        Self {
            max_attempts: args.max_attempts,
            base_delay: args.retry_base_delay,
            max_delay: Self::MAX_DELAY,
        }
    }

    /// Whether a record that has been tried `attempts` times may be tried again.
    pub fn may_retry(&self, attempts: u32) -> bool {
        attempts < self.max_attempts
    }

    /// The wait before the next try after `attempts` tries failed. `jitter` in `[0, 1)` spreads
    /// retries of many records that failed together (equal jitter: half fixed, half random), so
    /// they do not hit Gemini again in one burst. The server's hint is a floor.
    pub fn delay(&self, attempts: u32, server_hint: Option<Duration>, jitter: f64) -> Duration {
        let backoff = Backoff::new(self.base_delay, self.max_delay).delay(attempts);
        let jittered = backoff / 2 + backoff.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
        jittered.max(server_hint.unwrap_or_default())
    }
}

/// A uniform number in `[0, 1)` from the OS's randomness.
pub fn random_jitter() -> f64 {
    let bytes: [u8; 4] = crate::crypto::random_bytes();
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_jitter_band_up_to_the_cap() {
        let policy = RetryPolicy::from_args(&JobArgs::default());
        for (attempts, full) in [(1, 500), (2, 1000), (3, 2000), (4, 4000), (12, 30_000)] {
            let full = Duration::from_millis(full);
            assert_eq!(policy.delay(attempts, None, 0.0), full / 2);
            let top = policy.delay(attempts, None, 0.999_999);
            assert!(
                top < full && top > full.mul_f64(0.99),
                "{attempts}: {top:?}"
            );
        }
    }

    #[test]
    fn the_servers_retry_delay_is_a_floor() {
        let policy = RetryPolicy::from_args(&JobArgs::default());
        let hint = Some(Duration::from_secs(7));
        assert_eq!(policy.delay(1, hint, 0.5), Duration::from_secs(7));
        assert_eq!(
            policy.delay(12, Some(Duration::from_secs(1)), 0.0),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn four_attempts_in_all_by_default() {
        let policy = RetryPolicy::from_args(&JobArgs::default());
        assert!(policy.may_retry(1) && policy.may_retry(3));
        assert!(!policy.may_retry(4));
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let jitter = random_jitter();
            assert!((0.0..1.0).contains(&jitter));
        }
    }
}
