//! The in-process event hub: every change of a video prompt record, and the prompt text while
//! it is being written, fanned out to this process's subscribers.
//!
//! Subscribers listen by key, a record id or an image id, and each key with listeners has its
//! own small broadcast channel: a change is sent to its record's channel and its image's
//! channel only, so it wakes exactly the subscribers watching it (with one channel per user, a
//! change woke all of that user's subscribers and each of them had to look at it; 5,000
//! subscribers made every change cost thousands of polls). Record and image ids are UUIDs from
//! different tables, so they share one map without meeting. A subscriber still compares the
//! record's user with its own before delivering: isolation never rests on routing alone.
//!
//! A subscriber that falls behind by more than its channel's capacity is told so (`Lagged`)
//! and re-reads the current state instead of seeing a stale or partial history, so memory per
//! subscriber stays bounded. [`EventHub::resync_all`] asks every subscriber to re-read, for when
//! changes may have been missed (another instance's events arrive through a connection that
//! dropped for a while).
//!
//! With several instances on one PostgreSQL the hub is built with a [`Relay`] (the cluster's
//! outbox): every `publish` is then also handed to it (and sent to the other instances as a
//! `NOTIFY`), while what arrives from the other instances goes out through
//! [`EventHub::publish_local`], which never relays (an event would otherwise echo between the
//! instances for ever).
//!
//! This module depends on nothing of the server's: the jobs, the services and the cluster use
//! it, never the other way round.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use entity::video_prompt;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Takes this process's changes to the other instances (on PostgreSQL).
pub trait Relay: Send + Sync + 'static {
    /// `record` changed here. `deleted`: its row is gone (its image was deleted), so the other
    /// instances cannot read it back and must be told its last state.
    fn relay(&self, record: &video_prompt::Model, deleted: bool);
}

/// What subscribers are told.
#[derive(Debug, Clone)]
pub enum Event {
    /// A record's state as subscribers should now see it. While `PROCESSING`, `prompt` may
    /// hold the text written so far.
    Changed(Arc<video_prompt::Model>),
    /// Changes may have been missed: read the current state again.
    Resync,
}

/// How many events a listener on every change may fall behind by default.
pub const DEFAULT_CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct EventHub {
    /// Every event, for whoever wants all of them (tests, the cross-instance bridge).
    all: broadcast::Sender<Event>,
    /// The channels of keys (record or image ids) with subscribers.
    keys: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Event>>>>,
    key_capacity: usize,
    /// Where `publish` also sends each change; `None` on SQLite (one instance by definition).
    relay: Option<Arc<dyn Relay>>,
}

impl EventHub {
    /// `capacity`: how many events a slow listener on every change may fall behind before it
    /// must resync. A key's channel holds a 32nd of that (at least 16): a record sends at most
    /// about ten progress events a second. `relay`: where `publish` also sends each change (the
    /// other instances), if anywhere.
    pub fn new(capacity: usize, relay: Option<Arc<dyn Relay>>) -> Self {
        let (all, _) = broadcast::channel(capacity.max(16));
        Self {
            all,
            keys: Arc::default(),
            key_capacity: (capacity / 32).max(16),
            relay,
        }
    }

    /// A hub of this process alone, with the default capacity.
    pub fn local() -> Self {
        Self::new(DEFAULT_CAPACITY, None)
    }

    /// A change made by this process: to its subscribers, and to the other instances.
    pub fn publish(&self, record: video_prompt::Model) {
        if let Some(relay) = &self.relay {
            relay.relay(&record, false);
        }
        self.publish_local(record);
    }

    /// A record whose row was just deleted, in the state subscribers should see last
    /// (`CANCELLED`): the other instances get it with the notification, as they cannot read it.
    pub fn publish_deleted(&self, record: video_prompt::Model) {
        if let Some(relay) = &self.relay {
            relay.relay(&record, true);
        }
        self.publish_local(record);
    }

    /// To this process's subscribers only (what another instance changed arrives this way).
    pub fn publish_local(&self, record: video_prompt::Model) {
        let (id, image_id) = (record.id, record.image_id);
        let event = Event::Changed(Arc::new(record));
        {
            let mut keys = self.keys();
            for key in [id, image_id] {
                if let Some(sender) = keys.get(&key)
                    && sender.send(event.clone()).is_err()
                {
                    // Its last subscriber is gone.
                    keys.remove(&key);
                }
            }
        }
        // No receivers is not an error: nobody is watching.
        let _ = self.all.send(event);
    }

    /// Tells every subscriber to read the current state again.
    pub fn resync_all(&self) {
        let mut keys = self.keys();
        keys.retain(|_, sender| sender.send(Event::Resync).is_ok());
        let _ = self.all.send(Event::Resync);
    }

