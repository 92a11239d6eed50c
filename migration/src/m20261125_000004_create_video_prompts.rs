//! `video_prompts`: prompt-generation requests, which double as the job queue (status,
//! attempts, lease, next attempt time) and hold the result.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users_and_sessions::Users;
use crate::m20261125_000003_create_collections_and_images::Images;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VideoPrompts::Table)
                    .col(pk_uuid(VideoPrompts::Id))
                    .col(uuid(VideoPrompts::ImageId))
                    .col(uuid(VideoPrompts::UserId))
                    .col(string(VideoPrompts::CameraStyle))
                    .col(string(VideoPrompts::FilmEffect))
                    .col(text_null(VideoPrompts::Notes))
                    // PENDING | PROCESSING | COMPLETED | FAILED | CANCELLED
                    .col(string_len(VideoPrompts::Status, 16))
                    .col(text_null(VideoPrompts::Prompt))
                    .col(json_binary_null(VideoPrompts::Details))
                    .col(string_null(VideoPrompts::ErrorCode))
                    .col(text_null(VideoPrompts::ErrorMessage))
                    .col(string_null(VideoPrompts::Model))
                    .col(integer_null(VideoPrompts::PromptTokens))
                    .col(integer_null(VideoPrompts::OutputTokens))
                    .col(integer(VideoPrompts::Attempts).default(0))
                    .col(string_null(VideoPrompts::IdempotencyKey))
                    .col(string_null(VideoPrompts::LeaseOwner))
                    .col(timestamp_with_time_zone_null(VideoPrompts::LeaseExpiresAt))
                    .col(timestamp_with_time_zone(VideoPrompts::NextAttemptAt))
                    .col(timestamp_with_time_zone(VideoPrompts::CreatedAt))
                    .col(timestamp_with_time_zone_null(VideoPrompts::StartedAt))
                    .col(timestamp_with_time_zone_null(VideoPrompts::CompletedAt))
                    .col(timestamp_with_time_zone(VideoPrompts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_video_prompts_image_id")
                            .from(VideoPrompts::Table, VideoPrompts::ImageId)
                            .to(Images::Table, Images::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_video_prompts_user_id")
                            .from(VideoPrompts::Table, VideoPrompts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Prompts of one image, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_video_prompts_image_id_created_at")
                    .table(VideoPrompts::Table)
                    .col(VideoPrompts::ImageId)
                    .col(VideoPrompts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The job runner: claimable PENDING records by due time.
        manager
            .create_index(
                Index::create()
                    .name("idx_video_prompts_status_next_attempt_at")
                    .table(VideoPrompts::Table)
                    .col(VideoPrompts::Status)
                    .col(VideoPrompts::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_video_prompts_user_id")
                    .table(VideoPrompts::Table)
                    .col(VideoPrompts::UserId)
                    .to_owned(),
            )
            .await?;
        // NULL keys are distinct on both backends, so requests without a key never collide.
        manager
            .create_index(
                Index::create()
                    .name("idx_video_prompts_user_id_idempotency_key")
                    .table(VideoPrompts::Table)
                    .col(VideoPrompts::UserId)
                    .col(VideoPrompts::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VideoPrompts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum VideoPrompts {
    Table,
    Id,
    ImageId,
    UserId,
    CameraStyle,
    FilmEffect,
    Notes,
    Status,
    Prompt,
    Details,
    ErrorCode,
    ErrorMessage,
    Model,
    PromptTokens,
    OutputTokens,
    Attempts,
    IdempotencyKey,
    LeaseOwner,
    LeaseExpiresAt,
    NextAttemptAt,
    CreatedAt,
    StartedAt,
    CompletedAt,
    UpdatedAt,
}
