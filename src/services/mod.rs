//! Transport-free business logic. Services take the state (or a connection) and plain inputs,
//! return `AppResult`, and know nothing of GraphQL or HTTP.

pub mod accounts;
pub mod collections;
pub mod gemini_keys;
pub mod images;
pub mod master_key_check;
pub mod orphaned_bytes;
pub mod pagination;
pub mod url_signing_key;
pub mod video_prompts;

use sea_orm::{DbErr, SqlErr};

use crate::error::AppError;

/// Turns a unique-constraint violation into the given user-facing error; anything else stays
/// an internal error.
pub(crate) fn on_unique_violation(err: DbErr, conflict: impl FnOnce() -> AppError) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict(),
        _ => AppError::from(err),
    }
}

/// The current time, truncated to microseconds: what both databases store, so a value read back
/// equals the value written.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
