//! The in-process event hub: every change of a video prompt record, and the prompt text while
//! it is being written, fanned out to this process's subscribers.
//!
//! One broadcast channel for all records: publishing costs the same however many subscribers
//! there are, and each subscriber's filter (its user, and a record id or an image id) is a
//! comparison, never a database query. A subscriber that falls behind by more than the
//! channel's capacity is told so (`Lagged`) and re-reads the current state instead of seeing a
//! stale or partial history, so memory per subscriber stays bounded.

use std::sync::Arc;

use entity::video_prompt;
use tokio::sync::broadcast;

use crate::jobs::{generate::Progress, runner::ChangeListener};

/// A record's state as subscribers should now see it. While `PROCESSING`, `prompt` may hold the
/// text written so far.
#[derive(Debug, Clone)]
pub struct Change(pub Arc<video_prompt::Model>);

#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Change>,
}

impl EventHub {
    /// `capacity`: how many changes a slow subscriber may fall behind before it must resync.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self { sender }
    }

    pub fn publish(&self, record: video_prompt::Model) {
        // No receivers is not an error: nobody is watching.
        let _ = self.sender.send(Change(Arc::new(record)));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Subscribers right now (for tests and metrics).
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl ChangeListener for EventHub {
    fn changed(&self, record: &video_prompt::Model) {
        self.publish(record.clone());
    }
}

impl Progress for EventHub {
    fn prompt_so_far(&self, record: &video_prompt::Model, text: &str) {
        let mut record = record.clone();
        record.prompt = Some(text.to_owned());
        self.publish(record);
    }
}
