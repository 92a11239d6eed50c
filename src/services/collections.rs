//! Collections: a user's named groups of images. Every function takes the caller's id and
//! treats another user's collection exactly like one that does not exist.

use entity::collection;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{
    ownership,
    pagination::{Page, PageRequest},
    removal::{Removal, Remover},
};
use crate::{
    db::{Connections, now},
    error::{AppError, AppResult, Missing},
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

/// Creating, renaming and deleting collections.
#[derive(Clone)]
pub struct Collections {
    db: Connections,
    remover: Remover,
}

impl Collections {
    pub fn new(db: Connections, remover: Remover) -> Self {
        Self { db, remover }
    }

    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn create(&self, user_id: Uuid, name: &str) -> AppResult<collection::Model> {
        let name = normalize_name(name)?;
        let created = collection::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            name: Set(name),
            created_at: Set(now()),
        }
        .insert(&self.db.writes)
        .await?;
        Ok(created)
    }

    #[tracing::instrument(skip_all, fields(user_id = %user_id, collection_id = %id))]
    pub async fn rename(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> AppResult<collection::Model> {
        let name = normalize_name(name)?;
        let found = ownership::collection(&self.db.reads, user_id, id)
            .await?
            .ok_or(AppError::NotFound(Missing::Collection))?;
        let mut active = found.into_active_model();
        active.name = Set(name);
        Ok(active.update(&self.db.writes).await?)
    }

    /// Deletes a collection with its images (rows and bytes) and their prompts; generations in
    /// flight for its images stop and end CANCELLED for their subscribers.
    #[tracing::instrument(skip_all, fields(user_id = %user_id, collection_id = %id))]
    pub async fn delete(&self, user_id: Uuid, id: Uuid) -> AppResult<()> {
        self.remover.remove(user_id, Removal::Collection(id)).await
    }
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
