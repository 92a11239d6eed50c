//! DataLoaders: batch the per-object lookups of one request into one query each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{collection, image, profile};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    error::AppError,
    services::{
        collections, images,
        pagination::{Page, PageRequest},
    },
};

/// Users' profiles (Gemini key status) by user id.
pub struct ProfileLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for ProfileLoader {
    type Value = profile::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = profile::Entity::find()
            .filter(profile::Column::UserId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|row| (row.user_id, row)).collect())
    }
}

/// Collections by id (for `Image.collection`).
pub struct CollectionLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for CollectionLoader {
    type Value = collection::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = collections::by_ids(&self.db, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// One page of a collection's images. The page request is part of the key: the collections on
/// a page usually all ask for the same `first`/`after`, and each such group is one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImagePageKey {
    pub collection_id: Uuid,
    pub page: PageRequest,
}

pub struct ImagePageLoader {
    pub db: DatabaseConnection,
}

impl Loader<ImagePageKey> for ImagePageLoader {
    type Value = Page<image::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ImagePageKey],
    ) -> Result<HashMap<ImagePageKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<PageRequest, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups.entry(key.page).or_default().push(key.collection_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for (page, collection_ids) in groups {
            let found = images::pages_by_collection(&self.db, &collection_ids, page).await?;
            pages.extend(found.into_iter().map(|(collection_id, images)| {
                (
                    ImagePageKey {
                        collection_id,
                        page,
                    },
                    images,
                )
            }));
        }
        Ok(pages)
    }
}
