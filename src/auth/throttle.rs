//! Sign-in throttling: how many failed logins and how many registrations a client may make.
//!
//! Three limits, each a GCRA ("generic cell rate algorithm", the leaky bucket as a single
//! timestamp per key) of `limit` attempts per `window`: a burst of `limit`, then one more each
//! `window / limit`.
//!
//! - Failed logins per **account and address** (the tight one): guessing one account's password
//!   from one place. Keyed by the pair, so the owner signing in from elsewhere is not locked out.
//! - Failed logins per **address**, whatever the e-mail (looser): one place trying many
//!   accounts ("password spraying").
//! - Registrations per **address**.
//!
//! There is deliberately no limit per e-mail across addresses: anyone could then lock any user
//! out by sending wrong passwords for their e-mail, a denial of service cheaper than the attack
//! it would stop. Guessing spread over many addresses meets argon2id and the 10-character minimum.
//!
//! An attempt is counted *before* the password is hashed (so concurrent attempts cannot all slip
//! under the limit) and a successful login gives it back and forgets that account's failures
//! from that address. A refused attempt hashes nothing and carries how long to wait.
//!
//! IPv6 clients are keyed by their /64, the block one subscriber usually gets: otherwise a
//! single client could take a fresh address for every attempt.
//!
//! Memory: a hostile client chooses e-mails and (with IPv6) addresses, so each table holds at
//! most `capacity` keys and forgets its least recently used key beyond that. E-mails are kept
//! as a 128-bit digest, so an entry has a fixed size (about 100 bytes). Every instance keeps its
//! own counters in memory: several instances behind a balancer each allow the limits.

use std::{
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use lru::LruCache;
use sha2::{Digest, Sha256};

/// One limit: `limit` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl Rate {
    /// The GCRA's emission interval: how often one attempt comes back.
    fn interval(self) -> Duration {
        self.window / self.limit.max(1)
    }

    /// How far ahead of now the next free slot may lie while an attempt is still allowed.
    fn tolerance(self) -> Duration {
        self.window.saturating_sub(self.interval())
    }
}

/// The throttle's settings (from the command line).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    pub failures_per_account: Rate,
    pub failures_per_address: Rate,
    pub registrations_per_address: Rate,
    /// Most keys each table keeps.
    pub capacity: usize,
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up and at least 1, as clients are told.
    pub fn seconds(self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// The throttle shared by every request of this instance; cheap to clone.
#[derive(Clone)]
pub struct SignInThrottle {
    tables: Arc<Mutex<Tables>>,
}

struct Tables {
    accounts: Table<AccountKey>,
    addresses: Table<IpAddr>,
    registrations: Table<IpAddr>,
}

/// One e-mail from one address (the e-mail as a digest: fixed size, not kept in clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct AccountKey {
    address: IpAddr,
    email: [u8; 16],
}

impl AccountKey {
    fn new(address: IpAddr, email: &str) -> Self {
        let digest = Sha256::digest(email.as_bytes());
        let mut email = [0; 16];
        email.copy_from_slice(&digest[..16]);
        Self { address, email }
    }
}

/// A counted login attempt. Call [`LoginAttempt::succeeded`] when the password was right;
/// dropped otherwise, it stays counted as a failure.
#[must_use]
pub struct LoginAttempt {
    throttle: SignInThrottle,
    account: Option<AccountKey>,
    address: IpAddr,
}

impl LoginAttempt {
    /// The password was right: the attempt is given back and the account's failures from this
    /// address are forgotten.
    pub fn succeeded(self) {
        let mut tables = self.throttle.lock();
        let now = Instant::now();
        if let Some(account) = &self.account {
            tables.accounts.forget(account);
        }
        tables.addresses.give_back(&self.address, now);
    }
}

