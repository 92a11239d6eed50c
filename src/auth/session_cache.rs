//! Recently looked-up sessions, so that a token sent again and again costs no SQL.
//!
//! Every request with a bearer token needs its live session; looking it up was most of the
//! cost of a small read. This cache keeps, per token hash, the session and its user's row for
//! a short time (`--session-cache-ttl`, 0 turns it off), at most [`DEFAULT_CAPACITY`] tokens
//! (the least recently used go first).
//!
//! What keeps it right:
//! - **Ends** of sessions (logout here or on another instance) arrive through
//!   [`SessionEnds`](super::SessionEnds), which drops the session from here before anyone hears
//!   of the end; when ends may have been missed (the cluster listener reconnected) the whole
//!   cache is cleared.
//! - **A lookup racing an end**: a miss reads the row, the session ends, and only then would
//!   the miss store what it read. Each miss takes a [`Ticket`] (the count of ends and clears
//!   so far) before it reads, and its result is stored only if nothing ended meanwhile.
//! - **Expiry**: the entry keeps the session's `expires_at`; a hit past it is refused at once
//!   (a session's expiry is fixed when it starts and never moves).
//! - **A row removed behind the server's back** (SQL by hand) is noticed when the entry's TTL
//!   runs out: that is the price of the cache, and why the TTL is short.
//!
//! One mutex around the LRU: a hit holds it for a hash-map lookup, far less than the request
//! around it.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use lru::LruCache;
use uuid::Uuid;

use super::token::Caller;

/// Tokens kept at most (an entry is the session and the user's row, about 400 bytes).
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A token's SHA-256, the key (the token itself is never kept).
pub type TokenHash = [u8; 32];

/// The recently looked-up sessions of this instance; cheap to clone.
#[derive(Clone)]
pub struct SessionCache {
    /// `None`: the cache is off (a TTL of 0), every lookup goes to the database.
    inner: Option<Arc<Shared>>,
}

struct Shared {
    ttl: Duration,
    state: Mutex<State>,
}

struct State {
    entries: LruCache<TokenHash, Entry>,
    /// Which token each cached session has (one token per session), to drop a session by id.
    by_session: HashMap<Uuid, TokenHash>,
    /// Ends and clears so far (see [`Ticket`]).
    epoch: u64,
}

struct Entry {
    caller: Caller,
    stored_at: Instant,
}

/// What the cache knows of a token.
pub enum Cached {
    /// A live session, seen within the TTL.
    Live(Caller),
    /// Its session has expired: refuse the token, the database would too.
    Expired,
    /// Not known (or no longer trusted): look it up and [`store`](SessionCache::store) it with
    /// this ticket.
    Unknown(Ticket),
}

