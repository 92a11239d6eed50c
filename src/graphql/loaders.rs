//! DataLoaders: batch the per-object lookups of one request into one query each.
//!
//! The values of the loaders that serve many objects are behind `Arc`: `load_one` hands out a
//! pointer to the cached rows, not a copy of every string in them.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{collection, image, profile, video_prompt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    error::AppError,
    services::{
        collections,
        columns::{ColumnSet, Loaded},
        images,
        pagination::{Page, PageRequest},
        video_prompts,
    },
};

/// The DataLoaders of one operation: batching and caching last for that operation only, so no
/// request sees another's cached rows. Each is made when a resolver first asks for it, so an
/// operation pays for the loaders it uses (a `{ me { email } }` none, an idle subscription
/// none) rather than for all of them.
pub struct Loaders {
    db: DatabaseConnection,
    profiles: OnceLock<DataLoader<ProfileLoader>>,
    collections: OnceLock<DataLoader<CollectionLoader>>,
    images: OnceLock<DataLoader<ImageLoader>>,
    image_pages: OnceLock<DataLoader<ImagePageLoader>>,
    prompt_pages: OnceLock<DataLoader<PromptPageLoader>>,
    owned_records: OnceLock<DataLoader<OwnedRecordLoader>>,
    unfinished_records: OnceLock<DataLoader<UnfinishedRecordsLoader>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            db: db.clone(),
            profiles: OnceLock::new(),
            collections: OnceLock::new(),
            images: OnceLock::new(),
            image_pages: OnceLock::new(),
            prompt_pages: OnceLock::new(),
            owned_records: OnceLock::new(),
            unfinished_records: OnceLock::new(),
        }
    }

    /// The operation's loader of type `T`, made on first use.
    pub fn get<T: OperationLoader>(&self) -> &DataLoader<T> {
        T::slot(self).get_or_init(|| DataLoader::new(T::from_db(self.db.clone()), tokio::spawn))
    }
}

/// A loader an operation can ask [`Loaders`] for.
pub trait OperationLoader: Sized + Send + Sync + 'static {
    fn from_db(db: DatabaseConnection) -> Self;
    fn slot(loaders: &Loaders) -> &OnceLock<DataLoader<Self>>;
}

macro_rules! operation_loaders {
    ($($loader:ident => $slot:ident),* $(,)?) => {
        $(impl OperationLoader for $loader {
            fn from_db(db: DatabaseConnection) -> Self {
                Self { db }
            }
            fn slot(loaders: &Loaders) -> &OnceLock<DataLoader<Self>> {
                &loaders.$slot
            }
        })*
    };
}

operation_loaders! {
    ProfileLoader => profiles,
    CollectionLoader => collections,
    ImageLoader => images,
    ImagePageLoader => image_pages,
    PromptPageLoader => prompt_pages,
    OwnedRecordLoader => owned_records,
    UnfinishedRecordsLoader => unfinished_records,
}

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

/// One page of a collection's images. The page request and the columns the client's selection
/// needs are part of the key: the collections on a page usually all ask for the same
/// `first`/`after` and fields, and each such group is one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImagePageKey {
    pub collection_id: Uuid,
    pub page: PageRequest,
    pub columns: ColumnSet<image::Model>,
}

pub struct ImagePageLoader {
    pub db: DatabaseConnection,
}

impl Loader<ImagePageKey> for ImagePageLoader {
    type Value = Arc<Page<Loaded<image::Model>>>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ImagePageKey],
    ) -> Result<HashMap<ImagePageKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<_, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.page, key.columns))
                .or_default()
                .push(key.collection_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((page, columns), collection_ids) in groups {
            let found =
                images::pages_by_collection(&self.db, &collection_ids, page, columns).await?;
            pages.extend(found.into_iter().map(|(collection_id, images)| {
                (
                    ImagePageKey {
                        collection_id,
                        page,
                        columns,
                    },
                    Arc::new(images),
                )
            }));
        }
        Ok(pages)
    }
}

/// Images by id (for `VideoPrompt.image`).
pub struct ImageLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for ImageLoader {
    type Value = Arc<image::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = image::Entity::find()
            .filter(image::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, Arc::new(row)))
            .collect())
    }
}

/// One page of an image's video prompts; keyed like `ImagePageKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PromptPageKey {
    pub image_id: Uuid,
    pub page: PageRequest,
    pub columns: ColumnSet<video_prompt::Model>,
}

pub struct PromptPageLoader {
    pub db: DatabaseConnection,
}

impl Loader<PromptPageKey> for PromptPageLoader {
    type Value = Arc<Page<Loaded<video_prompt::Model>>>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[PromptPageKey],
    ) -> Result<HashMap<PromptPageKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<_, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.page, key.columns))
                .or_default()
                .push(key.image_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((page, columns), image_ids) in groups {
            let found = video_prompts::pages_by_image(&self.db, &image_ids, page, columns).await?;
            pages.extend(found.into_iter().map(|(image_id, prompts)| {
                (
                    PromptPageKey {
                        image_id,
                        page,
                        columns,
                    },
                    Arc::new(prompts),
                )
            }));
        }
        Ok(pages)
    }
}

/// Something of a user's, by id: the key of loaders that check ownership as they load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owned {
    pub user_id: Uuid,
    pub id: Uuid,
}

fn pairs(keys: &[Owned]) -> Vec<(Uuid, Uuid)> {
    keys.iter().map(|key| (key.user_id, key.id)).collect()
}

/// A user's video prompt by id (where `videoPromptUpdated(id)` starts); absent when missing or
/// someone else's. A client opening many subscriptions at once costs one query.
pub struct OwnedRecordLoader {
    pub db: DatabaseConnection,
}

impl Loader<Owned> for OwnedRecordLoader {
    type Value = video_prompt::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Owned]) -> Result<HashMap<Owned, Self::Value>, Self::Error> {
        let found = video_prompts::find_many(&self.db, &pairs(keys)).await?;
        Ok(found
            .into_iter()
            .map(|((user_id, id), record)| (Owned { user_id, id }, record))
            .collect())
    }
}

/// The unfinished video prompts of a user's image, by image id (where
/// `videoPromptUpdated(imageId)` starts); absent when the image is missing or someone else's.
/// A client opening many subscriptions at once costs two queries.
pub struct UnfinishedRecordsLoader {
    pub db: DatabaseConnection,
}

impl Loader<Owned> for UnfinishedRecordsLoader {
    type Value = Vec<video_prompt::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[Owned]) -> Result<HashMap<Owned, Self::Value>, Self::Error> {
        let found = video_prompts::unfinished_for_owned_images(&self.db, &pairs(keys)).await?;
        Ok(found
            .into_iter()
            .map(|((user_id, id), records)| (Owned { user_id, id }, records))
            .collect())
    }
}
