//! Transport-free business logic. Each service is a small struct built once at start-up with
//! the handles it uses (a database, a sealer, a store, the job and event handles) — never the
//! whole application state — and does whole operations, effects included; resolvers only parse,
//! authorise and map errors. Reads the DataLoaders batch are plain functions over a connection.
//! Services return `AppResult` and know nothing of GraphQL or HTTP.

pub mod accounts;
pub mod cells;
pub mod collections;
pub mod columns;
pub mod exports;
pub mod gemini_keys;
pub mod generation;
pub mod images;
pub mod master_key_check;
pub mod orphaned_bytes;
pub mod ownership;
pub mod pagination;
pub mod removal;
pub mod url_signing_key;
pub mod video_prompts;

use sea_orm::{DbErr, SqlErr};

pub use self::{
    accounts::Accounts, collections::Collections, exports::Exports, gemini_keys::GeminiKeys,
    images::Images, removal::Remover, video_prompts::VideoPrompts,
};
use crate::error::AppError;

/// Turns a unique-constraint violation into the given user-facing error; anything else stays
/// an internal error.
pub(crate) fn on_unique_violation(err: DbErr, conflict: impl FnOnce() -> AppError) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict(),
        _ => AppError::from(err),
    }
}
