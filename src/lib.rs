//! videoprompt: a GraphQL API that turns a user's images into German video-generation prompts
//! with Google Gemini, and shows each request's progress live.
//!
//! How a request flows:
//!
//! ```text
//! HTTP (http/)  ──▶  GraphQL resolvers (graphql/)  ──▶  services/  ──▶  database (entity/, db)
//!   routes, limits,      thin: parse, authorise,        business rules,    SeaORM on SQLite
//!   negotiation          call a service, map errors     transport-free     or PostgreSQL
//! ```
//!
//! `startup` builds the one `AppState` (state) and the schema; `auth` hashes passwords and
//! issues tokens; `crypto` seals Gemini keys with the master key; `image_files` checks uploaded files,
//! stores their bytes and signs their URLs; `jobs` runs generations and `events` fans their
//! changes out, and `cluster` carries them between instances on one PostgreSQL; `gemini` holds
//! the Gemini client and the local stand-in that speaks its wire format; `config` is the
//! command line.

pub mod auth;
pub mod backoff;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod gemini;
pub mod graphql;
pub mod http;
pub mod image_files;
pub mod jobs;
pub mod memory;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
