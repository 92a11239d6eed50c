//! Removing image bytes that no row refers to.
//!
//! An upload writes its bytes before its row, and a delete removes its row before its bytes, so
//! that no row ever points at missing bytes. A process that dies between the two steps leaves
//! bytes behind that nothing refers to. The sweep finds them by listing the store, and removes
//! those older than a grace period (far longer than any upload takes between its two steps, so
//! an upload in flight on another instance is never touched).

use std::{collections::HashSet, time::Duration};

use entity::image;
use futures_util::{StreamExt, TryStreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::sync::CancellationToken;

use crate::image_files::ImageStore;

/// Bytes younger than this are left alone: their upload may still be writing its row.
pub const GRACE: Duration = Duration::from_secs(60 * 60);

/// How often a running instance sweeps again (it also sweeps once at start).
const INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);

/// Keys checked against the database per statement.
const BATCH: usize = 500;

/// Sweeps at start and then every few hours until `stop`.
pub async fn run(db: DatabaseConnection, store: ImageStore, stop: CancellationToken) {
    loop {
        // Stopping drops a sweep half done: what it left is found the next time.
        let result = tokio::select! {
            () = stop.cancelled() => return,
            result = sweep(&db, &store, GRACE) => result,
        };
        match result {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed image bytes no image refers to"),
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "sweeping the image store failed"
            ),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

/// Removes the bytes older than `grace` that no image row refers to; returns how many.
pub async fn sweep(
    db: &DatabaseConnection,
    store: &ImageStore,
    grace: Duration,
) -> anyhow::Result<usize> {
    let cutoff = chrono::Utc::now() - grace;
    let mut keys = std::pin::pin!(store.keys_older_than(cutoff).try_chunks(BATCH));
    let mut removed = 0;
    while let Some(batch) = keys.next().await {
        let batch = batch.map_err(|err| err.1)?;
        let referenced: HashSet<String> = image::Entity::find()
            .select_only()
            .column(image::Column::StorageKey)
            .filter(image::Column::StorageKey.is_in(batch.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for key in batch.into_iter().filter(|key| !referenced.contains(key)) {
            store.delete(&key).await?;
            tracing::debug!(key, "removed orphaned image bytes");
            removed += 1;
        }
    }
    Ok(removed)
}
