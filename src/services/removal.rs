//! Deleting images, one or a whole collection's: the one delete cascade.
//!
//! In order: the generations in flight for the images are aborted (here and on the other
//! instances: their Gemini calls stop at once rather than run on for rows about to vanish); the
//! prompts, the images and the collection go in one transaction; the prompts that were not
//! finished are announced `CANCELLED` (DESIGN: generations in flight for a deleted image end
//! CANCELLED); then the bytes go. Bytes go after the rows: a failure there leaves unreachable
//! bytes (logged, and swept by `orphaned_bytes`), never a row pointing at nothing.

use entity::{collection, image, sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
    sea_query::{Query, SelectStatement},
};
use tracing::Instrument;
use uuid::Uuid;

use super::ownership;
use crate::{
    db::{Connections, now},
    error::{AppError, AppResult, Missing},
    events::EventHub,
    image_files::ImageStore,
    jobs::Jobs,
};

/// What to delete, always of one caller.
#[derive(Debug, Clone, Copy)]
pub enum Removal {
    Image(Uuid),
    /// The collection with every image in it.
    Collection(Uuid),
}

impl Removal {
    /// The ids of the images it removes, as a subquery.
    fn images(self) -> SelectStatement {
        let mut query = Query::select();
        query.column(image::Column::Id).from(image::Entity);
        match self {
            Self::Image(id) => query.and_where(image::Column::Id.eq(id)),
            Self::Collection(id) => query.and_where(image::Column::CollectionId.eq(id)),
        };
        query.to_owned()
    }

    fn missing(self) -> AppError {
        match self {
            Self::Image(_) => AppError::NotFound(Missing::Image),
            Self::Collection(_) => AppError::NotFound(Missing::Collection),
        }
    }

    /// Whether the caller owns it (checked again inside the transaction).
    async fn is_owned(self, db: &impl sea_orm::ConnectionTrait, user_id: Uuid) -> AppResult<bool> {
        Ok(match self {
            Self::Image(id) => ownership::image(db, user_id, id).await?.is_some(),
            Self::Collection(id) => ownership::collection(db, user_id, id).await?.is_some(),
        })
    }
}

/// Runs removals; cheap to clone.
#[derive(Clone)]
pub struct Remover {
    db: Connections,
    store: ImageStore,
    jobs: Jobs,
    events: EventHub,
}

impl Remover {
    pub fn new(db: Connections, store: ImageStore, jobs: Jobs, events: EventHub) -> Self {
        Self {
            db,
            store,
            jobs,
            events,
        }
    }

    /// Deletes what `removal` names, if it is the caller's; NOT_FOUND otherwise.
    pub async fn remove(&self, user_id: Uuid, removal: Removal) -> AppResult<()> {
        if !removal.is_owned(&self.db.reads, user_id).await? {
            return Err(removal.missing());
        }
        let stopped = self.stop_unfinished(removal).await?;
        let txn = self.db.writes.begin().await?;
        if !removal.is_owned(&txn, user_id).await? {
            return Err(removal.missing());
        }
        let keys: Vec<String> = image::Entity::find()
            .select_only()
            .column(image::Column::StorageKey)
            .filter(image::Column::Id.in_subquery(removal.images()))
            .into_tuple()
            .all(&txn)
            .await?;
        // Explicit rather than trusting ON DELETE CASCADE alone: SQLite enforces foreign keys
        // only when the connection asks for it.
        video_prompt::Entity::delete_many()
            .filter(video_prompt::Column::ImageId.in_subquery(removal.images()))
            .exec(&txn)
            .await?;
        image::Entity::delete_many()
            .filter(image::Column::Id.in_subquery(removal.images()))
            .exec(&txn)
            .await?;
        if let Removal::Collection(id) = removal {
            collection::Entity::delete_by_id(id).exec(&txn).await?;
        }
        txn.commit().await?;
        self.announce_cancelled(stopped);
        self.delete_bytes(keys).await;
        Ok(())
    }

    /// Aborts the attempts for the unfinished prompts of the images, wherever they run, and
    /// returns those prompts.
    async fn stop_unfinished(&self, removal: Removal) -> AppResult<Vec<video_prompt::Model>> {
        let unfinished = video_prompt::Entity::find()
            .filter(
                Condition::all()
                    .add(video_prompt::Column::ImageId.in_subquery(removal.images()))
                    .add(
                        video_prompt::Column::Status
                            .is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]),
                    ),
            )
            .all(&self.db.reads)
            .await?;
        for record in &unfinished {
            self.jobs.abort(record.id);
        }
        Ok(unfinished)
    }

    /// Tells subscribers that the prompts ended `CANCELLED` with their image.
    fn announce_cancelled(&self, records: Vec<video_prompt::Model>) {
        let now = now();
        for mut record in records {
            record.status = VideoPromptStatus::Cancelled;
            record.lease_owner = None;
            record.lease_expires_at = None;
            record.prompt = None;
            record.completed_at = Some(now);
            record.updated_at = now;
            self.events.publish_deleted(record);
        }
    }

    /// Deletes the bytes of images whose rows are gone, in a task of its own so that a client
    /// going away cannot stop it half-way.
    async fn delete_bytes(&self, keys: Vec<String>) {
        let store = self.store.clone();
        let task = async move {
            for key in keys {
                if let Err(err) = store.delete(&key).await {
                    tracing::warn!(error = ?err, key, "could not delete the bytes of a deleted image");
                }
            }
        };
        let _ = tokio::spawn(task.instrument(tracing::Span::current())).await;
    }
}
