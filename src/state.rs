//! `AppState`: everything a request or a job needs, built once at start-up and cheap to clone.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{auth::PasswordHasher, crypto::Sealer, events::EventHub, jobs::runner::Jobs};

/// Shared handles. Request-scoped identity never goes here (it travels in the request's data).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub sealer: Sealer,
    pub passwords: PasswordHasher,
    pub settings: Arc<Settings>,
    /// Wakes the generation workers and aborts their attempts.
    pub jobs: Jobs,
    /// Fans record changes out to subscribers.
    pub events: EventHub,
}

/// The plain settings services consult at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token_ttl: Duration,
}