    /// Every event, of every user.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.all.subscribe()
    }

    /// The events of one record (`key` = its id) or of one image's records (its id). The key's
    /// channel goes when its last receiver does.
    pub fn subscribe_key(&self, key: Uuid) -> KeyReceiver {
        let receiver = self
            .keys()
            .entry(key)
            .or_insert_with(|| broadcast::channel(self.key_capacity).0)
            .subscribe();
        KeyReceiver {
            receiver: Some(receiver),
            key,
            keys: self.keys.clone(),
        }
    }

    /// Keys with a channel right now (for tests: it returns to its starting size when the
    /// subscribers are gone).
    pub fn channels(&self) -> usize {
        self.keys().len()
    }

    /// Whether a change of this record (of this image) would reach anyone here: lets the
    /// cross-instance listener skip reading records nobody watches.
    pub fn is_watched(&self, id: Uuid, image_id: Uuid) -> bool {
        if self.all.receiver_count() > 0 {
            return true;
        }
        let keys = self.keys();
        [id, image_id]
            .iter()
            .any(|key| keys.get(key).is_some_and(|s| s.receiver_count() > 0))
    }

    /// Subscribers right now (for tests and metrics).
    pub fn subscribers(&self) -> usize {
        let keyed: usize = self.keys().values().map(|s| s.receiver_count()).sum();
        self.all.receiver_count() + keyed
    }

    fn keys(&self) -> MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Event>>> {
        lock(&self.keys)
    }
}

type Keys = Arc<Mutex<HashMap<Uuid, broadcast::Sender<Event>>>>;

fn lock(keys: &Keys) -> MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Event>>> {
    // The map stays consistent whatever a panicking holder was doing.
    keys.lock().unwrap_or_else(|e| e.into_inner())
}

/// A receiver of one key's events that takes the key's channel away with it when it is the
/// last: a record watched once and never changed again (a finished generation) must not keep
/// a channel in the hub for the life of the process.
pub struct KeyReceiver {
    /// `None` only while dropping.
    receiver: Option<broadcast::Receiver<Event>>,
    key: Uuid,
    keys: Keys,
}

impl KeyReceiver {
    pub async fn recv(&mut self) -> Result<Event, broadcast::error::RecvError> {
        match &mut self.receiver {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }

    /// A receiver of the same key that starts at the newest event (what a lagging subscriber
    /// wants after re-reading the state).
    pub fn resubscribe(&self) -> Self {
        Self {
            receiver: self.receiver.as_ref().map(broadcast::Receiver::resubscribe),
            key: self.key,
            keys: self.keys.clone(),
        }
    }
}

impl Drop for KeyReceiver {
    fn drop(&mut self) {
        let mut keys = lock(&self.keys);
        // Under the lock, where new receivers of a key are made: none can appear meanwhile.
        drop(self.receiver.take());
        if keys
            .get(&self.key)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            keys.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entity::sea_orm_active_enums::VideoPromptStatus;
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;

    fn record(image_id: Uuid) -> video_prompt::Model {
        let now = Utc::now();
        video_prompt::Model {
            id: Uuid::new_v4(),
            image_id,
            user_id: Uuid::new_v4(),
            camera_style: "STATIC".into(),
            film_effect: "NONE".into(),
            notes: None,
            status: VideoPromptStatus::Pending,
            prompt: None,
            details: None,
            error_code: None,
            error_message: None,
            model: None,
            prompt_tokens: None,
            output_tokens: None,
            attempts: 0,
            idempotency_key: None,
            lease_owner: None,
            lease_expires_at: None,
            next_attempt_at: now,
            created_at: now,
            started_at: None,
            completed_at: None,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn a_change_reaches_its_record_and_image_listeners_only() {
        let hub = EventHub::local();
        let image = Uuid::new_v4();
        let change = record(image);
        let mut by_id = hub.subscribe_key(change.id);
        let mut by_image = hub.subscribe_key(image);
        let mut other_image = hub.subscribe_key(Uuid::new_v4());
        let mut everything = hub.subscribe();

        hub.publish(change.clone());
        for receiver in [&mut by_id, &mut by_image] {
            match receiver.recv().await {
                Ok(Event::Changed(got)) => assert_eq!(got.id, change.id),
                other => panic!("expected the change, got {other:?}"),
            }
        }
        match everything.try_recv() {
            Ok(Event::Changed(got)) => assert_eq!(got.id, change.id),
            other => panic!("expected the change, got {other:?}"),
        }
        let other = other_image.receiver.as_mut().unwrap();
        assert!(matches!(other.try_recv(), Err(TryRecvError::Empty)));
    }

    #[tokio::test]
    async fn a_key_channel_goes_with_its_last_receiver_and_resync_reaches_everyone() {
        let hub = EventHub::local();
        let image = Uuid::new_v4();
        let first = hub.subscribe_key(image);
        let second = hub.subscribe_key(image);
        let mut stays = hub.subscribe_key(Uuid::new_v4());
        assert_eq!(hub.channels(), 2);
        drop(first);
        assert_eq!(hub.channels(), 2, "the image still has a listener");
        let again = second.resubscribe();
        drop(second);
        assert_eq!(
            hub.channels(),
            2,
            "the resubscribed receiver keeps the channel"
        );
        drop(again);
        assert_eq!(
            hub.channels(),
            1,
            "the unheard image channel went, with no event sent"
        );

        hub.resync_all();
        assert!(matches!(stays.recv().await, Ok(Event::Resync)));
    }
}
