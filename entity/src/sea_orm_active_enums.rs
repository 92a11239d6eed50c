//! Enums stored as plain strings (not database enum types, so the same schema
//! works on SQLite and PostgreSQL).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a video prompt request is in its life:
/// `PENDING → PROCESSING → COMPLETED | FAILED | CANCELLED`
/// (a retryable failure sends a `PROCESSING` record back to `PENDING`).
///
/// Stored in `video_prompts.status` as the upper-case string value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VideoPromptStatus {
    /// Waiting for a worker (new, or backing off after a retryable failure).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Claimed by a worker holding a lease.
    #[sea_orm(string_value = "PROCESSING")]
    Processing,
    /// Finished with a prompt.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// Finished with an error code and message.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Cancelled by the user before it finished.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl VideoPromptStatus {
    /// The value stored in the database (and used in GraphQL), e.g. `"PENDING"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// `true` for `COMPLETED`, `FAILED` and `CANCELLED`: the record will not change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

impl std::fmt::Display for VideoPromptStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
