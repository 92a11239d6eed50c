//! The in-process event hub: every change of a video prompt record, and the prompt text while
//! it is being written, fanned out to this process's subscribers.
//!
//! One broadcast channel for all records, and one per user that has subscribers: a subscriber
//! listens on its user's channel, so a change wakes only that user's subscribers (with one
//! channel for everyone, each change woke all of them: 5,000 subscribers made every change cost
//! 5,000 polls). Each subscriber's filter (its user, and a record id or an image id) is a
//! comparison, never a database query. A subscriber that falls behind by more than the
//! channel's capacity is told so (`Lagged`) and re-reads the current state instead of seeing a
//! stale or partial history, so memory per subscriber stays bounded.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use entity::video_prompt;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::jobs::{generate::Progress, runner::ChangeListener};

/// A record's state as subscribers should now see it. While `PROCESSING`, `prompt` may hold the
/// text written so far.
#[derive(Debug, Clone)]
pub struct Change(pub Arc<video_prompt::Model>);

#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Change>,
    /// The channels of users with subscribers; an entry goes when a publish finds it unheard.
    users: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Change>>>>,
    user_capacity: usize,
}

impl EventHub {
    /// `capacity`: how many changes a slow subscriber may fall behind before it must resync
    /// (a user's own channel keeps a quarter of that).
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self {
            sender,
            users: Arc::default(),
            user_capacity: (capacity / 4).max(16),
        }
    }

    pub fn publish(&self, record: video_prompt::Model) {
        let user_id = record.user_id;
        let change = Change(Arc::new(record));
        {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(sender) = users.get(&user_id)
                && sender.send(change.clone()).is_err()
            {
                // Its last subscriber is gone.
                users.remove(&user_id);
            }
        }
        // No receivers is not an error: nobody is watching.
        let _ = self.sender.send(change);
    }

    /// Every change, of every user.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// The changes of one user's records.
    pub fn subscribe_user(&self, user_id: Uuid) -> broadcast::Receiver<Change> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(self.user_capacity).0)
            .subscribe()
    }

    /// Subscribers right now (for tests and metrics).
    pub fn subscribers(&self) -> usize {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        self.sender.receiver_count() + users.values().map(|s| s.receiver_count()).sum::<usize>()
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
