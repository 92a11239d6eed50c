//! Reading video prompt records: one by id, pages per image (for the DataLoaders), an image with
//! its first page in one statement, a user's across images, and what a live view starts from. Every read that takes a user answers another user's record like a
//! missing one.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{image, sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    services::{
        columns::{ColumnSet, Loaded},
        ownership,
        pagination::{self, ChildOrder, Cursor, Page, PageRequest},
    },
};

/// The caller's record, or `None` when it does not exist or is someone else's.
pub async fn find(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<video_prompt::Model>> {
    Ok(video_prompt::Entity::find_by_id(id)
        .filter(video_prompt::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// One page of prompts for each of several images, newest first, in one statement, with
/// `columns` (and the paging columns) read.
pub async fn pages_by_image(
    db: &(impl ConnectionTrait + sea_orm::StreamTrait),
    image_ids: &[Uuid],
    page: PageRequest,
    columns: ColumnSet<video_prompt::Model>,
) -> AppResult<HashMap<Uuid, Page<Loaded<video_prompt::Model>>>> {
    pagination::pages_by_parent(db, &PROMPTS_BY_IMAGE, image_ids, page, columns).await
}

/// A page of the caller's records across all their images, newest first; with `statuses`, only
/// those in one of them (an empty list matches none). One statement on the index
/// `(user_id, created_at, id)`, reading only `columns` (and the paging columns).
pub async fn page_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    statuses: Option<&[VideoPromptStatus]>,
    page: PageRequest,
    columns: ColumnSet<video_prompt::Model>,
) -> AppResult<Page<Loaded<video_prompt::Model>>> {
    use video_prompt::Column as C;
    if statuses.is_some_and(<[_]>::is_empty) {
        return Ok(Page::from_rows(Vec::new(), page.first));
    }
    // The paging columns, and the image (which `prompt_columns` counts on, as a page under an
    // image always reads it).
    let columns = columns.with(C::Id).with(C::CreatedAt).with(C::ImageId);
    let mut query = video_prompt::Entity::find()
        .select_only()
        .columns(columns.iter())
        .filter(C::UserId.eq(user_id));
    if let Some(statuses) = statuses {
        query = query.filter(C::Status.is_in(statuses.iter().cloned()));
    }
    if let Some(after) = page.after {
        query = query.filter(after.older_than(C::CreatedAt, C::Id));
    }
    let statement = query
        .order_by_desc(C::CreatedAt)
        .order_by_desc(C::Id)
        .limit(page.first + 1)
        .into_query();
    let rows = db
        .query_all(&statement)
        .await?
        .iter()
        .map(|row| columns.decode(row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.first))
}

/// An image's prompts, newest first.
const PROMPTS_BY_IMAGE: ChildOrder<video_prompt::Entity> = ChildOrder {
    parent: video_prompt::Column::ImageId,
    created_at: video_prompt::Column::CreatedAt,
    id: video_prompt::Column::Id,
    parent_of: |prompt| prompt.image_id,
    cursor_of: |prompt| Cursor {
        created_at: prompt.created_at,
        id: prompt.id,
    },
};

/// The caller's image with one page of its prompts, in one statement (`None` when the image is
/// missing or someone else's): `image(id) { videoPrompts { … } }` without a second round trip.
pub async fn owned_image_with_page(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    image_id: Uuid,
    page: PageRequest,
    columns: ColumnSet<video_prompt::Model>,
) -> AppResult<Option<(Loaded<image::Model>, Page<Loaded<video_prompt::Model>>)>> {
    let image_columns = ColumnSet::<image::Model>::all();
    let image = ownership::owned_image(user_id, image_id)
        .select_only()
        .columns(image_columns.iter())
        .into_query();
    pagination::parent_with_page(
        db,
        image,
        image_columns,
        (image::Entity, image::Column::Id),
        &PROMPTS_BY_IMAGE,
        page,
        columns,
    )
    .await
}

/// An image's records a live view must show: those not finished yet, and those changed since
/// `since` (a subscriber catching up after it fell behind). Oldest first.
pub async fn live_for_image(
    db: &impl ConnectionTrait,
    image_id: Uuid,
    since: DateTime<Utc>,
) -> AppResult<Vec<video_prompt::Model>> {
    Ok(video_prompt::Entity::find()
        .filter(video_prompt::Column::ImageId.eq(image_id))
        .filter(
            Condition::any()
                .add(
                    video_prompt::Column::Status
                        .is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]),
                )
                .add(video_prompt::Column::UpdatedAt.gte(since)),
        )
        .order_by_asc(video_prompt::Column::CreatedAt)
        .order_by_asc(video_prompt::Column::Id)
        .all(db)
        .await?)
}

/// The caller's records among `keys` (user id, record id), in one statement: what a burst of
/// subscriptions by id starts from. Absent keys are missing or someone else's.
pub async fn find_many(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, Uuid)],
) -> AppResult<HashMap<(Uuid, Uuid), video_prompt::Model>> {
    let rows = video_prompt::Entity::find()
        .filter(video_prompt::Column::Id.is_in(keys.iter().map(|(_, id)| *id)))
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(rows
        .into_iter()
        .map(|row| ((row.user_id, row.id), row))
        .filter(|(key, _)| wanted.contains(key))
        .collect())
}

/// For each of `keys` (user id, image id) whose image is that user's: its records that are not
/// finished yet, oldest first. Two statements for any number of keys: what a burst of
/// subscriptions by image starts from. Absent keys are missing or someone else's images.
pub async fn unfinished_for_owned_images(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, Uuid)],
) -> AppResult<HashMap<(Uuid, Uuid), Vec<video_prompt::Model>>> {
    let mut found: HashMap<(Uuid, Uuid), Vec<video_prompt::Model>> =
        ownership::owned_images(db, keys)
            .await?
            .into_iter()
            .map(|key| (key, Vec::new()))
            .collect();
    if found.is_empty() {
        return Ok(found);
    }
    let records = video_prompt::Entity::find()
        .filter(video_prompt::Column::ImageId.is_in(found.keys().map(|(_, image_id)| *image_id)))
        .filter(
            video_prompt::Column::Status
                .is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]),
        )
        .all(db)
        .await?;
    for record in records {
        if let Some(list) = found.get_mut(&(record.user_id, record.image_id)) {
            list.push(record);
        }
    }
    // Sorted here, not by the database: an `ORDER BY created_at` would draw SQLite to the
    // image's page index and through every finished record, where `(image_id, status)` finds
    // just the unfinished ones.
    for list in found.values_mut() {
        list.sort_by_key(|record| (record.created_at, record.id));
    }
    Ok(found)
}
