//! DataLoaders: batch the per-object lookups of one request into one query each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::profile;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::AppError;

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
