//! Users' Gemini API keys: stored sealed with the master key, bound to their owner, never shown.

use entity::profile;
use sea_orm::{EntityTrait, Set, sea_query::OnConflict};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::{
    crypto::Sealer,
    db::{Connections, now},
    error::{AppError, AppResult},
};

/// Longest key accepted (in characters).
const MAX_KEY_CHARS: usize = 256;
/// Keys shorter than this get no hint: four characters would give away too much of them.
const MIN_CHARS_FOR_HINT: usize = 8;

/// What the API may show about a stored key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyStatus {
    pub has_key: bool,
    pub hint: Option<String>,
}

impl From<Option<&profile::Model>> for KeyStatus {
    fn from(profile: Option<&profile::Model>) -> Self {
        match profile {
            Some(p) if p.gemini_api_key.is_some() => Self {
                has_key: true,
                hint: p.gemini_api_key_hint.clone(),
            },
            _ => Self::default(),
        }
    }
}

/// The associated data that binds a sealed key to its owner.
fn owner_binding(user_id: Uuid) -> [u8; 16] {
    *user_id.as_bytes()
}

/// The keys of every user: the database and the sealer that opens them.
#[derive(Clone)]
pub struct GeminiKeys {
    db: Connections,
    sealer: Sealer,
}

impl GeminiKeys {
    pub fn new(db: Connections, sealer: Sealer) -> Self {
        Self { db, sealer }
    }

    /// Stores (or replaces) the caller's key as given, trimmed. It is not checked against Gemini.
    pub async fn set_key(&self, user_id: Uuid, api_key: SecretString) -> AppResult<()> {
        let key = api_key.expose_secret().trim();
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_KEY_CHARS {
            return Err(AppError::invalid(
                "apiKey",
                format!("The API key must have 1 to {MAX_KEY_CHARS} characters."),
            ));
        }
        let hint =
            (chars >= MIN_CHARS_FOR_HINT).then(|| key.chars().skip(chars - 4).collect::<String>());
        let sealed = self.sealer.seal(key.as_bytes(), &owner_binding(user_id));
        self.upsert(user_id, Some(sealed), hint).await
    }

    /// Removes the caller's key.
    pub async fn clear_key(&self, user_id: Uuid) -> AppResult<()> {
        self.upsert(user_id, None, None).await
    }

    /// Opens the caller's key for a call to Gemini.
    pub async fn load_key(&self, user_id: Uuid) -> AppResult<SecretString> {
        let profile = profile::Entity::find_by_id(user_id)
            .one(&self.db.reads)
            .await?;
        let sealed = profile
            .and_then(|p| p.gemini_api_key)
            .ok_or(AppError::GeminiApiKeyMissing)?;
        let bytes = self
            .sealer
            .open(&sealed, &owner_binding(user_id))
            .map_err(|err| {
                AppError::from(anyhow::anyhow!(
                    "stored Gemini key of user {user_id}: {err}"
                ))
            })?;
        let key = String::from_utf8(bytes).map_err(|_| {
            AppError::from(anyhow::anyhow!(
                "stored Gemini key of user {user_id} is not UTF-8"
            ))
        })?;
        Ok(SecretString::from(key))
    }

    async fn upsert(
        &self,
        user_id: Uuid,
        sealed: Option<Vec<u8>>,
        hint: Option<String>,
    ) -> AppResult<()> {
        let row = profile::ActiveModel {
            user_id: Set(user_id),
            gemini_api_key: Set(sealed),
            gemini_api_key_hint: Set(hint),
            updated_at: Set(now()),
        };
        profile::Entity::insert(row)
            .on_conflict(
                OnConflict::column(profile::Column::UserId)
                    .update_columns([
                        profile::Column::GeminiApiKey,
                        profile::Column::GeminiApiKeyHint,
                        profile::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db.writes)
            .await?;
        Ok(())
    }
}
