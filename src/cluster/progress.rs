//! The prompt as it grows, for every instance: on PostgreSQL the worker stores the text so far
//! in the row (still `PROCESSING`, only while it holds the lease) before publishing, so an
//! instance that hears of the change and reads the row back sees the text too.

use async_trait::async_trait;
use entity::video_prompt;
use sea_orm::DatabaseConnection;

use crate::{
    events::EventHub,
    jobs::{generate::Progress, queue},
};

pub struct ProgressWriter {
    pub db: DatabaseConnection,
    /// The lease owner name of this instance's workers: only the holder may write.
    pub owner: String,
    pub events: EventHub,
}

#[async_trait]
impl Progress for ProgressWriter {
    async fn prompt_so_far(&self, record: &video_prompt::Model, text: &str) {
        let mut update = record.clone();
        update.prompt = Some(text.to_owned());
        match queue::write_progress(&self.db, record.id, &self.owner, text).await {
            Ok(true) => self.events.publish(update),
            // Cancelled or taken over: the runner finds out and drops the attempt.
            Ok(false) => {}
            Err(err) => {
                // Only this step is lost elsewhere; the finished record brings the whole text.
                tracing::warn!(id = %record.id, error = %err, "storing the prompt so far failed");
                self.events.publish_local(update);
            }
        }
    }
}
