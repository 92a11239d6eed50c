//! Several instances on one PostgreSQL: what one process changes, the others learn of.
//!
//! The database is the only thing the instances share, so it also carries their messages:
//! - every change a process publishes goes out as `NOTIFY videoprompt_changes` (see `notify`),
//!   with ids, the status and a per-instance sequence number — never text, as a payload stops
//!   at 8000 bytes;
//! - each process `LISTEN`s (see `listen`), reads a changed record back by id (once per
//!   notification, never per subscriber) and hands it to its own subscribers through the
//!   in-process hub; when its connection drops it reconnects and tells every subscriber to
//!   read the current state again, so no finished state is missed;
//! - `cancelVideoPrompt` (and deleting an image) also sends `NOTIFY videoprompt_cancel`, so the
//!   process running that Gemini call aborts it at once instead of at its next lease renewal;
//! - the prompt text written so far lives in the row while `PROCESSING` (see `progress`), which
//!   is how another instance's subscriber sees it grow;
//! - `logout` sends `NOTIFY videoprompt_sessions` with the session id, so the WebSockets of
//!   that session on every instance close at once (see `auth::session_ends`); after the
//!   listener reconnects, every socket looks its token up again, as an end may have been missed.
//!
//! None of this is on a request's path: a failed `NOTIFY` or a dropped listener is logged and
//! repaired (a receiver that sees a gap in an instance's sequence resyncs), never an error a
//! client sees. SQLite is one instance by definition and runs none of it.

mod listen;
mod notify;

use std::sync::{Arc, Mutex};

use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    auth::{SessionEnds, session_ends},
    events::{EventHub, Relay},
    jobs::{Jobs, RemoteAbort},
};

/// The channel record changes are announced on.
pub const CHANGES_CHANNEL: &str = "videoprompt_changes";
/// The channel that asks every instance to abort a record's Gemini call.
pub const CANCEL_CHANNEL: &str = "videoprompt_cancel";
/// The channel that ends a session (logout) on every instance.
pub const SESSIONS_CHANNEL: &str = "videoprompt_sessions";
/// PostgreSQL refuses payloads of 8000 bytes and more.
const MAX_PAYLOAD: usize = 7999;
/// Changes waiting to be sent before new ones are dropped (each dropped one leaves a gap in
/// the sequence, which makes the receivers resync).
const OUTGOING_CAPACITY: usize = 16_384;

/// One change as it travels between instances.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Change {
    /// The sending instance.
    #[serde(rename = "i")]
    instance: Uuid,
    /// The sender's sequence number: consecutive, so a receiver can tell one went missing.
    #[serde(rename = "s")]
    seq: u64,
    id: Uuid,
    /// The record's image: a receiver skips the read when nobody watches either id.
    #[serde(rename = "img")]
    image_id: Uuid,
    /// The new status: a receiver with idle workers looks at the queue on `PENDING`.
    #[serde(rename = "st")]
    status: VideoPromptStatus,
    /// The record's last state when its row was deleted (no text fields), as nobody can read
    /// it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gone: Option<video_prompt::Model>,
}

/// A message for the sender task.
#[derive(Debug)]
enum Outgoing {
    Change(String),
    Cancel(Uuid),
    SessionEnded(Uuid),
}

impl Outgoing {
    fn channel_and_payload(&self) -> (&'static str, String) {
        match self {
            Self::Change(payload) => (CHANGES_CHANNEL, payload.clone()),
            Self::Cancel(id) => (CANCEL_CHANNEL, id.to_string()),
            Self::SessionEnded(id) => (SESSIONS_CHANNEL, id.to_string()),
        }
    }
}

/// This instance's queue of notifications to the others. Made before the handles that send on
/// it, so that they are built with it (the event hub, the jobs handle, the session ends), then
/// handed to [`Cluster::join`]. Those handles hold only the sending side, not the cluster
/// (which holds them): no reference cycle keeps a stopped instance's pool alive.
pub struct Outbox {
    sender: Arc<Sender>,
    receiver: mpsc::Receiver<Outgoing>,
}

impl Outbox {
    pub fn new(instance: Uuid) -> Self {
        let (outgoing, receiver) = mpsc::channel(OUTGOING_CAPACITY);
        Self {
            sender: Arc::new(Sender {
                instance,
                seq: Mutex::new(0),
                outgoing,
            }),
            receiver,
        }
    }

    /// Where `SessionEnds` sends the sessions that end here.
    pub fn session_relay(&self) -> Arc<dyn session_ends::Relay> {
        self.sender.clone()
    }

    /// Where the event hub sends the changes made here.
    pub fn event_relay(&self) -> Arc<dyn Relay> {
        self.sender.clone()
    }

    /// How the jobs handle asks the other instances to abort an attempt.
    pub fn remote_abort(&self) -> Arc<dyn RemoteAbort> {
        self.sender.clone()
    }
}

/// How this instance's listener is doing (for tests and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerState {
    /// Whether `LISTEN` is in force right now.
    pub listening: bool,
    /// Successful (re)connections so far.
    pub connects: u64,
}

