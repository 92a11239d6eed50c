//! Collections in the schema: `collection(id)`, create/rename/delete, and the `Collection` type
//! whose `images` come through a DataLoader (one query for a whole page of collections).

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::collection;

use super::{
    connection::{self, PageConnection, complexity},
    context::ContextExt,
    exports::{ExportFormat, export_url},
    ids::{parse_id, to_id},
    images::{Image, image_columns},
    loaders::{ImagePageKey, ImagePageLoader},
    plain_fields::Plain,
};
use crate::services::{
    exports::ExportScope,
    ownership,
    pagination::{Cursor, PageRequest},
};

/// A named group of the user's images.
#[derive(Clone)]
pub struct Collection(pub collection::Model);

#[Object]
impl Collection {
    pub(crate) async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// 1 to 100 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// A link that downloads the video prompts of this collection's images as `format`, newest
    /// first; like `User.exportUrl`, short-lived and usable without a token.
    async fn export_url(&self, ctx: &Context<'_>, format: ExportFormat) -> String {
        export_url(ctx, ExportScope::Collection(self.0.id), format)
    }

    /// The collection's images, newest first. `first`: 0 to 100 (default 20).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn images(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PageConnection<Plain<Image>>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let columns = image_columns(connection::node_fields(ctx));
        let images = ctx
            .loader::<ImagePageLoader>()
            .load_one(ImagePageKey {
                collection_id: self.0.id,
                page,
                columns,
            })
            .await?;
        Ok(connection::shared_connection(
            images.as_deref(),
            page,
            |image| {
                Ok(Cursor {
                    created_at: *image.created_at()?,
                    id: *image.id()?,
                })
            },
            |row| Plain(Image::from(row)),
        )?)
    }
}

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// One of your collections; null when it does not exist or is not yours.
    async fn collection(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Collection>> {
        let id = parse_id(&id, "id")?;
        let Some(session) = ctx.caller() else {
            return Ok(None);
        };
        Ok(ownership::collection(&ctx.state().db, session.user_id, id)
            .await?
            .map(Collection))
    }
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Creates a collection. `name`: 1 to 100 characters after trimming.
    async fn create_collection(&self, ctx: &Context<'_>, name: String) -> Result<Collection> {
        let session = ctx.session()?;
        let created = ctx
            .state()
            .collections
            .create(session.user_id, &name)
            .await?;
        Ok(Collection(created))
    }

    /// Renames one of your collections.
    async fn rename_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<Collection> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        let renamed = ctx
            .state()
            .collections
            .rename(session.user_id, id, &name)
            .await?;
        Ok(Collection(renamed))
    }

    /// Deletes one of your collections with its images (their bytes too) and their prompts.
    async fn delete_collection(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        ctx.state().collections.delete(session.user_id, id).await?;
        Ok(true)
    }
}
