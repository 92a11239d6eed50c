//! The prompt text while it is being written: how a worker shows it to the subscribers.
//!
//! One instance keeps it in memory: the text goes straight to this process's subscribers.
//! Several instances on one PostgreSQL store it in the row first (still `PROCESSING`, and only
//! while the worker holds the lease), so an instance that hears of the change and reads the row
//! back sees the text too.

use entity::video_prompt;
use sea_orm::DatabaseConnection;

use super::queue;
use crate::events::EventHub;

/// Where the text so far goes; chosen once at start-up by the backend.
#[derive(Clone)]
pub enum Progress {
    /// To this process's subscribers only (SQLite: one instance by definition).
    InMemory(EventHub),
    /// Into the row, then to the subscribers of every instance.
    ThroughRow {
        db: DatabaseConnection,
        /// The lease owner name of this instance's workers: only the holder may write.
        owner: String,
        events: EventHub,
    },
}

impl Progress {
    /// Shows `text` as the prompt of `record` so far. Awaited before the stream is read on, so
    /// updates of one record never overtake each other.
    pub async fn prompt_so_far(&self, record: &video_prompt::Model, text: &str) {
        let mut update = record.clone();
        update.prompt = Some(text.to_owned());
        match self {
            Self::InMemory(events) => events.publish(update),
            Self::ThroughRow { db, owner, events } => {
                match queue::write_progress(db, record.id, owner, text).await {
                    Ok(true) => events.publish(update),
                    // Cancelled or taken over: the runner finds out and drops the attempt.
                    Ok(false) => {}
                    Err(err) => {
                        // Only this step is lost elsewhere; the finished record brings the
                        // whole text.
                        tracing::warn!(id = %record.id, error = %err, "storing the prompt so far failed");
                        events.publish_local(update);
                    }
                }
            }
        }
    }
}
