//! The index of a user's video prompts in newest-first order, `(user_id, created_at, id)`: the
//! listing across images (`me.videoPrompts`) reads a page's `first + 1` rows straight off it,
//! cursor included, instead of sorting every record of the user.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_video_prompts_user_id_created_at_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Alias::new("video_prompts"))
                    .col(Alias::new("user_id"))
                    .col(Alias::new("created_at"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Alias::new("video_prompts"))
                    .to_owned(),
            )
            .await
    }
}
