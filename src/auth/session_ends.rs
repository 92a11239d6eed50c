//! Sessions that end while a connection uses them.
//!
//! An HTTP request looks its token up once and is over quickly; a WebSocket lives for hours
//! on one lookup. So every signed-in socket watches its session here, and `logout` ends the
//! session here: each socket of that session, on this instance, hears of it at once and
//! closes (see `http::ws`). On PostgreSQL the end also goes to the other instances (the
//! cluster's `videoprompt_sessions` channel), whose listener ends it locally with
//! [`SessionEnds::end_local`].
//!
//! Watching is keyed by session id, so a logout wakes exactly the sockets of that session. A
//! socket that signed in just as its session ended could miss it (it looked the token up
//! before the end, and starts watching after it): [`SessionEnds::ends_seen`] counts the ends
//! seen here, and a socket that sees the count move between its lookup and its watch looks
//! the token up again. [`SessionEnds::recheck_all`] asks every socket to look its token up
//! again, for when ends may have been missed (the cluster listener was disconnected).
//!
//! The [`SessionCache`] hears of every end here first (before any watcher, and before
//! [`SessionEnds::ends_seen`] moves), so nobody who heard of an end can still be served the
//! session from the cache; [`SessionEnds::recheck_all`] also clears it.
//!
//! Built once at start-up with where the ends go besides this process and the cache; nothing
//! is installed afterwards.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use uuid::Uuid;

use super::SessionCache;

/// Takes the ends of sessions to the other instances.
pub trait Relay: Send + Sync + 'static {
    fn session_ended(&self, session_id: Uuid);
}

#[derive(Clone)]
pub struct SessionEnds {
    inner: Arc<Inner>,
}

struct Inner {
    watched: Mutex<HashMap<Uuid, Watched>>,
    /// Where `end` also sends each end; `None` on SQLite (one instance by definition).
    elsewhere: Option<Arc<dyn Relay>>,
    /// The sessions looked up lately: an ended one must not be served from there.
    cache: SessionCache,
    ends_seen: AtomicU64,
    recheck: watch::Sender<u64>,
}

/// A watched session: cancelled when it ends; dropped from the map with its last watcher.
struct Watched {
    ended: CancellationToken,
    watchers: usize,
}

impl SessionEnds {
    /// `elsewhere`: the other instances, if any; `cache`: the sessions looked up lately, which
    /// forgets each session that ends.
    pub fn new(elsewhere: Option<Arc<dyn Relay>>, cache: SessionCache) -> Self {
        Self {
            inner: Arc::new(Inner {
                watched: Mutex::default(),
                elsewhere,
                cache,
                ends_seen: AtomicU64::new(0),
                recheck: watch::Sender::new(0),
            }),
        }
    }

    /// The session ended (its row is gone): here and on every other instance.
    pub fn end(&self, session_id: Uuid) {
        if let Some(elsewhere) = &self.inner.elsewhere {
            elsewhere.session_ended(session_id);
        }
        self.end_local(session_id);
    }

    /// The session ended; tells this instance's watchers only (an end from another instance
    /// arrives this way).
    pub fn end_local(&self, session_id: Uuid) {
        // First: a socket that sees `ends_seen` move looks again, and must not find it cached.
        self.inner.cache.forget_session(session_id);
        self.inner.ends_seen.fetch_add(1, Ordering::SeqCst);
        if let Some(watched) = self.watched().remove(&session_id) {
            watched.ended.cancel();
        }
    }

    /// Ends seen so far (see the module comment for why a socket compares it).
    pub fn ends_seen(&self) -> u64 {
        self.inner.ends_seen.load(Ordering::SeqCst)
    }

    /// Asks every watcher to look its token up again, and forgets every cached session: ends
    /// may have been missed.
    pub fn recheck_all(&self) {
        self.inner.cache.clear();
        self.inner.recheck.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Changes each time [`recheck_all`](Self::recheck_all) is called.
    pub fn rechecks(&self) -> watch::Receiver<u64> {
        self.inner.recheck.subscribe()
    }

    /// Watches a session until the returned guard is dropped.
    pub fn watch(&self, session_id: Uuid) -> SessionWatch {
        let ended = {
            let mut watched = self.watched();
            let entry = watched.entry(session_id).or_insert_with(|| Watched {
                ended: CancellationToken::new(),
                watchers: 0,
            });
            entry.watchers += 1;
            entry.ended.clone()
        };
        SessionWatch {
            session_id,
            ended,
            ends: self.clone(),
        }
    }

    /// Sessions watched right now (for tests and metrics).
    pub fn watched_sessions(&self) -> usize {
        self.watched().len()
    }

    fn watched(&self) -> MutexGuard<'_, HashMap<Uuid, Watched>> {
        // The map stays consistent whatever a panicking holder was doing.
        self.inner.watched.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One watcher of one session.
pub struct SessionWatch {
    session_id: Uuid,
    ended: CancellationToken,
    ends: SessionEnds,
}

impl SessionWatch {
    /// Completes when the session ends. Cancel-safe.
    pub fn ended(&self) -> WaitForCancellationFuture<'_> {
        self.ended.cancelled()
    }

    pub fn is_ended(&self) -> bool {
        self.ended.is_cancelled()
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        if self.ended.is_cancelled() {
            // Its entry went when the session ended; one made since for the same id (a socket
            // that signed in as it ended) is not ours to count down.
            return;
        }
        let mut watched = self.ends.watched();
        if let Some(entry) = watched.get_mut(&self.session_id) {
            entry.watchers -= 1;
            if entry.watchers == 0 {
                watched.remove(&self.session_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorded(Mutex<Vec<Uuid>>);

    impl Relay for Recorded {
        fn session_ended(&self, session_id: Uuid) {
            self.0.lock().unwrap().push(session_id);
        }
    }

    #[test]
    fn an_end_reaches_the_watchers_of_that_session_and_the_other_instances() {
        let relay = Arc::new(Recorded(Mutex::default()));
        let ends = SessionEnds::new(Some(relay.clone()), SessionCache::off());
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let first = ends.watch(mine);
        let second = ends.watch(mine);
        let bystander = ends.watch(other);
        let seen = ends.ends_seen();

        ends.end(mine);
        assert!(first.is_ended() && second.is_ended());
        assert!(!bystander.is_ended());
        assert_eq!(ends.ends_seen(), seen + 1);
        assert_eq!(*relay.0.lock().unwrap(), vec![mine]);

        ends.end_local(other);
        assert!(bystander.is_ended());
        assert_eq!(
            relay.0.lock().unwrap().len(),
            1,
            "a local end is not relayed"
        );
    }

    #[test]
    fn the_last_watcher_leaving_forgets_the_session() {
        let ends = SessionEnds::new(None, SessionCache::off());
        let id = Uuid::now_v7();
        let first = ends.watch(id);
        let second = ends.watch(id);
        drop(first);
        assert_eq!(ends.watched_sessions(), 1);
        drop(second);
        assert_eq!(ends.watched_sessions(), 0);
    }
}
