//! Trying again after a failure: the one doubling backoff of the server, and the one loop that
//! retries an in-process operation with it. The job queue's retry policy (`jobs::retry`) builds
//! on the same `Backoff`; the cross-instance sender, the listener's reconnects, the runner's
//! writing of an outcome and the Gemini client's polling use it too.
//!
//! Hand-written rather than a crate (`backon`, say): this is one small type and one loop, with
//! the one thing those crates do not offer out of the box — giving up at once when a
//! `CancellationToken` fires (shutdown) — and no new dependency.

use std::{future::Future, time::Duration};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Delays that double from `first` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Self {
        Self { first, max }
    }

    /// The wait after the `failures`-th failure in a row (1: the first): `first`, `2 × first`,
    /// … at most `max`.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// When [`retry`] stops trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// After this many tries in all, the first included.
    AfterTries(u32),
    /// When the next wait would end later than this long after the first try.
    After(Duration),
}

/// Runs `attempt` until it succeeds, waiting `backoff` between failures, and returns its last
/// result: the success, or the last error once `give_up` says so or `stop` is cancelled (at
/// once, also while waiting). `on_retry` is told of each failure that will be tried again, with
/// the wait before the next try (for a log line).
pub async fn retry<T, E, Fut>(
    backoff: Backoff,
    give_up: GiveUp,
    stop: Option<&CancellationToken>,
    mut on_retry: impl FnMut(&E, Duration),
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut failures = 0;
    loop {
        let err = match attempt().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        failures += 1;
        let delay = backoff.delay(failures);
        let out_of_tries = match give_up {
            GiveUp::AfterTries(tries) => failures >= tries,
            GiveUp::After(limit) => started.elapsed() + delay > limit,
        };
        if out_of_tries || stop.is_some_and(CancellationToken::is_cancelled) {
            return Err(err);
        }
        on_retry(&err, delay);
        match stop {
            Some(stop) => tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stop.cancelled() => return Err(err),
            },
            None => tokio::time::sleep(delay).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));

    #[test]
    fn delays_double_up_to_the_cap() {
        let delays: Vec<_> = (1..=6).map(|n| BACKOFF.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500, 500]);
        assert_eq!(BACKOFF.delay(u32::MAX), BACKOFF.max, "no overflow");
    }

    /// When each try started, in paused time since the first.
    type Tries = Arc<Mutex<Vec<Duration>>>;

    /// Fails `failures` times, recording when each try started.
    fn flaky(
        failures: u32,
    ) -> (
        Tries,
        impl FnMut() -> std::future::Ready<Result<u32, String>>,
    ) {
        let started = Instant::now();
        let tries = Arc::new(Mutex::new(Vec::new()));
        let log = tries.clone();
        let attempt = move || {
            let mut log = log.lock().unwrap();
            log.push(started.elapsed());
            let n = log.len() as u32;
            std::future::ready(if n > failures {
                Ok(n)
            } else {
                Err(format!("failure {n}"))
            })
        };
        (tries, attempt)
    }

    fn millis(tries: &Mutex<Vec<Duration>>) -> Vec<u128> {
        tries
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_millis)
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn tries_again_after_doubling_waits_until_it_succeeds() {
        let (tries, attempt) = flaky(3);
        let mut told = Vec::new();
        let result = retry(
            BACKOFF,
            GiveUp::AfterTries(5),
            None,
            |_, wait| told.push(wait.as_millis()),
            attempt,
        )
        .await;
        assert_eq!(result, Ok(4));
        assert_eq!(millis(&tries), [0, 100, 300, 700]);
        assert_eq!(told, [100, 200, 400]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_its_tries_with_the_last_error() {
        let (tries, attempt) = flaky(10);
        let result = retry(BACKOFF, GiveUp::AfterTries(3), None, |_, _| {}, attempt).await;
        assert_eq!(result, Err("failure 3".to_owned()));
        assert_eq!(millis(&tries), [0, 100, 300]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_next_wait_would_pass_the_deadline() {
        let (tries, attempt) = flaky(100);
        let give_up = GiveUp::After(Duration::from_millis(1000));
        let result = retry(BACKOFF, give_up, None, |_, _| {}, attempt).await;
        assert!(result.is_err());
        // 0, 100, 300, 700; the next wait (500 ms) would end at 1200.
        assert_eq!(millis(&tries), [0, 100, 300, 700]);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_waiting_at_once_when_cancelled() {
        let (tries, attempt) = flaky(100);
        let stop = CancellationToken::new();
        let cancel = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let result = retry(
            BACKOFF,
            GiveUp::AfterTries(100),
            Some(&stop),
            |_, _| {},
            attempt,
        )
        .await;
        assert_eq!(result, Err("failure 2".to_owned()));
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(150),
            "not after the 200 ms wait"
        );
        assert_eq!(millis(&tries), [0, 100]);
    }
}