impl SignInThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        let capacity = limits.capacity.max(1);
        Self {
            tables: Arc::new(Mutex::new(Tables {
                accounts: Table::new(limits.failures_per_account, capacity),
                addresses: Table::new(limits.failures_per_address, capacity),
                registrations: Table::new(limits.registrations_per_address, capacity),
            })),
        }
    }

    /// Counts a login attempt for `email` (normalised; `None` when it cannot be an account's)
    /// from `client`, or refuses it when either limit is used up.
    pub fn login_attempt(
        &self,
        email: Option<&str>,
        client: IpAddr,
    ) -> Result<LoginAttempt, RetryAfter> {
        let address = address_key(client);
        let account = email.map(|email| AccountKey::new(address, email));
        let now = Instant::now();
        let mut tables = self.lock();
        let waits = [
            account.and_then(|key| tables.accounts.wait(&key, now)),
            tables.addresses.wait(&address, now),
        ];
        if let Some(wait) = waits.into_iter().flatten().max() {
            return Err(RetryAfter(wait));
        }
        if let Some(key) = account {
            tables.accounts.take(key, now);
        }
        tables.addresses.take(address, now);
        drop(tables);
        Ok(LoginAttempt {
            throttle: self.clone(),
            account,
            address,
        })
    }

    /// Counts a registration from `client`, or refuses it when the limit is used up.
    pub fn registration(&self, client: IpAddr) -> Result<(), RetryAfter> {
        let address = address_key(client);
        let now = Instant::now();
        let mut tables = self.lock();
        if let Some(wait) = tables.registrations.wait(&address, now) {
            return Err(RetryAfter(wait));
        }
        tables.registrations.take(address, now);
        Ok(())
    }

    /// Keys held in the three tables (for tests).
    pub fn tracked_keys(&self) -> usize {
        let tables = self.lock();
        tables.accounts.entries.len()
            + tables.addresses.entries.len()
            + tables.registrations.entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // The tables hold plain timestamps: a panic elsewhere cannot leave them inconsistent.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a client address is counted as: IPv4 as is, IPv6 by its /64.
fn address_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !(u128::MAX >> 64);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// One limit's keys, each with its GCRA "theoretical arrival time": the moment the key's
/// bucket is empty again. A key whose time has passed is as good as absent.
struct Table<K: std::hash::Hash + Eq> {
    rate: Rate,
    capacity: usize,
    // Unbounded to the crate, bounded here: `LruCache::new` would reserve `capacity` slots up
    // front in every table even when nobody signs in.
    entries: LruCache<K, Instant>,
}

impl<K: std::hash::Hash + Eq + Copy> Table<K> {
    fn new(rate: Rate, capacity: usize) -> Self {
        Self {
            rate,
            capacity,
            entries: LruCache::unbounded(),
        }
    }

    /// `None` when an attempt is allowed now, otherwise how long until it is.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let empty_at = *self.entries.peek(key)?;
        let allowed_from = empty_at.checked_sub(self.rate.tolerance()).unwrap_or(now);
        (allowed_from > now).then(|| allowed_from - now)
    }

    /// Counts an attempt (after `wait` said it is allowed).
    fn take(&mut self, key: K, now: Instant) {
        let interval = self.rate.interval();
        if let Some(empty_at) = self.entries.get_mut(&key) {
            *empty_at = (*empty_at).max(now) + interval;
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_lru();
        }
        self.entries.push(key, now + interval);
    }

    /// Un-counts one attempt.
    fn give_back(&mut self, key: &K, now: Instant) {
        let interval = self.rate.interval();
        let Some(empty_at) = self.entries.peek_mut(key) else {
            return;
        };
        match empty_at.checked_sub(interval) {
            Some(earlier) if earlier > now => *empty_at = earlier,
            _ => {
                self.entries.pop(key);
            }
        }
    }

    fn forget(&mut self, key: &K) {
        self.entries.pop(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(limit: u32, secs: u64) -> Rate {
        Rate {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    fn throttle(capacity: usize) -> SignInThrottle {
        SignInThrottle::new(ThrottleLimits {
            failures_per_account: rate(3, 900),
            failures_per_address: rate(5, 900),
            registrations_per_address: rate(2, 3600),
            capacity,
        })
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 9));

    #[test]
    fn a_burst_of_limit_then_one_per_interval() {
        let mut table = Table::new(rate(3, 900), 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(table.wait(&1, start), None);
            table.take(1, start);
        }
        // The fourth waits for one interval (900 s / 3).
        assert_eq!(table.wait(&1, start), Some(Duration::from_secs(300)));
        let later = start + Duration::from_secs(300);
        assert_eq!(table.wait(&1, later), None);
        // Another key is not affected.
        assert_eq!(table.wait(&2, start), None);
    }

    #[test]
    fn failures_are_per_account_and_address_and_per_address() {
        let throttle = throttle(100);
        for _ in 0..3 {
            let _failed = throttle.login_attempt(Some("anna@example.de"), A).unwrap();
        }
        let refused = throttle.login_attempt(Some("anna@example.de"), A).err();
        assert_eq!(refused.map(RetryAfter::seconds), Some(300));
        // The owner elsewhere, and another account from A (until A's own limit of 5).
        throttle
            .login_attempt(Some("anna@example.de"), B)
            .unwrap()
            .succeeded();
        let _ = throttle.login_attempt(Some("max@example.de"), A).unwrap();
        let _ = throttle.login_attempt(None, A).unwrap();
        assert!(throttle.login_attempt(Some("eva@example.de"), A).is_err());
    }

    #[test]
    fn a_success_gives_the_attempt_back_and_forgets_the_failures() {
        let throttle = throttle(100);
        for _ in 0..2 {
            let _failed = throttle.login_attempt(Some("anna@example.de"), A).unwrap();
        }
        throttle
            .login_attempt(Some("anna@example.de"), A)
            .unwrap()
            .succeeded();
        // Three more failures fit again (A's own count is then 2 + 3, its limit).
        for _ in 0..3 {
            let _failed = throttle.login_attempt(Some("anna@example.de"), A).unwrap();
        }
        assert!(throttle.login_attempt(Some("anna@example.de"), A).is_err());
    }

    #[test]
    fn registrations_are_per_address() {
        let throttle = throttle(100);
        throttle.registration(A).unwrap();
        throttle.registration(A).unwrap();
        assert_eq!(
            throttle.registration(A).map_err(RetryAfter::seconds),
            Err(1800)
        );
        throttle.registration(B).unwrap();
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(address_key(one), address_key(other));
        assert_ne!(
            address_key(one),
            address_key("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), A);
    }

    #[test]
    fn memory_stays_bounded_under_many_keys() {
        let throttle = throttle(50);
        for n in 0..10_000u32 {
            let client = IpAddr::V6(Ipv6Addr::from(u128::from(n) << 64));
            let _ = throttle.login_attempt(Some(&format!("u{n}@example.de")), client);
            let _ = throttle.registration(client);
        }
        assert!(
            throttle.tracked_keys() <= 150,
            "{}",
            throttle.tracked_keys()
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(2001)).seconds(), 3);
        assert_eq!(RetryAfter(Duration::from_secs(5)).seconds(), 5);
    }
}
