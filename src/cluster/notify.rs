//! The sender: one task sends this instance's notifications, in the order they were made.
//!
//! One task rather than a `NOTIFY` from each caller: publishing never waits on the database
//! (a mutation's answer does not depend on it), and the order is kept — notifications sent
//! on different pool connections would arrive in commit order, which receivers would take for
//! a gap in the sequence. Whatever is queued when the task gets to it goes in one statement.

use sea_orm::sqlx::{self, PgPool};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Outgoing;

/// Most notifications sent in one statement.
const BATCH: usize = 512;

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
        send(&pool, &mut batch).await;
    }
    // Shutting down: what was published until now (records handed back, say) still goes out.
    receiver.close();
    while let Ok(message) = receiver.try_recv() {
        batch.push(message);
        if batch.len() == BATCH {
            send(&pool, &mut batch).await;
        }
    }
    send(&pool, &mut batch).await;
}

/// Sends and empties `batch`; a failure is logged, never retried (a receiver sees the gap in
/// the sequence and resyncs, which is cheaper than holding a backlog).
async fn send(pool: &PgPool, batch: &mut Vec<Outgoing>) {
    if batch.is_empty() {
        return;
    }
    let (channels, payloads): (Vec<&str>, Vec<String>) =
        batch.iter().map(Outgoing::channel_and_payload).unzip();
    // `unnest` keeps the arrays' order, and a transaction's notifications arrive in the order
    // they were sent.
    let sent = sqlx::query("SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)")
        .bind(channels)
        .bind(payloads)
        .execute(pool)
        .await;
    if let Err(err) = sent {
        let count = batch.len();
        tracing::warn!(error = %err, count, "sending notifications failed");
    }
    batch.clear();
}