/// This instance's side of the cluster; cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    instance: Uuid,
    /// Taken by `run`.
    receiver: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    db: DatabaseConnection,
    events: EventHub,
    jobs: Jobs,
    sessions: SessionEnds,
    state: watch::Sender<ListenerState>,
    /// While `true` the listener does not reconnect (`hold_reconnects`).
    hold: watch::Sender<bool>,
}

impl Cluster {
    /// Joins the cluster on a PostgreSQL connection. `events`, `jobs` and `sessions` were built
    /// on `outbox`, so what they publish, abort and end here reaches the other instances once
    /// `run` is running; what arrives from the others is handed to them.
    pub fn join(
        db: DatabaseConnection,
        events: EventHub,
        jobs: Jobs,
        sessions: SessionEnds,
        outbox: Outbox,
    ) -> Self {
        let Outbox { sender, receiver } = outbox;
        let instance = sender.instance;
        Self {
            inner: Arc::new(Inner {
                instance,
                receiver: Mutex::new(Some(receiver)),
                db,
                events,
                jobs,
                sessions,
                state: watch::Sender::new(ListenerState::default()),
                hold: watch::Sender::new(false),
            }),
        }
    }

    /// This instance's id, as its notifications carry it.
    pub fn instance(&self) -> Uuid {
        self.inner.instance
    }

    /// The `application_name` of the listening connection (find it in `pg_stat_activity`).
    pub fn listener_application_name(&self) -> String {
        format!("videoprompt-listener-{}", self.inner.instance.simple())
    }

    /// Follows the listener's state.
    pub fn listener_state(&self) -> watch::Receiver<ListenerState> {
        self.inner.state.subscribe()
    }

    /// Keeps the listener from reconnecting after its connection drops, until called with
    /// `false`: lets a test (or an operator's drill) keep an instance deaf for a while and
    /// check that its subscribers catch up afterwards.
    pub fn hold_reconnects(&self, hold: bool) {
        self.inner.hold.send_replace(hold);
    }

    /// Sends and listens until `stop` is cancelled; what is still queued then is sent first.
    pub async fn run(self, stop: CancellationToken) {
        let receiver = self
            .inner
            .receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(receiver) = receiver else {
            tracing::error!("BUG: the cluster was run twice");
            return;
        };
        let pool = self.inner.db.get_postgres_connection_pool().clone();
        let sending = tokio::spawn(notify::send_loop(pool, receiver, stop.clone()));
        listen::listen_loop(self.clone(), stop).await;
        if let Err(err) = sending.await {
            tracing::error!(error = %err, "the notification sender panicked");
        }
    }
}

/// Queues this instance's notifications for the sender task (`notify`).
struct Sender {
    instance: Uuid,
    /// The last sequence number given out. Taken and queued under this lock, so the queue
    /// holds changes in sequence order (two threads numbering and queueing without it could
    /// queue 6 before 5, which a receiver would take for a lost notification).
    seq: Mutex<u64>,
    outgoing: mpsc::Sender<Outgoing>,
}

impl Sender {
    fn send(&self, message: Outgoing) {
        if let Err(err) = self.outgoing.try_send(message) {
            // Receivers notice the gap in the sequence and resync; a cancel still reaches the
            // running attempt at its next lease renewal.
            tracing::warn!(error = %err, "a cross-instance notification was dropped");
        }
    }

    /// The notification of a change, numbered `seq`.
    fn payload(&self, record: &video_prompt::Model, deleted: bool, seq: u64) -> String {
        let mut change = Change {
            instance: self.instance,
            seq,
            id: record.id,
            image_id: record.image_id,
            status: record.status,
            gone: deleted.then(|| video_prompt::Model {
                prompt: None,
                details: None,
                error_message: None,
                ..record.clone()
            }),
        };
        let mut payload = serde_json::to_string(&change).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD
            && let Some(gone) = &mut change.gone
        {
            // Only the notes (at most 500 characters) can make it long.
            gone.notes = None;
            payload = serde_json::to_string(&change).unwrap_or_default();
        }
        payload
    }
}

impl session_ends::Relay for Sender {
    fn session_ended(&self, session_id: Uuid) {
        self.send(Outgoing::SessionEnded(session_id));
    }
}

impl RemoteAbort for Sender {
    fn abort_elsewhere(&self, id: Uuid) {
        self.send(Outgoing::Cancel(id));
    }
}

impl Relay for Sender {
    fn relay(&self, record: &video_prompt::Model, deleted: bool) {
        let mut seq = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        // A change dropped on a full queue still uses its number: the gap tells the receivers.
        *seq += 1;
        self.send(Outgoing::Change(self.payload(record, deleted, *seq)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_travels_as_ids_and_a_sequence_number() {
        let change = Change {
            instance: Uuid::nil(),
            seq: 7,
            id: Uuid::max(),
            image_id: Uuid::nil(),
            status: VideoPromptStatus::Processing,
            gone: None,
        };
        let payload = serde_json::to_string(&change).unwrap();
        assert!(payload.len() < 200, "{payload}");
        assert!(payload.contains(r#""s":7"#), "{payload}");
        assert_eq!(serde_json::from_str::<Change>(&payload).unwrap(), change);
    }
}
