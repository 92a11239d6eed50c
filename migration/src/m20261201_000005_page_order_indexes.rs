//! Indexes that make a read cost what it answers, not what the table holds.
//!
//! The page indexes name the whole newest-first order, `(parent, created_at, id)`: a page of
//! children then reads its `first + 1` rows straight off the index, cursor included, instead
//! of sorting every child of the parent by `id` among equal `created_at` values. And
//! `(image_id, status)` finds an image's unfinished records (what a subscription by image
//! starts from) without reading its finished ones.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UNFINISHED_INDEX: &str = "idx_video_prompts_image_id_status";

/// (table, parent column, the index before, the index after)
const PAGE_INDEXES: [(&str, &str, &str, &str); 3] = [
    (
        "collections",
        "user_id",
        "idx_collections_user_id_created_at",
        "idx_collections_user_id_created_at_id",
    ),
    (
        "images",
        "collection_id",
        "idx_images_collection_id_created_at",
        "idx_images_collection_id_created_at_id",
    ),
    (
        "video_prompts",
        "image_id",
        "idx_video_prompts_image_id_created_at",
        "idx_video_prompts_image_id_created_at_id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, parent, before, after) in PAGE_INDEXES {
            replace_index(manager, table, before, after, &[parent, "created_at", "id"]).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(UNFINISHED_INDEX)
                    .table(Alias::new("video_prompts"))
                    .col(Alias::new("image_id"))
                    .col(Alias::new("status"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(UNFINISHED_INDEX)
                    .table(Alias::new("video_prompts"))
                    .to_owned(),
            )
            .await?;
        for (table, parent, before, after) in PAGE_INDEXES {
            replace_index(manager, table, after, before, &[parent, "created_at"]).await?;
        }
        Ok(())
    }
}

/// Creates the new index before dropping the old one, so no moment goes without an index.
async fn replace_index(
    manager: &SchemaManager<'_>,
    table: &str,
    old: &str,
    new: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let mut create = Index::create();
    create.name(new).table(Alias::new(table));
    for column in columns {
        create.col(Alias::new(*column));
    }
    manager.create_index(create).await?;
    manager
        .drop_index(Index::drop().name(old).table(Alias::new(table)).to_owned())
        .await
}
