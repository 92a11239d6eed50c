//! `AppState`: everything a request or a job needs, built once at start-up and cheap to clone.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{
    auth::{PasswordHasher, SessionEnds, SignInThrottle},
    cluster::Cluster,
    crypto::Sealer,
    db::StatementCounter,
    events::EventHub,
    images::{ImageStore, UrlSigner},
    jobs::runner::Jobs,
};

/// Shared handles. Request-scoped identity never goes here (it travels in the request's data).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub sealer: Sealer,
    pub passwords: PasswordHasher,
    /// Failed logins and registrations per client (this instance's own counters).
    pub sign_ins: SignInThrottle,
    /// Where image bytes live.
    pub images: ImageStore,
    /// Signs and checks image URLs.
    pub signer: UrlSigner,
    /// Bounds the uploads checked at once: each holds its file (up to the upload limit) in
    /// memory while it is probed, hashed and stored.
    pub upload_checks: Arc<tokio::sync::Semaphore>,
    /// SQL statements run so far (for tests and the benchmark's per-request count).
    pub statements: StatementCounter,
    pub settings: Arc<Settings>,
    /// Wakes the generation workers and aborts their attempts.
    pub jobs: Jobs,
    /// Fans record changes out to subscribers.
    pub events: EventHub,
    /// Ends sessions on the connections that use them (logout), here and on the other
    /// instances.
    pub sessions: SessionEnds,
    /// On PostgreSQL: this instance's link to the others (events, cancels). `None` on SQLite.
    pub cluster: Option<Cluster>,
}

/// The plain settings services consult at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token_ttl: Duration,
    /// Largest accepted image file, in bytes.
    pub upload_limit: usize,
    /// Most pixels an accepted image may have.
    pub max_image_pixels: u64,
}
