//! Who owns what: the one place that decides whether a collection, an image or a video prompt is
//! the caller's.
//! Ownership runs image → collection → user; another user's record is answered exactly like a
//! missing one (`None`), so a caller learns nothing of other users' ids.

use std::collections::{HashMap, HashSet};

use entity::{collection, image, video_prompt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, RelationTrait, Select,
    sea_query::JoinType,
};
use uuid::Uuid;

use crate::error::AppResult;

/// The caller's collection, or `None` (also for another user's).
pub async fn collection(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<collection::Model>> {
    Ok(collection::Entity::find_by_id(id)
        .filter(collection::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The caller's image, or `None` (also for another user's).
pub async fn image(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<image::Model>> {
    Ok(owned_image(user_id, id).one(db).await?)
}

/// The select of the caller's image by id: no row for another user's. Other reads build on it
/// (an image with its first prompts in one statement).
pub fn owned_image(user_id: Uuid, id: Uuid) -> Select<image::Entity> {
    image::Entity::find_by_id(id)
        .join(JoinType::InnerJoin, image::Relation::Collection.def())
        .filter(collection::Column::UserId.eq(user_id))
}

/// Those of `keys` (user id, image id) whose image is that user's, in one statement: how a
/// burst of subscriptions by image checks ownership.
pub async fn owned_images(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, Uuid)],
) -> AppResult<HashSet<(Uuid, Uuid)>> {
    let owned: Vec<(Uuid, Uuid)> = image::Entity::find()
        .select_only()
        .column(collection::Column::UserId)
        .column(image::Column::Id)
        .join(JoinType::InnerJoin, image::Relation::Collection.def())
        .filter(image::Column::Id.is_in(keys.iter().map(|(_, image_id)| *image_id)))
        .into_tuple()
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(owned
        .into_iter()
        .filter(|key| wanted.contains(key))
        .collect())
}

/// One of the caller's records, found by id alone (`node(id)`).
pub enum OwnedRecord {
    Collection(collection::Model),
    Image(image::Model),
    VideoPrompt(Box<video_prompt::Model>),
}

/// The caller's collections, images and video prompts among `ids`, by id: three statements
/// whatever the number of ids (the ids are UUIDs, unique across the tables). Ids that are
/// missing or someone else's are absent alike.
pub async fn owned_records(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, OwnedRecord>> {
    let mut found = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let collections = collection::Entity::find()
        .filter(collection::Column::Id.is_in(ids.iter().copied()))
        .filter(collection::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    found.extend(
        collections
            .into_iter()
            .map(|row| (row.id, OwnedRecord::Collection(row))),
    );
    let images = image::Entity::find()
        .join(JoinType::InnerJoin, image::Relation::Collection.def())
        .filter(image::Column::Id.is_in(ids.iter().copied()))
        .filter(collection::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    found.extend(
        images
            .into_iter()
            .map(|row| (row.id, OwnedRecord::Image(row))),
    );
    let prompts = video_prompt::Entity::find()
        .filter(video_prompt::Column::Id.is_in(ids.iter().copied()))
        .filter(video_prompt::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    found.extend(
        prompts
            .into_iter()
            .map(|row| (row.id, OwnedRecord::VideoPrompt(Box::new(row)))),
    );
    Ok(found)
}
