//! The listener: one connection per instance `LISTEN`s on both channels and turns what the
//! other instances announce into local events.
//!
//! The connection comes from a pool of its own (one connection, the main pool's settings, an
//! `application_name` naming this instance) so operators — and a test — can find it in
//! `pg_stat_activity`, and so that it never takes a connection from request handlers.
//!
//! A dropped connection (`try_recv` answering `Ok(None)` or an error) is reopened with
//! backoff; once `LISTEN` is in force again, every local subscriber is told to read the
//! current state (`resync_all`) and the workers look at the queue, since anything may have
//! changed meanwhile. Subscribers resync on the first connection too, which covers those that
//! arrived before it.

use std::{collections::HashMap, time::Duration};

use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    EntityTrait,
    sqlx::{
        self,
        postgres::{PgListener, PgNotification, PgPoolOptions},
    },
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{CANCEL_CHANNEL, CHANGES_CHANNEL, Change, Cluster, SESSIONS_CHANNEL};
use crate::backoff::Backoff;

/// Waits between reconnections: doubling from 100 ms up to 5 s.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
/// A connection that lasted this long is taken to be healthy again.
const STABLE: Duration = Duration::from_secs(30);

pub(super) async fn listen_loop(cluster: Cluster, stop: CancellationToken) {
    let options = (*cluster
        .inner
        .db
        .get_postgres_connection_pool()
        .connect_options())
    .clone()
    .application_name(&cluster.listener_application_name());
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options);
    // Failed or short-lived connections in a row.
    let mut failures = 0;
    let mut receiver = Receiver {
        cluster: cluster.clone(),
        last_seq: HashMap::new(),
    };
    let mut hold = cluster.inner.hold.subscribe();
    while !stop.is_cancelled() {
        if *hold.borrow() {
            tokio::select! {
                _ = hold.wait_for(|held| !held) => {}
                () = stop.cancelled() => break,
            }
        }
        let mut listener = match connect(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                failures += 1;
                let wait = BACKOFF.delay(failures);
                tracing::warn!(error = %err, retry_in = ?wait, "cannot listen for other instances' changes");
                if sleep_or_stop(wait, &stop).await {
                    break;
                }
                continue;
            }
        };
        let connected = std::time::Instant::now();
        receiver.caught_up(cluster.inner.state.borrow().connects > 0);
        cluster.inner.state.send_modify(|state| {
            state.listening = true;
            state.connects += 1;
        });
        tracing::info!("listening for other instances' changes");
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                () = stop.cancelled() => break,
            };
            match received {
                Ok(Some(notification)) => receiver.handle(notification).await,
                Ok(None) => {
                    tracing::warn!("the listening connection dropped; reconnecting");
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "listening failed; reconnecting");
                    break;
                }
            }
        }
        cluster
            .inner
            .state
            .send_modify(|state| state.listening = false);
        drop(listener);
        // A connection that held a while starts the backoff afresh; one that keeps dropping at
        // once backs off, so that subscribers are not made to resync again and again.
        failures = if connected.elapsed() >= STABLE {
            1
        } else {
            failures + 1
        };
        if !stop.is_cancelled() && sleep_or_stop(BACKOFF.delay(failures), &stop).await {
            break;
        }
    }
    pool.close().await;
    cluster
        .inner
        .state
        .send_modify(|state| state.listening = false);
}

async fn connect(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Report a lost connection at once instead of reconnecting inside `try_recv`: the resync
    // must follow every reconnection.
    listener.eager_reconnect(false);
    listener
        .listen_all([CHANGES_CHANNEL, CANCEL_CHANNEL, SESSIONS_CHANNEL])
        .await?;
    Ok(listener)
}

/// `true` when stopped while sleeping.
async fn sleep_or_stop(duration: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(duration) => false,
        () = stop.cancelled() => true,
    }
}

/// Turns notifications into local events.
struct Receiver {
    cluster: Cluster,
    /// The last sequence number seen per sending instance.
    last_seq: HashMap<Uuid, u64>,
}

impl Receiver {
    /// Listening (again): whatever happened before is read afresh. After a reconnection the
    /// workers also look at the queue (a new request's notification may have been missed); at
    /// the first connection they just did so on starting.
    fn caught_up(&mut self, reconnected: bool) {
        self.last_seq.clear();
        self.cluster.inner.events.resync_all();
        if reconnected {
            // A logout elsewhere may have gone unheard: every socket looks its token up again.
            self.cluster.inner.sessions.recheck_all();
        }
        if reconnected {
            self.cluster.inner.jobs.wake();
        }
    }

    async fn handle(&mut self, notification: PgNotification) {
        match notification.channel() {
            CANCEL_CHANNEL => match notification.payload().parse::<Uuid>() {
                Ok(id) => {
                    self.cluster.inner.jobs.abort_here(id);
                }
                Err(_) => tracing::warn!(payload = notification.payload(), "a malformed cancel"),
            },
            SESSIONS_CHANNEL => match notification.payload().parse::<Uuid>() {
                // Also our own: ending a session twice does nothing more.
                Ok(id) => self.cluster.inner.sessions.end_local(id),
                Err(_) => {
                    tracing::warn!(payload = notification.payload(), "a malformed session end")
                }
            },
            CHANGES_CHANNEL => match serde_json::from_str::<Change>(notification.payload()) {
                Ok(change) => self.changed(change).await,
                Err(err) => tracing::warn!(error = %err, "a malformed change notification"),
            },
            _ => {}
        }
    }

    async fn changed(&mut self, change: Change) {
        let inner = &self.cluster.inner;
        if change.instance == inner.instance {
            return;
        }
        let missed = note_seq(&mut self.last_seq, change.instance, change.seq);
        if missed > 0 {
            // The sender lost some (its NOTIFY failed or its queue overflowed).
            tracing::info!(instance = %change.instance, missed,
                "notifications went missing; subscribers read the current state");
            inner.events.resync_all();
        }

        if change.status == VideoPromptStatus::Pending {
            // A new or retried request: idle workers here may take it.
            inner.jobs.wake();
        }
        if !inner.events.is_watched(change.id, change.image_id) {
            return;
        }
        if let Some(gone) = change.gone {
            inner.events.publish_local(gone);
            return;
        }
        match video_prompt::Entity::find_by_id(change.id)
            .one(&inner.db)
            .await
        {
            Ok(Some(record)) => inner.events.publish_local(record),
            // Deleted meanwhile: its deletion is announced with its last state.
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(id = %change.id, error = %err, "reading a changed record failed");
                inner.events.resync_all();
            }
        }
    }
}

/// Records `seq` as seen from `instance`; returns how many numbers were skipped since the last
/// one (0 for the first seen, for the next one, and for a repeated or older one).
fn note_seq(last_seq: &mut HashMap<Uuid, u64>, instance: Uuid, seq: u64) -> u64 {
    let last = last_seq.entry(instance).or_insert(seq);
    let missed = seq.saturating_sub(*last + 1);
    *last = (*last).max(seq);
    missed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_in_an_instances_sequence_is_noticed_once() {
        let mut last = HashMap::new();
        let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(note_seq(&mut last, one, 41), 0, "the first one seen");
        assert_eq!(note_seq(&mut last, one, 42), 0);
        assert_eq!(
            note_seq(&mut last, two, 1),
            0,
            "instances are counted apart"
        );
        assert_eq!(note_seq(&mut last, one, 45), 2);
        assert_eq!(note_seq(&mut last, one, 44), 0, "an older one is no gap");
        assert_eq!(note_seq(&mut last, one, 46), 0);
    }
}