/// Taken before a lookup reads the database: its result is stored only if no session ended
/// since (the end might be of the very row it read).
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl SessionCache {
    /// A cache keeping each session for `ttl` (0: no cache) and at most `capacity` tokens.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        let inner = NonZeroUsize::new(capacity)
            .filter(|_| !ttl.is_zero())
            .map(|capacity| {
                Arc::new(Shared {
                    ttl,
                    state: Mutex::new(State {
                        entries: LruCache::new(capacity),
                        by_session: HashMap::new(),
                        epoch: 0,
                    }),
                })
            });
        Self { inner }
    }

    /// No cache: every lookup goes to the database.
    pub fn off() -> Self {
        Self { inner: None }
    }

    /// What is known of the token with this hash.
    pub fn get(&self, hash: &TokenHash) -> Cached {
        let Some(shared) = &self.inner else {
            return Cached::Unknown(Ticket(0));
        };
        let mut state = shared.lock();
        let (fresh, expired) = match state.entries.get(hash) {
            None => return Cached::Unknown(Ticket(state.epoch)),
            Some(entry) => (
                entry.stored_at.elapsed() < shared.ttl,
                entry.caller.session.expires_at <= chrono::Utc::now(),
            ),
        };
        if expired {
            state.remove(hash);
            return Cached::Expired;
        }
        if !fresh {
            state.remove(hash);
            return Cached::Unknown(Ticket(state.epoch));
        }
        let entry = state
            .entries
            .peek(hash)
            .expect("BUG: the entry was just seen");
        Cached::Live(entry.caller.clone())
    }

    /// A ticket for a lookup that goes to the database whatever is cached.
    pub fn ticket(&self) -> Ticket {
        match &self.inner {
            Some(shared) => Ticket(shared.lock().epoch),
            None => Ticket(0),
        }
    }

    /// Keeps what a lookup found, unless a session ended or the cache was cleared since
    /// `ticket` was taken.
    pub fn store(&self, hash: TokenHash, caller: Caller, ticket: Ticket) {
        let Some(shared) = &self.inner else {
            return;
        };
        let mut state = shared.lock();
        if state.epoch != ticket.0 {
            return;
        }
        let session_id = caller.session.session_id;
        let entry = Entry {
            caller,
            stored_at: Instant::now(),
        };
        if let Some((pushed_out, old)) = state.entries.push(hash, entry)
            && pushed_out != hash
        {
            state.unindex(old.caller.session.session_id, &pushed_out);
        }
        state.by_session.insert(session_id, hash);
    }

    /// Forgets a token the database no longer knows.
    pub fn forget_token(&self, hash: &TokenHash) {
        if let Some(shared) = &self.inner {
            shared.lock().remove(hash);
        }
    }

    /// The session ended: forget it, and keep any lookup in flight from storing it again.
    pub fn forget_session(&self, session_id: Uuid) {
        if let Some(shared) = &self.inner {
            let mut state = shared.lock();
            state.epoch = state.epoch.wrapping_add(1);
            if let Some(hash) = state.by_session.remove(&session_id) {
                state.entries.pop(&hash);
            }
        }
    }

    /// Forgets everything (ends may have been missed).
    pub fn clear(&self) {
        if let Some(shared) = &self.inner {
            let mut state = shared.lock();
            state.epoch = state.epoch.wrapping_add(1);
            state.entries.clear();
            state.by_session.clear();
        }
    }

    /// Tokens cached right now (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |s| s.lock().entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change leaves the maps consistent, whatever a panicking holder was doing.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn remove(&mut self, hash: &TokenHash) {
        if let Some(entry) = self.entries.pop(hash) {
            self.unindex(entry.caller.session.session_id, hash);
        }
    }

    fn unindex(&mut self, session_id: Uuid, hash: &TokenHash) {
        if self.by_session.get(&session_id) == Some(hash) {
            self.by_session.remove(&session_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Session;

    fn caller(expires_in: chrono::Duration) -> Caller {
        let now = chrono::Utc::now();
        Caller {
            session: Session {
                session_id: Uuid::now_v7(),
                user_id: Uuid::now_v7(),
                expires_at: now + expires_in,
            },
            user: Arc::new(entity::user::Model {
                id: Uuid::now_v7(),
                email: "anna@example.de".into(),
                password_hash: String::new(),
                created_at: now,
            }),
        }
    }

    fn unknown(cache: &SessionCache, hash: &TokenHash) -> Ticket {
        match cache.get(hash) {
            Cached::Unknown(ticket) => ticket,
            Cached::Live(_) => panic!("a hit"),
            Cached::Expired => panic!("expired"),
        }
    }

    #[test]
    fn a_stored_session_is_a_hit_until_it_ends() {
        let cache = SessionCache::new(Duration::from_secs(3600), 10);
        let (hash, who) = ([1; 32], caller(chrono::Duration::hours(1)));
        let ticket = unknown(&cache, &hash);
        cache.store(hash, who.clone(), ticket);
        assert!(matches!(cache.get(&hash), Cached::Live(c) if c.session == who.session));
        cache.forget_session(who.session.session_id);
        unknown(&cache, &hash);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_lookup_that_raced_an_end_is_not_stored() {
        let cache = SessionCache::new(Duration::from_secs(3600), 10);
        let (hash, who) = ([2; 32], caller(chrono::Duration::hours(1)));
        let ticket = unknown(&cache, &hash);
        // The session ends while the lookup reads its (still present) row.
        cache.forget_session(who.session.session_id);
        cache.store(hash, who.clone(), ticket);
        unknown(&cache, &hash);
        // A clear counts the same way.
        let ticket = cache.ticket();
        cache.clear();
        cache.store(hash, who, ticket);
        unknown(&cache, &hash);
    }

    #[test]
    fn an_expired_session_is_refused_and_a_stale_entry_is_a_miss() {
        let cache = SessionCache::new(Duration::from_secs(3600), 10);
        let hash = [3; 32];
        cache.store(hash, caller(chrono::Duration::seconds(-1)), cache.ticket());
        assert!(matches!(cache.get(&hash), Cached::Expired));
        assert!(cache.is_empty());

        let short = SessionCache::new(Duration::from_nanos(1), 10);
        short.store(hash, caller(chrono::Duration::hours(1)), short.ticket());
        std::thread::sleep(Duration::from_millis(1));
        unknown(&short, &hash);
    }

    #[test]
    fn the_least_recently_used_token_goes_first_and_its_session_with_it() {
        let cache = SessionCache::new(Duration::from_secs(3600), 2);
        let callers: Vec<_> = (0..3).map(|_| caller(chrono::Duration::hours(1))).collect();
        for (i, who) in callers.iter().enumerate() {
            cache.store([10 + i as u8; 32], who.clone(), cache.ticket());
        }
        assert_eq!(cache.len(), 2);
        unknown(&cache, &[10; 32]);
        let state = cache.inner.as_ref().unwrap().lock();
        assert!(
            !state
                .by_session
                .contains_key(&callers[0].session.session_id)
        );
        assert_eq!(state.by_session.len(), 2);
    }

    #[test]
    fn a_ttl_of_zero_keeps_nothing() {
        let cache = SessionCache::new(Duration::ZERO, 10);
        cache.store([4; 32], caller(chrono::Duration::hours(1)), cache.ticket());
        unknown(&cache, &[4; 32]);
    }
}
