//! `collections` (a user's named groups) and `images` (uploaded image metadata; the bytes
//! live in the object store).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users_and_sessions::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Collections::Table)
                    .col(pk_uuid(Collections::Id))
                    .col(uuid(Collections::UserId))
                    .col(string(Collections::Name))
                    .col(timestamp_with_time_zone(Collections::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_collections_user_id")
                            .from(Collections::Table, Collections::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_collections_user_id_created_at")
                    .table(Collections::Table)
                    .col(Collections::UserId)
                    .col(Collections::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(pk_uuid(Images::Id))
                    .col(uuid(Images::CollectionId))
                    .col(string(Images::FileName))
                    .col(string(Images::MimeType))
                    .col(big_integer(Images::ByteSize))
                    .col(integer_null(Images::Width))
                    .col(integer_null(Images::Height))
                    .col(string(Images::Sha256))
                    .col(string(Images::StorageKey))
                    .col(timestamp_with_time_zone(Images::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_images_collection_id")
                            .from(Images::Table, Images::CollectionId)
                            .to(Collections::Table, Collections::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_images_collection_id_created_at")
                    .table(Images::Table)
                    .col(Images::CollectionId)
                    .col(Images::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Images::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Collections::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Collections {
    Table,
    Id,
    UserId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Images {
    Table,
    Id,
    CollectionId,
    FileName,
    MimeType,
    ByteSize,
    Width,
    Height,
    Sha256,
    StorageKey,
    CreatedAt,
}
