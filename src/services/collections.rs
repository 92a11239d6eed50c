//! Collections: a user's named groups of images. Every function takes the caller's id and
//! treats another user's collection exactly like one that does not exist.

use entity::{collection, image, video_prompt};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{
    images,
    pagination::{Page, PageRequest},
    video_prompts,
};
use crate::{
    error::{AppError, AppResult, Missing},
    state::AppState,
};

/// Longest collection name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Trims a name and checks its length (1 to 100 characters).
pub fn normalize_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            format!(
                "A collection name has 1 to {MAX_NAME_CHARS} characters (no control characters)."
            ),
        ));
    }
    Ok(name.to_owned())
}

#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn create(state: &AppState, user_id: Uuid, name: &str) -> AppResult<collection::Model> {
    let name = normalize_name(name)?;
    let created = collection::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        name: Set(name),
        created_at: Set(super::now()),
    }
    .insert(&state.db)
    .await?;
    Ok(created)
}

#[tracing::instrument(skip_all, fields(user_id = %user_id, collection_id = %id))]
pub async fn rename(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> AppResult<collection::Model> {
    let name = normalize_name(name)?;
    let found = find_owned(&state.db, user_id, id)
        .await?
        .ok_or(AppError::NotFound(Missing::Collection))?;
    let mut active = found.into_active_model();
    active.name = Set(name);
    Ok(active.update(&state.db).await?)
}

/// Deletes a collection with its images (rows and bytes) and their prompts.
#[tracing::instrument(skip_all, fields(user_id = %user_id, collection_id = %id))]
pub async fn delete(state: &AppState, user_id: Uuid, id: Uuid) -> AppResult<()> {
    find_owned(&state.db, user_id, id)
        .await?
        .ok_or(AppError::NotFound(Missing::Collection))?;
    let in_collection = || {
        sea_orm::sea_query::Query::select()
            .column(image::Column::Id)
            .from(image::Entity)
            .and_where(image::Column::CollectionId.eq(id))
            .to_owned()
    };
    // Generations in flight for its images stop now; they end CANCELLED for their subscribers.
    let stopped = video_prompts::stop_for_deletion(
        state,
        sea_orm::Condition::all().add(video_prompt::Column::ImageId.in_subquery(in_collection())),
    )
    .await?;
    let txn = state.db.begin().await?;
    find_owned(&txn, user_id, id)
        .await?
        .ok_or(AppError::NotFound(Missing::Collection))?;
    let keys: Vec<String> = image::Entity::find()
        .select_only()
        .column(image::Column::StorageKey)
        .filter(image::Column::CollectionId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    // Explicit rather than trusting ON DELETE CASCADE alone: SQLite enforces foreign keys only
    // when the connection asks for it.
    video_prompt::Entity::delete_many()
        .filter(video_prompt::Column::ImageId.in_subquery(in_collection()))
        .exec(&txn)
        .await?;
    image::Entity::delete_many()
        .filter(image::Column::CollectionId.eq(id))
        .exec(&txn)
        .await?;
    collection::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    video_prompts::announce_cancelled(state, stopped);
    images::delete_bytes(state, keys).await;
    Ok(())
}

/// The caller's collection, or `None` (also for another user's).
pub async fn find_owned(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<collection::Model>> {
    Ok(collection::Entity::find_by_id(id)
        .filter(collection::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// A page of the user's collections, newest first.
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<collection::Model>> {
    // One row more than asked for tells whether another page follows (also for `first: 0`).
    let rows = list_query(user_id, page)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page.first))
}

fn list_query(user_id: Uuid, page: PageRequest) -> sea_orm::Select<collection::Entity> {
    let mut query = collection::Entity::find().filter(collection::Column::UserId.eq(user_id));
    if let Some(after) = page.after {
        query =
            query.filter(after.older_than(collection::Column::CreatedAt, collection::Column::Id));
    }
    query
        .order_by_desc(collection::Column::CreatedAt)
        .order_by_desc(collection::Column::Id)
}

/// Collections by id, whoever owns them (for `Image.collection`, reached through an owned image).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Vec<collection::Model>> {
    Ok(collection::Entity::find()
        .filter(collection::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}
