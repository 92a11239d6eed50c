//! The worker pool: claims due records from the queue, runs each attempt through a `Handler`
//! (the Gemini call), keeps its lease alive while it runs, and writes how it ended.
//!
//! What it guarantees, whatever the handler does:
//! - at most `workers` attempts run at once in this process;
//! - a record whose lease is lost (cancelled by a user, or taken over after this process
//!   stalled) has its attempt aborted at once, and nothing of it is written;
//! - a retryable failure goes back to `PENDING` with backoff until the attempts run out, then
//!   ends `FAILED` with its code;
//! - on shutdown, attempts in flight get a grace period to finish, then are aborted and handed
//!   back (`PENDING` at once, the try not counted), so another process takes them up.
//!
//! The runner sleeps until the next record falls due or `wake()` is called (a new request), so
//! a fresh request starts without a polling delay.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Duration};

use async_trait::async_trait;
use entity::video_prompt;
use futures_util::FutureExt;
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use tokio_util::{
    sync::CancellationToken,
    task::{AbortOnDropHandle, TaskTracker},
};
use uuid::Uuid;

use super::{
    handle::Jobs,
    queue::{self, Outcome},
    retry::{RetryPolicy, random_jitter},
};
use crate::{
    backoff::{self, Backoff, GiveUp},
    db::now,
    domain::failure_code::FailureCode,
    events::EventHub,
};

/// How one attempt ended, as the handler saw it.
#[derive(Debug, Clone)]
pub enum Attempt {
    Completed {
        prompt: String,
        details: serde_json::Value,
        model: Option<String>,
        prompt_tokens: Option<i32>,
        output_tokens: Option<i32>,
    },
    /// Final: retrying cannot help (a refused key, blocked content, bad output …).
    Failed { code: FailureCode, message: String },
    /// Worth another try (429, 5xx, timeouts, dropped connections, a broken stream);
    /// `retry_after` is the delay the server asked for, if any.
    Retryable {
        code: FailureCode,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The attempt stopped because its token was cancelled.
    Aborted,
}

/// Runs one attempt of a claimed record. It must return soon after `cancel` fires.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn run(&self, job: &video_prompt::Model, cancel: CancellationToken) -> Attempt;
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This process's name on the leases it holds; unique per process.
    pub owner: String,
    pub workers: usize,
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// How long attempts in flight may run on after shutdown begins.
    pub shutdown_grace: Duration,
    /// The longest the runner sleeps without looking at the queue (a safety net: another
    /// process's records and expired leases have no wake-up call here).
    pub idle_poll: Duration,
}

/// Runs the pool until `shutdown` is cancelled; returns once every attempt has been finished
/// or handed back.
pub async fn run(
    db: DatabaseConnection,
    config: RunnerConfig,
    jobs: Jobs,
    handler: Arc<dyn Handler>,
    events: EventHub,
    shutdown: CancellationToken,
) {
    if config.workers == 0 {
        tracing::info!("no workers: this instance serves requests but runs no generations");
        return;
    }
    let config = Arc::new(config);
    let permits = Arc::new(Semaphore::new(config.workers));
    let tracker = TaskTracker::new();
    // Cancelled after the grace period: aborts attempts still running then.
    let abort_all = CancellationToken::new();
    tracing::info!(
        workers = config.workers,
        owner = %config.owner,
        "generation workers started"
    );

    while !shutdown.is_cancelled() {
        let free = permits.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match queue::claim(&db, &config.owner, config.lease, free as u64).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::error!(error = %err, "claiming jobs failed; retrying shortly");
                    Vec::new()
                }
            }
        };
        // Every slot it asked for was filled: more may be due right now. With fewer, the queue
        // held no more due records at the claim; a record added since wakes us (the request
        // path calls `wake`) and one falling due later is what `sleep_time` waits for. Claiming
        // again at once would find nothing, and on SQLite even a claim that takes nothing holds
        // the one write lock for a moment.
        let filled = !claimed.is_empty() && claimed.len() == free;
        for job in claimed {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                // Cannot happen (we claimed no more than were free); hand it back regardless.
                let _ = queue::finish(&db, job.id, &config.owner, Outcome::HandBack).await;
                continue;
            };
            events.publish(job.clone());
            let context = AttemptContext {
                db: db.clone(),
                config: config.clone(),
                jobs: jobs.clone(),
                handler: handler.clone(),
                events: events.clone(),
                shutting_down: shutdown.clone(),
                abort_all: abort_all.clone(),
            };
            tracker.spawn(async move {
                context.run(job).await;
                drop(permit);
            });
        }
        if filled && permits.available_permits() > 0 {
            continue;
        }
        let sleep = sleep_time(&db, &config).await;
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = jobs.wake.notified() => {}
            // A worker finished: its slot is free for a waiting record.
            _ = permits.clone().acquire_owned(), if permits.available_permits() == 0 => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }

    tracker.close();
    if !tracker.is_empty() {
        tracing::info!(
            in_flight = tracker.len(),
            grace = ?config.shutdown_grace,
            "waiting for generations in flight"
        );
    }
    if tokio::time::timeout(config.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        abort_all.cancel();
        tracker.wait().await;
    }
    tracing::info!("generation workers stopped");
}

