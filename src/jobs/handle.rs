//! `Jobs`: the handle the rest of the server holds on the worker pool — wake it when a record
//! falls due, abort a record's attempt wherever it runs. The runner registers its attempts here.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Asks the other instances to abort a record's attempt (the cluster's outbox, on PostgreSQL).
pub trait RemoteAbort: Send + Sync + 'static {
    fn abort_elsewhere(&self, id: Uuid);
}

/// Wakes the runner and aborts attempts; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    pub(super) wake: Arc<Notify>,
    running: Arc<Mutex<HashMap<Uuid, CancellationToken>>>,
    /// Where an abort also goes, when the attempt may run in another process.
    elsewhere: Option<Arc<dyn RemoteAbort>>,
    /// Attempts this process has started (metrics; tests tell instances' shares apart).
    started: Arc<AtomicU64>,
}

impl Jobs {
    /// `elsewhere`: how to reach the other instances' attempts, if there are others.
    pub fn new(elsewhere: Option<Arc<dyn RemoteAbort>>) -> Self {
        Self {
            wake: Arc::default(),
            running: Arc::default(),
            elsewhere,
            started: Arc::default(),
        }
    }

    /// The handle of a process that is the only instance.
    pub fn local() -> Self {
        Self::new(None)
    }

    /// A new record is due: look at the queue now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Aborts the attempt for `id` wherever it runs (cancellation, a deleted image): here at
    /// once, and in the other instances through their notification. `true` when it ran here.
    pub fn abort(&self, id: Uuid) -> bool {
        if let Some(elsewhere) = &self.elsewhere {
            elsewhere.abort_elsewhere(id);
        }
        self.abort_here(id)
    }

    /// Aborts the attempt running in this process for `id`, if any.
    pub fn abort_here(&self, id: Uuid) -> bool {
        match self.table().get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Attempts running in this process right now.
    pub fn running(&self) -> usize {
        self.table().len()
    }

    /// Attempts this process has started since it began.
    pub fn attempts_started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub(super) fn register(&self, id: Uuid, token: CancellationToken) {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.table().insert(id, token);
    }

    pub(super) fn unregister(&self, id: Uuid) {
        self.table().remove(&id);
    }

    fn table(&self) -> MutexGuard<'_, HashMap<Uuid, CancellationToken>> {
        // The map stays consistent whatever a panicking holder was doing.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}
