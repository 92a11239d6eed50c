//! The sender: one task sends this instance's notifications, in the order they were made.
//!
//! One task rather than a `NOTIFY` from each caller: publishing never waits on the database
//! (a mutation's answer does not depend on it), and the order is kept — notifications sent
//! on different pool connections would arrive in commit order, which receivers would take for
//! a gap in the sequence. Whatever is queued when the task gets to it goes in one statement.
//!
//! A batch that fails to send (no pool connection in time, say) is tried again, in order,
//! before anything newer: receivers only notice a lost notification when a later one from the
//! same instance arrives, so a lost *last* change (a COMPLETED after which the instance goes
//! quiet) would otherwise reach the other instances' subscribers only at their next resync.

use std::{fmt::Display, future::Future, time::Duration};

use sea_orm::sqlx::{self, PgPool};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Outgoing;
use crate::backoff::{self, Backoff, GiveUp};

/// Most notifications sent in one statement.
const BATCH: usize = 512;

/// How a failed batch is tried again: doubling waits from 100 ms up to 5 s.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
/// After this long a batch is given up: something is wrong with it rather than with the
/// connection, and the receivers will see the gap at the instance's next change.
const GIVE_UP: GiveUp = GiveUp::After(Duration::from_secs(60));

pub(super) async fn send_loop(
    pool: PgPool,
    mut receiver: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let first = tokio::select! {
            message = receiver.recv() => message,
            () = stop.cancelled() => None,
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(message) => batch.push(message),
                Err(_) => break,
            }
        }
        send(&pool, &mut batch, &stop).await;
    }
    // Shutting down: what was published until now (records handed back, say) still goes out.
    receiver.close();
    while let Ok(message) = receiver.try_recv() {
        batch.push(message);
        if batch.len() == BATCH {
            send(&pool, &mut batch, &stop).await;
        }
    }
    send(&pool, &mut batch, &stop).await;
}

/// Sends and empties `batch`, trying again on failure (see the module comment).
async fn send(pool: &PgPool, batch: &mut Vec<Outgoing>, stop: &CancellationToken) {
    if batch.is_empty() {
        return;
    }
    let (channels, payloads): (Vec<&str>, Vec<String>) =
        batch.iter().map(Outgoing::channel_and_payload).unzip();
    let count = batch.len();
    let sent = send_with_retries(BACKOFF, GIVE_UP, stop, || {
        // `unnest` keeps the arrays' order, and a transaction's notifications arrive in the
        // order they were sent.
        sqlx::query("SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)")
            .bind(channels.clone())
            .bind(payloads.clone())
            .execute(pool)
    })
    .await;
    if !sent {
        tracing::error!(
            count,
            "gave up sending notifications; other instances will resync"
        );
    }
    batch.clear();
}

/// Runs `attempt` until it succeeds or `give_up` says so; at once when `stop` is cancelled
/// (shutting down). `true` if it succeeded.
async fn send_with_retries<T, E: Display, Fut: Future<Output = Result<T, E>>>(
    backoff: Backoff,
    give_up: GiveUp,
    stop: &CancellationToken,
    attempt: impl FnMut() -> Fut,
) -> bool {
    let on_retry = |err: &E, wait: Duration| {
        tracing::warn!(error = %err, retry_in = ?wait, "sending notifications failed; trying again");
    };
    match backoff::retry(backoff, give_up, Some(stop), on_retry, attempt).await {
        Ok(_) => true,
        Err(err) => {
            tracing::warn!(error = %err, "sending notifications failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const QUICK: Backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(4));
    const QUICK_GIVE_UP: GiveUp = GiveUp::After(Duration::from_millis(200));

    #[tokio::test]
    async fn a_failed_send_is_tried_again_until_it_goes_through() {
        let attempts = AtomicU32::new(0);
        let sent = send_with_retries(QUICK, QUICK_GIVE_UP, &CancellationToken::new(), || async {
            match attempts.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err("no connection"),
                _ => Ok(()),
            }
        })
        .await;
        assert!(sent);
        assert_eq!(attempts.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_send_that_keeps_failing_is_given_up_and_shutting_down_stops_at_once() {
        let attempts = AtomicU32::new(0);
        let failing = || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>("payload too long")
        };
        assert!(!send_with_retries(QUICK, QUICK_GIVE_UP, &CancellationToken::new(), failing).await);
        assert!(attempts.load(Ordering::SeqCst) > 1, "it was tried again");

        attempts.store(0, Ordering::SeqCst);
        let stop = CancellationToken::new();
        stop.cancel();
        assert!(!send_with_retries(BACKOFF, GIVE_UP, &stop, failing).await);
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            1,
            "no waiting while shutting down"
        );
    }
}