/// Until the next record falls due, within `[0, idle_poll]`.
async fn sleep_time(db: &DatabaseConnection, config: &RunnerConfig) -> Duration {
    match queue::next_due(db).await {
        Ok(Some(due)) => (due - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(config.idle_poll),
        Ok(None) => config.idle_poll,
        Err(err) => {
            tracing::error!(error = %err, "reading the queue failed");
            Duration::from_secs(1).min(config.idle_poll)
        }
    }
}

struct AttemptContext {
    db: DatabaseConnection,
    config: Arc<RunnerConfig>,
    jobs: Jobs,
    handler: Arc<dyn Handler>,
    events: EventHub,
    shutting_down: CancellationToken,
    abort_all: CancellationToken,
}

impl AttemptContext {
    async fn run(self, job: video_prompt::Model) {
        let id = job.id;
        // Taken up again after its worker died once too often (a lease that ran out counts a
        // try too): a record that keeps killing its workers must end, not loop for ever.
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        if attempts > self.config.retry.max_attempts {
            let outcome = Outcome::Failed {
                code: FailureCode::Internal,
                message: format!(
                    "The generation was interrupted {} times and was given up.",
                    attempts - 1
                ),
            };
            if let Ok(Some(record)) =
                finish_with_retries(&self.db, id, &self.config.owner, outcome).await
            {
                self.events.publish(record);
            }
            return;
        }
        let cancel = self.abort_all.child_token();
        self.jobs.register(id, cancel.clone());
        let lease_lost = CancellationToken::new();
        // Aborted when this attempt ends however it ends (a panic included): a renewer left
        // running would hold the lease for good and strand the record in PROCESSING.
        let renewer = AbortOnDropHandle::new(tokio::spawn(renew_lease(
            self.db.clone(),
            id,
            self.config.clone(),
            cancel.clone(),
            lease_lost.clone(),
        )));

        // A panicking handler is a bug, but it must not strand the record: it counts as a
        // failed try (retried while attempts remain, then FAILED with INTERNAL).
        let attempt = AssertUnwindSafe(self.handler.run(&job, cancel.clone()))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(%id, panic = panic_message(&panic), "the generation handler panicked");
                Attempt::Retryable {
                    code: FailureCode::Internal,
                    message: "The generation stopped unexpectedly.".into(),
                    retry_after: None,
                }
            });
        drop(renewer);
        self.jobs.unregister(id);

        let outcome = match attempt {
            _ if lease_lost.is_cancelled() => None,
            Attempt::Aborted if self.shutting_down.is_cancelled() => Some(Outcome::HandBack),
            // Aborted by a user's cancel: the record is already CANCELLED.
            Attempt::Aborted => None,
            Attempt::Completed {
                prompt,
                details,
                model,
                prompt_tokens,
                output_tokens,
            } => Some(Outcome::Completed {
                prompt,
                details,
                model,
                prompt_tokens,
                output_tokens,
            }),
            Attempt::Failed { code, message } => Some(Outcome::Failed { code, message }),
            Attempt::Retryable {
                code,
                message,
                retry_after,
            } => {
                let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                if self.config.retry.may_retry(attempts) {
                    let delay = self
                        .config
                        .retry
                        .delay(attempts, retry_after, random_jitter());
                    let at = now() + chrono::Duration::from_std(delay).unwrap_or_default();
                    Some(Outcome::RetryAt { at, code, message })
                } else {
                    Some(Outcome::Failed {
                        code,
                        message: format!("{message} (gave up after {attempts} attempts)"),
                    })
                }
            }
        };
        let Some(outcome) = outcome else { return };
        let retry_at = matches!(outcome, Outcome::RetryAt { .. } | Outcome::HandBack);
        match finish_with_retries(&self.db, id, &self.config.owner, outcome).await {
            Ok(Some(record)) => {
                self.events.publish(record);
                if retry_at {
                    // The runner may be asleep past this record's due time.
                    self.jobs.wake();
                }
            }
            Ok(None) => tracing::info!(%id, "the record changed hands meanwhile; result dropped"),
            Err(err) => {
                // The lease runs out and another attempt follows: nothing is lost.
                tracing::error!(%id, error = %err, "could not record the outcome")
            }
        }
    }
}

/// Records an outcome, trying a few times over a database hiccup: the answer is already paid
/// for, and losing it would cost another Gemini call once the lease runs out.
async fn finish_with_retries(
    db: &DatabaseConnection,
    id: Uuid,
    owner: &str,
    outcome: Outcome,
) -> Result<Option<video_prompt::Model>, sea_orm::DbErr> {
    const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
    let on_retry = |err: &sea_orm::DbErr, _| {
        tracing::warn!(%id, error = %err, "recording an outcome failed; trying again");
    };
    backoff::retry(BACKOFF, GiveUp::AfterTries(3), None, on_retry, || {
        queue::finish(db, id, owner, outcome.clone())
    })
    .await
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Renews the lease every third of its length; on losing it (cancelled, taken over), aborts
/// the attempt.
async fn renew_lease(
    db: DatabaseConnection,
    id: Uuid,
    config: Arc<RunnerConfig>,
    cancel: CancellationToken,
    lease_lost: CancellationToken,
) {
    let period = (config.lease / 3).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(period);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match queue::renew(&db, id, &config.owner, config.lease).await {
            Ok(true) => {}
            Ok(false) => {
                lease_lost.cancel();
                cancel.cancel();
                return;
            }
            // A database hiccup: keep trying while the lease lasts.
            Err(err) => tracing::warn!(%id, error = %err, "renewing a lease failed"),
        }
    }
}
