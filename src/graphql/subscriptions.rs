//! `videoPromptUpdated`: a record's (or an image's records') live state, from the in-process
//! event hub.
//!
//! Order of work, and why: the hub is subscribed to *before* the current state is read, so no
//! change can fall between the read and the first event. Each delivered state is remembered by
//! its version (`updated_at`, then how far the status got, then how much prompt text there is),
//! and an event is delivered only when it is newer than what the subscriber already has: an
//! event queued before the read can therefore never overwrite the fresher state the read found.
//! The hub routes by record or image id, so a subscriber is woken only by its own records'
//! changes; it still compares the user (no database query per subscriber and event). Only a
//! subscriber that fell behind the hub (`Lagged`), or that the hub asks to (`Resync`), reads the
//! database again.

use std::collections::HashMap;

use async_graphql::{Context, ID, Result, Subscription};
use chrono::{DateTime, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{
    context::ContextExt,
    ids::parse_id,
    loaders::{Owned, OwnedRecordLoader, UnfinishedRecordsLoader},
    video_prompts::VideoPrompt,
};
use crate::{
    error::{AppError, Missing},
    events::{Event, KeyReceiver},
    services::video_prompts as service,
};

#[derive(Default)]
pub struct VideoPromptSubscription;

#[Subscription]
impl VideoPromptSubscription {
    /// The live state of one video prompt (`id`) or of an image's video prompts (`imageId`);
    /// give exactly one. The first events are the current state (for an image: each record
    /// that is not finished yet), then every change follows; while PROCESSING, `prompt` holds
    /// the text written so far. By `id`, the subscription completes after a finished state
    /// (COMPLETED, FAILED, CANCELLED).
    async fn video_prompt_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        image_id: Option<ID>,
    ) -> Result<impl Stream<Item = VideoPrompt> + use<>> {
        // Boxed: async-graphql keeps this future's space for as long as the subscription lives,
        // so what is only needed to start it (the loaders' futures) must not be inline.
        let watch = Box::pin(start(ctx, id, image_id)).await?;
        Ok(futures_util::stream::unfold(
            watch,
            |mut watch| async move {
                let record = watch.next().await?;
                Some((VideoPrompt::full(record), watch))
            },
        ))
    }
}

/// Checks the arguments and the caller, subscribes to the hub and reads the current state.
async fn start(ctx: &Context<'_>, id: Option<ID>, image_id: Option<ID>) -> Result<Watch> {
    let target = match (id, image_id) {
        (Some(id), None) => Target::Record(parse_id(&id, "id")?),
        (None, Some(image_id)) => Target::Image(parse_id(&image_id, "imageId")?),
        _ => {
            return Err(AppError::BadUserInput {
                field: None,
                message: "Give exactly one of `id` and `imageId`.".into(),
            }
            .into());
        }
    };
    let session = ctx.session()?;
    let state = ctx.state();
    // Before the read: see the module comment.
    let events = state.events.subscribe_key(target.key());
    let db = state.db.clone();
    let since = crate::db::now();
    let owned = Owned {
        user_id: session.user_id,
        id: target.key(),
    };
    // Through the connection's loaders: a client opening many subscriptions at once (an
    // app starting, or reconnecting) costs one or two queries, not one per subscription.
    let current = match target {
        Target::Record(_) => ctx
            .loader::<OwnedRecordLoader>()
            .load_one(owned)
            .await?
            .map(|record| vec![record])
            .ok_or(AppError::NotFound(Missing::VideoPrompt))?,
        Target::Image(_) => ctx
            .loader::<UnfinishedRecordsLoader>()
            .load_one(owned)
            .await?
            .ok_or(AppError::NotFound(Missing::Image))?,
    };
    Ok(Watch {
        user_id: session.user_id,
        target,
        since,
        db,
        events,
        delivered: HashMap::new(),
        ready: current,
        done: false,
    })
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Record(Uuid),
    Image(Uuid),
}

impl Target {
    /// The hub key of the target's changes: the record's id or the image's.
    fn key(self) -> Uuid {
        match self {
            Target::Record(id) | Target::Image(id) => id,
        }
    }
}

/// How new a state is: later `updated_at` first; at the same instant a status further along,
/// then more prompt text (progress events share the PROCESSING record's `updated_at`).
type Version = (DateTime<Utc>, u8, usize);

fn version(record: &video_prompt::Model) -> Version {
    let stage = match record.status {
        VideoPromptStatus::Pending => 0,
        VideoPromptStatus::Processing => 1,
        VideoPromptStatus::Completed | VideoPromptStatus::Failed | VideoPromptStatus::Cancelled => {
            2
        }
    };
    (
        record.updated_at,
        stage,
        record.prompt.as_deref().map_or(0, str::len),
    )
}

pub fn is_finished(status: VideoPromptStatus) -> bool {
    matches!(
        status,
        VideoPromptStatus::Completed | VideoPromptStatus::Failed | VideoPromptStatus::Cancelled
    )
}

/// One subscriber's state between events.
struct Watch {
    user_id: Uuid,
    target: Target,
    /// When the subscription started: after a lag, an image's records changed since then are
    /// read again even when they are finished by now.
    since: DateTime<Utc>,
    db: DatabaseConnection,
    events: KeyReceiver,
    /// The version last delivered per record.
    delivered: HashMap<Uuid, Version>,
    /// States read from the database, waiting to be delivered.
    ready: Vec<video_prompt::Model>,
    done: bool,
}

impl Watch {
    fn wants(&self, record: &video_prompt::Model) -> bool {
        record.user_id == self.user_id
            && match self.target {
                Target::Record(id) => record.id == id,
                Target::Image(image_id) => record.image_id == image_id,
            }
    }

    /// Remembers a state as delivered if it is newer than the last one; `false` to skip it.
    fn newer(&mut self, record: &video_prompt::Model) -> bool {
        let version = version(record);
        match self.delivered.get(&record.id) {
            Some(seen) if *seen >= version => false,
            _ => {
                self.delivered.insert(record.id, version);
                true
            }
        }
    }

    async fn next(&mut self) -> Option<video_prompt::Model> {
        loop {
            if self.done {
                return None;
            }
            let record = if self.ready.is_empty() {
                match self.events.recv().await {
                    Ok(Event::Changed(record)) if self.wants(&record) => (*record).clone(),
                    Ok(Event::Changed(_)) => continue,
                    Ok(Event::Resync) | Err(RecvError::Lagged(_)) => {
                        // Boxed: the rare path's database future would otherwise make every
                        // idle subscription's state as large as itself.
                        Box::pin(self.resync()).await;
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                }
            } else {
                self.ready.remove(0)
            };
            if !self.newer(&record) {
                continue;
            }
            if matches!(self.target, Target::Record(_)) && is_finished(record.status) {
                self.done = true;
            }
            return Some(record);
        }
    }

    /// After falling behind the hub: the current state from the database instead of the
    /// missed events (bounded memory; the latest state, never a stale one).
    async fn resync(&mut self) {
        // Whatever is still queued is older than what the read below finds.
        self.events = self.events.resubscribe();
        let read = match self.target {
            Target::Record(id) => service::find(&self.db, self.user_id, id)
                .await
                .map(|found| found.into_iter().collect()),
            Target::Image(image_id) => {
                service::live_for_image(&self.db, image_id, self.since).await
            }
        };
        match read {
            Ok(records) => self.ready = records,
            Err(err) => {
                // Ends the subscription; the client sees `complete` and may subscribe again.
                tracing::error!(error = ?err, "re-reading a lagging subscription's state failed");
                self.done = true;
            }
        }
    }
}
