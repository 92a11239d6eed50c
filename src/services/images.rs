//! Images: accepting an upload (type, size, pixel limit, structure, hash), listing a
//! collection's images page by page, and deleting them. Ownership runs image → collection →
//! user; another user's image is treated exactly like a missing one.

use std::{collections::HashMap, io::Read, sync::Arc};

use bytes::Bytes;
use entity::image;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Set, SqlErr,
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tracing::Instrument;
use uuid::Uuid;

use super::{
    columns::{ColumnSet, Loaded},
    ownership,
    pagination::{self, ChildOrder, Cursor, Page, PageRequest},
    removal::{Removal, Remover},
};
use crate::{
    db::{Connections, now},
    error::{AppError, AppResult, Missing},
    image_files::{ImageStore, probe},
};

/// An uploaded file as the transport hands it over: a client-given name and the spooled bytes.
pub struct NewUpload {
    pub file_name: String,
    pub file: std::fs::File,
}

/// Longest stored file name, in characters.
const MAX_FILE_NAME_CHARS: usize = 255;

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Most pixels an accepted image may have.
    pub max_pixels: u64,
}

/// Accepting and deleting images.
#[derive(Clone)]
pub struct Images {
    db: Connections,
    store: ImageStore,
    /// Bounds the uploads checked at once: each holds its file (up to the upload limit) in
    /// memory while it is probed, hashed and stored.
    checks: Arc<Semaphore>,
    limits: UploadLimits,
    remover: Remover,
}

impl Images {
    /// `concurrent_checks`: uploads checked at once.
    pub fn new(
        db: Connections,
        store: ImageStore,
        limits: UploadLimits,
        concurrent_checks: usize,
        remover: Remover,
    ) -> Self {
        Self {
            db,
            store,
            checks: Arc::new(Semaphore::new(concurrent_checks)),
            limits,
            remover,
        }
    }

    /// Accepts an image into the caller's collection. A refused upload leaves nothing behind:
    /// the bytes are written only after every check passed, and removed again if the row
    /// cannot be.
    #[tracing::instrument(skip_all, fields(user_id = %user_id, collection_id = %collection_id))]
    pub async fn upload(
        &self,
        user_id: Uuid,
        collection_id: Uuid,
        upload: NewUpload,
    ) -> AppResult<image::Model> {
        ownership::collection(&self.db.reads, user_id, collection_id)
            .await?
            .ok_or(AppError::NotFound(Missing::Collection))?;
        // Held until the bytes are stored: bounds the files in memory at once.
        let _permit = self
            .checks
            .acquire()
            .await
            .map_err(|_| anyhow::anyhow!("the upload semaphore was closed"))?;
        let UploadLimits {
            max_bytes,
            max_pixels,
        } = self.limits;
        // Reading, hashing and walking up to 20 MiB is CPU and file work: the blocking pool's.
        let checked =
            tokio::task::spawn_blocking(move || inspect(upload.file, max_bytes, max_pixels))
                .await
                .map_err(|err| {
                    anyhow::anyhow!("the upload check panicked or was cancelled: {err}")
                })??;

        let id = Uuid::now_v7();
        let key = storage_key(id);
        let row = image::ActiveModel {
            id: Set(id),
            collection_id: Set(collection_id),
            file_name: Set(clean_file_name(&upload.file_name)),
            mime_type: Set(checked.image.kind.mime_type().to_owned()),
            byte_size: Set(i64::try_from(checked.bytes.len()).unwrap_or(i64::MAX)),
            width: Set(i32::try_from(checked.image.width).ok()),
            height: Set(i32::try_from(checked.image.height).ok()),
            sha256: Set(checked.sha256),
            storage_key: Set(key.clone()),
            created_at: Set(now()),
        };
        // A task of its own: if the client goes away mid-request, the request's future is
        // dropped, and bytes written without their row (or a failed row without its clean-up)
        // would stay.
        let task = store_and_record(
            self.db.writes.clone(),
            self.store.clone(),
            row,
            key,
            checked.bytes,
        );
        tokio::spawn(task.instrument(tracing::Span::current()))
            .await
            .map_err(|err| anyhow::anyhow!("storing an upload panicked: {err}"))?
    }

