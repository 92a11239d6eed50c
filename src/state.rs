//! `AppState`: what the transport layers (the resolvers and the HTTP handlers) reach, built once
//! at start-up and cheap to clone. The services in it hold their own narrow handles; nothing
//! below the transport layers (services, jobs, events, cluster) sees this type.

use sea_orm::DatabaseConnection;

use crate::{
    auth::SessionEnds,
    events::EventHub,
    image_files::{ImageStore, UrlSigner},
    services::{Accounts, Collections, Exports, GeminiKeys, Images, VideoPrompts},
};

/// Shared handles. Request-scoped identity never goes here (it travels in the request's data).
#[derive(Clone)]
pub struct AppState {
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
