//! `profiles`: per-user settings, keyed by the user — the encrypted Gemini API key and its hint.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    /// The owning user's id (one profile per user).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// AES-256-GCM ciphertext of the Gemini API key (key-version byte, nonce,
    /// ciphertext and tag); `None` when no key is set.
    #[sea_orm(column_type = "Blob", nullable)]
    pub gemini_api_key: Option<Vec<u8>>,
    /// Last characters of the key, safe to show.
    pub gemini_api_key_hint: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