    /// Deletes the caller's image: its prompts, its row, then its bytes; generations in flight
    /// for it stop and end CANCELLED for their subscribers.
    #[tracing::instrument(skip_all, fields(user_id = %user_id, image_id = %id))]
    pub async fn delete(&self, user_id: Uuid, id: Uuid) -> AppResult<()> {
        self.remover.remove(user_id, Removal::Image(id)).await
    }
}

/// Writes the bytes, then the row; removes the bytes again when the row cannot be written.
async fn store_and_record(
    db: DatabaseConnection,
    store: ImageStore,
    row: image::ActiveModel,
    key: String,
    bytes: Bytes,
) -> AppResult<image::Model> {
    store.put(&key, bytes).await?;
    match row.insert(&db).await {
        Ok(row) => {
            tracing::info!(image_id = %row.id, bytes = row.byte_size, mime = %row.mime_type, "image stored");
            Ok(row)
        }
        Err(err) => {
            if let Err(cleanup) = store.delete(&key).await {
                tracing::warn!(error = ?cleanup, key, "could not remove the bytes of a failed upload");
            }
            Err(collection_gone(err))
        }
    }
}

/// The collection was deleted between the check and the insert: that is a missing collection.
fn collection_gone(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::NotFound(Missing::Collection),
        _ => AppError::from(err),
    }
}

/// A file that passed every check.
struct Checked {
    bytes: Bytes,
    image: probe::ProbedImage,
    sha256: String,
}

fn inspect(file: std::fs::File, limit: usize, max_pixels: u64) -> AppResult<Checked> {
    let too_large = || {
        AppError::PayloadTooLarge(format!(
            "The file is larger than the limit of {limit} bytes."
        ))
    };
    let length = file
        .metadata()
        .map_err(|err| anyhow::Error::new(err).context("could not read the spooled upload"))?
        .len();
    if length > limit as u64 {
        return Err(too_large()); // the multipart reader already stops these; belt and braces
    }
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| anyhow::Error::new(err).context("could not read the spooled upload"))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    let image = probe::probe(&bytes, max_pixels).map_err(|refused| AppError::RefusedFile {
        reason: refused.reason(),
        message: refused.message(),
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(Checked {
        bytes: bytes.into(),
        image,
        sha256,
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Where an image's bytes go: spread over 256 folders by the id's random tail, so no single
/// folder of a file-system store grows huge.
pub fn storage_key(id: Uuid) -> String {
    let fan_out = id.as_bytes()[15];
    format!("{fan_out:02x}/{id}")
}

/// The client's file name, for display only: no folders, no control characters, bounded.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "image".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Any image by id: for the signed image route, where the signature is the authorisation.
pub async fn find_for_serving(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<image::Model>> {
    Ok(image::Entity::find_by_id(id).one(db).await?)
}

/// One page of images for each of several collections, newest first, in one statement, with
/// `columns` (and the paging columns) read.
pub async fn pages_by_collection(
    db: &(impl ConnectionTrait + sea_orm::StreamTrait),
    collection_ids: &[Uuid],
    page: PageRequest,
    columns: ColumnSet<image::Model>,
) -> AppResult<HashMap<Uuid, Page<Loaded<image::Model>>>> {
    const ORDER: ChildOrder<image::Entity> = ChildOrder {
        parent: image::Column::CollectionId,
        created_at: image::Column::CreatedAt,
        id: image::Column::Id,
        parent_of: |image| image.collection_id,
        cursor_of: |image| Cursor {
            created_at: image.created_at,
            id: image.id,
        },
    };
    pagination::pages_by_parent(db, &ORDER, collection_ids, page, columns).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\anna\\Bild.png"), "Bild.png");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\nb.jpg"), "ab.jpg");
        assert_eq!(clean_file_name("   "), "image");
        assert_eq!(clean_file_name(&"x".repeat(1000)).len(), 255);
    }
}
