//! `AppState`: what the transport layers (the resolvers and the HTTP handlers) reach, built once
//! at start-up and cheap to clone. The services in it hold their own narrow handles; nothing
//! below the transport layers (services, jobs, events, cluster) sees this type.
//!
//! The handles sit behind one `Arc`: axum clones a route's state for every request, and the
//! handles side by side are over a kilobyte (copied, and each of their reference counts
//! touched, on every request before this).

use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;

use crate::{
    auth::SessionEnds,
    events::EventHub,
    image_files::{ImageStore, UrlSigner},
    services::{Accounts, Collections, Exports, GeminiKeys, Images, VideoPrompts},
};

/// The shared handles, one `Arc` away (fields are reached through `Deref`).
#[derive(Clone)]
pub struct AppState(Arc<Handles>);

impl AppState {
    pub fn new(handles: Handles) -> Self {
        Self(Arc::new(handles))
    }
}

impl Deref for AppState {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}

/// Shared handles. Request-scoped identity never goes here (it travels in the request's data).
pub struct Handles {
    /// For reads: the DataLoaders, the health probe, subscriptions catching up.
    pub db: DatabaseConnection,
    pub accounts: Accounts,
    pub gemini_keys: GeminiKeys,
    pub collections: Collections,
    pub images: Images,
    pub video_prompts: VideoPrompts,
    /// Export links and the exports they open.
    pub exports: Exports,
    /// Where image bytes live (the signed image route streams them).
    pub store: ImageStore,
    /// Signs and checks image URLs.
    pub signer: UrlSigner,
    /// Record changes, for subscriptions.
    pub events: EventHub,
    /// Ends sessions on the connections that use them (WebSockets watch it).
    pub sessions: SessionEnds,
}
